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
import re
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
DEFAULT_MAX_ROWS = 5_000_000
MAX_JSON_DEPTH = 1_000  # as deep as Python's own parser follows
CSV_DEFAULT_FIELD_CHARS = 131_072  # Python's csv.field_size_limit() out of the box


@dataclass(frozen=True)
class ReadLimits:
    """What one import may read. ``root``: the folder every file must be inside (None: anywhere)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_field_chars: int = CSV_DEFAULT_FIELD_CHARS
    max_rows: int = DEFAULT_MAX_ROWS
    root: Path | None = None
    # the top-level fields (columns) a task maps; None: every one. Parquet reads only these.
    columns: frozenset[str] | None = None


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
        # a 1 MiB buffer: lines of a few kilobytes cost a read() call each with the default 8 KiB
        self._raw = os.fdopen(fd, "rb", buffering=self.CHUNK)
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
        line = self._file.readline(self.limits.max_line_bytes + 1)
        if not line:  # the end of the file: counted as a line read, nothing to check
            self.line_number += 1
            return self._counted(line)
        return self._checked(line)

    def __iter__(self) -> Iterator[bytes]:
        """Lines, as ``readline`` gives them (the same checks, with the attributes it reads
        held in locals: this loop runs once per line of every file)."""
        limit, max_rows, max_bytes = self.limits.max_line_bytes, self.limits.max_rows, self.limits.max_file_bytes
        readline = self._file.readline
        while True:
            line = readline(limit + 1)
            if not line:
                return
            number, count = self.line_number + 1, self.count + len(line)
            if len(line) > limit or number > max_rows or count > max_bytes:
                yield self._checked(line)  # raises, unless a line of exactly the limit plus its newline
                continue
            self.line_number, self.count = number, count
            yield line

    def _checked(self, line: bytes) -> bytes:
        """``line`` counted and checked: the row limit and the line length (raising on what
        they refuse)."""
        limit = self.limits.max_line_bytes
        self.line_number += 1
        if self.line_number > self.limits.max_rows:
            raise too_many_rows(f"{self.path.name} line {self.line_number:,}", self.limits.max_rows, "lines")
        if len(line) > limit and not (len(line) == limit + 1 and line.endswith(b"\n")):
            raise TaskFileError(
                f"{self.path.name} line {self.line_number}",
                f"lines of at most {_size(limit)} (raise [data] max_line_bytes)", "a longer line")
        return self._counted(line)

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


def too_many_rows(where: str, limit: int, what: str) -> TaskFileError:
    """More rows (lines, blank ones too; items; Parquet rows) in one file than ``max_rows``."""
    return TaskFileError(where, f"at most {limit:,} {what} in one file (blank ones counted; raise [data] max_rows)",
                         "more")


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

# orjson reads a JSON object as Python's json does, or refuses it (NaN, lone surrogates, nesting
# past 1,024, bytes that are not UTF-8: json.loads reads those next), with one exception: an
# integer past 64 bits becomes a float. A float that large is looked for and the line read
# again by json.loads (tests/tasks/test_formats.py compares the two).
_LARGE = float(2**63)


def _orjson_exact(value: dict) -> bool:
    """Whether no number in ``value`` is a float of 2**63 or more (an integer orjson rounded)."""
    stack = None
    for item in value.values():
        kind = type(item)
        if kind is str:
            continue
        if kind is float:
            if not -_LARGE < item < _LARGE:
                return False
        elif kind is dict or kind is list:
            stack = stack or []
            stack.append(item)
    while stack:
        item = stack.pop()
        for v in (item.values() if type(item) is dict else item):
            kind = type(v)
            if kind is float:
                if not -_LARGE < v < _LARGE:
                    return False
            elif kind is dict or kind is list:
                stack.append(v)
    return True


def read_jsonl(path: Path) -> Iterator[RowOrProblem]:
    """One JSON object a line; blank lines are skipped."""
    import orjson

    loads, fast, fast_error = json.loads, orjson.loads, orjson.JSONDecodeError
    name = path.name
    with open_binary(path) as fh:
        for number, raw in enumerate(fh, start=1):
            if raw[:1] == b"{" and number > 1:  # fast path: an object's bytes parsed as they are (UTF-8)
                try:
                    value = fast(raw)
                except fast_error:
                    value = None
                if type(value) is dict and _orjson_exact(value):
                    yield f"{name} line {number}", value
                    continue
                try:
                    value = loads(raw)
                except (ValueError, RecursionError):  # blank, bad or unusual: read below, as always
                    pass
                else:
                    if type(value) is dict:
                        yield f"{name} line {number}", value
                        continue
            location = f"{name} line {number}"
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


class _JsonSource:
    """What ijson reads: a ``LimitedFile`` without its UTF-8 byte order mark, that refuses an
    item (the array element being parsed) longer than ``max_line_bytes``.

    ijson reads 64 KiB at a time and yields every item finished in a chunk before reading the
    next, so the bytes read since the last item handed out bound the item being built.
    """

    def __init__(self, fh: LimitedFile):
        self.fh = fh
        self.mark = 0  # fh.count when the last item was handed out
        self.item = 1  # the number of the item being read
        self._first = True

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        if self._first and data:
            self._first = False
            data = data.removeprefix(b"\xef\xbb\xbf")
        limit = self.fh.limits.max_line_bytes
        if self.fh.count - self.mark > limit + (1 << 17):
            raise TaskFileError(f"{self.fh.path.name} item {self.item:,}",
                                f"items of at most {_size(limit)} (raise [data] max_line_bytes)", "a longer item")
        return data


def _json_error(path: Path, error: Exception, source: _JsonSource) -> TaskFileError:
    if source.fh.count == 0:
        return TaskFileError(path.name, "a JSON array of objects", "an empty file")
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if detail.startswith(("b'", 'b"')):
        detail = detail[2:].split("\\n")[0]
    return TaskFileError(f"{path.name} item {source.item:,}", "valid JSON", f"malformed JSON ({detail})")


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_surrogate_escape(path: Path) -> bool:
    """Whether the document holds a ``\\uD800``-``\\uDFFF`` escape (half of a pair, or a lone
    surrogate), looked for in one streaming pass under the same limits."""
    tail = b""
    with open_binary(path) as fh:
        while chunk := fh.read(LimitedFile.CHUNK):
            if _SURROGATE_ESCAPE.search(tail + chunk[:8]) or _SURROGATE_ESCAPE.search(chunk):
                return True
            tail = chunk[-8:]
    return False


def _json_events(path: Path, source: _JsonSource) -> Iterator[tuple[str, Any]]:
    """ijson's events of the document, errors as a ``TaskFileError`` naming the item.

    ijson's C parser misreads surrogate escapes that are not a well-formed pair (``\\ud800``
    becomes ``?``, ``\\ud800\\u00e9`` one wrong character, a lone ``\\udfff`` fails): a
    document holding any surrogate escape is read by ijson's Python parser, which reads them
    as Python's json does (lone surrogates are then cleaned like any other)."""
    import ijson

    parse = ijson.get_backend("python").basic_parse if _has_surrogate_escape(path) else ijson.basic_parse
    try:
        yield from parse(source, use_float=True)
    except ijson.JSONError as e:
        raise _json_error(path, e, source) from None


