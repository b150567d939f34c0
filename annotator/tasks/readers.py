"""Row readers for the generic pair-file formats: JSONL, JSON, CSV and Parquet.

Each reader yields ``(location, row)`` where ``row`` is a dict, or a ``Problem`` when that
row cannot be read (malformed JSON, a non-object, bytes that are not UTF-8). Rows are read
one at a time, so a large JSONL, CSV or Parquet file is never held in memory whole. Files
ending in ``.gz`` are decompressed on the fly.

Everything read from a task folder goes through :func:`open_binary`, under the limits of
the import in progress (:class:`ReadLimits`, set with :func:`reading_limits`; documented in
docs/task-format.md, "Limits"):

* only regular files are read (a FIFO, a device such as ``/dev/zero``, a folder or a
  symlink loop is refused before anything is read), and, unless the user allowed it, only
  files inside the task folder (after following symlinks);
* the decompressed size of one file (``max_file_bytes``) and the length of one line
  (``max_line_bytes``) are counted *while* streaming, so a decompression bomb or a line
  without end is refused after reading at most the limit, never held in memory;
* a CSV header of more than ``max_columns`` columns is refused, a CSV field may be as long
  as ``max_field_chars`` (the task's ``max_response_chars``, at least Python's default),
  and JSON nested deeper than Python's parser can follow is a bad row, not a crash.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import os
import stat
import zlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Problem, TaskFileError, describe

Row = dict[str, Any]
RowOrProblem = tuple[str, Row | Problem]

MiB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 2048 * MiB
DEFAULT_MAX_LINE_BYTES = 64 * MiB
DEFAULT_MAX_COLUMNS = 10_000
CSV_DEFAULT_FIELD_CHARS = 131_072  # Python's csv.field_size_limit() out of the box


@dataclass(frozen=True)
class ReadLimits:
    """What one import may read. ``root``: the folder every file must be inside (None: anywhere)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_field_chars: int = CSV_DEFAULT_FIELD_CHARS
    root: Path | None = None


DEFAULT_LIMITS = ReadLimits()
_LIMITS: ContextVar[ReadLimits | None] = ContextVar("annotator_read_limits", default=None)


@contextlib.contextmanager
def reading_limits(limits: ReadLimits) -> Iterator[ReadLimits]:
    """Read under ``limits`` inside the ``with`` block (readers are generators: iterate them there)."""
    token = _LIMITS.set(limits)
    try:
        yield limits
    finally:
        _LIMITS.reset(token)


def current_limits() -> ReadLimits:
    return _LIMITS.get() or DEFAULT_LIMITS


def _size(n: int) -> str:
    return f"{n / MiB:,.0f} MiB" if n >= MiB else f"{n:,} bytes"


def check_inside(path: Path, root: Path | None, where: str, shown: str | None = None) -> Path:
    """``path`` with symlinks followed; refused when it leaves ``root`` or loops."""
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError) as e:  # Python 3.11 raises RuntimeError on a symlink loop
        raise TaskFileError(where, "a path to a file", f"a symlink loop ({shown or path})" if "loop" in str(e).lower()
                            else f"a path that cannot be followed ({e})") from None
    if root is not None and not resolved.is_relative_to(root.resolve()):
        raise TaskFileError(where, "a path inside the task folder (pass --allow-outside to read files elsewhere)",
                            f"{shown or str(path)!r}, which leads to {resolved}")
    return resolved


