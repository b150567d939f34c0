"""A per-pair table (aggregates, votes) joined with the pairs' texts, streamed in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import compress
from typing import Any

import numpy as np
import pandas as pd

from annotator.store import Store

from .tables import Batch, Column

TEXT_FIELDS = ("pair_id", "domain", "prompt", "source", "response_a", "response_b", "model_a", "model_b")


def column_values(series: pd.Series) -> list[Any]:
    """A column as plain Python values, every missing value (None, NaN, NA) as None, in C
    (``tolist``), not a Python check per cell."""
    if series.dtype.kind in "iub":
        return series.tolist()
    return series.to_numpy(dtype=object, na_value=None).tolist()


def batches_with_texts(store: Store, task: str, table: pd.DataFrame, columns: list[Column],
                       extra: Callable[[int, int], pd.DataFrame] | None = None) -> Iterator[Batch]:
    """The rows of ``table`` (indexed by pair id, sorted) as batches of ``columns``, in the
    pairs' order, each with its pair's texts (the ``TEXT_FIELDS`` among ``columns``, which
    take precedence over the table's) and the columns ``extra(first, last)`` gives for the
    pairs with ids in that range (per-pair lists built a page at a time).

    The texts come from the store a page at a time, one list per column, and only the
    matching slice of ``table`` is turned into Python values: memory holds one page."""
    if table.empty:
        return
    fields = [f for f in TEXT_FIELDS if f in {c.name for c in columns}]
    for page in store.pair_pages(task, fields):
        ids = page.pop("id")
        first, last = ids[0], ids[-1]
        part = table.loc[first:last]  # pairs come in id order
        part = part[part.index.isin(ids)]
        if part.empty:
            continue
        if extra is not None:
            part = part.join(extra(first, last))
        keep = np.isin(np.asarray(ids), part.index.to_numpy()).tolist()
        batch: Batch = {}
        for c in columns:
            if c.name in page:
                batch[c.name] = list(compress(page[c.name], keep))
            elif c.name in part:
                batch[c.name] = column_values(part[c.name])
            else:
                batch[c.name] = [None] * len(part)
        yield batch


def batch_rows(batches: Iterator[Batch]) -> Iterator[dict[str, Any]]:
    """Batches as rows (dicts), for the formats built row by row (chosen-rejected, ...)."""
    for batch in batches:
        names = list(batch)
        for values in zip(*batch.values()):
            yield dict(zip(names, values))
