"""``annotator stats agreement`` through click's runner on a temporary database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Store
from tests.analysis.store_data import add_judge, add_pairs, add_votes, make_task


@pytest.fixture
def db(tmp_path):
    """A database file with task 'demo' (3 annotators, a judge) and 'solo' (1 annotator)."""
    path = tmp_path / "annotator.db"
    store = Store.open(path)
    make_task(store, "demo")
    ids = add_pairs(store, "demo", 6, domains=["code"] * 3 + ["math"] * 3)
    add_votes(store, ids, "ann", "AABBTA", factors=[{"length": "A"}] * 6)
    add_votes(store, ids, "bob", "ABBBTB", factors=[{"length": "A"}] * 5 + [{"length": "B"}])
    add_votes(store, ids, "[red]cat[/]", "AABTAB")
    add_judge(store, "demo", ids, "gpt-4o", "AABBAA", "AABBBA")
    make_task(store, "solo")
    solo = add_pairs(store, "solo", 4)
    add_votes(store, solo, "only", "ABTA")
    store.close()
    return str(path)


def _run(db, *args):
    return CliRunner().invoke(main, ["--db", db, "stats", "agreement", *args])


def test_json_report(db):
    result = _run(db, "--task", "demo", "--json", "--bootstrap", "100", "--seed", "3")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for key in ("krippendorff_alpha", "fleiss_kappa", "cohen_kappa_pairs", "percent_agreement",
                "per_factor", "per_annotator"):
        assert key in report
    assert report["bootstrap"] == {"resamples": 100, "seed": 3, "confidence": 0.95, "unit": "pair",
                                   "resamples_rule": "chosen (--bootstrap)"}
    assert report["krippendorff_alpha"]["ci_low"] is not None
    assert len(report["cohen_kappa_pairs"]) == 3
    assert report["judges"][0]["run"] == "gpt-4o"
    # the same seed gives the same document
    again = json.loads(_run(db, "--task", "demo", "--json", "--bootstrap", "100", "--seed", "3").output)
    assert again == report


def test_tables_by_default(db):
    result = _run(db, "--task", "demo", "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    for text in ("Krippendorff's alpha (nominal)", "Fleiss' kappa", "Gwet's AC1", "Per factor",
                 "Per domain", "Annotators", "Judges against the humans", "Dawid-Skene"):
        assert text in result.output
    # an annotator name that looks like markup is printed as written
    assert "[red]cat[/]" in result.output


def test_one_annotator_reports_undefined(db):
    result = _run(db, "--task", "solo", "--bootstrap", "20")
    assert result.exit_code == 0, result.output
    assert "only one annotator" in result.output
    assert "undefined" in result.output
    report = json.loads(_run(db, "--task", "solo", "--json", "--bootstrap", "20").output)
    assert report["krippendorff_alpha"]["estimate"] is None
    assert report["krippendorff_alpha"]["reason"]


def test_task_choice_errors(db, tmp_path):
    result = _run(db)
    assert result.exit_code != 0
    assert "--task" in result.output
    result = _run(db, "--task", "nope")
    assert result.exit_code != 0 and "no task named" in result.output
    empty = str(tmp_path / "empty.db")
    result = _run(empty)
    assert result.exit_code != 0 and "no tasks" in result.output


def test_only_task_is_the_default(tmp_path):
    path = tmp_path / "one.db"
    store = Store.open(path)
    make_task(store, "only")
    add_votes(store, add_pairs(store, "only", 2), "x", "AB")
    store.close()
    result = _run(str(path), "--json", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["task"] == "only"


def test_bad_bootstrap_value(db):
    result = _run(db, "--task", "demo", "--bootstrap", "-1")
    assert result.exit_code != 0


@pytest.fixture
def wide_100():
    """The terminal is 100 columns wide (a researcher's usual window)."""
    from annotator.cli.context import console
    saved = console._width
    console.width = 100
    yield
    console._width = saved


def test_reads_well_at_100_columns(tmp_path, wide_100):
    """Judge run names are never cut, no line is wider than the window, and an undefined
    figure in a table is a dash with its reason written once below, not a tall cell."""
    path = tmp_path / "w.db"
    store = Store.open(path)
    make_task(store, "demo")
    ids = add_pairs(store, "demo", 6, domains=["code"] * 3 + ["math"] * 3)
    for who in ("annotator-one", "annotator-two", "annotator-three"):
        add_votes(store, ids, who, "AABBTA")
    for name in ("worldalignment@gpt-4o-mini", "mt-bench-pair@llama-3.1-8b", "profile-eval@qwen2.5-7b"):
        add_judge(store, "demo", ids, name, "TTTTTT", "TTTTTT")  # only ties: no comparison without ties
    store.close()
    for command in (["stats", "agreement", "--bootstrap", "50"], ["stats", "judges"]):
        result = CliRunner().invoke(main, ["--db", str(path), *command, "--task", "demo"])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert max(len(line) for line in lines) <= 100, result.output
        names = ["worldalignment@gpt-4o-mini", "mt-bench-pair@llama-3.1-8b"]
        names += ["annotator-three"] if command[1] == "agreement" else []
        for name in names:
            assert name in result.output, (command, result.output)
        assert "…" not in result.output, result.output


def test_gold_table_reads_well_at_100_columns(tmp_path, wide_100):
    """The gold-accuracy table of LLMBar-style runs (long run names, every column filled)
    is never cut with an ellipsis at 100 columns: a cut number ('0.7…') is a wrong number."""
    path = tmp_path / "g.db"
    store = Store.open(path)
    make_task(store, "demo", allow_tie=False)
    ids = add_pairs(store, "demo", 8, gold={i: "AB"[i % 2] for i in range(8)})
    for name in ("ChatGPT-0301/Metrics_Reference", "LLaMA2-70B-Chat/Vanilla_NoRules"):
        add_judge(store, "demo", ids, name, "ABABAAB.", "ABBBAAB.")
    store.close()
    result = CliRunner().invoke(main, ["--db", str(path), "stats", "judges", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 100, result.output
    assert "…" not in result.output, result.output
    # both rule: p0 A, p1 B, p2 none (A/B), p3 B, p4 A, p5 A, p6 B, p7 none; gold A B A B A B A B.
    # class A: TP 2 (p0, p4), FP 1 (p5), FN 2 (p2, p6) -> F1 4/7; class B the same -> macro F1 0.571
    assert "ChatGPT-0301/Metrics_Reference" in result.output and "0.571" in result.output


def test_default_resamples_shrink_on_large_tasks_and_say_so():
    from annotator.analysis.defaults import AUTO_RESAMPLES_RULE, auto_resamples

    # 1,000 up to 50,000 pairs; then resamples x pairs <= 50 million; never under 200
    assert auto_resamples(33) == 1000 and auto_resamples(50_000) == 1000
    assert auto_resamples(100_000) == 500 and auto_resamples(10_000_000) == 200
    from annotator.analysis.report import task_agreement_report
    from tests.analysis.store_data import three_annotator_store

    store = three_annotator_store()[0]
    report = task_agreement_report(store, "demo").to_json()
    assert report["bootstrap"]["resamples"] == 1000 and report["bootstrap"]["resamples_rule"] == AUTO_RESAMPLES_RULE
