"""Writing export tables as JSON Lines, CSV, Parquet or one JSON array, streaming.

Every export names its columns up front (:class:`Column`) and produces its rows in
*batches*: a dict of one list or one Arrow array per column (:data:`Batch`; the exports read
Arrow columns from the store and hand them on as they are), at most a page of rows each, so
a file of any size is written with flat memory. The batch is the unit of work of every writer:

* JSON Lines and JSON: each row encoded by orjson (in C), then the characters a terminal or
  an editor could act on escaped (:func:`escape_json_controls`);
* CSV: every column formatted as text and neutralised at once with pyarrow.compute, the rows
  joined in Arrow's buffers and written as one block per batch;
* Parquet: one row group per batch, with a fixed schema.

Cells by kind:

* ``json`` columns (lists and objects: votes, annotator lists) are objects in JSON Lines and
  JSON, and JSON text in CSV and Parquet;
* missing values are ``null`` in JSON, an empty cell in CSV, a null in Parquet;
* CSV text cells are neutralised against formula injection (OWASP's rule, see
  :func:`neutralise_cell`), after every line break inside a cell too; a cell holding a
  comma, a quote, a line feed or a carriage return is quoted; numbers are numbers and never
  touched.
"""

from __future__ import annotations

import json
import os
import re
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
# After a line break inside a cell (a spreadsheet may start a new row there) the same rule
# applies; a CR there is itself a line break, so the character after it is what counts.
_AFTER_BREAK = re.compile(r"(\r\n|\r|\n)([=+\-@\t])")
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')

# column name -> the batch's values, in the columns' order: a list, or an Arrow array
Batch = dict[str, Any]


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
    it as a formula (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``); so does every line inside
    the cell (after a CR, an LF or a CRLF) that starts with ``=``, ``+``, ``-``, ``@`` or
    TAB, since a spreadsheet may read a line break as the start of a new row. Quoting and
    doubled quotes, the rule's other half, are the writer's. The quote is visible in the
    cell: the CSV is for spreadsheets; JSON Lines and Parquet keep the text unchanged."""
    text = _AFTER_BREAK.sub(r"\1'\2", text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# -- JSON: characters escaped beyond what JSON requires ------------------------------------
# C1 controls (U+0080-U+009F: U+009B is an 8-bit CSI), DEL, the bidirectional controls (the
# "Trojan Source" characters), the line and paragraph separators, and the Unicode tag
# characters: valid in JSON strings, but acted on by terminals and editors. Written as \u
# escapes, they read back as the same text.
_JSON_CONTROLS = re.compile(
    rb"\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8\xa9\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xf3\xa0[\x80\x81][\x80-\xbf]")
_JSON_CONTROL_LEADS = (b"\x7f", b"\xc2", b"\xd8\x9c", b"\xe2\x80", b"\xe2\x81", b"\xf3\xa0")


def _json_escape(match: re.Match) -> bytes:
    code = ord(match.group().decode("utf-8"))
    if code > 0xFFFF:  # a surrogate pair, as JSON writes characters outside the BMP
        code -= 0x10000
        return b"\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
    return b"\\u%04x" % code


def escape_json_controls(data: bytes) -> bytes:
    """``data`` (UTF-8 JSON) with C1 controls, DEL, bidirectional controls, U+2028/U+2029
    and tag characters written as ``\\u`` escapes (they only occur inside strings)."""
    if data.isascii():  # one pass: only DEL can be there
        if b"\x7f" not in data:
            return data
    elif not any(lead in data for lead in _JSON_CONTROL_LEADS):  # a byte search each (memchr), no regex
        return data
    return _JSON_CONTROLS.sub(_json_escape, data)


# -- writing -------------------------------------------------------------------------------
def write_table(path: Path, fmt: str, columns: list[Column], rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` (dicts holding exactly the columns, in order) to ``path`` in ``fmt``
    (``jsonl``, ``csv``, ``parquet`` or ``json``, an array); returns how many were written."""
    return write_batches(path, fmt, columns, row_batches(columns, rows))


