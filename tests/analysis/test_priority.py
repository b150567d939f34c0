"""Priority scores, the stratified walk and the weighting estimator, worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from annotator.analysis.priority import (
    design_weights,
    priority_scores,
    stratified_mean,
    stratified_scores,
    weighted_mean,
)


def _judgments(rows):
    return pd.DataFrame(rows, columns=["run_name", "pair", "order", "sample", "verdict", "p_a"])


def test_priority_scores_mean_the_signals_that_exist():
    judgments = _judgments([
        ("j1", 1, "AB", 0, "A", None), ("j1", 1, "BA", 0, "A", None),   # consistent A
        ("j2", 1, "AB", 0, "B", None), ("j2", 1, "BA", 0, "B", None),   # consistent B: judges split
        ("j1", 2, "AB", 0, "A", None), ("j1", 2, "BA", 0, "B", None),   # j1 flips on pair 2
        ("j2", 2, "AB", 0, "A", None), ("j2", 2, "BA", 0, "A", None),
        ("j1", 3, "AB", 0, "A", 0.6),                                    # one order, soft 0.6
    ])
    labels = pd.DataFrame({"pair": [1, 1, 3], "choice": ["A", "B", "A"]})
    out = priority_scores(judgments, labels, [1, 2, 3, 4])
    # pair 1: two judges, A vs B: (1 - 1/2) / (1 - 1/2) = 1; no flip: 0; votes 1-1: 1 bit / log2(3)
    assert out.loc[1, "judges_split"] == 1.0 and out.loc[1, "order_flip"] == 0.0
    assert out.loc[1, "votes_split"] == pytest.approx(1 / math.log2(3))
    assert out.loc[1, "score"] == pytest.approx((1 + 0 + 1 / math.log2(3)) / 3)
    # pair 2: j1 has no verdict (inconsistent), so one judge decided: no split signal; j1 flips,
    # j2 does not: 0.5
    assert math.isnan(out.loc[2, "judges_split"]) and out.loc[2, "score"] == 0.5
    # pair 3: P(A) 0.6 -> 1 - 2 * 0.1 = 0.8; one vote: no split signal
    assert out.loc[3, "p_near_half"] == pytest.approx(0.8) and out.loc[3, "score"] == pytest.approx(0.8)
    assert out.loc[4, "score"] == 0.0  # nothing known about pair 4


def test_stratified_walk_interleaves_the_verdicts():
    verdicts = pd.Series({1: "A", 2: "A", 3: "B", 4: "B"})
    scores = stratified_scores(verdicts, [1, 2, 3, 4, 5, 6], seed=0)
    top3 = scores.sort_values(ascending=False).index[:3]
    strata = verdicts.reindex(top3).fillna("no verdict")
    assert sorted(strata) == ["A", "B", "no verdict"]  # each stratum once before any twice
    assert scores.max() == 1.0 and scores.min() > 0


def test_weighting_estimator_by_hand():
    # 10 pairs; uniform share {p2, p5, p8}; labelled: p0, p1, p3 (prioritised), p2, p5, p8 (uniform).
    priority = pd.Series([0.9, 0.8, 0.7, 0.5, 0.5, 0.5, 0.2, 0.1, 0.0, 0.0], index=range(10))
    uniform = pd.Series(False, index=range(10))
    uniform[[2, 5, 8]] = True
    design = design_weights(priority, uniform, [0, 1, 2, 3, 5, 8])
    # tau = lowest labelled prioritised priority = 0.5.
    # census (> tau, prioritised): p0, p1 -> 1; uniform-above: p2 is the only uniform pair above -> 1/1;
    # at tau: p3, p4, p5, labelled p3 and p5 -> 3/2; below: p6-p9 (4 pairs), labelled uniform p8 -> 4.
    assert design.weights.to_dict() == {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.5, 5: 1.5, 8: 4.0}
    assert design.weights.sum() == 10 and design.reason == ""
    y = pd.Series({0: 1, 1: 1, 2: 0, 3: 1, 5: 0, 8: 1})
    est = weighted_mean(y, design)
    # (1 + 1 + 0 + 1.5 + 0 + 4) / 10 = 0.75; the 'below' stratum has one labelled pair: no interval
    assert est.value == pytest.approx(0.75) and math.isnan(est.ci_low) and "below" in est.extra["interval_reason"]
    # with p9 (a uniform pair) labelled too, below has 2 of 4: weight 2 each, and an interval:
    uniform[9] = True
    design = design_weights(priority, uniform, [0, 1, 2, 3, 5, 8, 9])
    y[9] = 0
    est = weighted_mean(y, design)
    # mean = (1 + 1 + 0 + 1.5 + 0 + 2 * 1 + 2 * 0) / 10 = 0.55
    # var: at (N 3, n 2, y 1/0, s2 0.5): 9 * (1/3) * 0.5 / 2 = 0.75; below (N 4, n 2, y 1/0):
    # 16 * (1/2) * 0.5 / 2 = 2; se = sqrt(2.75) / 10
    assert est.value == pytest.approx(0.55)
    assert est.extra["standard_error"] == pytest.approx(math.sqrt(2.75) / 10)


def test_a_stratum_with_no_sample_is_undefined():
    priority = pd.Series([0.9, 0.1, 0.0], index=[0, 1, 2])
    design = design_weights(priority, pd.Series([False, False, False], index=[0, 1, 2]), [0])
    assert "no labelled pair to stand for the 2 pair(s) of stratum 'below'" == design.reason
    assert not weighted_mean(pd.Series({0: 1}), design).defined


def test_stratified_mean_by_hand():
    strata = pd.Series({1: "x", 2: "x", 3: "y", 4: "y"})
    values = pd.Series({1: 1.0, 2: 0.0, 3: 1.0, 4: 1.0})
    est = stratified_mean(values, strata, pd.Series({"x": 6, "y": 4}))
    # 0.6 * 0.5 + 0.4 * 1.0 = 0.7; var = 0.36 * (1 - 2/6) * 0.5 / 2 + 0.16 * (1 - 2/4) * 0 / 2 = 0.06
    assert est.value == pytest.approx(0.7) and est.extra["standard_error"] == pytest.approx(math.sqrt(0.06))
    thin = stratified_mean(values.drop(4), strata.drop(4), pd.Series({"x": 6, "y": 4}))
    assert math.isnan(thin.ci_low) and "stratum y" in thin.extra["interval_reason"]
