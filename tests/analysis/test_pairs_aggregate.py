"""Per-pair votes, majority rule, entropy, disputes; majority vote and Dawid-Skene."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.analysis.aggregate import dawid_skene, majority_vote
from annotator.analysis.pairs import entropy_bits, majority_codes, most_disputed, pair_votes
from annotator.analysis.ratings import MISSING, Ratings, ratings_from_matrix

CATS = ("A", "B", "tie")


def _ratings(rows: list[str]) -> Ratings:
    """One string per rater, one character per pair: A, B, T (tie) or '.' (missing)."""
    code = {"A": "A", "B": "B", "T": "tie", ".": None}
    return ratings_from_matrix([[code[c] for c in row] for row in rows], categories=CATS)


def test_majority_rule_and_ties():
    counts = np.array([[2, 1, 0], [1, 1, 0], [1, 0, 1], [0, 0, 0], [0, 3, 0]])
    codes, strict = majority_codes(counts, tie_index=2)
    # A wins; A=B -> no majority -> "tie"; A=tie -> no majority -> "tie"; no votes; B wins
    assert codes.tolist() == [0, 2, 2, -1, 1]
    assert strict.tolist() == [True, False, False, False, True]
    # without a tie category a shared plurality is undefined
    codes, _ = majority_codes(counts[:, :2], tie_index=None)
    assert codes.tolist() == [0, -1, 0, -1, 1]


def test_entropy_bits():
    values = entropy_bits(np.array([[2, 0, 0], [1, 1, 0], [1, 1, 1], [0, 0, 0]]))
    assert values[0] == 0.0
    assert values[1] == pytest.approx(1.0)
    assert values[2] == pytest.approx(math.log2(3))
    assert math.isnan(values[3])


def test_pair_votes_and_adjudication():
    #            pair: 0    1    2    3    4
    ratings = _ratings(["AABA.", "ABBB.", "TBAB.", "A..A."])
    votes = pair_votes(ratings, threshold=0.6)
    # pair 0: A A T A -> A 3/4; pair 1: A B B . -> B 2/3; pair 2: B B A . -> B 2/3
    # pair 3: A B B A -> 2-2: no majority; pair 4: nobody
    assert votes["n_votes"].tolist() == [4, 3, 3, 4, 0]
    # an even split is reported as "split", never as a tie (nobody voted tie on pair 3)
    assert votes["majority"].iloc[:4].tolist() == ["A", "B", "B", "split"]
    assert votes["majority"].isna().iloc[4]
    assert votes["majority_share"].iloc[0] == pytest.approx(0.75)
    assert math.isnan(votes["majority_share"].iloc[3])
    assert votes["needs_adjudication"].tolist() == [False, False, False, True, False]
    assert votes["adjudication_reason"].iloc[3] == "no majority"
    # agreement = agreeing vote pairs / vote pairs: pair 0: AAA -> 3 of 6
    assert votes["agreement"].iloc[0] == pytest.approx(3 / 6)
    # a stricter threshold sends 2-of-3 majorities to adjudication too
    strict = pair_votes(ratings, threshold=0.7)
    assert strict["needs_adjudication"].tolist() == [False, True, True, True, False]
    assert strict["adjudication_reason"].iloc[1] == "majority below 70%"


def test_most_disputed_order():
    ratings = _ratings(["AAAB", "ABTB", "ABAB"])
    votes = pair_votes(ratings)
    disputed = most_disputed(votes, limit=3)
    # pair 0: A A A; pair 1: A B B; pair 2: A T A; pair 3: B B B
    # pairs 1 and 2 share the highest entropy (ordered by id), then the unanimous 0 and 3
    assert list(disputed.index) == [1, 2, 0]


def test_majority_vote_series():
    ratings = _ratings(["AB.", "AA."])
    # pair 1: A vs B, one vote each: "split", not "tie"
    assert majority_vote(ratings).to_dict() == {0: "A", 1: "split"}


def test_dawid_skene_one_annotator_or_no_data():
    assert "only one annotator" in dawid_skene(_ratings(["ABAB"])).reason
    assert dawid_skene(_ratings(["....", "...."])).reason == "no labels"


def test_dawid_skene_unanimous():
    ds = dawid_skene(_ratings(["ABTA", "ABTA", "ABTA"]))
    assert ds.reason == "" and ds.converged
    assert ds.labels.tolist() == ["A", "B", "tie", "A"]
    assert (ds.posteriors.max(axis=1) > 0.99).all()
    assert ds.class_prior["A"] == pytest.approx(0.5, abs=0.01)


def _simulate(n_items: int, seed: int):
    """Known truth; one expert (95 % right), one annotator who swaps A and B, three who
    answer at random. Majority vote is poor here; Dawid-Skene should find the expert and
    read the swapper's labels backwards."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(3, size=n_items, p=[0.45, 0.4, 0.15])
    expert = np.where(rng.random(n_items) < 0.95, truth, rng.integers(0, 3, n_items))
    swapper = np.array([1, 0, 2])[truth]
    spammers = [rng.integers(0, 3, n_items) for _ in range(3)]
    codes = np.column_stack([expert, swapper, *spammers]).astype(np.int16)
    return truth, Ratings(np.arange(n_items), ("expert", "swapper", "s1", "s2", "s3"), CATS, codes)


