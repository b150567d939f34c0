"""Skipped pairs: "not now", stored, so the pair comes back at the end of the annotator's queue.

A skip is one row per (pair, annotator) holding the time of the latest skip and how many
times the pair was skipped. The queue (:mod:`annotator.store.assignment`) serves the pairs
an annotator has not skipped first, then the skipped ones, the longest ago skipped first:
skipping again sends a pair to the very end. Skipping drops the annotator's claim on the
pair, so others may take it meanwhile. A skip never expires: labelling the pair later
leaves the row as a record that it was skipped.
"""

from __future__ import annotations

from .base import StoreBase
from .models import utc_now


class SkipStore(StoreBase):
    def skip_pair(self, task: str, annotator: str, pair: int, *, now: str | None = None) -> None:
        """Record that ``annotator`` skipped ``pair`` now, and release their claim on it."""
        now = now or utc_now()
        with self.atomic():
            self.db.execute(
                "INSERT INTO skips (pair, annotator, task, skipped_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (pair, annotator) DO UPDATE SET skipped_at = excluded.skipped_at, "
                "times = times + 1",
                [pair, annotator, task, now],
            )
            self.db.execute("DELETE FROM claims WHERE pair = ? AND annotator = ?", [pair, annotator])

    def skipped_pairs(self, task: str, annotator: str) -> list[int]:
        """The pairs ``annotator`` skipped in ``task``, the longest ago skipped first."""
        return [
            r["pair"]
            for r in self.query(
                "SELECT pair FROM skips WHERE task = ? AND annotator = ? ORDER BY skipped_at, pair",
                [task, annotator],
            )
        ]

    def skip_counts(self, task: str) -> dict[str, int]:
        """Per annotator: how many pairs of the task they have skipped (ever)."""
        return {
            r["annotator"]: r["n"]
            for r in self.query(
                "SELECT annotator, COUNT(*) AS n FROM skips WHERE task = ? GROUP BY annotator ORDER BY annotator",
                [task],
            )
        }
