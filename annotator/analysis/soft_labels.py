"""Soft labels ("perspectivist" data): the spread of the votes, not only their winner.

For each pair: the share of votes for each choice (the soft label), the Shannon entropy of
that distribution normalised by its maximum, ``log2(K)`` for the task's K choices (3 with
tie, 2 without), so 0 = unanimous and 1 = votes spread evenly over every choice, and an
*ambiguous* flag when the normalised entropy reaches a threshold. A pair with fewer than two
votes has entropy 0 but no evidence either way: its flag is undefined (``None``), never
"not ambiguous".

For each annotator: how often they are in the majority, in the minority, or on a pair
with no majority, over their labels on pairs with two or more votes (their own vote
included, by the majority rule of ``annotator.analysis.pairs``: a strict majority is one
choice with more votes than any other). The three rates add up to 1; ``labels`` is the
denominator.

Worked example (used in the tests): votes A, A, B on pair 1 (annotators r1, r2, r3) and
A, B on pair 2 (r1, r2), K = 3. Pair 1: shares 2/3, 1/3, 0; entropy
-(2/3 log2 2/3 + 1/3 log2 1/3) = 0.9183 bits; normalised 0.9183 / log2 3 = 0.5794. Pair 2:
1 bit, normalised 0.6309. r1: majority on pair 1, no majority on pair 2: rates 1/2, 0, 1/2;
r3: minority on pair 1: rates 0, 1, 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .pairs import ADJUDICATION_THRESHOLD, majority_codes, pair_votes
from .ratings import MISSING, Ratings


def soft_label_table(ratings: Ratings, ambiguity_threshold: float,
                     adjudication_threshold: float = ADJUDICATION_THRESHOLD) -> pd.DataFrame:
    """One row per rated pair (indexed by pair id): ``pairs.pair_votes``' columns plus
    ``soft_<category>`` (share of the votes), ``entropy_normalised`` and ``ambiguous``."""
    if not 0 <= ambiguity_threshold <= 1:
        raise ValueError("the ambiguity threshold is a normalised entropy, between 0 and 1")
    votes = pair_votes(ratings, adjudication_threshold)
    votes = votes[votes["n_votes"] > 0].copy()
    n = votes["n_votes"].to_numpy(dtype=float)
    for c in ratings.categories:
        votes[f"soft_{c}"] = votes[f"votes_{c}"].to_numpy() / n
    k = len(ratings.categories)
    votes["entropy_normalised"] = votes["entropy_bits"] / math.log2(k) if k > 1 else np.nan
    ambiguous = votes["entropy_normalised"] >= ambiguity_threshold
    votes["ambiguous"] = pd.Series(ambiguous, dtype=object).where(votes["n_votes"] >= 2, None)
    return votes


def majority_minority_rates(ratings: Ratings) -> pd.DataFrame:
    """One row per annotator: ``labels`` (their labels on pairs with two or more votes),
    ``in_majority``, ``in_minority``, ``no_majority`` and the three as rates (NaN when
    ``labels`` is 0: nothing to compare with)."""
    counts = ratings.counts()
    majority, strict = majority_codes(counts, None)
    shared = counts.sum(axis=1) >= 2
    codes = ratings.codes
    given = (codes != MISSING) & shared[:, None]
    in_majority = (given & strict[:, None] & (codes == majority[:, None])).sum(axis=0)
    in_minority = (given & strict[:, None] & (codes != majority[:, None])).sum(axis=0)
    no_majority = (given & ~strict[:, None]).sum(axis=0)
    labels = given.sum(axis=0)
    frame = pd.DataFrame({"labels": labels, "in_majority": in_majority, "in_minority": in_minority,
                          "no_majority": no_majority}, index=pd.Index(ratings.raters, name="annotator"))
    with np.errstate(divide="ignore", invalid="ignore"):
        for column in ("in_majority", "in_minority", "no_majority"):
            frame[f"{column}_rate"] = np.where(labels > 0, frame[column] / np.maximum(labels, 1), np.nan)
    return frame
