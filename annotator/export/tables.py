"""Writing rows as JSON Lines, CSV, Parquet or one JSON array, streaming.

Every export produces rows (dicts) one at a time and names its columns up front
(:class:`Column`), so a file of any size is written with flat memory: JSON Lines and CSV a
row at a time, Parquet a row group of :data:`BATCH_ROWS` rows at a time with a fixed schema.

Cells by kind:

* ``json`` columns (lists and objects: votes, annotator lists) are objects in JSON Lines and
  JSON, and JSON text in CSV and Parquet;
* missing values are ``null`` in JSON, an empty cell in CSV, a null in Parquet;
* CSV text cells are neutralised against formula injection (OWASP's rule, see
  :func:`neutralise_cell`); numbers are numbers and never touched.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

BATCH_ROWS = 2000
TABLE_FORMATS = ("jsonl", "csv", "parquet")
SUFFIXES = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet", "json": ".json"}
KINDS = ("str", "int", "float", "bool", "json")

# OWASP, "CSV Injection": a cell starting with one of these is read as a formula (or, for
# TAB and CR, can hide one) by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "str"  # one of KINDS

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: kind must be one of {KINDS}")


def neutralise_cell(text: str) -> str:
    """OWASP's CSV-injection rule: a text cell starting with ``=``, ``+``, ``-``, ``@``, TAB
    or CR gets a leading single quote, so a spreadsheet shows it as text instead of running
    it as a formula (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``). Quoting and doubled
    quotes, the rule's other half, are the ``csv`` module's. The quote is visible in the
    cell: the CSV is for spreadsheets; JSON Lines and Parquet keep the text unchanged."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def frame_records(frame, columns: list[Column]) -> dict[Any, dict[str, Any]]:
    """``frame``'s rows as dicts keyed by its index, holding exactly ``columns`` in order
    (absent ones None), with plain Python values and None for every missing value (NaN).

    Column by column (``tolist`` is C), not ``DataFrame.to_dict("records")``, which takes
    seconds at 100,000 rows."""
    import pandas as pd

    values = []
    for c in columns:
        if c.name not in frame:
            values.append([None] * len(frame))
            continue
        s = frame[c.name]
        if s.dtype.kind in "iub":
            values.append(s.tolist())
        else:  # every missing value (None, NaN, NA) as None, in C
            values.append(s.to_numpy(dtype=object, na_value=None).tolist())
    names = [c.name for c in columns]
    index = frame.index.tolist() if isinstance(frame.index, pd.Index) else list(frame.index)
    return {key: dict(zip(names, row)) for key, row in zip(index, zip(*values))} if names else {}


def write_table(path: Path, fmt: str, columns: list[Column], rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` (dicts holding at least the columns' names) to ``path`` in ``fmt``
    (``jsonl``, ``csv``, ``parquet`` or ``json``, an array); returns how many were written."""
    if fmt == "jsonl":
        return _write_jsonl(path, columns, rows)
    if fmt == "json":
        return _write_json_array(path, columns, rows)
    if fmt == "csv":
        return _write_csv(path, columns, rows)
    if fmt == "parquet":
        return _write_parquet(path, columns, rows)
    raise ValueError(f"format must be one of {', '.join(SUFFIXES)}")


def _checked(columns: list[Column], rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The rows, after checking that the first holds exactly the columns, in order (every
    producer builds its rows the same way; writers then use them as they are, fast)."""
    names = [c.name for c in columns]
    it = iter(rows)
    for first in it:
        if list(first) != names:
            raise ValueError(f"export rows hold {list(first)}, not the columns {names}")
        yield first
        yield from it


def _json_records(columns: list[Column], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    # allow_nan=False: a NaN that slipped through is an error, never an invalid JSON token
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False).encode
    for row in _checked(columns, rows):
        yield encode(row)


def _write_jsonl(path: Path, columns: list[Column], rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in _json_records(columns, rows):
            f.write(line)
            f.write("\n")
            n += 1
    return n


def _write_json_array(path: Path, columns: list[Column], rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("[")
        for line in _json_records(columns, rows):
            f.write(",\n" if n else "\n")
            f.write(line)
            n += 1
        f.write("\n]\n" if n else "]\n")
    return n


def _write_csv(path: Path, columns: list[Column], rows: Iterable[dict[str, Any]]) -> int:
    """None is an empty cell (the csv module's rule); text is neutralised (OWASP), JSON
    columns become JSON text (neutralised too); numbers are written as they are."""
    text = [i for i, c in enumerate(columns) if c.kind == "str"]
    structured = [i for i, c in enumerate(columns) if c.kind == "json"]
    triggers = "".join(FORMULA_TRIGGERS)
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([neutralise_cell(c.name) for c in columns])
        for row in _checked(columns, rows):
            values = list(row.values())
            for i in structured:
                if values[i] is not None:
                    values[i] = json.dumps(values[i], ensure_ascii=False)
            for i in (*text, *structured):
                v = values[i]
                if v and type(v) is str and v[0] in triggers:
                    values[i] = "'" + v
            writer.writerow(values)
            n += 1
    return n


def _arrow_type(kind: str):
    import pyarrow as pa

    return {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
            "json": pa.string()}[kind]


def _write_parquet(path: Path, columns: list[Column], rows: Iterable[dict[str, Any]]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c.name, _arrow_type(c.kind)) for c in columns])
    n = 0
    it = _checked(columns, rows)
    with pq.ParquetWriter(path, schema) as writer:
        while batch := list(islice(it, BATCH_ROWS)):
            data = {}
            for c in columns:
                values = [r[c.name] for r in batch]
                if c.kind == "json":
                    values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
                elif c.kind == "float":
                    values = [None if v is None else float(v) for v in values]
                data[c.name] = values
            writer.write_table(pa.Table.from_pydict(data, schema=schema))
            n += len(batch)
        if n == 0:
            writer.write_table(schema.empty_table())
    return n