def _open_regular(path: Path) -> int:
    """A file descriptor on ``path``, refused unless it is a regular file.

    Opened non-blocking and checked with ``fstat`` on the open descriptor: a FIFO would block
    a plain ``open`` until a writer appears, and checking the path first could race.
    """
    limits = current_limits()
    check_inside(path, limits.root, str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise TaskFileError(str(path), "an existing file", "no such file") from None
    except IsADirectoryError:
        raise TaskFileError(str(path), "a file", "a folder") from None
    except OSError as e:
        if e.errno == getattr(os, "ELOOP", -1):
            raise TaskFileError(str(path), "a path to a file", "a symlink loop") from None
        raise TaskFileError(str(path), "a readable file", f"{e.strerror or e}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "not a regular file")
        raise TaskFileError(str(path), "a regular file", kind)
    os.set_blocking(fd, True)
    return fd


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


class LimitedFile:
    """A binary file (decompressed when ``.gz``) that counts what it hands out.

    More than ``max_file_bytes`` in all, or a line longer than ``max_line_bytes``, ends the
    read with a ``TaskFileError`` naming the file, the line and the limit. Iterating yields
    lines, like a file.
    """

    CHUNK = 1 << 20

    def __init__(self, path: Path, limits: ReadLimits):
        self.path = path
        self.limits = limits
        fd = _open_regular(path)
        self._raw = os.fdopen(fd, "rb")
        self._file = _GzipFile(filename=str(path), fileobj=self._raw, mode="rb") if path.suffix == ".gz" else self._raw
        self.count = 0
        self.line_number = 0

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count > self.limits.max_file_bytes:
            raise TaskFileError(
                self.path.name,
                f"at most {_size(self.limits.max_file_bytes)} of data (decompressed; raise [data] max_file_bytes)",
                f"more than that (stopped reading at {_size(self.count)})")
        return data

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all the rest when negative), within ``max_file_bytes``."""
        if size is not None and size >= 0:
            return self._counted(self._file.read(size))
        parts = []
        while chunk := self._file.read(self.CHUNK):
            parts.append(self._counted(chunk))
        return b"".join(parts)

    def readline(self) -> bytes:
        limit = self.limits.max_line_bytes
        line = self._file.readline(limit + 1)
        self.line_number += 1
        if len(line) > limit and not (len(line) == limit + 1 and line.endswith(b"\n")):
            raise TaskFileError(
                f"{self.path.name} line {self.line_number}",
                f"lines of at most {_size(limit)} (raise [data] max_line_bytes)", "a longer line")
        return self._counted(line)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def close(self) -> None:
        try:
            if self._file is not self._raw:
                self._file.close()
        finally:
            self._raw.close()

    def __enter__(self) -> LimitedFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_binary(path: Path) -> LimitedFile:
    """Open a regular file for reading bytes under the current limits, decompressing ``.gz``."""
    return LimitedFile(Path(path), current_limits())


def read_small_text(path: Path, max_bytes: int, where: str) -> str:
    """A small UTF-8 file read whole (task.toml, guidelines): a regular file of at most
    ``max_bytes``, else a ``TaskFileError`` at ``where``."""
    try:
        fd = _open_regular(path)
    except TaskFileError as e:
        raise TaskFileError(where, e.problem.expected, e.problem.found) from None
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise TaskFileError(where, f"a file of at most {_size(max_bytes)}", "a larger file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise TaskFileError(f"{where} line {line}", "UTF-8 text", f"byte 0x{raw[e.start]:02x} that is not UTF-8") from None


def parse_json(text: str) -> Any:
    """``json.loads``, with nesting beyond Python's parser and oversized integers as
    ``ValueError`` (``json.JSONDecodeError`` is one) instead of ``RecursionError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested more deeply than can be read (about 1,000 levels)") from None


def _json_problem(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"malformed JSON ({error.msg} at column {error.colno})"
    return f"unreadable JSON ({error})"


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
                value = parse_json(text)
            except ValueError as e:
                yield location, Problem(location, "a JSON object", _json_problem(e))
                continue
            if not isinstance(value, dict):
                yield location, Problem(location, "a JSON object", describe(value))
                continue
            yield location, value


def load_json_document(path: Path) -> Any:
    """Load a whole JSON file (for formats that are one document), with a located error.

    The document is read whole, so it counts against ``max_file_bytes`` as it is read.
    """
    with open_binary(path) as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise TaskFileError(f"{path.name} line {line}", "UTF-8 text", f"byte 0x{raw[e.start]:02x} that is not UTF-8") from e
    try:
        return parse_json(text)
    except json.JSONDecodeError as e:
        raise TaskFileError(f"{path.name} line {e.lineno}", "valid JSON", _json_problem(e)) from e
    except ValueError as e:
        raise TaskFileError(path.name, "valid JSON", _json_problem(e)) from e


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
    """A CSV (or TSV, by extension or ``delimiter``) file with a header row.

    A field may hold up to ``max_field_chars`` characters (the task's ``max_response_chars``,
    never less than Python's default); a header of more than ``max_columns`` columns is
    refused. Both are checked in time linear in the header's length.
    """
    if delimiter is None:
        stem = path.name[:-3] if path.name.endswith(".gz") else path.name
        delimiter = "\t" if stem.endswith((".tsv", ".tab")) else ","
    limits = current_limits()
    problems: list[Problem] = []
    previous_limit = csv.field_size_limit()
    field_limit = max(CSV_DEFAULT_FIELD_CHARS, limits.max_field_chars)
    with open_binary(path) as fh:
        csv.field_size_limit(field_limit)
        try:
            yield from _csv_rows(fh, path, delimiter, problems, limits, field_limit)
        finally:
            csv.field_size_limit(previous_limit)


def _csv_problem(error: csv.Error, field_limit: int) -> str:
    if "field larger than field limit" in str(error):
        return f"a field longer than {field_limit:,} characters (raise [data] max_response_chars to allow more)"
    return f"malformed CSV ({error})"


def _csv_rows(fh, path: Path, delimiter: str, problems: list[Problem], limits: ReadLimits,
              field_limit: int) -> Iterator[RowOrProblem]:
    reader = csv.reader(_decoded_lines(fh, path, problems), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as e:
        raise TaskFileError(f"{path.name} line 1", "a CSV header row", _csv_problem(e, field_limit)) from e
    if problems:
        raise TaskFileError(problems[0].location, "a CSV header row in " + problems[0].expected, problems[0].found)
    if len(header) > limits.max_columns:
        raise TaskFileError(f"{path.name} line 1", f"a header of at most {limits.max_columns:,} columns",
                            f"{len(header):,} columns")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise TaskFileError(f"{path.name} line 1", "unique column names", f"{name!r} twice")
        seen.add(name)
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            location = f"{path.name} line {start}"
            yield location, Problem(location, "a well-formed CSV row", _csv_problem(e, field_limit))
            continue
        location = f"{path.name} line {start}"
        if problems:
            yield location, problems.pop(0)
            problems.clear()
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            yield location, Problem(location, f"{len(header)} columns (as in the header)", f"{len(values):,} columns")
            continue
        yield location, dict(zip(header, values))


def read_parquet(path: Path) -> Iterator[RowOrProblem]:
    """A Parquet file, read in record batches, within ``max_file_bytes`` of decoded data.

    Two checks keep a small file from decoding into gigabytes: the file's own metadata
    (uncompressed size of its pages) is checked before any row is read, and text columns
    are read dictionary-encoded, so the decoded size of each batch (one long string repeated
    in every row counts every time) is added up *before* the batch is turned into rows.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    limits = current_limits()
    with open_binary(path) as fh:  # checks the path (regular file, inside the task folder)
        try:
            parquet = pq.ParquetFile(fh._file)
            text_columns = [f.name for f in parquet.schema_arrow
                            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                            or pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
            if text_columns:
                parquet = pq.ParquetFile(fh._file, read_dictionary=text_columns)
        except Exception as e:  # pyarrow raises several types for a damaged file
            raise TaskFileError(path.name, "a Parquet file", f"unreadable data ({e})") from e
        meta = parquet.metadata
        declared = sum(meta.row_group(g).column(c).total_uncompressed_size
                       for g in range(meta.num_row_groups) for c in range(meta.num_columns))

        def too_big(size: int, what: str):
            return TaskFileError(path.name, f"at most {_size(limits.max_file_bytes)} of data "
                                 "(uncompressed; raise [data] max_file_bytes)", f"{what} {_size(size)}")

        if declared > limits.max_file_bytes:
            raise too_big(declared, "pages of")
        decoded = 0
        number = 0
        for batch in parquet.iter_batches(batch_size=1024):
            for column in batch.columns:
                if pa.types.is_dictionary(column.type):
                    lengths = pc.binary_length(column.dictionary).fill_null(0).to_numpy(zero_copy_only=False)
                    indices = column.indices.fill_null(0).to_numpy(zero_copy_only=False)
                    decoded += int(lengths[indices].sum()) if len(lengths) else 0
                else:
                    decoded += column.nbytes
            if decoded > limits.max_file_bytes:
                raise too_big(decoded, "rows decoding to more than")
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

