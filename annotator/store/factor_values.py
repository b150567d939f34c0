"""Factor values: a factor measured on both responses of a pair by one extractor."""

from __future__ import annotations

from collections.abc import Iterable

from . import rows
from .base import StoreBase
from .models import FactorValue


class FactorValueStore(StoreBase):
    def save_factor_values(self, values: Iterable[FactorValue]) -> int:
        """Insert or replace values keyed by (pair, factor, extractor), in one transaction."""
        return self.upsert_objects("factor_values", values, rows.factor_value_to_row, ("pair", "factor", "extractor"))

    def factor_values(self, task: str, extractor: str | None = None) -> list[FactorValue]:
        sql = "SELECT v.* FROM factor_values v JOIN pairs p ON p.id = v.pair WHERE p.task = ?"
        params: list = [task]
        if extractor is not None:
            sql += " AND v.extractor = ?"
            params.append(extractor)
        return [rows.factor_value_from_row(r) for r in self.query(sql + " ORDER BY v.id", params)]
