"""How fast labelling goes and when it will be done: per annotator and for the task.

Rules (the dashboard prints them):

* *done*: a pair with at least ``overlap`` annotators; *labels still needed*: over every
  pair, ``overlap`` minus its annotators (never below 0);
* an annotator's *pace*: the first labels they gave in the last ``window`` (an hour by
  default), as labels per hour; their *median seconds*: the median time on item of their
  latest labels (up to 50);
* an annotator's *ETA*: the pairs still open to them (the assignment's count) at their
  pace; the task's ETA: the labels still needed at the summed pace of everyone who labelled
  in the window. No pace in the window (idle), no ETA: it is reported as undefined, never as
  a guess.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

DEFAULT_WINDOW_HOURS = 1.0


@dataclass(frozen=True)
class Coverage:
    pairs: int
    done: int
    started: int
    labels_needed: int
    overlap: int

    @property
    def share_done(self) -> float | None:
        return self.done / self.pairs if self.pairs else None


def coverage(rows: list[dict], overlap: int) -> Coverage:
    """From ``Store.coverage_by_domain`` rows (domain, annotators, pairs), over all domains."""
    pairs = sum(r["pairs"] for r in rows)
    done = sum(r["pairs"] for r in rows if r["annotators"] >= overlap)
    started = sum(r["pairs"] for r in rows if 0 < r["annotators"] < overlap)
    needed = sum(r["pairs"] * max(0, overlap - r["annotators"]) for r in rows)
    return Coverage(pairs, done, started, needed, overlap)


@dataclass(frozen=True)
class Pace:
    annotator: str
    pairs: int  # pairs labelled
    recent: int  # first labels given in the window
    per_hour: float  # recent / window hours
    median_seconds: float | None
    remaining: int | None  # pairs still open to the annotator (None: unknown)
    eta_hours: float | None  # None when idle or nothing remains unknown
    last_label_at: str


def annotator_pace(activity: list[dict], remaining: dict[str, int] | None = None,
                   window_hours: float = DEFAULT_WINDOW_HOURS) -> list[Pace]:
    """One ``Pace`` per row of ``Store.label_activity`` (whose ``recent`` counts the window)."""
    out = []
    for row in activity:
        per_hour = row["recent"] / window_hours
        left = (remaining or {}).get(row["annotator"])
        seconds = [s for s in row.get("recent_seconds", []) if s is not None]
        eta = None
        if left is not None and per_hour > 0:
            eta = left / per_hour
        elif left == 0:
            eta = 0.0
        out.append(Pace(row["annotator"], row["pairs"], row["recent"], per_hour,
                        statistics.median(seconds) if seconds else None, left, eta, row["last_label_at"] or ""))
    return out


def task_eta_hours(cover: Coverage, paces: list[Pace]) -> float | None:
    """Hours until every pair is done at the current summed pace (0 when done; None when idle)."""
    if cover.labels_needed == 0:
        return 0.0
    rate = sum(p.per_hour for p in paces)
    return cover.labels_needed / rate if rate > 0 else None


def duration(hours: float | None) -> str:
    """'3 h 10 min', '12 min', 'done', or 'unknown (nobody labelled in the last hour)'."""
    if hours is None:
        return "unknown (no labels in the last hour)"
    if hours == 0:
        return "done"
    minutes = round(hours * 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    if hours < 48:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{hours / 24:.1f} days"
