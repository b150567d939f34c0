"""Each annotator's progress: pairs labelled, pace, median time on a pair, what remains, ETA."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from annotator.analysis.pace import Pace, duration
from annotator.text.sanitize import plain_text

COLUMNS = ("annotator", "pairs", "last hour", "median s", "left", "ETA")


class AnnotatorTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(*COLUMNS)

    def show(self, paces: list[Pace]) -> None:
        self.clear()
        for p in paces:
            eta = duration(p.eta_hours) if p.eta_hours is not None else ("idle" if p.per_hour == 0 else "—")
            self.add_row(
                plain_text(p.annotator), Text(f"{p.pairs:,}", justify="right"), Text(f"{p.recent:,}", justify="right"),
                Text("—" if p.median_seconds is None else f"{p.median_seconds:.0f}", justify="right"),
                Text("—" if p.remaining is None else f"{p.remaining:,}", justify="right"), Text(eta),
            )