def row_batches(columns: list[Column], rows: Iterable[dict[str, Any]]) -> Iterator[Batch]:
    """Rows (dicts) as batches of :data:`BATCH_ROWS`, after checking that the first holds
    exactly the columns, in order."""
    names = [c.name for c in columns]
    it = iter(rows)
    while page := list(islice(it, BATCH_ROWS)):
        if list(page[0]) != names:
            raise ValueError(f"export rows hold {list(page[0])}, not the columns {names}")
        values = list(zip(*(r.values() for r in page)))
        yield {name: list(v) for name, v in zip(names, values)}


def write_batches(path: Path, fmt: str, columns: list[Column], batches: Iterable[Batch]) -> int:
    """Write ``batches`` to ``path`` in ``fmt``; returns how many rows were written."""
    writer = {"jsonl": _write_jsonl, "json": _write_json_array, "csv": _write_csv, "parquet": _write_parquet}.get(fmt)
    if writer is None:
        raise ValueError(f"format must be one of {', '.join(SUFFIXES)}")
    if fmt in ("csv", "parquet"):
        batches = coalesced(batches)
    return writer(path, columns, batches)


COALESCE_ROWS = 16384
COALESCE_CHARS = 8_000_000


def coalesced(batches: Iterable[Batch], rows: int = COALESCE_ROWS, chars: int = COALESCE_CHARS) -> Iterator[Batch]:
    """Consecutive batches joined until one holds ``rows`` rows or ``chars`` characters of
    text: the columnar writers' work per call is then large against its fixed cost, and
    memory stays bounded (a page of long responses is a batch of its own)."""
    pending: Batch | None = None
    size = count = 0
    for batch in batches:
        if not all(type(v) is list for v in batch.values()):  # Arrow columns: a batch sized by its maker
            if pending is not None:
                yield pending
                pending = None
            yield batch
            continue
        n = len(next(iter(batch.values()), ()))
        text = sum(sum(map(len, filter(None, v))) for v in batch.values() if v and isinstance(v[0], str))
        if pending is not None and (count + n > rows or size + text > chars):
            yield pending
            pending = None
        if pending is None:
            pending, size, count = {k: list(v) for k, v in batch.items()}, text, n
        else:
            for k, v in batch.items():
                pending[k].extend(v)
            size, count = size + text, count + n
    if pending is not None:
        yield pending


def _open(target):
    """``target`` opened to write bytes: a file (created or truncated), or an open descriptor
    (``files.Descriptor``: standard output) written to as it is, never truncated."""
    fd = getattr(target, "fd", None)
    if fd is not None:
        return os.fdopen(os.dup(fd), "wb")
    return open(target, "wb")


JSON_CHUNK_ROWS = 2000


def _json_lines(columns: list[Column], batch: Batch) -> Iterator[list[bytes]]:
    """The batch's rows encoded by orjson, :data:`JSON_CHUNK_ROWS` at a time (each
    ``orjson.dumps`` reserves a buffer larger than its line: encoding a whole page of rows
    before writing any would hold hundreds of megabytes)."""
    import orjson

    names = [c.name for c in columns]
    values = {c.name: python_values(batch[c.name]) for c in columns}
    for c in columns:  # a NaN that slipped through is an error, never null or an invalid token
        if c.kind == "float" and any(v != v for v in values[c.name] if v is not None):
            raise ValueError(f"column {c.name!r} holds NaN: not JSON")
    dumps = orjson.dumps
    rows = zip(*(values[n] for n in names))
    while chunk := list(islice(rows, JSON_CHUNK_ROWS)):
        yield [dumps(dict(zip(names, row))) for row in chunk]


