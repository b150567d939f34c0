"""`annotator claims list|release`, and `annotate` refusing a name in use."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Pair, Store, Task, WriterIdentity


def setup(tmp_path):
    db = tmp_path / "c.db"
    store = Store.open(db)
    task = Task(name="t", overlap=1)
    store.save_task(task)
    store.insert_pairs(Pair(task="t", pair_id=f"p{i}", prompt="q", response_a="a", response_b="b",
                            content_hash=f"h{i}") for i in range(5))
    return db, store, task


def run(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def test_list_shows_claims_and_sessions(tmp_path):
    db, store, task = setup(tmp_path)
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    old = store.next_pair(task, "bob", now=past)
    mine = store.next_pair(task, "ann")
    store.acquire_writer("t", "ann", WriterIdentity.here())
    result = run(db, "claims", "list")
    assert result.exit_code == 0, result.output
    assert "1 live claim, 1 expired" in result.output
    assert mine.pair_id in result.output and old.pair_id in result.output
    assert "Sessions" in result.output
    data = json.loads(run(db, "claims", "list", "--json").output)
    assert {(c["annotator"], c["pair_id"], c["expired"]) for c in data["claims"]} == {
        ("ann", mine.pair_id, False), ("bob", old.pair_id, True)}
    assert [s["annotator"] for s in data["sessions"]] == ["ann"]
    only = json.loads(run(db, "claims", "list", "--annotator", "bob", "--json").output)
    assert [c["annotator"] for c in only["claims"]] == ["bob"] and only["sessions"] == []


def test_release_by_filter(tmp_path):
    db, store, task = setup(tmp_path)
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    old = store.next_pair(task, "bob", now=past)
    store.next_pair(task, "ann")
    ann_pair = store.next_pair(task, "ann", exclude={c["pair"] for c in store.claims("t")})
    store.acquire_writer("t", "ann", WriterIdentity.here())

    refused = run(db, "claims", "release")
    assert refused.exit_code == 1 and "say which claims" in refused.output

    expired = json.loads(run(db, "claims", "release", "--expired", "--json").output)
    assert expired == {"task": "t", "released_claims": 1, "released_sessions": 0}
    assert old.id not in {c["pair"] for c in store.claims("t")}

    one = run(db, "claims", "release", "--pair", ann_pair.pair_id)
    assert one.exit_code == 0 and "Released 1 claim in task t." in one.output

    missing = run(db, "claims", "release", "--pair", "nope")
    assert missing.exit_code == 1 and "no pair with id 'nope'" in missing.output

    rest = run(db, "claims", "release", "--annotator", "ann")
    assert "Released 1 claim in task t and ann's hold on the name." in rest.output
    assert store.claims("t") == [] and store.writers("t") == []
    # Released pairs come back first to the annotator who held them.
    assert store.next_pair(task, "bob").id == old.id


def test_annotate_refuses_a_name_labelling_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_CONFIG", str(tmp_path / "none.toml"))
    db, store, task = setup(tmp_path)
    store.acquire_writer("t", "ann", WriterIdentity.here())  # this very process: alive
    result = run(db, "annotate", "--annotator", "ann")
    assert result.exit_code == 1
    assert "'ann' is already labelling task 't' in another session" in result.output
