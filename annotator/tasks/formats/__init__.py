"""The pair-file formats a task can name in ``[data] format``.

Generic formats (jsonl, json, csv, tsv, parquet) need a field mapping in task.toml. Named
formats know the layout of a public data set: each is a module here with

* ``DEFAULTS``: the ``[data]`` field mapping, ``[labels]`` and ``[[judge_labels]]`` tables
  that apply unless the task file says otherwise (the task file's keys win, key by key);
* ``OPTIONS``: the format's own ``[data]`` keys (anything else is a typo and refused);
* ``PATH_OPTIONS``: those options that are paths, resolved like ``path`` (relative to the
  task folder unless absolute);
* ``read(path, options)``: yields ``(location, row)`` or ``(location, Problem)``, streaming
  where the format allows. Rows are plain dicts whose field names the defaults map.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from ..readers import GENERIC_READERS, RowOrProblem, read_csv

NAMED_FORMATS = {
    "llmbar": "llmbar",
    "llmbar_run": "llmbar_run",
    "judgebench": "judgebench",
    "faireval": "faireval",
    "autoj": "autoj",
    "alpaca_eval": "alpaca_eval",
    "alpaca_eval_outputs": "alpaca_eval_outputs",
    "mt_bench": "mt_bench",
    "chosen_rejected": "chosen_rejected",
}


def known_formats() -> list[str]:
    return list(GENERIC_READERS) + list(NAMED_FORMATS)


def format_module(fmt: str) -> ModuleType | None:
    """The module of a named format, ``None`` for a generic one."""
    return import_module(f"{__name__}.{NAMED_FORMATS[fmt]}") if fmt in NAMED_FORMATS else None


def read_rows(fmt: str, path: Path, options: dict[str, Any]) -> Iterator[RowOrProblem]:
    if fmt in ("csv", "tsv") and options.get("delimiter"):
        return read_csv(path, delimiter=options["delimiter"])
    if fmt in GENERIC_READERS:
        return GENERIC_READERS[fmt](path)
    return format_module(fmt).read(path, options)
