"""Arrow helpers the exports build their columns with: no Python work per row.

A rule that maps a value (and the order it was shown in) to another is computed once per
*distinct* combination, then spread over the rows by dictionary codes: a task's hundreds of
thousands of labels hold a handful of choices and a few hundred distinct factor-answer texts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def constant(value: str, n: int):
    """A string column holding ``value`` on each of ``n`` rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.fill_null(pa.nulls(n, pa.string()), value)


def one_array(column):
    """A table's column as one array (a read's columns are one chunk: no copy then)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def encoded(column):
    """``column`` dictionary-encoded as one array: (its distinct values as Python objects,
    the codes as an Arrow integer array, null where the value is null)."""
    import pyarrow.compute as pc

    array = pc.dictionary_encode(one_array(column) if hasattr(column, "num_chunks") else column)
    return array.dictionary.to_pylist(), array.indices


def map_distinct(column, rule: Callable[[Any], Any], kind=None):
    """``rule(value)`` on every row of ``column``, computed once per distinct value (null
    stays null); ``kind``: the Arrow type of the results (inferred when None)."""
    import pyarrow as pa

    values, codes = encoded(column)
    return pa.array([rule(v) for v in values], kind).take(codes)


def map_with_order(values, orders, rule: Callable[[Any, Any], Any]):
    """``rule(value, order)`` on every row (a string column), computed once per distinct
    (value, order) combination; a null value or order gives null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct_values, value_codes = encoded(values)
    distinct_orders, order_codes = encoded(orders)
    results = pa.array([rule(v, o) for v in distinct_values for o in distinct_orders], pa.string())
    codes = pc.add(pc.multiply(value_codes.cast("int64"), len(distinct_orders)), order_codes.cast("int64"))
    return results.take(codes)


def pair_lookup(store, task: str) -> dict[str, Any]:
    """A task's pairs' stored ``id`` (a sorted numpy array), ``pair_id`` and ``domain``
    (Arrow arrays, in the same order): one read, then looked up by position
    (``numpy.searchsorted``) instead of a join per row."""
    import numpy as np
    import pyarrow as pa

    pages = list(store.pair_tables(task, ("pair_id", "domain"), page_rows=1 << 30))
    table = pa.concat_tables(pages) if pages else None
    if table is None:
        return {"id": np.zeros(0, np.int64), "pair_id": pa.array([], pa.string()), "domain": pa.array([], pa.string())}
    return {"id": table.column("id").to_numpy(), "pair_id": one_array(table.column("pair_id")),
            "domain": one_array(table.column("domain"))}
