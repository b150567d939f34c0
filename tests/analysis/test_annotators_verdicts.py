"""Per-annotator quality and the judge verdict rule, on store-built data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from annotator.analysis.annotators import annotator_quality, judge_agreement, leave_one_out
from annotator.analysis.ratings import ratings_from_frame, ratings_from_matrix
from annotator.analysis.verdicts import consistency, first_shown_rate, judge_verdicts
from annotator.store import Store
from tests.analysis.store_data import add_judge, add_pairs, add_votes, make_task

CATS = ("A", "B", "tie")


def test_leave_one_out_hand_worked():
    # pair:      0  1  2  3
    # ann:       A  A  B  T
    # bob:       A  B  B  .
    # cat:       A  B  A  A
    ratings = ratings_from_matrix(
        [["A", "A", "B", "tie"], ["A", "B", "B", None], ["A", "B", "A", "A"]], categories=CATS
    )
    # ann vs others' majority: p0 A(AA) ✓, p1 B(BB) ✗, p2 B/A split -> skipped, p3 A(A) ✗
    estimate = leave_one_out(ratings, "rater1")
    assert estimate.value == pytest.approx(1 / 3)
    assert estimate.n == 3 and estimate.extra["pairs_without_majority"] == 1
    assert estimate.ci_low < estimate.value < estimate.ci_high


def test_leave_one_out_alone():
    ratings = ratings_from_matrix([["A", "B"]], categories=CATS)
    assert leave_one_out(ratings, "rater1").reason == "no other annotator labelled the same pairs"


def test_judge_agreement_mt_bench_conventions():
    # annotator: A  B  tie A  B ; judge: A  A  tie tie .
    own = np.array([0, 1, 2, 0, 1])
    judge = np.array([0, 0, 2, 2, -1])
    result = judge_agreement(own, judge, CATS)
    # with ties: 4 compared, agree on p0 and p2 -> 2/4
    assert result["agreement_with_ties"].value == pytest.approx(0.5)
    assert result["agreement_with_ties"].n == 4
    # without ties: p2 and p3 dropped (a tie on either side) -> p0 ✓, p1 ✗ -> 1/2
    assert result["agreement_without_ties"].value == pytest.approx(0.5)
    assert result["agreement_without_ties"].n == 2


def _store_with_one_annotator():
    store = Store.memory()
    make_task(store)
    ids = add_pairs(store, "demo", 6, gold={0: "A", 1: "B"})
    # shown orders: AB, BA, AB, BA, AB, BA; choices A A B B tie A
    add_votes(store, ids, "ann", "AABBTA", seconds=0.5)
    return store, ids


def test_annotator_quality_records():
    store, _ = _store_with_one_annotator()
    labels = store.labels_frame("demo")
    ratings = ratings_from_frame(labels, "choice", CATS)
    (record,) = annotator_quality(labels, ratings)
    assert record.annotator == "ann" and record.n_labels == 6
    # gold p0 = A (labelled A ✓), p1 = B (labelled A ✗)
    assert record.attention_accuracy.value == pytest.approx(0.5)
    # non-tie labels: A@AB first ✓, A@BA second, B@AB second, B@BA first ✓, A@BA second
    assert record.first_position_rate.value == pytest.approx(2 / 5)
    assert record.first_position_rate.n == 5
    assert record.first_position_rate.extra["p_value"] == pytest.approx(1.0)
    assert record.tie_rate.value == pytest.approx(1 / 6)
    # 0.5 s on 200+ characters: every label is implausibly fast
    assert record.median_seconds == 0.5
    assert record.fast_labels == 6 and record.flag_fast is True
    assert math.isnan(record.agreement_with_others.value)


def test_position_bias_binomial_test():
    store = Store.memory()
    make_task(store)
    ids = add_pairs(store, "demo", 20)
    # always picks the response shown first
    orders = ["AB" if i % 2 == 0 else "BA" for i in range(20)]
    choices = "".join("A" if o == "AB" else "B" for o in orders)
    add_votes(store, ids, "ann", choices, orders=orders, seconds=120.0)
    labels = store.labels_frame("demo")
    (record,) = annotator_quality(labels, ratings_from_frame(labels, "choice", CATS))
    assert record.first_position_rate.value == 1.0
    assert record.first_position_rate.extra["p_value"] == pytest.approx(2 * 0.5**20)
    assert record.flag_fast is False
    assert record.attention_accuracy.reason == "no attention-check (gold) pair labelled"


def _rules_store():
    store = Store.memory()
    make_task(store)
    ids = add_pairs(store, "demo", 7)
    # AB:  A  A  B  .  .  T  A      ('.' = asked, unscored)
    # BA:  A  B  .  A  .  T  T
    # p0 consistent A; p1 inconsistent A/B; p2 partial (B, BA unscored); p3 partial (., A);
    # p4 unscored; p5 consistent tie; p6 inconsistent A/tie
    add_judge(store, "demo", ids, "gpt", "AAB..TA", "AB.A.TT")
    return store, ids


@pytest.mark.parametrize("rule, expected", [
    # a verdict only when both orders agree; inconsistent and partial pairs have none
    ("both", ["A", None, None, None, None, "tie", None]),
    # +1 A / -1 B per order: A+B = 0 -> tie; B alone -> B; A + tie -> A
    ("judgebench", ["A", "tie", "B", "A", None, "tie", "A"]),
    # the AB order alone
    ("first", ["A", "A", "B", None, None, "tie", "A"]),
    # mean of 1 / 0.5 / 0: A,B -> 0.5 tie; A,tie -> 0.75 A
    ("mean", ["A", "tie", "B", "A", None, "tie", "A"]),
    # MT-Bench: a changed verdict is a tie
    ("mt-bench", ["A", "tie", "B", "A", None, "tie", "tie"]),
])
def test_order_rules(rule, expected):
    store, ids = _rules_store()
    verdicts = judge_verdicts(store.judgments_frame("demo"), rule).set_index("pair")
    assert [v if isinstance(v, str) else None for v in verdicts.loc[ids, "verdict"]] == expected
    # every pair the judge was asked about is there, whatever its verdict
    assert len(verdicts) == 7
    assert list(verdicts.loc[ids, "status"]) == [
        "consistent", "inconsistent", "partial", "partial", "unscored", "consistent", "inconsistent"]


def test_order_rule_soft_preference():
    store, ids = _rules_store()
    both = judge_verdicts(store.judgments_frame("demo"), "both").set_index("pair")["p_a"]
    # consistent A -> 1; inconsistent -> a draw 0.5; partial and unscored -> none
    assert both[ids[0]] == 1.0 and both[ids[1]] == 0.5 and both[ids[6]] == 0.5
    assert np.isnan(both[ids[2]]) and np.isnan(both[ids[4]])
    mean = judge_verdicts(store.judgments_frame("demo"), "mean").set_index("pair")["p_a"]
    assert mean[ids[6]] == pytest.approx(0.75) and mean[ids[2]] == 0.0


def test_soft_preference_follows_the_rules_tie():
    """Where a rule turns a verdict that changes with the order into a tie (MT-Bench's rule;
    JudgeBench's when the orders cancel), its soft preference is a draw too: the leaderboard
    must not count as a win for A a pair the judge card counts as a tie."""
    store, ids = _rules_store()
    mt = judge_verdicts(store.judgments_frame("demo"), "mt-bench").set_index("pair")
    # p6: A in order AB, tie in BA -> a tie under MT-Bench's rule, so 0.5 (not 0.75)
    assert mt.loc[ids[6], "verdict"] == "tie" and mt.loc[ids[6], "p_a"] == 0.5
    assert mt.loc[ids[0], "p_a"] == 1.0 and mt.loc[ids[3], "p_a"] == 1.0  # consistent; partial: its one order
    # with probabilities: P(A) 0.9 shown AB (A), 0.3 shown BA (B): the orders cancel (tie)
    frame = pd.DataFrame({"run_name": ["j"] * 2, "pair": [1, 1], "order": ["AB", "BA"], "sample": [0, 0],
                          "verdict": ["A", "B"], "p_a": [0.9, 0.3]})
    for rule in ("judgebench", "mt-bench"):
        row = judge_verdicts(frame, rule).iloc[0]
        assert row["verdict"] == "tie" and row["p_a"] == 0.5, rule
    assert judge_verdicts(frame, "mean").iloc[0]["p_a"] == pytest.approx(0.6)  # mean's own verdict: A

def test_position_bias_needs_both_presented_orders():
    """Choices all made with the responses in one order say nothing about position: the
    share for the first-shown response is then the share for A (or B), content and
    position confounded. Undefined, with the reason, instead of a number and a p-value."""
    est = first_shown_rate(["A", "A", "B", "A"], ["AB"] * 4)
    assert not est.defined and "one order" in est.reason
    assert first_shown_rate(["A", "A"], ["AB", "BA"]).value == 0.5  # first shown once of twice


def test_judge_position_bias_counts_each_order_once():
    """Several samples of one order are one per-order verdict (the module's rule), not
    several independent trials: n is the number of decisive per-order verdicts."""
    from annotator.analysis.judge_human import position_bias

    rows = []
    for pair in range(4):
        for order, votes in (("AB", ["A", "A", "B"]), ("BA", ["A", "A", "A"])):
            rows += [{"run_name": "j", "pair": pair, "order": order, "sample": k, "verdict": v, "p_a": None}
                     for k, v in enumerate(votes)]
    verdicts = judge_verdicts(pd.DataFrame(rows))
    # per order: AB -> A (2 of 3, the first shown), BA -> A (B was shown first): 4 of 8 first
    est = position_bias(verdicts)
    assert est.n == 8 and est.value == 0.5

def test_judge_verdict_rule_consistency():
    store, ids = _rules_store()
    verdicts = judge_verdicts(store.judgments_frame("demo")).set_index("pair")
    assert verdicts.loc[ids[0], "consistent"] is True and verdicts.loc[ids[1], "consistent"] is False
    assert verdicts.loc[ids[2], "consistent"] is None
    # scored in both orders: p0, p1, p5, p6; the same verdict in p0 and p5
    estimate = consistency(verdicts)
    assert estimate.value == pytest.approx(2 / 4) and estimate.n == 4


def test_unknown_order_is_a_single_verdict_and_hides_position():
    frame = pd.DataFrame({"run_name": ["ae"] * 2, "pair": [1, 2], "order": ["unknown"] * 2, "sample": [0, 0],
                          "verdict": ["A", "B"], "p_a": [0.9, 0.2]})
    verdicts = judge_verdicts(frame).set_index("pair")
    assert list(verdicts["status"]) == ["single", "single"] and list(verdicts["verdict"]) == ["A", "B"]
    assert list(verdicts["p_a"]) == [0.9, 0.2]
    assert consistency(verdicts).reason.startswith("unknown")
    assert first_shown_rate(frame["verdict"], frame["order"]).reason.startswith("unknown")


def test_judge_verdict_samples():
    frame = pd.DataFrame({
        "run_name": ["j"] * 5,
        "pair": [1, 1, 1, 2, 2],
        "order": ["AB"] * 5,
        "sample": [0, 1, 2, 0, 1],
        "verdict": ["A", "A", "B", "A", "B"],
    })
    verdicts = judge_verdicts(frame).set_index("pair")
    assert verdicts.loc[1, "verdict"] == "A"  # 2 of 3 samples
    assert verdicts.loc[2, "verdict"] == "tie"  # the samples split
    assert judge_verdicts(frame.iloc[0:0]).empty
    assert consistency(verdicts).reason == "no pair was judged in both orders"


def test_consistency_reason_when_both_orders_were_asked_but_never_scored():
    """A run asked in both orders whose every verdict is unscored was judged in both orders:
    the reason says no pair was scored in both, not that none was judged in both."""
    frame = pd.DataFrame({"run_name": ["j"] * 4, "pair": [1, 1, 2, 2], "order": ["AB", "BA"] * 2,
                          "sample": [0] * 4, "verdict": [None] * 4, "p_a": [None] * 4})
    assert consistency(judge_verdicts(frame)).reason == "no pair was scored in both orders"
    one_order = frame[frame["order"] == "AB"].assign(verdict="A")
    assert consistency(judge_verdicts(one_order)).reason == "no pair was judged in both orders"
