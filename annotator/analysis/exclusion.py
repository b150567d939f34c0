"""Annotators left out of a statistic (``--exclude NAME``): the report says who and how many."""

from __future__ import annotations

from collections.abc import Iterable

from annotator.store.protocol import AnalysisStore


def note_exclusions(report, store: AnalysisStore, task: str, exclude: Iterable[str]):
    """Add ``excluded_annotators`` (name -> labelled pairs left out) and a note to ``report``
    (a dict, or a report object with ``notes`` and ``excluded_annotators``).

    The labels themselves are dropped where they are loaded (``Store.labels_frame(exclude=...)``),
    so every statistic of the report is computed without them."""
    exclude = list(dict.fromkeys(exclude))
    counts = store.label_counts(task) if exclude else {}
    excluded = {name: counts.get(name, 0) for name in exclude}
    notes = []
    if exclude:
        left_out = ", ".join(f"{name} ({n:,} labelled pairs)" for name, n in excluded.items())
        notes.append(f"left out on request (--exclude): {left_out}")
    if isinstance(report, dict):
        report["excluded_annotators"] = excluded
        report["notes"] = notes + list(report.get("notes", []))
    else:
        report.excluded_annotators = excluded
        report.notes[:0] = notes
    return report
