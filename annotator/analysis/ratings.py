"""``Ratings``: who gave which category to which pair, as a units x raters matrix of codes.

Every agreement statistic in this package starts from one of these (or from its per-pair
count table, ``Ratings.counts()``). Missing ratings are coded -1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING = -1


@dataclass(frozen=True)
class Ratings:
    """Categorical ratings of units (pairs) by raters (annotators).

    ``codes[u, r]`` is the index into ``categories`` that rater ``r`` gave unit ``u``, or
    ``MISSING``. ``units`` holds the unit keys (the store's pair ids) in row order.
    """

    units: np.ndarray
    raters: tuple[str, ...]
    categories: tuple[str, ...]
    codes: np.ndarray

    @property
    def n_units(self) -> int:
        return self.codes.shape[0]

    def counts(self) -> np.ndarray:
        """The units x categories table: how many raters gave each category to each unit.

        Counted once per ``Ratings`` (a report reads it a dozen times) and read-only: a
        caller that needs to change it works on a copy."""
        cached = self.__dict__.get("_counts")
        if cached is None:
            n_units, n_cat = self.codes.shape[0], len(self.categories)
            rows, cols = np.nonzero(self.codes != MISSING)
            flat = rows * n_cat + self.codes[rows, cols]
            cached = np.bincount(flat, minlength=n_units * n_cat).reshape(n_units, n_cat)
            cached.flags.writeable = False
            self.__dict__["_counts"] = cached  # a frozen dataclass: its fields stay as given
        return cached

    def rater_codes(self, rater: str) -> np.ndarray:
        return self.codes[:, self.raters.index(rater)]

    def n_ratings(self) -> int:
        return int((self.codes != MISSING).sum())


def ratings_from_frame(
    frame: pd.DataFrame,
    value: str,
    categories: Sequence[str],
    *,
    unit: str = "pair",
    rater: str = "annotator",
    units: Sequence | np.ndarray | None = None,
) -> Ratings:
    """Build ``Ratings`` from a long frame (one row a rating).

    Values not in ``categories`` (``None``, ``"na"``, ...) count as missing. ``units`` fixes
    the unit rows (and their order), e.g. to share one bootstrap resampling between the
    overall preference and every factor; units absent from ``frame`` get no ratings and
    rows of ``frame`` whose unit is not in ``units`` are ignored.
    """
    categories = tuple(categories)
    if units is None:
        unit_index = pd.Index(pd.unique(frame[unit]))
    else:
        unit_index = pd.Index(units)
    raters = tuple(sorted(pd.unique(frame[rater]))) if len(frame) else ()
    codes = np.full((len(unit_index), len(raters)), MISSING, dtype=np.int16)
    if len(frame):
        u = unit_index.get_indexer(frame[unit])
        r = positions(raters, frame[rater])
        v = positions(categories, frame[value])
        keep = (u >= 0) & (v >= 0)
        codes[u[keep], r[keep]] = v[keep]
    return Ratings(np.asarray(unit_index), raters, categories, codes)


def positions(keys: Sequence, column) -> np.ndarray:
    """Each value's position in ``keys`` (-1 where absent or missing), as
    ``pd.Index(keys).get_indexer(column)`` gives it, looked up once per distinct value (a column
    of 100,000s of names holds a handful)."""
    codes, distinct = pd.factorize(column)
    found = pd.Index(keys).get_indexer(distinct)
    return np.where(codes >= 0, found[codes] if len(found) else -1, -1)


def ratings_from_matrix(data: Sequence[Sequence], categories: Sequence | None = None) -> Ratings:
    """Build ``Ratings`` from a raters x units matrix (krippendorff's layout), NaN/None = missing.

    ``categories`` defaults to the sorted distinct values present. Used for published
    reliability-data examples and by callers that hold a plain matrix.
    """
    matrix = np.array(
        [[np.nan if v is None else v for v in row] for row in data], dtype=object
    )
    present = [v for v in matrix.ravel() if not (v is None or (isinstance(v, float) and np.isnan(v)))]
    if categories is None:
        categories = sorted(set(present))
    categories = tuple(categories)
    lookup = {c: i for i, c in enumerate(categories)}
    codes = np.full(matrix.T.shape, MISSING, dtype=np.int16)
    for (u, r), v in np.ndenumerate(matrix.T):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        codes[u, r] = lookup[v]
    raters = tuple(f"rater{i + 1}" for i in range(matrix.shape[0]))
    return Ratings(np.arange(matrix.shape[1]), raters, categories, codes)
