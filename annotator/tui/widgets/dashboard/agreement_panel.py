"""Krippendorff's alpha with its interval, and how it moved over the last refreshes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from annotator.text import numbers as n
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
        if not a.defined:
            text.append("undefined", style="yellow")
            text.append(f" — {sanitize_line(a.reason or '')}", style="dim")
        else:
            text.append(n.value(a), style="bold")
            if n.interval(a):
                text.append(f" {n.interval(a)}")
            b = snap.agreement.bootstrap
            text.append(f" on {snap.n_pairs:,} pairs labelled by two or more ({b['confidence']:.0%} bootstrap "
                        f"interval, {b['resamples']:,} resamples)", style="dim")
            self.history = (self.history + [a.value])[-HISTORY:]
        text.append(f"\n{snap.needs_adjudication:,} pair(s) need adjudication", style="")
        if snap.adjudicated:
            text.append(f" · {snap.adjudicated:,} settled by an adjudicator", style="dim")
        text.append(f" · computed on {snap.labels:,} labels in {snap.seconds:.1f} s", style="dim")
        if snap.agreement.both_bad:
            from annotator.analysis.both_bad import both_bad_caption

            text.append(f"\n{sanitize_line(both_bad_caption(snap.agreement.both_bad))}", style="dim")
        self.query_one("#alpha-text", Static).update(text)
        chart = self.query_one("#alpha-history", Sparkline)
        chart.display = len(self.history) >= 2  # a line needs two points: alpha over the refreshes
        chart.data = list(self.history)

    def computing(self, labels: int) -> None:
        text = self.query_one("#alpha-text", Static)
        if not self.history:
            text.update(Text(f"Agreement: computing on {labels:,} labels…", style="dim"))
