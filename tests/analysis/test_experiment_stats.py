"""The experiment's statistics: the split, guidance selection, per-arm agreement, McNemar."""

from __future__ import annotations

import pandas as pd
import pytest

from annotator.analysis.experiment import (
    arm_result,
    direction,
    mcnemar_p,
    misaligned_factors,
    random_factors,
    split_pairs,
)
from annotator.judge.fewshot import Example, render_examples
from annotator.store import Pair


def test_split_is_stratified_seeded_and_rounds_halves_up():
    domains = pd.Series({1: "x", 2: "x", 3: "x", 4: "x", 5: "x", 6: "y"})
    cal, held = split_pairs(domains, 0.3, seed=0)
    # x: round(0.3 * 5) = round(1.5) = 2 held out; y: round(0.3) = 0 (a lone pair stays in calibration)
    assert len(held) == 2 and set(held) <= {1, 2, 3, 4, 5}
    assert sorted(cal + held) == [1, 2, 3, 4, 5, 6] and 6 in cal
    assert split_pairs(domains, 0.3, seed=0) == (cal, held)  # reproducible
    assert any(split_pairs(domains, 0.3, seed=s)[1] != held for s in range(1, 10))  # the seed matters
    with pytest.raises(ValueError):
        split_pairs(domains, 1.0)


def test_misaligned_factors_rank_by_gap_with_the_humans_direction():
    human = {"a": 0.5, "b": -0.4, "c": None, "d": 0.05}
    judge = {"a": -0.5, "b": -0.3, "c": 0.2, "d": 0.9}
    # gaps: a -1.0, b +0.1, d +0.85 (c undefined for the humans)
    picked = misaligned_factors(human, judge, 2)
    assert [(m["factor"], m["direction"]) for m in picked] == [("a", "more"), ("d", "neutral")]
    assert picked[0]["gap"] == pytest.approx(-1.0)
    assert [direction(x) for x in (0.11, -0.11, 0.1, -0.05)] == ["more", "less", "neutral", "neutral"]
    rand = random_factors(human, ["a"], 1, seed=3)
    assert len(rand) == 1 and rand[0]["factor"] in ("b", "d")
    assert random_factors(human, ["a", "b", "d"], 1) == []


def test_arm_result_counts_a_missing_verdict_as_wrong():
    majority = pd.Series(["A", "B", "tie", "A"], index=[1, 2, 3, 4])
    verdicts = pd.Series(["A", "A", "tie", None], index=[1, 2, 3, 4])
    r = arm_result(verdicts, majority)
    # correct: 1 yes, 2 no, 3 yes (tie = tie), 4 no (no verdict): 2 of 4
    assert r.n == 4 and r.agreement == 0.5 and r.no_verdict == 1
    # without ties: pairs 1, 2, 4 (pair 3 is a tie on both sides): 1 of 3
    assert r.n_no_ties == 3 and r.agreement_no_ties == pytest.approx(1 / 3)
    # kappa on the 3 pairs with a verdict: p_o = 2/3; verdict marginals A 2/3, tie 1/3, human A, B, tie
    # 1/3 each: p_e = 2/9 + 1/9 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 0.5
    assert r.kappa.value == pytest.approx(0.5) and r.kappa.n == 3


def test_mcnemar_exact():
    base = [True] * 1 + [False] * 5 + [True] * 4
    arm = [False] * 1 + [True] * 5 + [True] * 4
    p, b, c = mcnemar_p(base, arm)
    # b = 1, c = 5: two-sided binomial of 1 in 6 at 1/2: 2 * (1 + 6) / 64 = 0.21875
    assert (b, c) == (1, 5) and p == pytest.approx(0.21875)
    assert mcnemar_p([True, False], [True, False]) == (1.0, 0, 0)


def test_few_shot_examples_follow_the_parser_and_cut_long_responses():
    pair = Pair(task="t", pair_id="p", prompt="Q?", response_a="x" * 30, response_b="short")
    text, left_out = render_examples([Example(pair, "B"), Example(pair, "tie")], "mt-bench", max_chars=10)
    assert left_out == 0 and "[[B]]" in text and "[[C]]" in text
    assert "x" * 10 + "\n[... 20 more characters not shown ...]" in text and "x" * 11 not in text
    text, left_out = render_examples([Example(pair, "B"), Example(pair, "tie")], "identifier-mM")
    assert left_out == 1 and text.count("[Example") == 1 and "\nM\n" in text
