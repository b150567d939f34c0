"""Vectorised bootstrap over units (pairs).

Every statistic here is a function of per-unit contributions summed over units (a
coincidence matrix, a confusion table, counts of agreeing label pairs...). A resample of
units is a vector of multiplicities ``w`` (how often each unit was drawn), so the resampled
sums are ``w @ contributions``: one matrix product gives all resamples at once, with no
pandas work per resample. ``Resampler`` draws the multiplicities once (seeded) so that
every statistic of a report is computed on the same resamples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from scipy import sparse

from .defaults import MIN_DEFINED_SHARE
from .estimate import Estimate

# Weight rows are turned into floats this many at a time (bounds the temporary memory).
CHUNK_ROWS = 64
# ``count_sums``: a table of counts up to this many cells is summed dense (64 MB of float32).
DENSE_COUNT_CELLS = 16_000_000

# An interval needs at least MIN_DEFINED_SHARE of resamples to give a defined statistic (defaults);
# below it the interval is left undefined (a resample can lose every pairable unit on tiny data).


class Resampler:
    """Seeded bootstrap multiplicities for ``n_units`` units, ``resamples`` rows."""

    def __init__(self, n_units: int, resamples: int, seed: int = 0, confidence: float = 0.95,
                 clusters: np.ndarray | None = None):
        """``clusters``: the cluster (0..c-1) of each unit, to resample whole clusters (the
        pairs expanded from one ranked item together) instead of units; None: units."""
        if resamples < 0:
            raise ValueError("the number of resamples cannot be negative")
        if not 0 < confidence < 1:
            raise ValueError("confidence must be between 0 and 1")
        self.n_units = n_units
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
        self.clusters = None if clusters is None else np.asarray(clusters, dtype=np.int64)
        self._weights: np.ndarray | None = None

    @property
    def weights(self) -> np.ndarray:
        """``resamples x n_units`` multiplicities (each row summing to ``n_units``).

        Drawn once, from one seeded generator (row ``r`` is the ``r``-th block of ``n_units``
        draws, generated a chunk of rows at a time). Stored as the smallest integers that
        hold them (uint8 unless a unit was drawn more than 255 times in one resample) and
        turned into floats a chunk at a time by ``sums``.
        """
        if self._weights is None and self.clusters is not None:  # whole clusters, each unit its cluster's count
            drawn = Resampler(int(self.clusters.max()) + 1 if self.clusters.size else 0, self.resamples, self.seed)
            self._weights = drawn.weights[:, self.clusters]
        if self._weights is None:
            rng = np.random.default_rng(self.seed)
            n, b = self.n_units, self.resamples
            weights = np.zeros((b, n), dtype=np.uint8)
            step = max(1, min(CHUNK_ROWS, 4_000_000 // max(n, 1)))
            for start in range(0, b if n else 0, step):
                rows = min(step, b - start)
                draws = rng.integers(0, n, size=(rows, n), dtype=np.int64)
                for row, drawn in enumerate(draws):
                    counts = np.bincount(drawn, minlength=n)
                    if weights.dtype == np.uint8 and counts.max() > 255:  # practically never: widen
                        weights = weights.astype(np.uint16)
                    weights[start + row] = counts
            self._weights = weights
        return self._weights

    def restricted(self, mask: np.ndarray) -> Resampler:
        """The same resamples restricted to the units in ``mask`` (e.g. one domain's pairs):
        a subset's intervals come from the very resamples of the whole set, so its share of
        each resample varies as it would in a new sample of pairs, and no second set of
        multiplicities is drawn."""
        sub = Resampler(int(np.count_nonzero(mask)), self.resamples, self.seed, self.confidence)
        sub._weights = self.weights[:, np.asarray(mask, dtype=bool)] if self.resamples else None
        return sub

    def sums(self, contributions: np.ndarray | sparse.spmatrix) -> np.ndarray:
        """Resampled column sums of a ``n_units x d`` contribution matrix: ``resamples x d``.

        The products run in single precision (half the memory traffic of double, which is
        what they cost at 100,000s of units): counts are exact, fractional contributions
        carry a relative error near 1e-7, far below any digit a report shows.
        """
        weights = self.weights
        d = contributions.shape[1]
        out = np.empty((self.resamples, d))
        dense = None if sparse.issparse(contributions) else np.asarray(contributions, dtype=np.float32)
        for start in range(0, self.resamples, CHUNK_ROWS):
            chunk = weights[start:start + CHUNK_ROWS].astype(np.float32)
            if dense is None:
                out[start:start + CHUNK_ROWS] = np.asarray((contributions.T @ chunk.T).T)
            else:
                out[start:start + CHUNK_ROWS] = chunk @ dense
        return out

    def count_sums(self, units: np.ndarray, columns: np.ndarray, width: int) -> np.ndarray:
        """Resampled column sums of a ``n_units x width`` table of counts given as one
        ``(unit, column)`` index pair per count of 1 (e.g. which cell of a confusion table
        each unit adds to): ``resamples x width``. The table goes through ``sums`` dense
        (single-precision sums of integers below 2**24 are exact) while it is small
        (``DENSE_COUNT_CELLS``), else as a sparse matrix; the values are the same."""
        units, columns = np.asarray(units), np.asarray(columns)
        if self.n_units * width <= DENSE_COUNT_CELLS:
            table = np.zeros((self.n_units, width), dtype=np.float32)
            np.add.at(table, (units, columns), 1)
            return self.sums(table)
        return self.sums(sparse.csr_matrix((np.ones(units.size), (units, columns)), shape=(self.n_units, width)))

    def sums_many(self, contributions: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        """``sums`` of several contribution matrices in one pass; ``None`` without resamples."""
        if self.resamples == 0:
            return None
        names = list(contributions)
        widths = [contributions[k].shape[1] for k in names]
        stacked = self.sums(np.hstack([contributions[k] for k in names]))
        edges = np.cumsum([0, *widths])
        return {k: stacked[:, edges[i]:edges[i + 1]] for i, k in enumerate(names)}

    def interval(self, replicates: np.ndarray) -> tuple[float, float, int]:
        """Percentile interval of replicate values, NaN replicates left out.

        Returns ``(low, high, defined)``; the bounds are NaN when fewer than
        ``MIN_DEFINED_SHARE`` of the resamples gave a defined value.
        """
        replicates = np.asarray(replicates, dtype=float)
        finite = replicates[np.isfinite(replicates)]
        if self.resamples == 0 or finite.size < MIN_DEFINED_SHARE * self.resamples or finite.size == 0:
            return float("nan"), float("nan"), int(finite.size)
        tail = (1 - self.confidence) / 2 * 100
        low, high = np.percentile(finite, [tail, 100 - tail])
        return float(low), float(high), int(finite.size)

    def attach(self, estimate: Estimate, replicates: np.ndarray | None) -> Estimate:
        """``estimate`` with its percentile interval from ``replicates`` (if it is defined)."""
        if not estimate.defined or self.resamples == 0 or replicates is None:
            return estimate
        low, high, defined = self.interval(replicates)
        return estimate.with_interval(low, high, resamples_defined=defined)

    def replicate(
        self, contributions: np.ndarray, finish: Callable[[np.ndarray], np.ndarray]
    ) -> np.ndarray:
        """``finish`` applied to every resample's sums (``finish`` is vectorised over rows)."""
        if self.resamples == 0:
            return np.empty(0)
        return finish(self.sums(contributions))


def cluster_codes(units: np.ndarray, clusters: Mapping[int, int]) -> np.ndarray:
    """The cluster index (0..c-1) of each unit: its cluster in ``clusters`` (pair -> item),
    a cluster of its own when it has none."""
    keys: dict[tuple[str, int], int] = {}
    out = np.empty(len(units), dtype=np.int64)
    for n, unit in enumerate(units):
        key = ("cluster", clusters[unit]) if unit in clusters else ("unit", int(unit))
        out[n] = keys.setdefault(key, len(keys))
    return out
