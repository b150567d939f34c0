"""Annotators left out of a statistic (``--exclude NAME``): the report says who and how many."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def note_exclusions(report: dict[str, Any], store, task: str, exclude: Iterable[str]) -> dict[str, Any]:
    """Add ``excluded_annotators`` (name -> labelled pairs left out) and a note to ``report``.

    The labels themselves are dropped where they are loaded (``Store.labels_frame(exclude=...)``),
    so every statistic of the report is computed without them."""
    exclude = list(dict.fromkeys(exclude))
    counts = store.label_counts(task) if exclude else {}
    report["excluded_annotators"] = {name: counts.get(name, 0) for name in exclude}
    if exclude:
        left_out = ", ".join(f"{name} ({counts.get(name, 0):,} labelled pairs)" for name in exclude)
        report.setdefault("notes", []).insert(0, f"left out on request (--exclude): {left_out}")
    return report
