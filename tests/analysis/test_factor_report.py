"""The PROFILE factor report: extractor validation, both tau_14 settings, rankings, the factor
correlation matrix, and ``stats factors`` on a store."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.factor_report import (
    correlation_matrix,
    factor_report,
    pointwise_preferences,
    rankings,
    validate_extractor,
)
from annotator.cli import main
from annotator.store import FactorValue, JudgeRun, Judgment, Store
from tests.analysis.store_data import add_judge, add_pairs, add_votes, make_task


def test_rankings_share_the_lower_rank_and_skip_undefined():
    scores = {"a": {"score": 0.4}, "b": {"score": 0.1}, "c": {"score": 0.4}, "d": {"score": None}}
    assert rankings(scores) == [{"factor": "a", "score": 0.4, "rank": 1}, {"factor": "c", "score": 0.4, "rank": 1},
                                {"factor": "b", "score": 0.1, "rank": 3}]


def test_correlation_matrix_is_kendall_tau_b_of_the_signs():
    # x = [+1, -1, +1, 0], y = [+1, -1, -1, 0]. Over the 6 pairs of pairs: concordant (1,2),
    # (1,4), (2,4); discordant (3,4); tied in x only (1,3); tied in y only (2,3).
    # tau_b = (3 - 1) / sqrt((3 + 1 + 1) * (3 + 1 + 1)) = 0.4.
    table = pd.DataFrame({"x": ["A", "B", "A", "equal"], "y": ["A", "B", "B", "equal"]}, index=[1, 2, 3, 4])
    corr = correlation_matrix(table)
    assert corr["matrix"][0][1] == pytest.approx(0.4) and corr["matrix"][1][0] == pytest.approx(0.4)
    assert corr["matrix"][0][0] == pytest.approx(1.0) and corr["pairs"][0][1] == 4
    short = correlation_matrix(table.iloc[:2])
    assert short["matrix"][0][1] is None and "fewer than 3" in short["reasons"][0][1]


def test_validate_extractor_agreement_and_kappa():
    # humans [A, B, equal, A], extractor [A, B, A, A]: 3 of 4 agree.
    # Confusion (extractor rows, human columns) A: {A 2, equal 1}, B: {B 1}. p_o = 3/4;
    # marginals extractor (3/4, 0, 1/4), humans (2/4, 1/4, 1/4): p_e = 6/16 + 0 + 1/16 = 7/16;
    # kappa = (12/16 - 7/16) / (9/16) = 5/9.
    human = pd.Series(["A", "B", "equal", "A"], index=[1, 2, 3, 4])
    extracted = pd.Series(["A", "B", "A", "A", "B"], index=[1, 2, 3, 4, 5])  # pair 5: no human answer
    result = validate_extractor(human, extracted)
    assert result["n"] == 4
    assert result["agreement"].value == pytest.approx(0.75)
    assert result["kappa"].value == pytest.approx(5 / 9)
    assert result["confusion"]["A"] == {"A": 2, "equal": 1, "B": 0}
    none = validate_extractor(human, pd.Series(dtype=object))
    assert not none["kappa"].defined and none["n"] == 0


def test_pointwise_preferences_compare_mean_scores():
    scores = pd.DataFrame({
        "run_name": ["q"] * 6, "pair": [1, 1, 1, 2, 2, 3], "target": ["A", "A", "B", "A", "B", "A"],
        "score": [8.0, 6.0, 7.0, 5.0, 5.0, 9.0],
    })
    prefs = pointwise_preferences(scores)["q"]
    # pair 1: mean A 7 vs B 7 -> tie; pair 2: 5 vs 5 -> tie; pair 3: no B -> left out
    assert prefs.to_dict() == {1: "tie", 2: "tie"}


def _labels(rows):
    return pd.DataFrame(rows, columns=["pair", "annotator", "choice", "factors"])


def test_both_settings_and_the_checklist_source_beside_the_extractors():
    # Humans prefer A, A, B, tie on pairs 1-4; the rule says A is longer on 1, 2, 4 and equal on 3;
    # the annotators' checklist says A is longer on 1 and B on 2 (a halo: they picked A there).
    labels = _labels([
        (1, "x", "A", {"length": "A"}), (2, "x", "A", {"length": "B"}), (3, "x", "B", {"length": "equal"}),
        (4, "x", "tie", {}),
    ])
    fv = pd.DataFrame([(1, "length", "rule", "A"), (2, "length", "rule", "A"), (3, "length", "rule", "equal"),
                       (4, "length", "rule", "A")], columns=["pair", "factor", "extractor", "manifestation"])
    report = factor_report(labels, None, fv, factors=[("length", "Length")]).to_json()
    ev = report["scores"]["extractors"]["evaluation"]["humans"]["length"]
    # evaluation: pair 3 (M equal) dropped; C = 2 (pairs 1, 2), D = 0, T = 1 (pair 4 tie): 2/3
    assert (ev["C"], ev["D"], ev["T"]) == (2, 0, 1) and ev["score"] == pytest.approx(2 / 3)
    gen = report["scores"]["extractors"]["generation"]["humans"]["length"]
    # generation: T = pairs with M equal = 1 (pair 3); pair 4 (tie preference, M = A) is left out
    assert (gen["C"], gen["D"], gen["T"]) == (2, 0, 1) and gen["tied_preference_left_out"] == 1
    check = report["scores"]["checklist"]["evaluation"]["humans"]["length"]
    # checklist: pair 1 concordant, pair 2 discordant (A chosen, B longer), pair 3 equal dropped: 0
    assert (check["C"], check["D"], check["score"]) == (1, 1, 0.0)
    assert report["manifestation_source"]["extractors"] == {"length": "rule"}
    v = report["validation"][0]
    # rule vs checklist majority on pairs 1-3: A/A agree, A/B disagree, equal/equal agree
    assert (v["factor"], v["extractor"], v["n"]) == ("length", "rule", 3)
    assert v["agreement"]["estimate"] == pytest.approx(2 / 3)


def test_stats_factors_cli(tmp_path):
    path = tmp_path / "a.db"
    store = Store.open(path)
    make_task(store)
    ids = add_pairs(store, "demo", 6)
    f = [{"length": "A", "fluency": "B"}, {"length": "A"}, {"length": "B", "fluency": "A"}, {"length": "A"},
         {"length": "equal"}, {"length": "B"}]
    add_votes(store, ids, "ann", "AABATB", factors=f)
    add_votes(store, ids, "bob", "AABABB", factors=f)
    add_judge(store, "demo", ids, "longest", "AAAAAA")
    store.save_factor_values([FactorValue(pair=p, factor="length", extractor="rule", value_a=1, value_b=0,
                                          manifestation="A") for p in ids])
    run = store.get_or_create_run(JudgeRun(task="demo", name="quality", kind="pointwise"))
    store.save_judgments([Judgment(run=run.id, pair=p, target=t, score=s) for p in ids
                          for t, s in (("A", 8.0), ("B", 6.0 if p % 2 else 9.0))])
    store.close()
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(path), "stats", "factors"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "Extractors against the annotators" in out.output and "generation setting" in out.output
    assert "correlation matrix" in out.output and "humans (checklist)" in out.output
    data = json.loads(runner.invoke(main, ["--db", str(path), "stats", "factors", "--json"]).stdout)
    assert [a["agent"] for a in data["agents"]] == ["humans", "longest", "quality"]
    assert "quality" in data["scores"]["extractors"]["generation"]
    assert "quality" not in data["scores"]["extractors"]["evaluation"]
    assert data["validation"][0]["extractor"] == "rule"
