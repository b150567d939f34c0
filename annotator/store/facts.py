"""Atomic facts and per-fact labels: what PROFILE's fact-based extractors found."""

from __future__ import annotations

from collections.abc import Iterable

from . import rows
from .base import StoreBase
from .models import AtomicFacts, FactLabels


class FactStore(StoreBase):
    def save_atomic_facts(self, values: Iterable[AtomicFacts]) -> int:
        """Insert or replace facts keyed by (pair, target, extractor), in one transaction."""
        return self.upsert_objects("atomic_facts", values, rows.atomic_facts_to_row, ("pair", "target", "extractor"))

    def atomic_facts(self, task: str, extractor: str) -> dict[tuple[int, str], AtomicFacts]:
        """``(pair, target) -> AtomicFacts`` of one extractor over a task's pairs."""
        found = self.query(
            "SELECT f.* FROM atomic_facts f JOIN pairs p ON p.id = f.pair WHERE p.task = ? AND f.extractor = ?",
            [task, extractor],
        )
        return {(r["pair"], r["target"]): rows.atomic_facts_from_row(r) for r in found}

    def save_fact_labels(self, values: Iterable[FactLabels]) -> int:
        """Insert or replace labels keyed by (pair, target, factor, extractor), in one transaction."""
        return self.upsert_objects("fact_labels", values, rows.fact_labels_to_row,
                                   ("pair", "target", "factor", "extractor"))

    def fact_labels(self, task: str, extractor: str, factor: str | None = None) -> list[FactLabels]:
        sql = ("SELECT l.* FROM fact_labels l JOIN pairs p ON p.id = l.pair "
               "WHERE p.task = ? AND l.extractor = ?")
        params: list = [task, extractor]
        if factor is not None:
            sql += " AND l.factor = ?"
            params.append(factor)
        return [rows.fact_labels_from_row(r) for r in self.query(sql + " ORDER BY l.id", params)]

    def fact_extractors(self, task: str) -> list[str]:
        """The extractors that stored atomic facts for a task's pairs."""
        return [r["extractor"] for r in self.query(
            "SELECT DISTINCT f.extractor FROM atomic_facts f JOIN pairs p ON p.id = f.pair "
            "WHERE p.task = ? ORDER BY f.extractor", [task])]
