"""The columnar read of labels (issue 22): ``Store.labels_frame`` gives the same frame,
columns, dtypes and values as the row-by-row read it replaced (kept here as the reference)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from annotator.store import Label
from annotator.store.labels import _LABEL_SQL, _PAIR_SQL, LABEL_COLUMNS, LEAN_COLUMNS, PAIR_COLUMNS
from tests.export.golden_data import fill_golden


def _reference(store, task, *, lean=False, exclude=(), columns=None):
    """labels_frame as it was: rows as tuples, pandas' duplicated, one json.loads per label."""
    if columns is None and lean:
        columns = LEAN_COLUMNS
    wanted = list(LABEL_COLUMNS + PAIR_COLUMNS if columns is None else columns)
    own = [c for c in LABEL_COLUMNS if c in wanted or c in ("pair", "annotator", "revision")]
    select = {c: f"l.{_LABEL_SQL.get(c, c)}" for c in own}
    exclude = sorted(set(exclude))
    sql = f"SELECT {', '.join(select.values())} FROM labels l WHERE l.task = ?"
    if exclude:
        sql += f" AND l.annotator NOT IN ({', '.join('?' * len(exclude))})"
    data = store.db.execute(sql + " ORDER BY l.id", [task, *exclude]).fetchall()
    frame = pd.DataFrame.from_records(data, columns=list(select))
    frame = frame[~frame.duplicated(["pair", "annotator"], keep="last")].reset_index(drop=True)
    from_pairs = [c for c in PAIR_COLUMNS if c in wanted]
    if from_pairs:
        exprs = ", ".join(_PAIR_SQL[c] for c in from_pairs)
        rows = store.db.execute(f"SELECT id, {exprs} FROM pairs WHERE task = ?", [task]).fetchall()
        frame = frame.join(pd.DataFrame.from_records(rows, columns=["pair", *from_pairs]).set_index("pair"), on="pair")
    if "factors" in frame:
        frame["factors"] = [json.loads(f) if f and f != "{}" else {} for f in frame["factors"].to_numpy(dtype=object)]
    return frame[wanted].reset_index(drop=True)


@pytest.mark.parametrize("kwargs", [{}, {"lean": True}, {"exclude": ("bob",)},
                                    {"columns": ["pair", "annotator", "choice"]},
                                    {"columns": ["factors", "gold", "len_b", "label_id"]}])
def test_labels_frame_is_the_same_as_the_row_by_row_read(store, kwargs):
    fill_golden(store)
    store.add_labels([Label(pair=store.get_pair_by_external_id("c", "g03").id, annotator="eve", choice="B",
                            shown_order="AB", factors={"length": "A"})])  # a revision late in id order
    new, old = store.labels_frame("c", **kwargs), _reference(store, "c", **kwargs)
    pd.testing.assert_frame_equal(new, old, check_dtype=True)
    assert list(new.dtypes) == list(old.dtypes)


def test_labels_frame_of_a_task_without_labels(store):
    fill_golden(store)
    from annotator.store import Task

    store.save_task(Task(name="empty", title="Empty"))
    new, old = store.labels_frame("empty"), _reference(store, "empty")
    assert list(new.columns) == list(old.columns) and len(new) == len(old) == 0
