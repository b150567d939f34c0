"""Each judge against the humans: agreement beside the human-human ceiling, and its card."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from annotator.text.sanitize import plain_text

TONES = {"trustworthy": "green", "use with caution": "yellow", "needs review": "red"}


def _pct(est: dict[str, Any] | None) -> str:
    if not est or est.get("estimate") is None:
        return "—"
    ci = f" [{est['ci_low'] * 100:.0f}, {est['ci_high'] * 100:.0f}]" if est.get("ci_low") is not None else ""
    return f"{est['estimate'] * 100:.1f} %{ci}"


class JudgeTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("judge", "agrees with humans", "card")

    def show(self, judges: list[dict[str, Any]]) -> None:
        self.clear()
        for a in judges:
            verdict = (a.get("card") or {}).get("verdict", "")
            self.add_row(plain_text(a["agent"]), Text(_pct((a.get("agreement_with_humans") or {}).get("with_ties"))),
                         Text(verdict, style=TONES.get(verdict, "")))
