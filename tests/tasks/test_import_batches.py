"""An import writes its new pairs in batches and their queue rows once at the end; a pair
updated in between (its gold changed: the queue is rebuilt) finds every pair inserted before
it queued, as when each batch was queued at once."""

from __future__ import annotations

from annotator.store import Store
from annotator.tasks import importer
from tests.tasks.taskdirs import write_task

TOML = ('[task]\nname = "t"\nattention_rate = 0.2\nseed = 4\n\n[data]\npath = "pairs.jsonl"\nid = "id"\n'
        'prompt = "prompt"\nresponse_a = "a"\nresponse_b = "b"\ngold = "gold"\n')


def _rows(ids, gold_of):
    return [{"id": f"p{i}", "prompt": f"q{i}", "a": "A", "b": "B", "gold": gold_of(i)} for i in ids]


def _queue(db):
    store = Store.open(db)
    try:
        return store.query("SELECT pair, task, stream, rank, labellers, done, uniform, priority FROM queue_pairs "
                           "ORDER BY pair"), store.query("SELECT * FROM queue_tasks")
    finally:
        store.close()


def test_an_update_between_batches_sees_the_pairs_inserted_before_it_queued(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "FLUSH_PAIRS", 3)
    folder = write_task(tmp_path / "t", TOML, {"pairs.jsonl": _rows(range(0, 40, 4), lambda i: "")})
    assert cli("tasks", "add", folder).exit_code == 0
    # new pairs before and after p20, whose gold appears (its stream changes: the queue is rebuilt)
    rows = _rows(range(40), lambda i: "A" if i == 20 or (i % 4 and i % 3 == 0) else "")
    write_task(tmp_path / "t", TOML, {"pairs.jsonl": rows})
    result = cli("tasks", "add", folder, "--update", "--json")
    assert result.exit_code == 0, result.output
    got = _queue(cli.db)
    assert {r["stream"] for r in got[0]} == {"gold", "regular"} and len(got[0]) == 40
    store = Store.open(cli.db)
    store.rebuild_queue("t")  # what the rows of the task's pairs are, made from scratch
    store.close()
    assert _queue(cli.db) == got
