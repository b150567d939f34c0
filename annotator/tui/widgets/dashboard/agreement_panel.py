"""Krippendorff's alpha with its interval, and how it moved over the last refreshes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from annotator.text.sanitize import sanitize_line
from annotator.tui.dashboard_data import StatsSnapshot

HISTORY = 60


class AgreementPanel(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history: list[float] = []

    def compose(self) -> ComposeResult:
        yield Static("Agreement: computing…", id="alpha-text")
        chart = Sparkline([], id="alpha-history")
        chart.display = False
        yield chart

    def show(self, snap: StatsSnapshot) -> None:
        a = snap.alpha
        text = Text("Krippendorff's alpha ", style="bold")
        if a.get("estimate") is None:
            text.append("undefined", style="yellow")
            text.append(f" — {sanitize_line(a.get('reason') or '')}", style="dim")
        else:
            text.append(f"{a['estimate']:.3f}", style="bold")
            if a.get("ci_low") is not None:
                text.append(f" [{a['ci_low']:.3f}, {a['ci_high']:.3f}]")
            text.append(f" on {snap.n_pairs:,} pairs (95 % bootstrap interval)", style="dim")
            self.history = (self.history + [a["estimate"]])[-HISTORY:]
        text.append(f"\n{snap.needs_adjudication:,} pair(s) need adjudication", style="")
        text.append(f" · computed on {snap.labels:,} labels in {snap.seconds:.1f} s", style="dim")
        self.query_one("#alpha-text", Static).update(text)
        chart = self.query_one("#alpha-history", Sparkline)
        chart.display = len(self.history) >= 2  # a line needs two points: alpha over the refreshes
        chart.data = list(self.history)

    def computing(self, labels: int) -> None:
        text = self.query_one("#alpha-text", Static)
        if not self.history:
            text.update(Text(f"Agreement: computing on {labels:,} labels…", style="dim"))
