"""Writing one export: the rows in their format, and the provenance beside them.

Every export (gold, soft labels, labels, judgments) goes through :func:`write_export`: the
rows are streamed into a temporary file, the provenance (``<file>.meta.json``: tool,
version, time, task, schema, options, rows written, who was left out, how names were
shown) into another, and both are put in place together (``files.output_files``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from annotator import __version__
from annotator.store import Store, utc_now

from .files import Descriptor, meta_path, output_files
from .tables import FORMULA_TRIGGERS, Batch, Column, write_batches, write_table


def base_meta(store: Store, task: str, kind: str, fmt: str, **details: Any) -> dict[str, Any]:
    """The provenance every export carries, plus ``details`` (the export's options)."""
    meta = {"tool": f"annotator {__version__}", "export": kind, "format": fmt, "exported_at": utc_now(),
            "task": task, "schema_version": store.schema_version, **details}
    if fmt == "csv":
        meta["csv_cells"] = ("text cells starting with " + " ".join(repr(c) for c in FORMULA_TRIGGERS)
                             + " are prefixed with ' (OWASP's CSV-injection rule), and so is every line inside a "
                               "cell that starts with one after a line break; cells holding a comma, a quote, CR or "
                               "LF are quoted")
    return meta


def write_export(path: Path | Descriptor, fmt: str, columns: list[Column], rows: Iterable[dict[str, Any]] | Iterable[Batch],
                 meta: dict[str, Any], *, force: bool = False, batched: bool = False) -> int:
    """Write ``rows`` to ``path`` in ``fmt`` with ``meta`` beside it; returns the rows written.

    Nothing is put in place unless everything was written (see ``files.output_files``);
    ``force`` allows replacing an existing file. A stream (``/dev/stdout``) gets the rows only.
    ``batched``: ``rows`` are batches (one list per column, ``tables.Batch``), not dicts.
    """
    companions = () if isinstance(path, Descriptor) else (meta_path(path),)
    with output_files(path, force, companions) as files:
        data, meta_file = files[0], (files[1] if companions else None)
        written = (write_batches if batched else write_table)(data, fmt, columns, rows)
        if meta_file is not None:
            meta_file.write_text(json.dumps({**meta, "rows": written}, indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
    return written
