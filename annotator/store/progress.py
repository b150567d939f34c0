"""How far labelling has got: coverage per domain, recent activity per annotator, and the
current labels of a few pairs (the report's disputed pairs, with their rationales)."""

from __future__ import annotations

from collections.abc import Iterable

from . import rows
from .base import StoreBase
from .models import Label


class ProgressStore(StoreBase):
    def coverage_by_domain(self, task: str) -> list[dict]:
        """Per domain and number of annotators: how many pairs have that many annotators
        (0 included). Rows ``{"domain", "annotators", "pairs"}``, domains in name order."""
        return self.query(
            "SELECT domain, annotators, COUNT(*) AS pairs FROM ("
            "  SELECT COALESCE(p.domain, '') AS domain, COUNT(DISTINCT l.annotator) AS annotators"
            "  FROM pairs p LEFT JOIN labels l ON l.pair = p.id WHERE p.task = ? GROUP BY p.id"
            ") GROUP BY domain, annotators ORDER BY domain, annotators",
            [task],
        )

    def label_activity(self, task: str, since: str) -> list[dict]:
        """Per annotator: pairs labelled, first labels given since ``since`` (an ISO time in
        the store's format), the time of their latest label, and the time on item (seconds)
        of their latest 50 labels, newest first. Rows in annotator order."""
        found = self.query(
            "SELECT annotator, COUNT(DISTINCT pair) AS pairs, "
            "SUM(CASE WHEN revision = 1 AND created_at >= ? THEN 1 ELSE 0 END) AS recent, "
            "MAX(created_at) AS last_label_at FROM labels WHERE task = ? GROUP BY annotator ORDER BY annotator",
            [since, task],
        )
        for row in found:
            row["recent_seconds"] = [r["seconds"] for r in self.query(
                "SELECT seconds FROM labels WHERE task = ? AND annotator = ? AND seconds IS NOT NULL "
                "ORDER BY id DESC LIMIT 50", [task, row["annotator"]])]
        return found

    def label_timeline(self, task: str, since: str) -> dict[str, int]:
        """First labels given since ``since`` per minute (``YYYY-MM-DDTHH:MM`` -> count)."""
        return {r["minute"]: r["n"] for r in self.query(
            "SELECT substr(created_at, 1, 16) AS minute, COUNT(*) AS n FROM labels WHERE task = ? AND revision = 1 "
            "AND created_at >= ? GROUP BY minute ORDER BY minute", [task, since])}

    def labels_of_pairs(self, pairs: Iterable[int]) -> list[Label]:
        """The current label of every annotator on each of ``pairs`` (by pair, then annotator)."""
        ids = sorted({int(p) for p in pairs})
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        return [rows.label_from_row(r) for r in self.query(
            f"SELECT * FROM current_labels WHERE pair IN ({marks}) ORDER BY pair, annotator", ids)]