def _build(first: tuple[str, Any], events: Iterator[tuple[str, Any]], path: Path) -> Any:
    """The value whose first event is ``first``, built from ``events`` (iteratively: any depth
    is read without recursion; deeper than ``MAX_JSON_DEPTH`` is refused)."""
    import ijson

    event, value = first
    if event not in ("start_map", "start_array"):
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for event, value in events:
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise TaskFileError(path.name, "valid JSON", "unreadable JSON (JSON nested more deeply than can be "
                                    f"read: over {MAX_JSON_DEPTH:,} levels)")
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
    return builder.value


def iter_json_array(path: Path) -> Iterator[tuple[int, Any]]:
    """``(number, item)`` for the items of a JSON document that is an array, or an object
    holding exactly one array (``{"data": [...]}``), streamed one item at a time (ijson):
    memory holds one item, never the document.

    A document that is neither is refused; so is one item longer than ``max_line_bytes``,
    more than ``max_rows`` items, and nesting deeper than ``MAX_JSON_DEPTH``. NaN and
    Infinity are not JSON: a document holding one is refused as malformed.
    """
    with open_binary(path) as fh:
        source = _JsonSource(fh)
        events = _json_events(path, source)
        first = next(events, None)
        if first is None:
            raise TaskFileError(path.name, "a JSON array of objects", "an empty file")
        if first[0] == "start_array":
            yield from _array_items(path, events, source)
            return
        if first[0] != "start_map":
            raise TaskFileError(path.name, "a JSON array of objects", describe(first[1]))
        arrays = 0
        for event, value in events:
            if event == "end_map":
                break
            key = value  # a map_key
            head = next(events)
            if head[0] == "start_array":
                arrays += 1
                if arrays > 1:
                    raise TaskFileError(path.name, "a JSON array of objects (or an object holding one array)",
                                        f"an object holding more than one array (the second at {key!r})")
                yield from _array_items(path, events, source)
            else:
                _build(head, events, path)  # skipped (built: a value beside the array is small)
        if arrays == 0:
            raise TaskFileError(path.name, "a JSON array of objects (or an object holding one array)",
                                "an object holding no array")


def _array_items(path: Path, events: Iterator[tuple[str, Any]], source: _JsonSource) -> Iterator[tuple[int, Any]]:
    limit = source.fh.limits.max_rows
    for first in events:
        if first[0] == "end_array":
            return
        if source.item > limit:
            raise too_many_rows(f"{path.name} item {source.item:,}", limit, "items")
        value = _build(first, events, path)
        yield source.item, value
        source.item += 1
        source.mark = source.fh.count


def read_json(path: Path) -> Iterator[RowOrProblem]:
    """A JSON array of objects, or an object holding one such array (e.g. {"data": [...]}),
    streamed item by item (:func:`iter_json_array`)."""
    for number, value in iter_json_array(path):
        location = f"{path.name} item {number}"
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


