"""The exports' Arrow reads (issue 22) give the rows the statistics read, and the gold
export's per-pair figures are the statistics' own (one computation, not a second copy)."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.analysis.pairs import pair_votes
from annotator.analysis.ratings import ratings_from_frame
from annotator.export.gold import gold_set
from annotator.export.options import GoldOptions
from annotator.store import Label, Store
from tests.export.golden_data import fill_golden


@pytest.fixture
def filled(tmp_path):
    store = Store.open(tmp_path / "a.db")  # a file: Store.arrow reads it through ADBC
    fill_golden(store)
    store.add_labels([Label(pair=store.get_pair_by_external_id("c", "g03").id, annotator="eve", choice="B",
                            shown_order="AB", factors={"length": "A"})])  # a revision late in id order
    yield store
    store.close()


@pytest.mark.parametrize("exclude", [(), ("bob",)])
def test_current_votes_are_the_rows_the_statistics_read(filled, exclude):
    new = filled.current_votes_table("c", exclude=exclude)
    old = filled.votes_frame("c", exclude=exclude)
    assert new.column("label_id").to_pylist() == old["label_id"].tolist()
    assert new.column("pair").to_pylist() == old["pair"].tolist()
    assert new.column("annotator").to_pylist() == old["annotator"].astype(object).tolist()
    assert new.column("choice").to_pylist() == old["choice"].astype(object).tolist()


def test_gold_figures_are_the_statistics_figures(filled):
    gold = gold_set(filled, "c", GoldOptions()).table
    frame = filled.labels_frame("c", columns=["pair", "annotator", "choice"])
    expected = pair_votes(ratings_from_frame(frame, "choice", filled.require_task("c").choices))
    expected = expected[expected["n_votes"] > 0].loc[gold.index]
    for column in ("n_votes", "votes_A", "votes_B", "votes_tie"):
        assert gold[column].tolist() == expected[column].tolist()
    assert gold["majority"].tolist() == expected["majority"].tolist()
    for column in ("majority_share", "entropy_bits", "agreement"):
        np.testing.assert_array_equal(gold[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float))


def test_paged_reads_walk_every_row_in_order(filled):
    pages = list(filled.pair_tables("c", ["pair_id"], page_rows=7))
    assert [p.num_rows for p in pages[:-1]] == [7] * (len(pages) - 1)
    ids = [i for p in pages for i in p.column("id").to_pylist()]
    assert ids == sorted(ids) and len(ids) == 64
    revisions = [i for p in filled.label_revision_tables("c", page_rows=50) for i in p.column("id").to_pylist()]
    assert revisions == [r[0] for r in filled.db.execute("SELECT id FROM labels WHERE task = 'c' ORDER BY id")]


def test_the_newest_revisions_are_those_sqlite_groups(filled):
    """``newest_label_ids`` (a scan in id order, the last of each pair and annotator) gives the
    ids SQLite's ``MAX(id) ... GROUP BY pair, annotator`` gives; a task without labels none."""
    grouped = sorted(r["id"] for r in filled.query(
        "SELECT MAX(id) AS id FROM labels WHERE task = 'c' GROUP BY pair, annotator"))
    assert len(grouped) < filled.query("SELECT COUNT(*) AS n FROM labels WHERE task = 'c'")[0]["n"]  # revisions
    assert filled.newest_label_ids("c").tolist() == grouped
    assert filled.newest_label_ids("no such task").tolist() == []
