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


def test_queue_rows_of_pairs_whose_ids_are_not_consecutive_are_those_a_rebuild_makes(tmp_path):
    """Pairs of two tasks inserted in one call, interleaved: each task's new ids come in runs
    with gaps (its queue rows are written a run at a time), some pairs gold."""
    from annotator.store import Pair, Task

    store = Store.open(tmp_path / "q.db")
    try:
        for name in ("x", "y"):
            store.save_task(Task(name=name, title=name, attention_rate=0.3, seed=7))
        tasks = ["x", "x", "y", "x", "y", "y", "y", "x", "x", "x", "y", "x"]
        store.insert_pairs([Pair(task=t, pair_id=f"p{i}", prompt="q", response_a="a", response_b="b",
                                 gold="A" if i % 3 == 0 else None, content_hash="h") for i, t in enumerate(tasks)])
        query = "SELECT pair, task, stream, rank, labellers, done, uniform, priority FROM queue_pairs ORDER BY pair"
        got = store.query(query)
        assert [r["task"] for r in got] == tasks and {r["stream"] for r in got} == {"gold", "regular"}
        for name in ("x", "y"):
            store.rebuild_queue(name)
        assert store.query(query) == got
    finally:
        store.close()


def test_the_cycle_collector_is_paused_while_rows_are_read_and_back_after_any_import(tmp_path, monkeypatch):
    import gc

    import pytest

    from annotator.tasks.errors import ImportRefused

    seen = []
    real = importer.PairBuilder.__call__

    def watched(self, *args):
        seen.append(gc.isenabled())
        return real(self, *args)

    monkeypatch.setattr(importer.PairBuilder, "__call__", watched)
    store = Store.open(tmp_path / "a.db")
    try:
        folder = write_task(tmp_path / "t", TOML, {"pairs.jsonl": _rows(range(3), lambda i: "")})
        assert gc.isenabled()
        assert importer.import_task_dir(store, folder).pairs_new == 3
        assert seen == [False] * 3 and gc.isenabled()
        write_task(tmp_path / "t", TOML, {"pairs.jsonl": _rows(range(5), lambda i: "X")})  # bad gold: refused
        with pytest.raises(ImportRefused):
            importer.import_task_dir(store, folder)
        assert gc.isenabled()
        gc.disable()  # a caller that paused it itself finds it paused still
        try:
            importer.import_task_dir(store, folder, skip_bad=True)
            assert not gc.isenabled()
        finally:
            gc.enable()
    finally:
        store.close()


def test_the_labels_of_an_import_find_their_pairs_without_reading_the_pair_rows(tmp_path):
    """After the new pairs are written, the labels and verdicts read each pair's database id
    from the index (``Store.pair_ids``): only the read of the task's pairs before the import
    (to tell new pairs from unchanged ones) takes their content hashes from the rows."""
    from tests.tasks.taskdirs import jsonl_task, rows

    data = rows(4)
    for r in data:
        r["human"], r["v"] = "A", "B"
    extra = ('\n[labels]\nannotators = ["human"]\nmap = { "A" = "A", "B" = "B" }\n\n[[judge_labels]]\nname = "gpt-x"\n'
             'verdict = "v"\nmap = { "A" = "A", "B" = "B" }\n')
    folder = jsonl_task(tmp_path / "t", data, extra=extra)
    store = Store.open(tmp_path / "a.db")
    seen: list[str] = []
    store.db.conn.set_trace_callback(seen.append)
    try:
        report = importer.import_task_dir(store, folder)
    finally:
        store.db.conn.set_trace_callback(None)
    assert report.labels_added == 4 and report.judgments_added == {"gpt-x": 4}
    reads = [s for s in seen if "FROM pairs WHERE task =" in s]
    assert len([s for s in reads if "content_hash" in s]) == 1, reads
    assert store.pair_ids("t") == {pid: db_id for pid, (db_id, _) in store.pair_index("t").items()}
    for sql in reads:
        if "content_hash" not in sql:
            plan = " ".join(r[-1] for r in store.db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
            assert "COVERING INDEX" in plan, (sql, plan)
    store.close()
