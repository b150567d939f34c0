"""``current`` of the labels export: the revisions a later one replaced, read from the unique
index on (pair, annotator, revision), are exactly those that are not each pair and
annotator's newest (the largest id), whatever task they belong to."""

from __future__ import annotations

import csv

from annotator.export.labels import write_labels
from annotator.store import Label, Store, Task
from tests.conftest import make_pairs


def test_replaced_revisions_are_those_not_newest(tmp_path):
    store = Store.open(tmp_path / "a.db")  # a file: read through ADBC
    for task in ("t", "u"):
        store.save_task(Task(name=task, title=task, overlap=3))
        store.insert_pairs(make_pairs(task, 3))
    t_ids = [p.id for p in store.pairs("t")]
    u_ids = [p.id for p in store.pairs("u")]
    store.add_labels([Label(pair=i, annotator=a, choice="A", shown_order="AB") for i in t_ids + u_ids
                      for a in ("ann", "bo")])
    # revisions, late in id order, in both tasks: ann changes her mind twice on t's first pair
    store.add_labels([Label(pair=t_ids[0], annotator="ann", choice="B", shown_order="BA")])
    store.add_labels([Label(pair=t_ids[0], annotator="ann", choice="tie", shown_order="AB")])
    store.add_labels([Label(pair=u_ids[2], annotator="bo", choice="B", shown_order="AB")])
    replaced = store.replaced_label_ids().tolist()
    for task in ("t", "u"):
        every = {r[0] for r in store.db.execute("SELECT id FROM labels WHERE task = ?", [task])}
        newest = set(store.newest_label_ids(task).tolist())
        assert every - newest == set(replaced) & every
    assert len(replaced) == 3 and replaced == sorted(replaced)

    write_labels(store, "t", tmp_path / "l.csv", "csv")
    with open(tmp_path / "l.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(row for row in fh if not row.startswith("#")))
    newest = set(store.newest_label_ids("t").tolist())
    assert len(rows) == 8
    assert {int(r["label_id"]): r["current"] == "True" for r in rows} == {i: i in newest for i in
                                                                          map(int, (r["label_id"] for r in rows))}
    assert sum(r["current"] == "True" for r in rows) == 6
    store.close()
