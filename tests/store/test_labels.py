"""Labels are append-only: an edit is a new revision, the old one is kept."""

import pytest

from annotator.store import InvalidLabel, Label


def test_first_label_is_revision_one(filled_store):
    label = filled_store.add_label(Label(pair=1, annotator="ann", choice="A", shown_order="BA",
                                         factors={"length": "B"}, confidence=4, rationale="why"))
    assert label.revision == 1 and label.id is not None
    (row,) = filled_store.current_labels("t")
    assert (row.choice, row.shown_order, row.factors, row.confidence, row.rationale) == (
        "A", "BA", {"length": "B"}, 4, "why")


def test_edit_appends_a_revision_and_keeps_history(filled_store):
    filled_store.add_label(Label(pair=1, annotator="ann", choice="A"))
    filled_store.add_label(Label(pair=1, annotator="ann", choice="tie"))
    history = filled_store.label_history(1, "ann")
    assert [(h.revision, h.choice) for h in history] == [(1, "A"), (2, "tie")]
    assert [lab.choice for lab in filled_store.current_labels("t")] == ["tie"]
    assert filled_store.db.table("labels").count == 2


def test_revisions_are_per_annotator(filled_store):
    filled_store.add_label(Label(pair=1, annotator="x", choice="A"))
    other = filled_store.add_label(Label(pair=1, annotator="y", choice="B"))
    assert other.revision == 1
    assert filled_store.annotators("t") == ["x", "y"]


@pytest.mark.parametrize(
    "label",
    [
        Label(pair=1, annotator="a", choice="C"),
        Label(pair=1, annotator="a", choice="A", shown_order="XY"),
        Label(pair=1, annotator="a", choice="A", factors={"length": "more"}),
        Label(pair=1, annotator="a", choice="A", confidence=9),
        Label(pair=999, annotator="a", choice="A"),
    ],
)
def test_invalid_labels_are_refused_and_nothing_is_written(filled_store, label):
    with pytest.raises(InvalidLabel):
        filled_store.add_label(label)
    assert filled_store.db.table("labels").count == 0


def test_batch_is_all_or_nothing(filled_store):
    with pytest.raises(InvalidLabel):
        filled_store.add_labels([Label(pair=1, annotator="a", choice="A"),
                                 Label(pair=2, annotator="a", choice="nope")])
    assert filled_store.db.table("labels").count == 0


def test_labels_frame_has_pair_columns(filled_store):
    filled_store.add_label(Label(pair=2, annotator="a", choice="B", factors={"length": "A"}))
    frame = filled_store.labels_frame("t")
    assert list(frame["pair_id"]) == ["p1"]
    assert frame.loc[0, "factors"] == {"length": "A"}
    assert frame.loc[0, "len_a"] == len("answer A 1")


def test_task_counts(filled_store):
    filled_store.add_label(Label(pair=1, annotator="a", choice="A"))
    filled_store.add_label(Label(pair=1, annotator="a", choice="B"))
    filled_store.add_label(Label(pair=2, annotator="b", choice="B"))
    counts = filled_store.task_counts("t")
    assert counts["pairs"] == 5
    assert counts["labels"] == 2  # current labels, not revisions
    assert counts["annotators"] == 2
    assert counts["labels_per_annotator"] == {"a": 1, "b": 1}


def test_annotators_by_first_label_is_the_order_of_each_ones_first_label(filled_store):
    """The skip-scan over the (task, annotator) index gives the order of a GROUP BY over every
    label: names out of alphabetical order, a revision, and another task's labels between."""
    from annotator.store import Task
    from tests.conftest import make_pairs

    filled_store.save_task(Task(name="u", title="Other", overlap=2))
    filled_store.insert_pairs(make_pairs("u", 2))
    filled_store.add_label(Label(pair=6, annotator="aaa", choice="A"))
    for pair, person in [(1, "zed"), (2, "mia"), (1, "zed"), (3, "aaa"), (2, "bob"), (4, "mia")]:
        filled_store.add_label(Label(pair=pair, annotator=person, choice="A"))
    reference = [r["annotator"] for r in filled_store.query(
        "SELECT annotator, MIN(id) AS first FROM labels WHERE task = ? GROUP BY annotator ORDER BY first", ["t"])]
    assert filled_store.annotators_by_first_label("t") == reference == ["zed", "mia", "aaa", "bob"]
    assert filled_store.annotators_by_first_label("u") == ["aaa"]
    assert filled_store.annotators_by_first_label("none") == []
