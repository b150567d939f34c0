"""Aggregated labels: majority vote and Dawid-Skene.

crowd-kit (the maintained Dawid-Skene implementation) pulls in transformers, scikit-learn
and nltk, far too heavy for a labelling tool, so Dawid & Skene (1979) is implemented here:
plain EM over per-annotator confusion matrices, vectorised with numpy, tested on data with
a known answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .pairs import ADJUDICATION_THRESHOLD, SPLIT, majority_codes, pair_votes
from .ratings import MISSING, Ratings


def majority_vote(ratings: Ratings) -> pd.Series:
    """The majority label of every rated unit (rule in ``annotator.analysis.pairs``): a
    category, or ``"split"`` where the top votes are shared."""
    counts = ratings.counts()
    rated = counts.sum(axis=1) > 0
    tie_index = ratings.categories.index("tie") if "tie" in ratings.categories else None
    codes, strict = majority_codes(counts[rated], tie_index)
    labels = np.array(list(ratings.categories) + [None], dtype=object)[codes]
    labels = np.where(strict, labels, SPLIT)
    return pd.Series(labels, index=pd.Index(ratings.units[rated], name="pair"), name="majority")


@dataclass
class DawidSkene:
    """The result of ``dawid_skene``.

    ``posteriors``: units x categories, each row the posterior over the true label.
    ``labels``: the most probable label per unit. ``class_prior``: estimated share of each
    true label. ``confusion[annotator]``: categories x categories, row = true label,
    column = the label the annotator gives, rows summing to 1. ``reason`` is set (and
    everything else empty) when the model cannot be fitted.
    """

    posteriors: pd.DataFrame
    labels: pd.Series
    class_prior: pd.Series
    confusion: dict[str, pd.DataFrame] = field(default_factory=dict)
    iterations: int = 0
    converged: bool = False
    log_likelihood: float = float("nan")
    reason: str = ""


def _empty(categories, reason: str) -> DawidSkene:
    return DawidSkene(
        posteriors=pd.DataFrame(columns=list(categories), dtype=float),
        labels=pd.Series(dtype=object),
        class_prior=pd.Series(np.nan, index=list(categories)),
        reason=reason,
    )


def dawid_skene(
    ratings: Ratings, max_iter: int = 500, tol: float = 1e-6, smoothing: float = 0.01
) -> DawidSkene:
    """Dawid-Skene EM estimate of the true label of every unit.

    Starts from the soft majority vote (each unit's vote shares), then alternates the M
    step (class prior and each annotator's confusion matrix from the current posteriors,
    plus ``smoothing`` pseudo-counts so no probability is exactly 0) and the E step
    (posteriors from prior and confusions), until the log-likelihood improves by less than
    ``tol`` relative to its size, or ``max_iter`` is reached. Needs at least two annotators (with one, the "confusion
    matrix" just restates that annotator's labels).
    """
    from scipy.special import logsumexp  # here: the majority-vote paths need no scipy

    categories = ratings.categories
    k = len(categories)
    if ratings.n_ratings() == 0:
        return _empty(categories, "no labels")
    if len(ratings.raters) < 2:
        return _empty(categories, "only one annotator: Dawid-Skene needs at least two")
    counts = ratings.counts()
    rated = counts.sum(axis=1) > 0
    codes = ratings.codes[rated]
    units = ratings.units[rated]
    n_units, n_raters = codes.shape
    u_idx, r_idx = np.nonzero(codes != MISSING)
    labels = codes[u_idx, r_idx].astype(int)
    cell = r_idx * k + labels  # (annotator, given label)

    t = counts[rated] / counts[rated].sum(axis=1, keepdims=True)
    log_lik = float("nan")
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (the count is reported after the loop)
        # M step
        prior = (t.sum(axis=0) + smoothing) / (n_units + smoothing * k)
        confusion = np.empty((n_raters, k, k))
        for j in range(k):
            confusion[:, j, :] = np.bincount(
                cell, weights=t[u_idx, j], minlength=n_raters * k
            ).reshape(n_raters, k)
        confusion += smoothing
        confusion /= confusion.sum(axis=2, keepdims=True)
        # E step
        log_conf = np.log(confusion)
        log_t = np.empty((n_units, k))
        for j in range(k):
            log_t[:, j] = np.log(prior[j]) + np.bincount(
                u_idx, weights=log_conf[r_idx, j, labels], minlength=n_units
            )
        norm = logsumexp(log_t, axis=1, keepdims=True)
        new_t = np.exp(log_t - norm)
        previous, log_lik = log_lik, float(norm.sum())
        t = new_t
        if abs(log_lik - previous) < tol * max(1.0, abs(log_lik)):
            converged = True
            break

    posteriors = pd.DataFrame(t, index=pd.Index(units, name="pair"), columns=list(categories))
    return DawidSkene(
        posteriors=posteriors,
        labels=pd.Series(
            np.array(categories, dtype=object)[t.argmax(axis=1)], index=posteriors.index, name="label"
        ),
        class_prior=pd.Series(t.mean(axis=0), index=list(categories)),
        confusion={
            rater: pd.DataFrame(confusion[i], index=list(categories), columns=list(categories))
            for i, rater in enumerate(ratings.raters)
        },
        iterations=iterations,
        converged=converged,
        log_likelihood=log_lik,
    )


def aggregated_labels(ratings: Ratings, threshold: float = ADJUDICATION_THRESHOLD) -> pd.DataFrame:
    """Per rated pair: its votes and majority (``pairs.pair_votes``) plus, when Dawid-Skene
    can be fitted, ``ds_label`` and the posterior ``ds_p_<category>`` of each category.

    The table gold-set exports and the dashboard read; indexed by pair id.
    """
    votes = pair_votes(ratings, threshold)
    votes = votes[votes["n_votes"] > 0]
    ds = dawid_skene(ratings)
    if ds.reason:
        return votes.assign(ds_label=None)
    return votes.join(ds.posteriors.add_prefix("ds_p_")).assign(ds_label=ds.labels)


def factor_majorities(labels: pd.DataFrame, keys) -> pd.DataFrame:
    """Pairs x factors table of the annotators' most common factor answer per pair.

    ``labels`` is ``Store.labels_frame`` (a ``factors`` dict per label). "n/a" answers are
    left out; when the top answers tie the cell stays empty (no majority). Columns are the
    factor keys in ``keys`` order, indexed by pair id; pairs without any majority are left out.
    """
    keys = list(keys)
    factors = labels["factors"] if len(labels) else []
    return factor_majority_table(labels["pair"] if len(labels) else [],
                                 {k: [f.get(k) for f in factors] for k in keys})


FACTOR_SCALE = ("A", "B", "equal")


def factor_majority_table(pairs, answers) -> pd.DataFrame:
    """``factor_majorities`` from columns: ``pairs`` (one pair id per label) and ``answers``
    (factor key -> one answer per label, any value outside A / B / equal counting as none).

    Per pair and factor the strict majority of the answers (``pairs.majority_codes`` with no
    tie category: top answers sharing the count leave the cell empty).
    """
    keys = list(answers)
    pairs = pd.Series(pairs)
    pair_index = pd.Index(pd.unique(pairs))
    units = pair_index.get_indexer(pairs)
    scale = pd.Index(FACTOR_SCALE)
    table = {key: factor_majority(units, len(pair_index), scale.get_indexer(np.asarray(answers[key], dtype=object)))
             for key in keys}
    frame = pd.DataFrame(table, index=pd.Index(pair_index, name="pair"), columns=keys, dtype=object)
    return frame[frame.notna().any(axis=1)] if keys else frame.iloc[0:0]


_FACTOR_VALUES = np.array([*FACTOR_SCALE, None], dtype=object)


def factor_majority(units: np.ndarray, n_units: int, codes: np.ndarray) -> np.ndarray:
    """Per unit (``0 .. n_units - 1``) the strict majority of one factor's answers, as an object
    array of "A" / "B" / "equal" or None (no answer, or top answers sharing the count).
    ``units``: each answer's unit; ``codes``: each answer's index in ``FACTOR_SCALE`` (any
    other value, e.g. -1 or the index of "na", is no answer). Counted with one ``bincount``."""
    k = len(FACTOR_SCALE)
    codes = np.asarray(codes)
    given = (codes >= 0) & (codes < k)
    counts = np.bincount(np.asarray(units)[given] * k + codes[given], minlength=n_units * k).reshape(n_units, k)
    majority, _ = majority_codes(counts, None)
    return _FACTOR_VALUES[majority]