PARQUET_BATCH_ROWS = 1024
PARQUET_BATCH_VALUES = 65_536  # leaf values (list elements count one each) per batch, at most


def _decoded_bytes(array) -> int:
    """Bytes ``array`` (an Arrow array, possibly nested) holds once turned into values: every
    use of a dictionary-encoded string counts its full length (one long string repeated in
    every row counts every time), lists and structs count their children."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_dictionary(kind):
        lengths = (pc.binary_length(array.dictionary).fill_null(0).to_numpy(zero_copy_only=False)
                   if pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
                   or pa.types.is_binary(kind.value_type) or pa.types.is_large_binary(kind.value_type) else None)
        if lengths is None or not len(lengths):
            return array.indices.nbytes
        indices = array.indices.fill_null(0).to_numpy(zero_copy_only=False)
        return int(lengths[indices].sum()) + 8 * len(array)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind) \
            or pa.types.is_fixed_size_list(kind):
        return _decoded_bytes(array.flatten()) + 8 * len(array)
    if pa.types.is_struct(kind):
        return sum(_decoded_bytes(child) for child in array.flatten()) + 8 * len(array)
    return array.nbytes


def read_parquet(path: Path) -> Iterator[RowOrProblem]:
    """A Parquet file: only the columns the task maps, in small record batches, within
    ``max_file_bytes`` of decoded data and ``max_rows`` rows.

    A small file can decode into gigabytes (a dictionary page holding one long string, and
    run-length-encoded indices repeating it millions of times), so before any row is read the
    column chunks' declared sizes (uncompressed pages, and their number of values times the
    width of one) are checked; then text is read dictionary-encoded, batches are kept to
    ``PARQUET_BATCH_VALUES`` values (a row of a 10,000-element list counts 10,000), and the
    decoded size of every batch is added up *before* the batch becomes rows.
    """
    import pyarrow.parquet as pq

    limits = current_limits()
    with open_binary(path) as fh:  # checks the path (regular file, inside the task folder)
        try:
            parquet = pq.ParquetFile(fh._file)
            meta = parquet.metadata
            names = parquet.schema_arrow.names
            wanted = [n for n in names if limits.columns is None or n in limits.columns]
            leaves = [meta.schema.column(i) for i in range(meta.num_columns)]
            chosen = [i for i, leaf in enumerate(leaves) if leaf.path.split(".")[0] in wanted]
            texts = [leaves[i].path for i in chosen if leaves[i].physical_type == "BYTE_ARRAY"]
            if texts:
                parquet = pq.ParquetFile(fh._file, read_dictionary=texts)
        except Exception as e:  # pyarrow raises several types for a damaged file
            raise TaskFileError(path.name, "a Parquet file", f"unreadable data ({e})") from e
        _check_parquet_declared(path, meta, leaves, chosen, limits)
        yield from _parquet_rows(path, parquet, meta, chosen, wanted, limits)


def _parquet_too_big(path: Path, limits: ReadLimits, size: int, what: str) -> TaskFileError:
    return TaskFileError(path.name, f"at most {_size(limits.max_file_bytes)} of data "
                         "(uncompressed; raise [data] max_file_bytes)", f"{what} {_size(size)}")


WIDTHS = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "INT96": 12, "FLOAT": 4, "DOUBLE": 8, "BYTE_ARRAY": 4}


def _check_parquet_declared(path: Path, meta, leaves, chosen: list[int], limits: ReadLimits) -> None:
    """Refuse, unread, a file whose metadata declares more rows than ``max_rows`` or more data
    in the chosen columns than ``max_file_bytes`` (pages, or values times their width)."""
    if meta.num_rows > limits.max_rows:
        raise too_many_rows(path.name, limits.max_rows, f"rows (the file declares {meta.num_rows:,})")
    pages = values = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in chosen:
            chunk = group.column(c)
            pages += chunk.total_uncompressed_size
            values += chunk.num_values * WIDTHS.get(leaves[c].physical_type, leaves[c].length or 8)
    if pages > limits.max_file_bytes:
        raise _parquet_too_big(path, limits, pages, "pages of")
    if values > limits.max_file_bytes:
        raise _parquet_too_big(path, limits, values, "values decoding to at least")


def _parquet_rows(path: Path, parquet, meta, chosen: list[int], wanted: list[str],
                  limits: ReadLimits) -> Iterator[RowOrProblem]:
    decoded = 0
    number = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        widest = max((group.column(c).num_values for c in chosen), default=0)
        rows_per_batch = PARQUET_BATCH_ROWS
        if widest > group.num_rows > 0:  # lists: keep a batch to PARQUET_BATCH_VALUES values
            rows_per_batch = max(1, min(PARQUET_BATCH_ROWS, PARQUET_BATCH_VALUES * group.num_rows // widest))
        for batch in parquet.iter_batches(batch_size=rows_per_batch, row_groups=[g], columns=wanted):
            decoded += sum(_decoded_bytes(column) for column in batch.columns)
            if decoded > limits.max_file_bytes:
                raise _parquet_too_big(path, limits, decoded, "rows decoding to more than")
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

