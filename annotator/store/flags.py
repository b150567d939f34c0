"""Flags: an annotator marks a pair for the researcher, with a short reason.

An annotator has at most one open flag per pair. Flagging again replaces the reason (the
old flag is kept, cleared at that time) and withdrawing a flag clears it: nothing is
deleted, so a researcher can see what was flagged and when.
"""

from __future__ import annotations

from .base import StoreBase
from .models import Flag, utc_now

MAX_REASON = 500


def _flag_from_row(row: dict) -> Flag:
    return Flag(pair=row["pair"], task=row["task"], annotator=row["annotator"], reason=row["reason"],
                pair_id=row.get("pair_id") or "", created_at=row["created_at"],
                cleared_at=row["cleared_at"], id=row["id"])


class FlagStore(StoreBase):
    def flag_pair(self, task: str, annotator: str, pair: int, reason: str) -> Flag:
        """Flag ``pair`` for the researcher (replacing the annotator's open flag on it)."""
        reason = " ".join(reason.split())
        if not reason:
            raise ValueError("a flag needs a reason")
        if len(reason) > MAX_REASON:
            raise ValueError(f"a flag's reason is at most {MAX_REASON} characters")
        now = utc_now()
        with self.atomic():
            self.db.execute(
                "UPDATE flags SET cleared_at = ? WHERE pair = ? AND annotator = ? AND cleared_at IS NULL",
                [now, pair, annotator],
            )
            cursor = self.db.execute(
                "INSERT INTO flags (pair, task, annotator, reason, created_at) VALUES (?, ?, ?, ?, ?)",
                [pair, task, annotator, reason, now],
            )
            flag_id = cursor.lastrowid
        return self._flags_where("f.id = ?", [flag_id])[0]

    def clear_flag(self, pair: int, annotator: str) -> bool:
        """Withdraw the annotator's open flag on ``pair``; False when there was none."""
        with self.atomic():
            cursor = self.db.execute(
                "UPDATE flags SET cleared_at = ? WHERE pair = ? AND annotator = ? AND cleared_at IS NULL",
                [utc_now(), pair, annotator],
            )
        return cursor.rowcount > 0

    def current_flag(self, pair: int, annotator: str) -> Flag | None:
        found = self._flags_where("f.pair = ? AND f.annotator = ? AND f.cleared_at IS NULL", [pair, annotator])
        return found[0] if found else None

    def flags(self, task: str, *, include_cleared: bool = False) -> list[Flag]:
        """The task's flags, oldest first (open ones only unless ``include_cleared``)."""
        where = "f.task = ?" + ("" if include_cleared else " AND f.cleared_at IS NULL")
        return self._flags_where(where, [task])

    def _flags_where(self, where: str, params: list) -> list[Flag]:
        return [
            _flag_from_row(r)
            for r in self.query(
                f"SELECT f.*, p.pair_id FROM flags f JOIN pairs p ON p.id = f.pair WHERE {where} ORDER BY f.id",
                params,
            )
        ]
