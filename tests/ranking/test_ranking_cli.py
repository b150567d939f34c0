"""A ranked task through the command line: import, rankings, agreement and the judge card
read the expanded pairs as they read any pair."""

from __future__ import annotations

import json

from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Ranking, Store
from tests.ranking.taskdir import ranked_task


def _run(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def ranked_database(tmp_path):
    db = tmp_path / "r.db"
    result = _run(db, "tasks", "add", str(ranked_task(tmp_path / "t", sizes=(3, 3, 4))))
    assert result.exit_code == 0, result.output
    assert "3 new items (2 of 3 responses, 1 of 4 responses), 12 pairs" in result.output
    store = Store.open(db)
    items = store.ranking_items("ranked")
    # alice: the file's order, 1 > 2 > 3 (> 4); bob: the same but 2 and 3 tied on the first item
    for item in items:
        store.save_ranking(Ranking(item=item.id, annotator="alice", tiers=[[p] for p in range(1, item.k + 1)],
                                   shown=list(range(1, item.k + 1))))
        bob = [[1], [2, 3], *([[4]] if item.k == 4 else [])] if item is items[0] else \
            [[p] for p in range(1, item.k + 1)]
        store.save_ranking(Ranking(item=item.id, annotator="bob", tiers=bob, shown=list(range(item.k, 0, -1))))
    store.close()
    return db


def test_agreement_reads_the_expanded_pairs(tmp_path):
    db = ranked_database(tmp_path)
    result = _run(db, "stats", "agreement", "--task", "ranked", "--json", "--bootstrap", "200")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # 12 pairs, two labels each; bob differs from alice on one pair (2 vs 3 of the first item)
    assert report["n_labels"] == 24 and report["n_pairs"] == 12
    assert report["percent_agreement"]["with_ties"]["estimate"] == 11 / 12
    assert report["bootstrap"]["unit"].startswith("item")


def test_judge_card_on_a_ranked_task(tmp_path):
    db = ranked_database(tmp_path)
    run = _run(db, "judge", "run", "--judge", "longest", "--task", "ranked")
    assert run.exit_code == 0, run.output
    result = _run(db, "stats", "judges", "--task", "ranked", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["bootstrap"]["unit"].startswith("item")  # the pairs of one ranking are drawn together
    agents = {a["agent"]: a for a in report["agents"]}
    assert agents["humans"]["pairs"] == 12 and agents["humans"]["verdicts"] == {"A": 11, "B": 0, "tie": 0, "split": 1}
    assert agents["longest"]["pairs_judged"] == 12


def test_pack_refuses_a_ranked_task(tmp_path):
    db = ranked_database(tmp_path)
    result = _run(db, "pack", "--task", "ranked", "--annotator", "carol", "--out", str(tmp_path / "c.db"))
    assert result.exit_code != 0 and "ranked task" in result.output
    assert not (tmp_path / "c.db").exists()


def test_leaderboard_rates_the_models_of_a_ranked_task(tmp_path):
    db = ranked_database(tmp_path)
    result = _run(db, "stats", "leaderboard", "--task", "ranked", "--json")
    assert result.exit_code == 0, result.output
    text = result.output
    assert all(f'"m{n}"' in text for n in (1, 2, 3, 4))  # the responses' models, from the expanded pairs
