"""Juries (several runs by majority or mean P(A)) and routed judges, reported as one agent."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.jury import jury_judgments, jury_name, routed_judgments, with_composites
from annotator.analysis.verdicts import judge_verdicts
from annotator.cli import main
from annotator.store import JudgeRun, Judgment, Store
from tests.analysis.store_data import add_judge, add_pairs, add_votes, make_task


def _store():
    store = Store.memory()
    make_task(store)
    ids = add_pairs(store, "demo", 3, domains=["math", "code", "math"])
    #            pair: 1    2    3
    add_judge(store, "demo", ids, "a", "AAB", "A.B")
    add_judge(store, "demo", ids, "b", "ABB", "B.B")
    add_judge(store, "demo", ids, "c", "B.B", "B.A")
    return store, ids


def test_majority_jury_votes_order_by_order():
    store, ids = _store()
    frame = jury_judgments(store.judgments_frame("demo"), ["a", "b", "c"], "majority")
    got = {(r.pair, r.order): r.verdict for r in frame.itertuples()}
    # pair 1: AB votes A, A, B -> A; BA votes A, B, B -> B
    # pair 2: AB votes A, B (c unscored) -> split -> tie; BA: every member unscored -> no verdict
    # pair 3: AB votes B, B, B -> B; BA votes B, B, A -> B
    assert got == {(ids[0], "AB"): "A", (ids[0], "BA"): "B", (ids[1], "AB"): "tie", (ids[1], "BA"): None,
                   (ids[2], "AB"): "B", (ids[2], "BA"): "B"}
    assert frame.loc[frame["verdict"].isna(), "unscored_reason"].tolist() == ["no member verdict"]
    assert set(frame["run_name"]) == {"jury:majority(a,b,c)"} == {jury_name("majority", ["a", "b", "c"])}
    # as one agent: pair 1 changes its verdict with the order (inconsistent: no verdict under the
    # default order rule, a tie under MT-Bench's), pair 2 is scored in one of its two orders, pair 3 is B
    verdicts = judge_verdicts(frame).set_index("pair")
    assert verdicts.loc[ids[0], "status"] == "inconsistent" and pd.isna(verdicts.loc[ids[0], "verdict"])
    assert judge_verdicts(frame, "mt-bench").set_index("pair").loc[ids[0], "verdict"] == "tie"
    assert verdicts.loc[ids[1], "status"] == "partial"
    assert verdicts.loc[ids[2], "verdict"] == "B" and verdicts.loc[ids[2], "status"] == "consistent"


def test_mean_p_jury_uses_soft_verdicts_and_hard_ones_as_1_0_half():
    store = Store.memory()
    make_task(store)
    ids = add_pairs(store, "demo", 2)
    judgments = []
    for name, rows in (("soft", [(0, "A", 0.6), (1, "B", 0.45)]), ("hard", [(0, "B", None), (1, "tie", None)]),
                       ("soft2", [(0, "A", 0.7), (1, "A", 0.55)])):
        run = store.get_or_create_run(JudgeRun(task="demo", name=name, kind="imported"))
        judgments += [Judgment(run=run.id, pair=ids[i], order="AB", verdict=v, p_a=p, cost=0.01) for i, v, p in rows]
    store.save_judgments(judgments)
    frame = jury_judgments(store.judgments_frame("demo"), ["soft", "hard", "soft2"], "mean-p").set_index("pair")
    # pair 1: mean(0.6, 0 (hard B), 0.7) = 0.4333 -> B; pair 2: mean(0.45, 0.5 (tie), 0.55) = 0.5 -> tie
    assert frame.loc[ids[0], "p_a"] == pytest.approx(1.3 / 3) and frame.loc[ids[0], "verdict"] == "B"
    assert frame.loc[ids[1], "p_a"] == pytest.approx(0.5) and frame.loc[ids[1], "verdict"] == "tie"
    assert frame.loc[ids[0], "cost"] == pytest.approx(0.03)  # the members' calls, summed
    with pytest.raises(ValueError):
        jury_judgments(store.judgments_frame("demo"), ["soft"], "median")


def test_routed_judgments_follow_the_domain():
    store, ids = _store()
    frame = routed_judgments(store.judgments_frame("demo"), {"math": "a", "*": "c"}, "routed")
    # math pairs (1, 3) from run a, the code pair (2) from run c
    got = {(r.pair, r.order): r.verdict for r in frame.itertuples()}
    assert got == {(ids[0], "AB"): "A", (ids[0], "BA"): "A", (ids[1], "AB"): None, (ids[1], "BA"): None,
                   (ids[2], "AB"): "B", (ids[2], "BA"): "B"}
    none = routed_judgments(store.judgments_frame("demo"), {"math": "a"}, "routed")
    assert set(none["pair"]) == {ids[0], ids[2]}  # code has no route: not judged


def test_jury_command_and_reports(tmp_path):
    path = tmp_path / "a.db"
    store = Store.open(path)
    make_task(store)
    ids = add_pairs(store, "demo", 4)
    add_votes(store, ids, "ann", "AABB")
    add_judge(store, "demo", ids, "a", "AABA", "AABA")
    add_judge(store, "demo", ids, "b", "ABBB", "ABBB")
    add_judge(store, "demo", ids, "c", "BABB", "BABB")
    store.close()
    runner = CliRunner()
    run = lambda *a: runner.invoke(main, ["--db", str(path), *a], catch_exceptions=False)  # noqa: E731
    out = run("judge", "jury", "a", "b", "c", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["name"] == "jury:majority(a,b,c)"
    assert run("judge", "jury", "a", "nope").exit_code == 1
    assert run("judge", "jury", "a", "a").exit_code == 1
    report = json.loads(run("stats", "judges", "--json").stdout)
    jury = next(a for a in report["agents"] if a["agent"] == "jury:majority(a,b,c)")
    # votes per pair: (A, A, B) -> A, (A, B, A) -> A, (B, B, B) -> B, (A, B, B) -> B = the human labels
    assert jury["verdicts"] == {"A": 2, "B": 2, "tie": 0, "no verdict": 0}
    assert jury["agreement_with_humans"]["with_ties"]["estimate"] == pytest.approx(1.0)
    agreement = json.loads(run("stats", "agreement", "--json", "--bootstrap", "0").stdout)
    assert "jury:majority(a,b,c)" in {j["run"] for j in agreement["judges"]}
    shown = run("judge", "show", "jury:majority(a,b,c)", "--json")
    assert json.loads(shown.stdout)["members"] == ["a", "b", "c"]
    # members that grow later are followed: the jury is recomputed at each report
    frame = with_composites(Store.open(path), "demo")
    assert set(frame["run_name"]) == {"a", "b", "c", "jury:majority(a,b,c)"}
    assert isinstance(frame, pd.DataFrame)