def test_dawid_skene_recovers_known_truth():
    truth, ratings = _simulate(600, seed=3)
    ds = dawid_skene(ratings)
    ds_accuracy = float((ds.posteriors.to_numpy().argmax(axis=1) == truth).mean())
    mv = majority_vote(ratings).map({c: i for i, c in enumerate(CATS)}).to_numpy()
    mv_accuracy = float((mv == truth).mean())
    assert ds.converged
    assert ds_accuracy > 0.93
    assert mv_accuracy < 0.75
    expert = ds.confusion["expert"].to_numpy()
    assert np.diag(expert).min() > 0.85
    swapper = ds.confusion["swapper"]
    assert swapper.loc["A", "B"] > 0.9 and swapper.loc["B", "A"] > 0.9
    assert ds.class_prior["A"] == pytest.approx(0.45, abs=0.06)
    # posteriors are distributions
    assert np.allclose(ds.posteriors.sum(axis=1), 1.0)


def test_dawid_skene_missing_labels():
    truth, ratings = _simulate(300, seed=5)
    codes = ratings.codes.copy()
    rng = np.random.default_rng(0)
    codes[rng.random(codes.shape) < 0.3] = MISSING
    codes[:, 0] = ratings.codes[:, 0]  # the expert labels everything
    ds = dawid_skene(Ratings(ratings.units, ratings.raters, CATS, codes))
    assert float((ds.posteriors.to_numpy().argmax(axis=1) == truth).mean()) > 0.9


def test_aggregated_labels_table():
    from annotator.analysis.aggregate import aggregated_labels

    table = aggregated_labels(_ratings(["AAB.", "ABB.", "AAT."]))
    assert list(table.index) == [0, 1, 2]  # pair 3 has no votes
    assert table["majority"].tolist() == ["A", "A", "B"]
    assert table["ds_label"].tolist() == ["A", "A", "B"]
    posterior = table[["ds_p_A", "ds_p_B", "ds_p_tie"]].to_numpy()
    assert np.allclose(posterior.sum(axis=1), 1.0)
    alone = aggregated_labels(_ratings(["AB"]))
    assert alone["ds_label"].isna().all() and alone["majority"].tolist() == ["A", "B"]


def test_the_count_table_is_counted_once_and_read_only():
    """A report reads a ratings' count table a dozen times: counted once, and read-only so that
    no caller can change what the next one reads."""
    r = ratings_from_matrix([["A", "B", None], ["A", "A", "B"]], ["A", "B"])
    counts = r.counts()
    assert counts is r.counts()
    assert counts.tolist() == [[2, 0], [1, 1], [0, 1]]
    with pytest.raises(ValueError):
        counts[0, 0] = 5


def test_positions_are_pandas_indexer_positions():
    """``ratings.positions`` looks each distinct name up once and gives what pandas' indexer
    gives every row: -1 for a missing or unknown value, whatever the column's type."""
    import pandas as pd

    from annotator.analysis.ratings import positions

    cases = [(("a", "b"), pd.Series(["b", "a", None, "c", "b"])), ((), pd.Series(["x"])),
             (("A", "B", "tie"), pd.Series([], dtype=object)), (("A", "B"), pd.Series(pd.Categorical(["B", "A", None]))),
             ((1, 2), pd.Series([2.0, np.nan, 1.0]))]
    for keys, column in cases:
        assert positions(keys, column).tolist() == pd.Index(keys).get_indexer(column).tolist()
    assert positions(("a", "b"), pd.Series(["b", "a", None, "c"])).tolist() == [1, 0, -1, -1]
