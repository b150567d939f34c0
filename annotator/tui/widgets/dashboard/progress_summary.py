"""The task's coverage in one line and a bar: pairs done, labels still needed, the ETA."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from annotator.analysis.pace import duration
from annotator.tui.dashboard_data import ProgressSnapshot

BAR_WIDTH = 40


class ProgressSummary(Static):
    def show(self, snap: ProgressSnapshot) -> None:
        c = snap.coverage
        share = c.share_done or 0.0
        filled = round(share * BAR_WIDTH)
        text = Text()
        text.append("█" * filled, style="green")
        text.append("░" * (BAR_WIDTH - filled), style="dim")
        text.append(f"  {c.done:,} of {c.pairs:,} pairs done ({share:.0%})", style="bold")
        text.append(f" · {c.started:,} started · {c.labels_needed:,} labels still needed (overlap {c.overlap})")
        rate = sum(p.per_hour for p in snap.paces)
        if c.labels_needed == 0 and c.pairs:
            text.append("\nEvery pair has its annotators.", style="bold")
        else:
            text.append(f"\nETA {duration(snap.eta_hours)}", style="bold")
        text.append(f" · pace {rate:,.0f} labels/hour (everyone's first labels in the last hour)", style="dim")
        self.update(text)
