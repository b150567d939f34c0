"""The pair files of a task: ``[data] path`` as one path, a glob pattern, or a list of both.

``data_paths`` turns the value of ``[data] path`` into the files (or folders, for the named
formats that read one) to import, in a stated order:

* a text value is one path, unless no such path exists and it holds a glob character
  (``*``, ``?``, ``[``): it is then a pattern, relative to the task folder (or absolute;
  ``**`` crosses folders), whose matches are read in sorted order. A pattern matching
  nothing is an error naming the pattern.
* a list holds such values; they are read in the list's order (each pattern's matches
  sorted). A file named twice (by two entries) is read once.

``read_data`` reads every file with the task's format and yields ``(source, location, row)``:
``source`` is the index of the file in that list, so the importer can tell a pair repeated
inside one file (a duplicate id, an error) from the same pair met again in another file
(several judge runs over the same pairs: the same pair, imported once). With several files
each location is prefixed by the file's folder relative to the files' common folder, so that
``annotations.json.gz item 3`` says which of twelve ``annotations.json.gz`` it is.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import Problem, TaskFileError, describe

GLOB_CHARS = frozenset("*?[")
MAX_FILES = 10_000


def is_pattern(raw: str) -> bool:
    return any(c in GLOB_CHARS for c in raw)


def data_paths(root: Path, raw: Any, where: str, resolve: Callable[[str, str], Path]) -> list[Path]:
    """The files named by ``[data] path`` (``raw``), resolved by ``resolve(text, where)``.

    ``resolve`` is the task file's own path rule (relative to the task folder, checked to
    stay inside it when that is asked for), applied to every entry and every match.
    """
    entries = raw if isinstance(raw, list) else [raw]
    if not entries or not all(isinstance(e, str) and e.strip() for e in entries):
        raise TaskFileError(where, "a path, a glob pattern, or a list of them (text)", describe(raw))
    found: list[Path] = []
    for i, entry in enumerate(entries):
        here = f"{where} #{i + 1}" if isinstance(raw, list) else where
        literal = root / Path(entry).expanduser()
        if literal.exists() or not is_pattern(entry):
            found.append(resolve(entry, here))
            continue
        pattern = os.path.expanduser(entry)
        matches = sorted(glob.glob(pattern, root_dir=None if os.path.isabs(pattern) else root, recursive=True))
        if not matches:
            raise TaskFileError(here, "a glob pattern matching at least one file", f"no match for {entry!r}")
        if len(matches) > MAX_FILES:
            raise TaskFileError(here, f"a glob pattern matching at most {MAX_FILES:,} files", f"{len(matches):,} matches")
        found += [resolve(match, here) for match in matches]
    return list(dict.fromkeys(found))


def _prefixes(paths: list[Path]) -> list[str]:
    """Per file, as few of its last folders as tell the files apart (``""`` when the names
    alone do): ``OpenHermes-2.5-Mistral-7B/weighted_alpaca_eval_gpt4_turbo/`` for one of twelve
    ``annotations.json.gz``."""
    depth = max(len(p.parent.parts) for p in paths) if paths else 0
    for k in range(depth + 1):
        labels = ["/".join(p.parent.parts[len(p.parent.parts) - k:]) if k else "" for p in paths]
        if len({(label, p.name) for label, p in zip(labels, paths)}) == len(paths):
            return [f"{label}/" if label else "" for label in labels]
    return [f"{p.parent.as_posix()}/" for p in paths]


def read_data(fmt: str, paths: list[Path], options: dict[str, Any]) -> Iterator[tuple[int, str, Any]]:
    """``(source, location, row or Problem)`` for every row of every file, file by file."""
    from .formats import read_rows

    if "pairs" in options:  # [pairs]: rows are generators' outputs, built into pairs
        from .generators import read_generators

        yield from read_generators(fmt, paths, options)
        return
    for source, (path, prefix) in enumerate(zip(paths, _prefixes(paths))):
        try:
            for location, row in read_rows(fmt, path, options):
                if prefix:
                    location = prefix + location
                    if isinstance(row, Problem):
                        row = Problem(prefix + row.location, row.expected, row.found)
                yield source, location, row
        except TaskFileError as e:
            if not prefix or e.problem.location.startswith("[") or os.path.isabs(e.problem.location):
                raise
            raise TaskFileError(prefix + e.problem.location, e.problem.expected, e.problem.found) from e


def common_format(paths: list[Path]) -> str:
    """The generic format the files' names imply, the same for all (``[data] format`` unset)."""
    from .readers import guess_format

    formats = {path: guess_format(path) for path in paths}
    first = formats[paths[0]]
    other = next((p for p, f in formats.items() if f != first), None)
    if other is not None:
        raise TaskFileError(str(other), f"files of one format ({first}, as {paths[0].name}), or a `format` key",
                            f"{other.name!r} ({formats[other]})")
    return first
