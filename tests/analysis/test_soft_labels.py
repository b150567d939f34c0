"""Soft labels and majority / minority rates, against the worked example of the module docstring."""

import math

import numpy as np
import pytest

from annotator.analysis.ratings import ratings_from_matrix
from annotator.analysis.soft_labels import majority_minority_rates, soft_label_table


def _ratings():
    # raters x units: pair 0 = A, A, B (r1, r2, r3); pair 1 = A, B (r1, r2); pair 2 = tie (r3 only)
    return ratings_from_matrix([["A", "A", None], ["A", "B", None], ["B", None, "tie"]], categories=("A", "B", "tie"))


def test_shares_entropy_and_ambiguity():
    table = soft_label_table(_ratings(), ambiguity_threshold=0.6)
    # pair 0: H = -(2/3 log2 2/3 + 1/3 log2 1/3) = 0.918296 bits; / log2 3 = 0.579380
    assert table.loc[0, "soft_A"] == pytest.approx(2 / 3) and table.loc[0, "soft_tie"] == 0
    assert table.loc[0, "entropy_normalised"] == pytest.approx(0.9182958 / math.log2(3), abs=1e-6)
    # pair 1: H = 1 bit; / log2 3 = 0.630930 >= 0.6 -> ambiguous; pair 0 (0.579) is not
    assert table.loc[1, "entropy_normalised"] == pytest.approx(1 / math.log2(3))
    assert table.loc[1, "ambiguous"] is True and table.loc[0, "ambiguous"] is False
    # pair 2: one vote, entropy 0 but no evidence: undefined, not "not ambiguous"
    assert table.loc[2, "ambiguous"] is None and table.loc[2, "entropy_normalised"] == 0


def test_without_tie_the_maximum_is_one_bit():
    two = ratings_from_matrix([["A"], ["B"]], categories=("A", "B"))
    assert soft_label_table(two, 0.5).loc[0, "entropy_normalised"] == pytest.approx(1.0)


def test_majority_minority_rates():
    rates = majority_minority_rates(_ratings())
    # r1: majority on pair 0, no majority on pair 1 -> 1/2, 0, 1/2
    assert tuple(rates.loc["rater1", ["in_majority_rate", "in_minority_rate", "no_majority_rate"]]) == (0.5, 0, 0.5)
    # r3: minority on pair 0; pair 2 has a single vote and does not count -> 0, 1, 0 over 1 label
    assert rates.loc["rater3", "labels"] == 1 and rates.loc["rater3", "in_minority_rate"] == 1


def test_no_shared_pair_leaves_rates_undefined():
    lone = ratings_from_matrix([["A", None], [None, "B"]], categories=("A", "B", "tie"))
    rates = majority_minority_rates(lone)
    assert (rates["labels"] == 0).all() and np.isnan(rates["in_majority_rate"]).all()


def test_threshold_must_be_a_normalised_entropy():
    with pytest.raises(ValueError):
        soft_label_table(_ratings(), 1.5)
