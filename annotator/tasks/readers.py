"""Row readers for the generic pair-file formats: JSONL, JSON, CSV and Parquet.

Each reader yields ``(location, row)`` where ``row`` is a dict, or a ``Problem`` when that
row cannot be read (malformed JSON, a non-object, bytes that are not UTF-8). Rows are read
one at a time, so a large JSONL, CSV or Parquet file is never held in memory whole. Files
ending in ``.gz`` are decompressed on the fly.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import Problem, TaskFileError, describe

Row = dict[str, Any]
RowOrProblem = tuple[str, Row | Problem]

class _GzipFile(gzip.GzipFile):
    """A gzip file whose damage (not gzip at all, or cut short) is a ``TaskFileError`` naming it.

    Plain gzip raises ``BadGzipFile``, ``zlib.error`` or ``EOFError`` part-way through a read;
    ``EOFError`` would even end the command as click's bare "Aborted!".
    """

    def _guarded(self, read, *args):
        try:
            return read(*args)
        except EOFError:
            raise TaskFileError(Path(self.name).name, "gzip-compressed data",
                                "a file that ends early (truncated)") from None
        except (gzip.BadGzipFile, zlib.error) as e:
            raise TaskFileError(Path(self.name).name, "gzip-compressed data", f"data that is not gzip ({e})") from None

    def read(self, size=-1):
        return self._guarded(super().read, size)

    def read1(self, size=-1):
        return self._guarded(super().read1, size)

    def readline(self, size=-1):
        return self._guarded(super().readline, size)


def open_binary(path: Path):
    """Open a file for reading bytes, decompressing ``.gz`` transparently."""
    if not path.exists():
        raise TaskFileError(str(path), "an existing file", "no such file")
    if path.is_dir():
        raise TaskFileError(str(path), "a file", "a folder")
    return _GzipFile(path, "rb") if path.suffix == ".gz" else open(path, "rb")

def _decode(raw: bytes, location: str) -> str | Problem:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return Problem(location, "UTF-8 text", f"byte 0x{raw[e.start]:02x} at column {e.start + 1} that is not UTF-8")

def read_jsonl(path: Path) -> Iterator[RowOrProblem]:
    """One JSON object a line; blank lines are skipped."""
    with open_binary(path) as fh:
        for number, raw in enumerate(fh, start=1):
            location = f"{path.name} line {number}"
            text = _decode(raw, location)
            if isinstance(text, Problem):
                yield location, text
                continue
            if number == 1:
                text = text.lstrip("\ufeff")
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as e:
                yield location, Problem(location, "a JSON object", f"malformed JSON ({e.msg} at column {e.colno})")
                continue
            if not isinstance(value, dict):
                yield location, Problem(location, "a JSON object", describe(value))
                continue
            yield location, value

def load_json_document(path: Path) -> Any:
    """Load a whole JSON file (for formats that are one document), with a located error."""
    with open_binary(path) as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise TaskFileError(f"{path.name} line {line}", "UTF-8 text", f"byte 0x{raw[e.start]:02x} that is not UTF-8") from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise TaskFileError(f"{path.name} line {e.lineno}", "valid JSON", f"malformed JSON ({e.msg} at column {e.colno})") from e

def read_json(path: Path) -> Iterator[RowOrProblem]:
    """A JSON array of objects, or an object holding one such array (e.g. {"data": [...]})."""
    document = load_json_document(path)
    if isinstance(document, dict):
        arrays = [v for v in document.values() if isinstance(v, list)]
        if len(arrays) != 1:
            raise TaskFileError(path.name, "a JSON array of objects (or an object holding one array)", describe(document))
        document = arrays[0]
    if not isinstance(document, list):
        raise TaskFileError(path.name, "a JSON array of objects", describe(document))
    for index, value in enumerate(document):
        location = f"{path.name} item {index + 1}"
        if not isinstance(value, dict):
            yield location, Problem(location, "a JSON object", describe(value))
        else:
            yield location, value

def _decoded_lines(fh, path: Path, problems: list[Problem]) -> Iterator[str]:
    for number, raw in enumerate(fh, start=1):
        text = _decode(raw, f"{path.name} line {number}")
        if isinstance(text, Problem):
            problems.append(text)
            yield raw.decode("utf-8", errors="replace")
        else:
            yield text.lstrip("\ufeff") if number == 1 else text

def read_csv(path: Path, delimiter: str | None = None) -> Iterator[RowOrProblem]:
    """A CSV (or TSV, by extension or ``delimiter``) file with a header row."""
    if delimiter is None:
        stem = path.name[:-3] if path.name.endswith(".gz") else path.name
        delimiter = "\t" if stem.endswith((".tsv", ".tab")) else ","
    problems: list[Problem] = []
    with open_binary(path) as fh:
        reader = csv.reader(_decoded_lines(fh, path, problems), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise TaskFileError(f"{path.name} line 1", "a CSV header row", f"malformed CSV ({e})") from e
        if problems:
            raise TaskFileError(problems[0].location, "a CSV header row in " + problems[0].expected, problems[0].found)
        twice = [name for n, name in enumerate(header) if name in header[:n]]
        if twice:
            raise TaskFileError(f"{path.name} line 1", "unique column names", f"{twice[0]!r} twice")
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                location = f"{path.name} line {start}"
                yield location, Problem(location, "a well-formed CSV row", f"malformed CSV ({e})")
                continue
            location = f"{path.name} line {start}"
            if problems:
                yield location, problems.pop(0)
                problems.clear()
                continue
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield location, Problem(location, f"{len(header)} columns (as in the header)", f"{len(values)} columns")
                continue
            yield location, dict(zip(header, values))

def read_parquet(path: Path) -> Iterator[RowOrProblem]:
    """A Parquet file, read in record batches."""
    import pyarrow.parquet as pq

    if not path.exists():
        raise TaskFileError(str(path), "an existing file", "no such file")
    try:
        parquet = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise TaskFileError(path.name, "a Parquet file", f"unreadable data ({e})") from e
    number = 0
    for batch in parquet.iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            number += 1
            yield f"{path.name} row {number}", row

GENERIC_READERS = {
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "tsv": lambda path: read_csv(path, delimiter="\t"),
    "parquet": read_parquet,
}

def guess_format(path: Path) -> str:
    """The generic format implied by a file name (``pairs.jsonl.gz`` -> ``jsonl``)."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix in GENERIC_READERS:
        return suffix
    raise TaskFileError(str(path), "a file ending in .jsonl, .json, .csv, .tsv or .parquet (or a `format` key)", f"{path.name!r}")