def python_values(values) -> list[Any]:
    """A batch's column as Python values: a list as it is; an Arrow array converted in C
    (a list column's items converted once, then sliced per row; null is None)."""
    if type(values) is list:
        return values
    import pyarrow as pa

    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        items = values.flatten().to_pylist()  # a slice's items (``values`` is the whole child)
        offsets = values.offsets.to_pylist()
        offsets = [o - offsets[0] for o in offsets]
        lists: list[Any] = [items[s:e] for s, e in zip(offsets, offsets[1:])]
        if values.null_count:
            for i in values.is_null().to_numpy(zero_copy_only=False).nonzero()[0].tolist():
                lists[i] = None
        return lists
    return values.to_pylist()


def _write_jsonl(path: Path, columns: list[Column], batches: Iterable[Batch]) -> int:
    n = 0
    with _open(path) as f:
        for batch in batches:
            for lines in _json_lines(columns, batch):
                f.write(escape_json_controls(b"\n".join(lines) + b"\n"))
                n += len(lines)
    return n


def _write_json_array(path: Path, columns: list[Column], batches: Iterable[Batch]) -> int:
    n = 0
    with _open(path) as f:
        f.write(b"[")
        for batch in batches:
            for lines in _json_lines(columns, batch):
                f.write(escape_json_controls((b",\n" if n else b"\n") + b",\n".join(lines)))
                n += len(lines)
        f.write(b"\n]\n" if n else b"]\n")
    return n


def _json_text(values: list[Any]) -> list[str | None]:
    """JSON columns as the text CSV and Parquet hold (``json.dumps``' spacing, as before).

    The per-pair lists (annotators, label ids) are joined from each item's JSON, a string's
    encoded once per distinct value: the same text ``json.dumps`` gives, without its per-call
    cost at 100,000s of rows."""
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    strings: dict[str, str] = {}

    def text(value: Any) -> str | None:
        if value is None:
            return None
        if type(value) is list:
            if all(type(v) is int for v in value):
                return "[" + ", ".join(map(str, value)) + "]"
            if all(type(v) is str for v in value):
                return "[" + ", ".join(strings.get(v) or strings.setdefault(v, encode(v)) for v in value) + "]"
        return encode(value)

    return [text(v) for v in values]


def arrow_type(kind: str):
    import pyarrow as pa

    return {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
            "json": pa.string()}[kind]


def _arrow_array(column: Column, values):
    """A batch's column as an Arrow array of the column's type: a JSON column as its JSON
    text (a list column's items encoded once each, joined in Arrow)."""
    import pyarrow as pa

    kind = arrow_type(column.kind)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if column.kind == "json":
        if not isinstance(values, pa.Array):
            values = _json_text(values)
        elif pa.types.is_list(values.type):
            values = _json_list_text(values)
    if isinstance(values, pa.Array):
        return values if values.type == kind else values.cast(kind)
    return pa.array(values, type=kind, from_pandas=True)


