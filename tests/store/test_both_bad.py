"""The "both bad" choice in the store: migration m012, the store-level check, the read rule."""

from __future__ import annotations

import pytest

from annotator.store import Store, Task, connect, schema
from annotator.store.adjudications import InvalidAdjudication
from annotator.store.labels import InvalidLabel
from annotator.store.models import Adjudication, Label, TaskSettings
from tests.conftest import make_pairs

BOTH_BAD_TASK = TaskSettings(choices=["A", "B", "tie", "both_bad"])


def _sql(db, kind: str, name: str) -> str:
    return db.execute("SELECT sql FROM sqlite_master WHERE type = ? AND name = ?", [kind, name]).fetchone()[0]


def test_m012_widens_labels_and_adjudications_keeping_rows_indexes_views_and_triggers(tmp_path):
    """A database built at the schema before m012, with rows in it, is upgraded: every row,
    the indexes, the current_labels view and a trigger survive; both_bad is then accepted."""
    path = tmp_path / "old.db"
    db = connect(path)
    schema.migrations.apply(db, stop_before="m012_both_bad")
    db.execute("INSERT INTO tasks (name, created_at) VALUES ('t', 'then')")
    db.execute("INSERT INTO pairs (id, task, pair_id, prompt, response_a, response_b, content_hash, created_at) "
               "VALUES (1, 't', 'p1', 'q', 'a', 'b', 'h', 'then')")
    for rev, choice in ((1, "A"), (2, "tie")):
        db.execute("INSERT INTO labels (pair, task, annotator, revision, choice, shown_order, created_at) "
                   "VALUES (1, 't', 'ann', ?, ?, 'BA', 'then')", [rev, choice])
    db.execute("INSERT INTO adjudications (pair, task, adjudicator, revision, choice, reason, created_at) "
               "VALUES (1, 't', 'carol', 1, 'B', 'annotator_error', 'then')")
    db.execute("CREATE TABLE audit (label INTEGER)")
    db.execute("CREATE TRIGGER labels_audit AFTER INSERT ON labels BEGIN INSERT INTO audit VALUES (new.id); END")
    with pytest.raises(Exception, match="CHECK"):
        db.execute("INSERT INTO labels (pair, task, annotator, revision, choice, shown_order, created_at) "
                   "VALUES (1, 't', 'ann', 3, 'both_bad', 'AB', 'then')")
    before = db.execute("SELECT * FROM labels ORDER BY id").fetchall()
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                        "AND tbl_name IN ('labels', 'adjudications')")}
    db.conn.commit()
    db.close()

    store = Store.open(path)
    assert store.schema_version == schema.latest_version()
    assert store.db.execute("SELECT * FROM labels ORDER BY id").fetchall() == before
    assert [a.choice for a in store.adjudication_history(1)] == ["B"]
    assert indexes == {r[0] for r in store.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('labels', 'adjudications')")}
    assert "labels_task_annotator" in indexes and "adjudications_task" in indexes
    assert "'both_bad'" in _sql(store.db, "table", "labels") and "'both_bad'" in _sql(store.db, "table", "adjudications")
    assert [r["choice"] for r in store.query("SELECT choice FROM current_labels")] == ["tie"]  # the view is back
    store.db.execute("INSERT INTO labels (pair, task, annotator, revision, choice, shown_order, created_at) "
                     "VALUES (1, 't', 'ann', 3, 'both_bad', 'AB', 'now')")
    assert store.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 1  # the trigger is back
    with pytest.raises(Exception, match="CHECK"):
        store.db.execute("INSERT INTO labels (pair, task, annotator, revision, choice, shown_order, created_at) "
                         "VALUES (1, 't', 'ann', 4, 'meh', 'AB', 'now')")
    assert store.integrity_problems() == []
    store.close()


def test_m012_applied_again_changes_nothing(store):
    sql = _sql(store.db, "table", "labels")
    schema.m012_both_bad(store.db)
    assert _sql(store.db, "table", "labels") == sql


def _task(store, name: str, settings: TaskSettings | None = None) -> list[int]:
    store.save_task(Task(name=name, overlap=3, settings=settings or TaskSettings()))
    store.insert_pairs(make_pairs(name, 2))
    return [p.stored_id for p in store.pairs(name)]


def test_a_both_bad_label_is_refused_when_the_task_does_not_offer_it(store):
    plain, offered = _task(store, "plain"), _task(store, "offered", BOTH_BAD_TASK)
    with pytest.raises(InvalidLabel, match="does not offer"):
        store.add_label(Label(pair=plain[0], annotator="ann", choice="both_bad"))
    with pytest.raises(InvalidLabel, match="does not offer"):  # all or nothing in a batch
        store.add_labels([Label(pair=offered[0], annotator="ann", choice="A"),
                          Label(pair=plain[1], annotator="ann", choice="both_bad")])
    assert store.current_labels("plain") == [] and store.current_labels("offered") == []
    saved = store.add_label(Label(pair=offered[0], annotator="ann", choice="both_bad"))
    assert store.query("SELECT choice FROM labels WHERE id = ?", [saved.id])[0]["choice"] == "both_bad"
    with pytest.raises(InvalidAdjudication, match="does not offer"):
        store.add_adjudication(Adjudication(pair=plain[0], adjudicator="carol", choice="both_bad",
                                            reason="ambiguous_pair"))
    store.add_adjudication(Adjudication(pair=offered[0], adjudicator="carol", choice="both_bad", reason="ambiguous_pair"))
    assert store.current_adjudications("offered")[offered[0]].choice == "both_bad"


def test_the_read_rule_counts_both_bad_as_tie_or_leaves_it_out(store):
    p1, p2 = _task(store, "t", BOTH_BAD_TASK)
    store.add_labels([Label(pair=p1, annotator="ann", choice="both_bad"), Label(pair=p1, annotator="bob", choice="A"),
                      Label(pair=p2, annotator="ann", choice="A")])
    store.add_label(Label(pair=p2, annotator="ann", choice="both_bad"))  # a revision: the newest counts
    assert store.choice_by_pair("t", "both_bad") == {p1: 1, p2: 1}
    assert store.choice_by_pair("t", "both_bad", exclude=["ann"]) == {}
    as_tie = store.labels_frame("t")
    assert sorted(zip(as_tie["pair"], as_tie["annotator"], as_tie["choice"])) == [
        (p1, "ann", "tie"), (p1, "bob", "A"), (p2, "ann", "tie")]
    left_out = store.labels_frame("t", both_bad="exclude", columns=["pair", "annotator"])
    assert sorted(zip(left_out["pair"], left_out["annotator"])) == [(p1, "bob")]  # the older "A" does not return
    votes = store.votes_frame("t")
    assert list(votes["choice"].cat.categories) == ["A", "B", "tie"]
    assert sorted(zip(votes["annotator"].astype(str), votes["choice"].astype(str))) == [
        ("ann", "tie"), ("ann", "tie"), ("bob", "A")]
    assert list(store.votes_frame("t", both_bad="exclude")["annotator"].astype(str)) == ["bob"]
    with pytest.raises(ValueError, match="both_bad"):
        store.labels_frame("t", both_bad="drop")


def test_the_store_default_is_the_statistics_default():
    import inspect

    from annotator.analysis.defaults import BOTH_BAD_RULES, DEFAULT_BOTH_BAD
    from annotator.store.labels import BOTH_BAD_RULES as STORE_RULES, LabelStore

    assert STORE_RULES == BOTH_BAD_RULES
    for method in (LabelStore.labels_frame, LabelStore.votes_frame):
        assert inspect.signature(method).parameters["both_bad"].default == DEFAULT_BOTH_BAD
