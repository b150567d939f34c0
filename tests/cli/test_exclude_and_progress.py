"""`--exclude NAME` on the statistics, and `annotator progress`."""

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Label, Store
from tests.export.campaign_data import campaign_database


@pytest.fixture
def db(tmp_path):
    return campaign_database(tmp_path / "c.db")


def _run(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def test_stats_agreement_leaves_the_annotator_out_and_says_so(db):
    full = json.loads(_run(db, "stats", "agreement", "--json", "--bootstrap", "0").output)
    result = _run(db, "stats", "agreement", "--json", "--bootstrap", "0", "--exclude", "eve")
    assert result.exit_code == 0, result.output
    without = json.loads(result.output)
    assert full["n_labels"] == 9 and without["n_labels"] == 7  # eve's two labels are gone
    assert without["n_annotators"] == 2 and "eve" not in {a["annotator"] for a in without["per_annotator"]}
    assert without["excluded_annotators"] == {"eve": 2}
    assert any("eve (2 labelled pairs)" in note for note in without["notes"])
    text = _run(db, "stats", "agreement", "--bootstrap", "0", "--exclude", "eve")
    assert "left out on request (--exclude): eve (2 labelled pairs)" in text.output


def test_stats_judges_takes_exclude_too(db):
    result = _run(db, "stats", "judges", "--json", "--exclude", "eve", "--exclude", "alice")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["excluded_annotators"] == {"eve": 2, "alice": 3}


def test_an_unknown_name_is_refused_not_ignored(db):
    result = _run(db, "stats", "agreement", "--exclude", "Eve")
    assert result.exit_code == 1 and "no annotator of that name" in result.output and "'eve'" in result.output


def test_progress_coverage_and_annotators(db):
    result = _run(db, "progress", "--json")
    assert result.exit_code == 0, result.output
    [task] = json.loads(result.output)
    # p1: bob, alice, eve; p2: bob, alice, eve; p3: alice, bob; p4: bob
    assert task["pairs"] == 4 and task["coverage"] == {"0": 0, "1": 1, "2": 1, "3": 2}
    assert task["overlap"] == 1 and task["pairs_done"] == 4 and task["labels_still_needed"] == 0
    bob = next(a for a in task["annotators"] if a["annotator"] == "bob")
    assert (bob["pairs"], bob["revisions"]) == (4, 5)
    text = _run(db, "progress")
    assert "Coverage" in text.output and "bob" in text.output and "4 of 4 pairs have 1 or more" in text.output


def test_progress_counts_open_pairs_against_the_overlap(tmp_path):
    from annotator.store import Pair, Task

    store = Store.open(tmp_path / "o.db")
    store.save_task(Task(name="o", overlap=2))
    store.insert_pairs(Pair(task="o", pair_id=f"p{i}", prompt="q", response_a="a", response_b="b",
                            content_hash=str(i)) for i in range(3))
    store.add_labels([Label(pair=1, annotator="x", choice="A")])
    store.close()
    [task] = json.loads(_run(tmp_path / "o.db", "progress", "--task", "o", "--json").output)
    assert task["coverage"] == {"0": 2, "1": 1, "2": 0}
    assert task["pairs_done"] == 0 and task["labels_still_needed"] == 5