def _json_list_text(lists):
    """A list<string> or list<int> array as the JSON text ``json.dumps`` writes for each
    list (``["a", "b"]``, ``[1, 2]``): each distinct string encoded once, the items joined
    with ``", "`` in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    items = lists.flatten()  # a slice's items; its offsets rebased below
    if pa.types.is_string(items.type) or pa.types.is_large_string(items.type):
        encoded = items.dictionary_encode()
        encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
        words = pa.array([encode(v) for v in encoded.dictionary.to_pylist()], pa.string())
        texts = words.take(encoded.indices)
    else:
        texts = pc.cast(items, pa.string())
    offsets = pc.subtract(lists.offsets, lists.offsets[0])
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, texts, mask=lists.is_null() if lists.null_count else None),
                            ", ")
    return pc.binary_join_element_wise("[", joined, "]", "")


def _write_parquet(path: Path, columns: list[Column], batches: Iterable[Batch]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c.name, arrow_type(c.kind)) for c in columns])
    n = 0
    with _open(path) as f, pq.ParquetWriter(f, schema) as writer:
        for batch in batches:
            table = pa.Table.from_arrays([_arrow_array(c, batch[c.name]) for c in columns], schema=schema)
            if table.num_rows:
                writer.write_table(table)
            n += table.num_rows
        if n == 0:
            writer.write_table(schema.empty_table())
    return n


# -- CSV, column by column ------------------------------------------------------------------
# The formula triggers as bytes: all ASCII, so a cell's first byte decides (in UTF-8 a character
# beyond ASCII never starts with an ASCII byte).
_TRIGGER_BYTES = b"".join(t.encode() for t in FORMULA_TRIGGERS)
# What a text cell starts with (its formula prefix and opening quote), by code: formula + 2 x quoted.
_OPENINGS = ("", "'", '"', "\"'")


def _csv_text(array) -> list:
    """A text column as the pieces that, joined, are its CSV cells: neutralised (OWASP, after
    line breaks too) and quoted where needed. Only what a cell needs is added: an opening piece
    (the formula's ``'``, the opening quote) and a closing quote, per cell; the text itself
    stays Arrow's buffer as it is, but for the cells holding a quote or a line break followed
    by a formula character, whose text is rewritten (quotes doubled, lines inside neutralised)
    and passed beside it (the original cell then null, which the join writes as nothing).

    What each cell needs is found without a scan per cell where the column's bytes answer it
    (:func:`_text_bytes`): the formulas from each cell's first byte, the quotes and line breaks
    from their positions in the column's text; only the cells to quote are found by a scan of
    each cell (RE2), and only when the text holds one of the four characters at all."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    if n == 0 or array.null_count == n or array.buffers()[2] is None:
        return [array]
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + n + 1]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[:offsets[-1]]
    if not len(data):
        return [array]
    triggers = np.frombuffer(_TRIGGER_BYTES, np.uint8)
    starts = offsets[:-1]
    valid = array.is_valid().to_numpy(zero_copy_only=False) if array.null_count else np.ones(n, dtype=bool)
    formula = (offsets[1:] > starts) & np.isin(data[np.minimum(starts, len(data) - 1)], triggers) & valid
    comma, quotes, breaks = _text_bytes(data, int(offsets[0]))
    if not (comma or len(quotes) or len(breaks)):
        if not formula.any():
            return [array]
        return [pa.array(_OPENINGS[:2], pa.string()).take(pa.array(formula.view(np.int8))), array]
    quoted = pc.fill_null(pc.match_substring_regex(array, pattern=r'[,"\r\n]'), False).to_numpy(zero_copy_only=False)
    # the cells whose text changes: those holding a quote (doubled), or a line break followed by a
    # formula character (a new line a spreadsheet may read as a row: neutralised); a break at a
    # cell's end followed by the next cell's first byte is a false alarm, which the rewrite leaves
    after = breaks + 1
    breaks = breaks[(after < len(data))]
    breaks = breaks[np.isin(data[breaks + 1], triggers)]
    rewrite = np.zeros(n, dtype=bool)
    rewrite[np.searchsorted(offsets, np.concatenate([quotes, breaks]), side="right") - 1] = True
    rewrite &= quoted
    pieces = [pa.array(_OPENINGS, pa.string()).take(pa.array(formula.astype(np.int8) + 2 * quoted.astype(np.int8)))]
    if rewrite.any():
        mask = pa.array(rewrite)
        text = pc.filter(array, mask)
        if len(breaks):
            text = pc.replace_substring_regex(text, pattern=r"(\r\n|\r|\n)([=+\-@\t])", replacement=r"\1'\2")
        text = pc.replace_substring(text, '"', '""')
        pieces += [_nulled(array, mask), pc.replace_with_mask(pa.nulls(n, pa.string()), mask, text)]
    else:
        pieces.append(array)
    return [*pieces, pa.array(("", '"'), pa.string()).take(pa.array(quoted.view(np.int8)))]


