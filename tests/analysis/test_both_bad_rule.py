"""`--both-bad tie|exclude`: every statistic that reads human choices, on one hand-worked fixture.

Task "bb" offers "both_bad"; candidate model "cand" (response A) against the baseline "base"
(response B), two annotators and one judge (same verdict in both orders):

    pair  ann1      ann2      judge
    p0    A         A         A
    p1    both_bad  tie       tie
    p2    B         both_bad  B

--both-bad tie (MT-Bench counts "tie (both bad)" as a tie): p0 (A, A), p1 (tie, tie), p2 (B, tie).
  * agreement with ties over label pairs: p0 agrees, p1 agrees, p2 not: 2 / 3;
  * the judge against each human label: p0 2 of 2, p1 2 of 2, p2 1 of 2: 5 / 6;
  * humans' soft preference for the candidate: p0 1, p1 0.5, p2 0.25: win rate 1.75 / 3 = 58.33 %;
  * gold (majority): p0 A (unanimous), p1 tie (unanimous), p2 split (no label).
--both-bad exclude: p0 (A, A), p1 (tie), p2 (B).
  * agreement with ties: only p0 has two labels: 1 / 1;
  * the judge against each human label: p0 2, p1 1, p2 1 of 4: 4 / 4;
  * soft preference: p0 1, p1 0.5, p2 0: win rate 1.5 / 3 = 50 %;
  * gold: p0 A (unanimous), p1 tie (single), p2 B (single).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.judge_human import task_judge_human_report
from annotator.analysis.leaderboard import task_leaderboard
from annotator.analysis.report import task_agreement_report
from annotator.cli import main
from annotator.export.gold import gold_frame
from annotator.export.options import GoldOptions, SoftLabelOptions
from annotator.export.soft_labels import soft_labels
from annotator.store import Label, Pair, Store, Task
from annotator.store.models import TaskSettings
from tests.analysis.store_data import add_judge

TIE = "both bad counted as tie (--both-bad tie)"


def _fill(store: Store) -> list[int]:
    store.save_task(Task(name="bb", settings=TaskSettings(choices=["A", "B", "tie", "both_bad"], baseline="base")))
    store.insert_pairs(Pair(task="bb", pair_id=f"p{i}", prompt=f"q{i}", response_a=f"a{i}", response_b=f"b{i}",
                            model_a="cand", model_b="base", content_hash=str(i)) for i in range(3))
    ids = [p.stored_id for p in store.pairs("bb")]
    votes = {"ann1": ["A", "both_bad", "B"], "ann2": ["A", "tie", "both_bad"]}
    for annotator, choices in votes.items():
        store.add_labels(Label(pair=p, annotator=annotator, choice=c) for p, c in zip(ids, choices))
    add_judge(store, "bb", ids, "judge", "ATB", "ATB")
    return ids


@pytest.fixture
def bb(store) -> Store:
    _fill(store)
    return store


@pytest.mark.parametrize("rule, agree, labels", [("tie", (2, 3), 2), ("exclude", (1, 1), 2)])
def test_agreement_under_each_rule(bb, rule, agree, labels):
    report = task_agreement_report(bb, "bb", resamples=0, both_bad=rule)
    est = report.overall.percent_agreement["with_ties"]
    assert est.value == pytest.approx(agree[0] / agree[1]) and est.n == agree[1]
    assert report.both_bad["name"] == rule and report.both_bad["labels"] == labels
    assert report.to_json()["both_bad"] == report.both_bad


@pytest.mark.parametrize("rule, agree", [("tie", 5 / 6), ("exclude", 1.0)])
def test_judges_against_the_humans_under_each_rule(bb, rule, agree):
    report = task_judge_human_report(bb, "bb", resamples=0, both_bad=rule)
    [judge] = [a for a in report.agents if a.kind != "humans"]
    assert judge.agreement_with_humans["with_ties"].value == pytest.approx(agree)
    assert report.to_json()["both_bad"]["name"] == rule


@pytest.mark.parametrize("rule, win_rate", [("tie", 100 * 1.75 / 3), ("exclude", 50.0)])
def test_leaderboard_under_each_rule(bb, rule, win_rate):
    board = task_leaderboard(bb, "bb", bootstrap=0, both_bad=rule)
    [row] = [r for r in board.rows if r.agent == "humans" and r.model == "cand" and r.domain == "all"]
    assert row.win_rate == pytest.approx(win_rate)
    assert board.to_json()["both_bad"]["name"] == rule


@pytest.mark.parametrize("rule, labels, provenance", [
    ("tie", ["A", "tie", None], ["unanimous", "unanimous", "unresolved"]),
    ("exclude", ["A", "tie", "B"], ["unanimous", "single", "single"]),
])
def test_gold_under_each_rule(bb, rule, labels, provenance):
    gold = gold_frame(bb, "bb", GoldOptions(both_bad=rule))
    assert [None if pd.isna(x) else x for x in gold["label"]] == labels and list(gold["provenance"]) == provenance
    assert list(gold["votes_both_bad"]) == [0, 1, 1]  # as stored, whatever the rule


def test_soft_labels_under_each_rule(bb):
    tie = soft_labels(bb, "bb", SoftLabelOptions(both_bad="tie")).table
    assert list(tie["soft_tie"]) == [0.0, 1.0, 0.5]
    left_out = soft_labels(bb, "bb", SoftLabelOptions(both_bad="exclude")).table
    assert list(left_out["n_votes"]) == [2, 1, 1] and list(left_out["soft_B"]) == [0.0, 0.0, 1.0]


def test_an_adjudicated_both_bad_follows_the_rule(bb):
    from annotator.store import Adjudication

    ids = [p.stored_id for p in bb.pairs("bb")]
    bb.add_adjudication(Adjudication(pair=ids[2], adjudicator="carol", choice="both_bad", reason="ambiguous_pair"))
    tie = gold_frame(bb, "bb", GoldOptions(both_bad="tie"))
    assert tie["label"].iloc[2] == "tie" and tie["adjudicated_label"].iloc[2] == "both_bad"
    assert tie["provenance"].iloc[2] == "adjudicated"
    left_out = gold_frame(bb, "bb", GoldOptions(both_bad="exclude"))
    assert left_out["label"].iloc[2] == "B" and left_out["provenance"].iloc[2] == "single"  # the votes decide


@pytest.fixture
def db(tmp_path) -> str:
    path = tmp_path / "a.db"
    store = Store.open(path)
    _fill(store)
    store.save_task(Task(name="plain"))
    store.insert_pairs([Pair(task="plain", pair_id="x", prompt="q", response_a="a", response_b="b", content_hash="x")])
    store.add_labels([Label(pair=next(store.pairs("plain")).stored_id, annotator="ann", choice="A")])
    store.close()
    return str(path)


def _cli(db: str, *args: str):
    result = CliRunner().invoke(main, ["--db", db, *args], catch_exceptions=False, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [["stats", "agreement", "--bootstrap", "0"], ["stats", "judges", "--bootstrap", "0"],
                                     ["stats", "leaderboard", "--bootstrap", "0"]])
def test_every_stats_command_names_the_rule_in_text_and_json(db, command):
    assert TIE + ": 2 labels" in _cli(db, *command, "--task", "bb")
    data = json.loads(_cli(db, *command, "--task", "bb", "--json", "--both-bad", "exclude"))
    assert data["both_bad"] == {"name": "exclude", "rule": "both bad left out of every statistic (--both-bad exclude)",
                                "labels": 2, "offered": True}
    assert "both bad" not in _cli(db, *command, "--task", "plain")  # a task without it: not a word
    assert "both_bad" not in json.loads(_cli(db, *command, "--task", "plain", "--json"))


def test_agreement_figure_changes_with_the_rule_on_the_command_line(db):
    tie = json.loads(_cli(db, "stats", "agreement", "--task", "bb", "--json", "--bootstrap", "0"))
    left_out = json.loads(_cli(db, "stats", "agreement", "--task", "bb", "--json", "--bootstrap", "0",
                               "--both-bad", "exclude"))
    assert tie["percent_agreement"]["with_ties"]["estimate"] == pytest.approx(2 / 3)
    assert left_out["percent_agreement"]["with_ties"]["estimate"] == pytest.approx(1.0)


def test_gold_exports_leave_both_bad_out_of_preferences(db, tmp_path):
    out = tmp_path / "cr.jsonl"
    text = _cli(db, "export", "gold", "--task", "bb", "--format", "chosen-rejected", "--out", str(out))
    assert "Both bad counted as tie (--both-bad tie): 2 labels." in text
    assert [json.loads(line)["pair_id"] for line in out.read_text().splitlines()] == ["p0"]
    meta = json.loads(out.with_name(out.name + ".meta.json").read_text())
    assert meta["both_bad"]["name"] == "tie" and "both bad" in " ".join(meta["left_out_by_format"])
    alpaca = tmp_path / "ae.json"
    data = json.loads(_cli(db, "export", "gold", "--task", "bb", "--format", "alpaca-eval", "--out", str(alpaca),
                           "--both-bad", "exclude", "--json"))
    assert data["both_bad"]["name"] == "exclude"
    # p1's tie holds a both-bad vote (no preference); p0 A and p2 B (ann1's vote alone) are preferences
    assert [r["pair_id"] for r in json.loads(alpaca.read_text())] == ["p0", "p2"]
    labels = tmp_path / "labels.csv"
    _cli(db, "export", "labels", "--task", "bb", "--format", "csv", "--out", str(labels))
    assert labels.read_text().count("both_bad") >= 2  # the label export keeps the value as stored


def test_the_report_and_the_dashboard_name_the_rule(db, tmp_path):
    out = tmp_path / "r.html"
    _cli(db, "report", "--task", "bb", "--out", str(out), "--bootstrap", "0", "--jobs", "1", "--both-bad", "exclude")
    markdown = out.with_suffix(".md").read_text()
    assert "both bad left out of every statistic (--both-bad exclude): 2 labels" in markdown
    assert "--both-bad exclude" in markdown  # the commands that give the same numbers
    from annotator.tui.dashboard_data import stats_snapshot

    store = Store.open(db)
    try:
        snap = stats_snapshot(store, store.require_task("bb"), resamples=0, both_bad="exclude")
        assert snap.agreement.both_bad["name"] == "exclude"
        assert snap.agreement.overall.percent_agreement["with_ties"].value == pytest.approx(1.0)
    finally:
        store.close()
