"""Labels per minute over the last hour, as a sparkline."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static


class ActivityChart(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("", id="activity-text")
        yield Sparkline([], id="activity-sparkline")

    def show(self, per_minute: list[int]) -> None:
        total = sum(per_minute)
        self.query_one("#activity-text", Static).update(
            Text.assemble(("Labels per minute, last hour", "bold"), (f"  {total:,} in all, peak {max(per_minute or [0])}",
                                                                     "dim")))
        self.query_one("#activity-sparkline", Sparkline).data = list(per_minute)
