"""Vectorised bootstrap over units (pairs).

Every statistic here is a function of per-unit contributions summed over units (a
coincidence matrix, a confusion table, counts of agreeing label pairs...). A resample of
units is a vector of multiplicities ``w`` (how often each unit was drawn), so the resampled
sums are ``w @ contributions``: one matrix product gives all resamples at once, with no
pandas work per resample. ``Resampler`` draws the multiplicities once (seeded) so that
every statistic of a report is computed on the same resamples.

Grouped sums (``group_units``): the contributions of most statistics depend on a few codes
per unit (its votes, its domain, a judge's verdict), so the units fall into a few groups with
identical contribution rows. Given those codes, each resample's count of drawn units per group
is taken once (``resamples x groups``), and every later ``sums`` whose rows are constant
within the groups is that count table times one row per group, not a product over every unit
again. The shortcut is taken only where it gives the very numbers of the single-precision
product: every contribution a multiple of 1/2**s and every partial sum below 2**24 of those
steps, so that both sums are exact (else, or when a row differs within a group, the product
runs as before).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from .defaults import MIN_DEFINED_SHARE
from .estimate import Estimate

if TYPE_CHECKING:
    from scipy import sparse

# Weight rows are turned into floats this many at a time (bounds the temporary memory).
CHUNK_ROWS = 64
# ``count_sums``: a table of counts up to this many cells is summed dense (64 MB of float32).
DENSE_COUNT_CELLS = 16_000_000
# ``group_units``: at most this many groups (the per-resample count table stays small).
MAX_GROUPS = 4096
# Grouped sums: contributions that are multiples of 1/2**s for s up to this are checked exact.
MAX_STEP_BITS = 6
# Single precision holds every integer below 2**24 exactly.
FLOAT32_EXACT = 1 << 24


def _issparse(matrix) -> bool:
    """Whether ``matrix`` is a scipy sparse matrix (scipy.sparse is imported only by callers
    that made one: a dense report never pays its import)."""
    module = sys.modules.get("scipy.sparse")
    return module is not None and module.issparse(matrix)

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
        # a restricted resampler: (the whole set's resampler, its mask), weights taken on demand
        self._source: tuple[Resampler, np.ndarray] | None = None
        # group_units: the group of each unit, its first unit, and (on first use) the counts
        self._groups: tuple[np.ndarray, np.ndarray] | None = None
        self._group_counts: np.ndarray | None = None
        self._inside: np.ndarray | None = None  # a restricted resampler: which of the whole set's groups

    @property
    def weights(self) -> np.ndarray:
        """``resamples x n_units`` multiplicities (each row summing to ``n_units``).

        Drawn once, from one seeded generator (row ``r`` is the ``r``-th block of ``n_units``
        draws, generated a chunk of rows at a time). Stored as the smallest integers that
        hold them (uint8 unless a unit was drawn more than 255 times in one resample) and
        turned into floats a chunk at a time by ``sums``.
        """
        if self._weights is None and self._source is not None:
            parent, mask = self._source
            self._weights = parent.weights[:, mask]
        if self._weights is None and self.clusters is not None:  # whole clusters, each unit its cluster's count
            drawn = Resampler(int(self.clusters.max()) + 1 if self.clusters.size else 0, self.resamples, self.seed)
            self._weights = drawn.weights[:, self.clusters]
        if self._weights is None:
            n = self.n_units
            weights = np.zeros((self.resamples, n), dtype=np.uint8)
            for row, drawn in enumerate(self._draws()):
                counts = np.bincount(drawn, minlength=n)
                if weights.dtype == np.uint8 and counts.max() > 255:  # practically never: widen
                    weights = weights.astype(np.uint16)
                weights[row] = counts
            self._weights = weights
        return self._weights

    def _draws(self):
        """Each resample's ``n_units`` drawn unit indices, in order, from the seeded generator
        (a chunk of rows drawn at a time: the stream ``weights`` counts)."""
        rng = np.random.default_rng(self.seed)
        n, b = self.n_units, self.resamples
        step = max(1, min(CHUNK_ROWS, 4_000_000 // max(n, 1)))
        for start in range(0, b if n else 0, step):
            yield from rng.integers(0, n, size=(min(step, b - start), n), dtype=np.int64)

    def restricted(self, mask: np.ndarray) -> Resampler:
        """The same resamples restricted to the units in ``mask`` (e.g. one domain's pairs):
        a subset's intervals come from the very resamples of the whole set, so its share of
        each resample varies as it would in a new sample of pairs, and no second set of
        multiplicities is drawn (its ``weights`` are the whole set's columns of ``mask``, taken
        when first needed; its grouped sums read the whole set's group counts)."""
        mask = np.asarray(mask, dtype=bool)
        sub = Resampler(int(np.count_nonzero(mask)), self.resamples, self.seed, self.confidence)
        if self.resamples:
            sub._source = (self, mask)
        if self._groups is not None:
            ids, first = self._groups
            inside = mask[first]
            if self.resamples and np.array_equal(mask, inside[ids]):  # every group wholly in or out
                sub_ids = (np.cumsum(inside) - 1)[ids[mask]]
                sub._groups = (sub_ids, _first_indices(sub_ids, int(inside.sum())))
                sub._inside = inside
        return sub

    def group_units(self, *keys: np.ndarray) -> None:
        """Codes of each unit (``n_units`` rows each; integers) from which the contributions
        of the statistics to come follow: units with the same codes in every key share a
        group, and ``sums`` of contributions constant within the groups reads one count table
        (see the module's docstring). Keys are taken in order while the groups stay at most
        ``MAX_GROUPS``; a key that would split them further is left out. A promise is not
        needed: every ``sums`` checks its rows against the groups, and the numbers are the same
        with or without this call."""
        if self.resamples == 0 or self.n_units == 0:
            return
        ids = np.zeros(self.n_units, dtype=np.int64)
        n_groups = 1
        for key in keys:
            combined, radix = ids, n_groups
            for column in np.asarray(key).reshape(self.n_units, -1).T:  # the key's columns as one integer
                low, high = int(column.min()), int(column.max())
                if radix * (high - low + 1) >= 1 << 62:  # too wide for one integer: number the rows so far
                    _, combined = np.unique(combined, return_inverse=True)
                    radix = int(combined.max()) + 1
                    if radix * (high - low + 1) >= 1 << 62:
                        _, column = np.unique(column, return_inverse=True)
                        low, high = 0, int(column.max())
                combined = combined * (high - low + 1) + (column.astype(np.int64) - low)
                radix *= high - low + 1
            if combined is ids:
                continue
            _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
            if len(first) <= MAX_GROUPS:  # else this key is left out (its sums run as products)
                ids, n_groups = inverse.reshape(-1).astype(np.int64), len(first)
        self._groups = (ids, _first_indices(ids, n_groups))
        self._group_counts = None
        self._inside = None  # its own groups now, not the whole set's

    def _counts_per_group(self) -> np.ndarray:
        """``resamples x groups``: how many drawn units of each group each resample holds
        (exact integers, as floats)."""
        if self._group_counts is None:
            assert self._groups is not None
            ids, first = self._groups
            if self._source is not None and self._inside is not None:  # the whole set's groups
                self._group_counts = self._source[0]._counts_per_group()[:, self._inside]
            elif self._weights is None and self._source is None and self.clusters is None:
                # straight from the draws (the group of each drawn unit, counted): the weights
                # matrix is never built when every sum is grouped
                counts = np.zeros((self.resamples, len(first)))
                for row, drawn in enumerate(self._draws()):
                    counts[row] = np.bincount(np.take(ids, drawn), minlength=len(first))
                self._group_counts = counts
            else:
                weights = self.weights
                self._group_counts = np.stack([np.bincount(ids, weights=row, minlength=len(first))
                                               for row in weights]) if len(weights) else np.zeros((0, len(first)))
        return self._group_counts

    def _row_total(self) -> int:
        """An upper bound of any resample's total multiplicity (the bound of the exactness test)."""
        if self._source is not None:
            return self._source[0]._row_total()
        if self.clusters is None:
            return self.n_units
        return int(self.weights.sum(axis=1, dtype=np.int64).max()) if self.resamples else 0

    def _grouped_sums(self, contributions) -> np.ndarray | None:
        """``sums`` through the group counts, or None where that would not give the very same
        numbers (no groups, a row that differs within its group, a value that the single-precision
        product would round)."""
        if self._groups is None or self.resamples == 0 or _issparse(contributions):
            return None
        values = np.asarray(contributions, dtype=float)
        if values.ndim != 2 or len(values) != self.n_units:
            return None
        ids, first = self._groups
        rows = values[first] + 0.0  # no negative zero (the product's sums start from +0)
        if not np.array_equal(values, rows[ids]):
            return None
        if not _exact_in_float32(rows, self._row_total()):
            return None
        return self._counts_per_group() @ rows

    def sums(self, contributions: np.ndarray | sparse.spmatrix) -> np.ndarray:
        """Resampled column sums of a ``n_units x d`` contribution matrix: ``resamples x d``.

        The products run in single precision (half the memory traffic of double, which is
        what they cost at 100,000s of units): counts are exact, fractional contributions
        carry a relative error near 1e-7, far below any digit a report shows. Contributions
        constant within the groups of ``group_units`` and exact in single precision are summed
        through the group counts (the same numbers, without a product over every unit).
        """
        grouped = self._grouped_sums(contributions)
        if grouped is not None:
            return grouped
        weights = self.weights
        d = contributions.shape[1]
        out = np.empty((self.resamples, d))
        dense = None if _issparse(contributions) else np.asarray(contributions, dtype=np.float32)
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
            # counted with one bincount (the same integer counts as adding 1 per index pair)
            flat = units.astype(np.int64) * width + columns.astype(np.int64)
            table = np.bincount(flat, minlength=self.n_units * width).reshape(self.n_units, width)
            return self.sums(table.astype(np.float32))
        from scipy import sparse

        return self.sums(sparse.csr_matrix((np.ones(units.size), (units, columns)), shape=(self.n_units, width)))

    def sums_many(self, contributions: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        """``sums`` of several contribution matrices in one pass; ``None`` without resamples."""
        if self.resamples == 0:
            return None
        names = list(contributions)
        grouped = {k: self._grouped_sums(contributions[k]) for k in names}
        if all(v is not None for v in grouped.values()):  # each read from the group counts: no stacked copy
            return grouped  # type: ignore[return-value]
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


def _first_indices(ids: np.ndarray, n_groups: int) -> np.ndarray:
    """The first unit of each group 0..n_groups-1 (every group has one)."""
    _, first = np.unique(ids, return_index=True)
    assert len(first) == n_groups
    return first


def _exact_in_float32(rows: np.ndarray, row_total: int) -> bool:
    """Whether every weighted sum of ``rows`` (weights summing to at most ``row_total``) is
    exact in single precision whatever the order of the additions: every value a multiple of
    1/2**s (s <= ``MAX_STEP_BITS``) and the largest possible sum below 2**24 of those steps."""
    if not np.isfinite(rows).all():
        return False
    largest = float(np.abs(rows).max()) if rows.size else 0.0
    for bits in range(MAX_STEP_BITS + 1):
        scaled = rows * (1 << bits)
        if np.array_equal(scaled, np.rint(scaled)):
            return largest * (1 << bits) * max(row_total, 1) < FLOAT32_EXACT
    return False
