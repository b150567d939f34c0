"""Accuracy against gold labels: hand-worked cases and LLMBar's published statistics."""

from __future__ import annotations

import gzip
import json
import re

import pandas as pd
import pytest

from annotator.analysis.gold import gold_accuracy, judgebench_score
from annotator.analysis.verdicts import judge_verdicts


def _frame(ab: str, ba: str | None) -> pd.DataFrame:
    """Judgments from compact strings per pair: 'A', 'B', 'T' (tie), '.' (asked, unscored)."""
    code = {"A": "A", "B": "B", "T": "tie"}
    rows = []
    for order, verdicts in (("AB", ab), ("BA", ba)):
        if verdicts is None:
            continue
        for pair, v in enumerate(verdicts):
            rows.append({"run_name": "j", "pair": pair, "order": order, "sample": 0, "verdict": code.get(v), "p_a": None})
    return pd.DataFrame(rows)


def test_gold_accuracy_hand_worked():
    # gold:   A  A  B  B  A  B
    # AB:     A  B  B  .  A  T
    # BA:     A  A  B  .  .  B
    # both rule: p0 A ✓, p1 inconsistent (no verdict) ✗, p2 B ✓, p3 unscored ✗, p4 partial ✗,
    # p5 inconsistent ✗ -> 2 of 6 correct; 2 of 2 with a verdict
    gold = pd.Series(list("AABBAB"), index=range(6))
    verdicts = judge_verdicts(_frame("ABB.AT", "AAB..B"), "both")
    result = gold_accuracy(verdicts, gold)
    assert result.n == 6 and result.n_unscored == 4 and result.n_not_judged == 0
    assert result.accuracy.value == pytest.approx(2 / 6)
    assert result.accuracy_scored.value == pytest.approx(2 / 2)
    # per order: AB right on p0, p2, p4 -> 3/6; BA right on p0, p1, p2, p5 -> 4/6; both on p0, p2
    assert result.accuracy_first.value == pytest.approx(3 / 6)
    assert result.accuracy_second.value == pytest.approx(4 / 6)
    assert result.both_correct.value == pytest.approx(2 / 6)
    # scored in both orders: p0, p1, p2, p5; same verdict on p0 and p2
    assert result.position_consistency.value == pytest.approx(2 / 4)
    # LLMBar's 'equal': p0, p2, and p3 (two missing verdicts count as equal) -> 3/6
    assert result.llmbar_equal.value == pytest.approx(3 / 6)
    assert result.confusion["A"] == {"A": 1, "B": 0, "tie": 0, "no verdict": 2}
    assert result.confusion["B"] == {"A": 0, "B": 1, "tie": 0, "no verdict": 2}
    # class A: predicted once (right), support 3 -> precision 1, recall 1/3, F1 0.5; class B the same
    assert result.per_class["A"]["precision"] == 1.0 and result.per_class["A"]["recall"] == pytest.approx(1 / 3)
    assert result.macro_f1 == pytest.approx(0.5)
    # JudgeBench's rule: p0 A ✓, p1 B+A = 0 -> tie ✗, p2 B ✓, p3 none ✗, p4 A alone ✓,
    # p5 tie+B -> B ✓ -> 4 of 6
    jb = judge_verdicts(_frame("ABB.AT", "AAB..B"), "judgebench")
    assert judgebench_score(jb, gold) == pytest.approx(100 * 4 / 6)


def test_gold_accuracy_one_order_and_not_judged():
    gold = pd.Series(["A", "B", "A"], index=[0, 1, 7])  # pair 7 was never judged
    result = gold_accuracy(judge_verdicts(_frame("AA", None)), gold)
    assert result.n == 2 and result.n_not_judged == 1
    assert result.accuracy.value == pytest.approx(0.5)
    assert result.accuracy_second.reason == "the judge saw the pairs in one order only"
    assert result.kappa_between_orders.reason == "the judge saw the pairs in one order only"


def _llmbar_games(results: list) -> dict:
    """The games of one LLMBar row: the last step holding 'swap = ...' keys."""
    return next(step for step in reversed(results) if isinstance(step, dict) and "swap = False" in step)


@pytest.mark.realdata
def test_llmbar_statistics_of_every_natural_run(shared_data):
    """All 65 published evaluator runs on LLMBar Natural: correct_False, correct_True,
    correct_both and equal reproduce as counts of 100, and kappa_agreement to 1e-9 (reading a
    missing verdict as output 2, as LLMBar's code does)."""
    runs = sorted((shared_data / "llmbar/Dataset/LLMBar/Natural/evaluators").glob("*/*/statistics.json"))
    assert len(runs) == 65
    for stats_file in runs:
        stats = json.loads(stats_file.read_text())
        result_file = next(stats_file.parent.glob("result.json*"))
        opener = gzip.open if result_file.suffix == ".gz" else open
        with opener(result_file, "rt", encoding="utf-8") as f:
            rows = json.load(f)
        frame = []
        for pair, row in enumerate(rows):
            games = _llmbar_games(row["results"])
            for order, key in (("AB", "swap = False"), ("BA", "swap = True")):
                # the swapped game's winner is already in the original frame
                winner = games[key].get("winner")
                frame.append({"run_name": "r", "pair": pair, "order": order, "sample": 0,
                              "verdict": {"1": "A", "2": "B"}.get(winner), "p_a": None})
        gold = pd.Series([{1: "A", 2: "B"}[row["label"]] for row in rows])
        result = gold_accuracy(judge_verdicts(pd.DataFrame(frame)), gold)

        def count(field: str, stats=stats) -> tuple[int, int]:
            k, n = re.match(r"(\d+) / (\d+)", stats[field]).groups()
            return int(k), int(n)

        name = stats_file.parent.relative_to(stats_file.parents[2])
        assert count("correct_False") == (result.accuracy_first.extra["successes"], result.n), name
        assert count("correct_True") == (result.accuracy_second.extra["successes"], result.n), name
        assert count("correct_both") == (result.both_correct.extra["successes"], result.n), name
        assert count("equal") == (result.llmbar_equal.extra["successes"], result.n), name
        assert result.kappa_between_orders_llmbar.value == pytest.approx(stats["kappa_agreement"], abs=1e-9), name


def test_macro_f1_is_defined_when_a_class_is_never_predicted():
    """A judge that never says B has no precision for B (0 / 0), but its F1 for B is 0:
    F1 = 2 TP / (2 TP + FP + FN) = 0 / (0 + 0 + 1). Macro F1 is then the mean of the two
    F1 scores, not undefined (scikit-learn's f1_score gives the same, 0.4)."""
    # gold A A B; the judge says A on every pair (one order)
    gold = pd.Series(["A", "A", "B"], index=[0, 1, 2])
    result = gold_accuracy(judge_verdicts(_frame("AAA", None), "both"), gold)
    # class A: TP 2, FP 1, FN 0 -> F1 4 / 5 = 0.8; class B: TP 0, FP 0, FN 1 -> F1 0
    assert result.per_class["A"]["f1"] == pytest.approx(0.8)
    assert result.per_class["B"]["precision"] is None and result.per_class["B"]["f1"] == 0.0
    assert result.macro_f1 == pytest.approx(0.4)
    assert result.macro_recall == pytest.approx(0.5)
