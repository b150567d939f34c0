"""Per-pair votes: distribution, majority label, entropy, and which pairs need adjudication.

Majority rule (documented, tested): the majority label is the choice with the most votes.
When several choices share the top count there is no majority, and the label is ``"split"``
(``SPLIT``): the annotators disagree evenly, which is not the same as agreeing on a tie.
Wherever a preference is needed from such a pair (a win rate, a factor score) it counts as
no preference, like a tie, but it is reported as "split". A pair with two or more votes needs adjudication when it has
no majority or when the majority's share of the votes is below the threshold (default 0.6:
2 of 3 and 3 of 5 pass, 2 of 4 and 1 of 2 do not). A pair an adjudicator settled
(``annotator adjudicate``) needs no adjudication and is not counted "no majority": its
``adjudicated`` column holds the adjudicator's label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .defaults import ADJUDICATION_THRESHOLD  # noqa: F401  (re-exported)
from .ratings import Ratings

SPLIT = "split"


def majority_codes(counts: np.ndarray, tie_index: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Majority category index per unit (-1 when undefined) and whether it is a strict one.

    Units without votes get -1 and ``strict = False``.
    """
    counts = np.asarray(counts)
    if counts.shape[0] == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=bool)
    top = counts.max(axis=1)
    n_top = (counts == top[:, None]).sum(axis=1)
    voted = counts.sum(axis=1) > 0
    strict = voted & (n_top == 1)
    codes = np.where(strict, counts.argmax(axis=1), -1)
    if tie_index is not None:
        codes = np.where(voted & ~strict, tie_index, codes)
    return codes, strict


def entropy_bits(counts: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) of each unit's vote distribution; NaN for units without votes."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = counts / total
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1)), 0.0)
    return np.where(total[:, 0] > 0, terms.sum(axis=1), np.nan)


def pair_votes(ratings: Ratings, threshold: float = ADJUDICATION_THRESHOLD,
               adjudicated: pd.Series | None = None) -> pd.DataFrame:
    """One row per unit (indexed by pair id) with its votes and dispute figures.

    Columns: ``n_votes``, ``votes_<category>`` for each category, ``majority`` (see the
    module's rule), ``majority_share`` (share of votes for the majority; NaN without a
    strict majority), ``entropy_bits``, ``agreement`` (share of agreeing pairs of votes;
    NaN under two votes), ``needs_adjudication``, ``adjudication_reason`` and ``adjudicated``
    (``adjudicated``: pair -> the adjudicator's label; such a pair needs no adjudication).
    """
    return vote_table(ratings.units, ratings.counts(), ratings.categories, threshold, adjudicated)


def vote_table(units: np.ndarray, counts: np.ndarray, categories, threshold: float = ADJUDICATION_THRESHOLD,
               adjudicated: pd.Series | None = None) -> pd.DataFrame:
    """``pair_votes`` from the units x categories vote counts (``Ratings.counts()``, or counted
    straight from label columns): one row per unit of ``units``."""
    return pd.DataFrame(vote_columns(units, counts, categories, threshold, adjudicated),
                        index=pd.Index(units, name="pair"))


def vote_columns(units: np.ndarray, counts: np.ndarray, categories, threshold: float = ADJUDICATION_THRESHOLD,
                 adjudicated: pd.Series | None = None) -> dict[str, np.ndarray]:
    """``vote_table``'s columns as numpy arrays (name -> one value per unit of ``units``)."""
    categories = tuple(categories)
    tie_index = categories.index("tie") if "tie" in categories else None
    codes, strict = majority_codes(counts, tie_index)
    n = counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(strict, counts.max(axis=1) / n, np.nan)
        agreement = np.where(n >= 2, (counts * (counts - 1)).sum(axis=1) / (n * (n - 1)), np.nan)
    labels = np.array(list(categories) + [None], dtype=object)[codes]
    labels = np.where((n > 0) & ~strict, SPLIT, labels)
    settled: np.ndarray = np.full(len(n), None, dtype=object)
    open_ = np.ones(len(n), dtype=bool)
    if adjudicated is not None and len(adjudicated):
        found = pd.Series(adjudicated).reindex(units).to_numpy(dtype=object)
        settled = np.array([None if pd.isna(v) else v for v in found], dtype=object)
        open_ = np.array([s is None for s in settled], dtype=bool)
    no_majority = (n >= 2) & ~strict & open_
    weak = (n >= 2) & strict & (share < threshold) & open_
    reason = np.where(
        no_majority, "no majority", np.where(weak, f"majority below {threshold:.0%}", "")
    )
    return {
        "n_votes": n,
        **{f"votes_{c}": counts[:, i] for i, c in enumerate(categories)},
        "majority": labels,
        "majority_share": share,
        "entropy_bits": entropy_bits(counts),
        "agreement": agreement,
        "needs_adjudication": no_majority | weak,
        "adjudication_reason": reason,
        "adjudicated": settled,
    }


def most_disputed(votes: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """The pairs most in need of a second look: those needing adjudication first, then by
    entropy (highest first), then by number of votes (most first), then by pair id."""
    ranked = votes[votes["n_votes"] >= 2].assign(_pair=votes.index[votes["n_votes"] >= 2])
    ranked = ranked.sort_values(
        ["needs_adjudication", "entropy_bits", "n_votes", "_pair"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    return ranked.drop(columns="_pair").head(limit)
