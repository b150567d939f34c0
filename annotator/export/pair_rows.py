"""A per-pair table (aggregates, votes) joined with the pairs' texts, streamed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

import pandas as pd

from annotator.store import Store

from .tables import Column, frame_records

TEXT_FIELDS = ("pair_id", "domain", "prompt", "source", "response_a", "response_b", "model_a", "model_b")
PAGE = 2000


def rows_with_texts(store: Store, task: str, table: pd.DataFrame, columns: list[Column],
                    extra: Callable[[int, int], pd.DataFrame] | None = None) -> Iterator[dict[str, Any]]:
    """The rows of ``table`` (indexed by pair id, sorted) as dicts holding ``columns``, in the
    pairs' order, each with its pair's texts (the ``TEXT_FIELDS`` among ``columns``) and the
    columns ``extra(first, last)`` gives for the pairs with ids in that range (per-pair lists
    built a page at a time).

    The texts come from the store a page at a time, and only the matching slice of
    ``table`` is turned into Python values, so memory holds one page, not the task."""
    if table.empty:
        return
    pairs = store.iter_pairs(task, TEXT_FIELDS)
    while page := list(islice(pairs, PAGE)):
        first, last = page[0]["id"], page[-1]["id"]
        part = table.loc[first:last]  # pairs come in id order
        if extra is not None:
            part = part.join(extra(first, last))
        records = frame_records(part, columns)
        for pair in page:
            record = records.get(pair.pop("id"))
            if record is not None:
                record.update(pair)
                yield record
