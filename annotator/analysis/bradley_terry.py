"""Bradley-Terry ratings of models from pairwise preferences, with a bootstrap interval.

The model (FastChat's ``compute_mle_elo``, the Chatbot Arena rating): the probability that
model i is preferred to model j is ``1 / (1 + 10 ** ((R_j - R_i) / 400))``. Ratings are
fitted by maximum likelihood on every comparison, a preference p in [0, 1] counting p of a
win for i and 1 - p for j (a tie is half a win each, as FastChat splits ties). Ratings are
on the Elo scale, anchored so that ``anchor`` (the baseline) is at 1000, or their mean is
1000 without an anchor. A tiny ridge (``RIDGE`` on the natural-log scale, per comparison)
towards the anchor (or the mean) keeps a model that won or lost every comparison finite; such
a model has no finite maximum-likelihood rating at all, so its rating is only the ridge's
and ``no_finite_rating`` says so (the leaderboard shows it undefined, with the reason). The
ridge also pulls every rating a little towards the anchor (up to 6.2 Elo points on
AlpacaEval 2.0's 805 instructions, for its weakest model).

The interval: the percentile bootstrap over comparisons (pairs), seeded, refitting the
ratings on each resample from the aggregated win matrix (so a resample costs a fit on at
most models x models cells, whatever the number of pairs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SCALE = 400 / math.log(10)  # natural-log logits to Elo points
INIT = 1000.0
RIDGE = 1e-4


@dataclass(frozen=True)
class Ratings:
    models: list[str]
    rating: np.ndarray  # Elo points
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_comparisons: np.ndarray  # comparisons each model took part in
    resamples: int
    wins: np.ndarray | None = None  # preference mass each model won (a tie counts a half)

    def no_finite_rating(self, i: int) -> str:
        """Why model ``i`` has no finite maximum-likelihood rating ("" when it has one): it won
        none of its comparisons, or all of them."""
        if self.wins is None or not self.n_comparisons[i]:
            return ""
        if self.wins[i] <= 0:
            return f"no finite rating: 0 wins in {int(self.n_comparisons[i]):,} comparisons"
        if self.wins[i] >= self.n_comparisons[i]:
            return f"no finite rating: won all {int(self.n_comparisons[i]):,} comparisons"
        return ""


def _fit(wins: np.ndarray, totals: np.ndarray, anchor: int | None, start: np.ndarray | None = None) -> np.ndarray:
    """Natural-log strengths from ``wins[i, j]`` (preference mass of i over j) and
    ``totals[i, j]`` (comparisons of i and j), by Newton's method on the penalised
    log-likelihood (a handful of iterations on a models x models system)."""
    m = wins.shape[0]
    ridge = RIDGE * max(totals.sum(), 1.0) / max(m, 1)
    free = np.array([i for i in range(m) if i != anchor], dtype=int)
    r = np.zeros(m) if start is None else start.copy()
    for _ in range(100):
        diff = r[:, None] - r[None, :]
        p = np.exp(-np.logaddexp(0, -diff))  # sigmoid(r_i - r_j)
        g = wins * (1 - p)
        grad = -(g.sum(axis=1) - g.sum(axis=0)) + ridge * r
        curvature = totals * p * (1 - p)  # totals[i, j]: comparisons of i and j (symmetric)
        hessian = np.diag(curvature.sum(axis=1)) - curvature + ridge * np.eye(m)
        step = np.zeros(m)
        step[free] = np.linalg.solve(hessian[np.ix_(free, free)], grad[free])
        r = r - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return r - (r[anchor] if anchor is not None else r.mean())


def bradley_terry(model_a, model_b, preference_a, *, anchor: str | None = None, resamples: int = 200,
                  seed: int = 0, confidence: float = 0.95) -> Ratings:
    """Ratings of every model named in ``model_a`` / ``model_b`` (one entry a comparison;
    ``preference_a`` in [0, 1]: 1 = the A model preferred, 0.5 a tie; NaN left out)."""
    a = np.asarray(model_a, dtype=object)
    b = np.asarray(model_b, dtype=object)
    p = np.asarray(preference_a, dtype=float)
    keep = ~np.isnan(p) & (a != b)
    a, b, p = a[keep], b[keep], p[keep]
    models = sorted(set(a) | set(b))
    index = {name: i for i, name in enumerate(models)}
    m = len(models)
    ia = np.array([index[x] for x in a], dtype=int)
    ib = np.array([index[x] for x in b], dtype=int)
    anchor_i = index.get(anchor) if anchor is not None else None
    cell_ab = ia * m + ib
    cell_ba = ib * m + ia

    def matrices(weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        w = np.ones(len(p)) if weights is None else weights
        wins = (np.bincount(cell_ab, w * p, m * m) + np.bincount(cell_ba, w * (1 - p), m * m)).reshape(m, m)
        totals = (np.bincount(cell_ab, w, m * m) + np.bincount(cell_ba, w, m * m)).reshape(m, m)
        return wins, totals

    wins, totals = matrices(None)
    r = _fit(wins, totals, anchor_i)
    low = np.full(m, np.nan)
    high = np.full(m, np.nan)
    if resamples and len(p):
        rng = np.random.default_rng(seed)
        draws = np.empty((resamples, m))
        for k in range(resamples):
            weights = np.bincount(rng.integers(0, len(p), len(p)), minlength=len(p)).astype(float)
            w_k, t_k = matrices(weights)
            draws[k] = _fit(w_k, t_k, anchor_i, start=r)
        tail = (1 - confidence) / 2 * 100
        low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
    counts = np.bincount(ia, minlength=m) + np.bincount(ib, minlength=m)
    return Ratings(models, INIT + SCALE * r, INIT + SCALE * low, INIT + SCALE * high, counts, resamples,
                   wins=wins.sum(axis=1))
