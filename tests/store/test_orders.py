"""The presented order and the A/B swap (annotator.store.orders)."""

import pytest

from annotator.store.orders import other_order, p_a, presentation_order, presented, to_canonical, to_shown


def test_presentation_order_is_seeded_and_mixed():
    orders = [presentation_order(7, "ann", f"p{i}") for i in range(200)]
    assert orders == [presentation_order(7, "ann", f"p{i}") for i in range(200)]
    assert 60 < orders.count("AB") < 140
    assert orders != [presentation_order(7, "bob", f"p{i}") for i in range(200)]
    assert to_canonical("A", "BA") == "B" and to_canonical("tie", "BA") == "tie"
    assert to_shown(to_canonical("B", "BA"), "BA") == "B"


def test_every_answer_round_trips_through_both_orders():
    for order in ("AB", "BA"):
        for answer in ("A", "B", "tie", "equal", "na"):
            assert to_canonical(to_shown(answer, order), order) == answer
    # AB is the canonical frame; BA exchanges only the two letters.
    assert [to_canonical(x, "AB") for x in ("A", "B", "tie")] == ["A", "B", "tie"]
    assert [to_canonical(x, "BA") for x in ("A", "B", "equal", "na")] == ["B", "A", "equal", "na"]


def test_probabilities_and_pairs_in_the_presented_frame():
    # Shown B first, "the first shown is better with p 0.8" means canonical A is better with 0.2.
    assert p_a(0.8, "BA") == pytest.approx(0.2)
    assert p_a(0.8, "AB") == 0.8 and p_a(None, "BA") is None
    assert presented("a text", "b text", "AB") == ("a text", "b text")
    assert presented("a text", "b text", "BA") == ("b text", "a text")
    assert other_order("AB") == "BA" and other_order("BA") == "AB"


def test_an_unknown_order_is_refused():
    with pytest.raises(ValueError, match="'AB' or 'BA'"):
        to_canonical("A", "ab")
    with pytest.raises(ValueError, match="'AB' or 'BA', not 'unknown'"):
        presented("a", "b", "unknown")  # nothing can be shown in an unknown order


def test_a_verdict_of_unknown_order_is_canonical_already():
    # AlpacaEval's verdicts: the judge saw a shuffled order it did not record.
    assert to_canonical("A", "unknown") == "A" and to_canonical("B", "unknown") == "B"
    assert p_a(0.8, "unknown") == 0.8
