"""One row's labels and verdicts (annotator.tasks.mapping), without a database."""

from __future__ import annotations

import pytest

from annotator.tasks.mapping import RowError, RowLabel, RowVerdict, row_labels, row_verdicts
from annotator.tasks.taskfile import JudgeLabelsSpec, LabelsSpec

MAP = {"1": "A", "2": "B", "0": "tie"}


def test_labels_seen_swapped_are_turned_canonical():
    labels = LabelsSpec(annotators={"ann": "vote_ann", "bob": "vote_bob"}, map=MAP, shown_order="order")
    # The row was shown B first: the raw "1" (the first shown) is canonical B; a tie stays a tie.
    row = {"vote_ann": 1, "vote_bob": "0", "order": "BA"}
    assert row_labels(row, "line 3", labels, allow_tie=True) == [
        RowLabel(annotator="ann", choice="B", shown_order="BA"),
        RowLabel(annotator="bob", choice="tie", shown_order="BA"),
    ]
    label = row_labels(row, "line 3", labels, allow_tie=True)[0].label(pair=7)
    assert (label.pair, label.annotator, label.choice, label.shown_order, label.origin) == (7, "ann", "B", "BA", "import")


def test_a_tie_is_refused_when_the_task_disallows_it():
    labels = LabelsSpec(annotators={"ann": "vote"}, map=MAP)
    with pytest.raises(RowError) as caught:
        row_labels({"vote": 0}, "line 9", labels, allow_tie=False)
    assert caught.value.problem.location == "line 9"


def test_verdicts_in_both_orders_with_a_probability():
    spec = JudgeLabelsSpec(name="gpt", verdict="v", verdict_ba="v_swapped", map=MAP, p_a="p")
    # AB: "2" = B. BA, in the swapped frame: "2" = the second shown = canonical A. p is the
    # probability that the first shown (A in order AB) is better, so p_a = 0.3.
    row = {"v": "2", "v_swapped": 2, "p": "0.3"}
    assert row_verdicts(row, "line 1", [spec]) == [
        RowVerdict(run="gpt", order="AB", verdict="B", unscored_reason="", p_a=0.3),
        RowVerdict(run="gpt", order="BA", verdict="A", unscored_reason=""),
    ]


def test_a_verdict_outside_the_map_is_unscored_with_its_value():
    spec = JudgeLabelsSpec(name="gpt", verdict="v", map=MAP, order="BA")
    (verdict,) = row_verdicts({"v": "error: timeout"}, "line 1", [spec])
    assert (verdict.verdict, verdict.unscored_reason, verdict.order) == (None, "error: timeout", "BA")
    judgment = verdict.judgment(run=3, pair=5, sample=0)
    assert (judgment.run, judgment.pair, judgment.order, judgment.verdict) == (3, 5, "BA", None)