def _text_bytes(data, start: int, step: int = 1 << 18):
    """In the bytes ``data[start:]`` (a numpy view of a column's text): whether a comma is
    there, and the positions of the quotes and of the line breaks (CR, LF). Compared a quarter
    megabyte at a time, so the comparisons stay in the CPU's cache (whole-column temporaries
    cost more in memory traffic than the compares)."""
    import numpy as np

    comma = False
    quotes, breaks = [], []
    for i in range(start, len(data), step):
        part = data[i:i + step]
        comma = comma or bool((part == 44).any())
        quotes.append(np.flatnonzero(part == 34) + i)
        breaks.append(np.flatnonzero((part == 10) | (part == 13)) + i)
    empty = np.zeros(0, dtype=np.int64)
    return comma, np.concatenate(quotes) if quotes else empty, np.concatenate(breaks) if breaks else empty


def _nulled(array, mask):
    """``array`` with the cells where ``mask`` holds made null: a new validity bitmap over the
    same offsets and text (no copy of the text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keep = pc.and_not(pc.is_valid(array), mask)
    if array.offset == 0 and keep.offset == 0:
        return pa.StringArray.from_buffers(len(array), array.buffers()[1], array.buffers()[2], keep.buffers()[1])
    return pc.if_else(keep, array, pa.scalar(None, pa.string()))


def _csv_float(array):
    """Floats as Python writes them (``repr``: ``1.0``, ``1e-05``): Arrow's shortest form
    where the two agree (plain notation), Python's for the rest (rare: tiny or huge)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(array, pa.string())
    magnitude = pc.abs(array)
    odd = pc.or_(pc.or_(pc.and_(pc.less(magnitude, 1e-4), pc.not_equal(magnitude, 0.0)),
                        pc.greater_equal(magnitude, 1e15)),
                 pc.match_substring(text, "e"))
    odd = pc.fill_null(pc.or_kleene(odd, pc.is_nan(array)), False)
    whole = pc.invert(pc.match_substring_regex(text, r"[.en]"))
    text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
    if pc.any(odd).as_py():
        values = array.to_pylist()
        fixed = [repr(values[i]) for i in pc.indices_nonzero(odd).to_pylist()]
        text = pc.replace_with_mask(text, odd, pa.array(fixed, pa.string()))
    return text


def _csv_cells(column: Column, values) -> list:
    """A batch's column as the pieces whose join is its CSV cells (a null is an empty cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = _arrow_array(column, values)
    if column.kind in ("str", "json"):  # an empty text is an empty cell, as None is
        return _csv_text(array)
    if column.kind == "int":
        return [pc.cast(array, pa.string())]
    if column.kind == "bool":
        return [pc.if_else(array, "True", "False")]
    return [_csv_float(array)]


def _write_csv(path: Path, columns: list[Column], batches: Iterable[Batch]) -> int:
    """Each batch's lines are built in Arrow: one ``binary_join_element_wise`` of every
    column's pieces, the commas and the line's end (nulls joined as nothing), written as one
    block: no Python object per cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = 0
    comma, end = pa.scalar(",", pa.string()), pa.scalar("\n", pa.string())
    with _open(path) as f:
        header = [_NEEDS_QUOTES.search(t) and '"' + t.replace('"', '""') + '"' or t
                  for t in (neutralise_cell(c.name) for c in columns)]
        f.write((",".join(header) + "\n").encode("utf-8"))
        for batch in batches:
            pieces: list = []
            rows = 0
            for i, c in enumerate(columns):
                cells = _csv_cells(c, batch[c.name])
                rows = len(cells[-1])
                pieces += [comma, *cells] if i else cells
            if not rows:
                continue
            lines = pc.binary_join_element_wise(*pieces, end, "", null_handling="replace", null_replacement="")
            f.write(_string_data(lines))
            n += rows
    return n


def _string_data(array) -> memoryview:
    """The bytes of a string array's values, back to back (its data buffer, no copy)."""
    import numpy as np

    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    return memoryview(array.buffers()[2])[offsets[0]:offsets[-1]]
