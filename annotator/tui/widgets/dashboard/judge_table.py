"""Each judge against the humans: agreement beside the human-human ceiling, and its card."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from annotator.analysis.judge_human import AgentReport
from annotator.text import numbers as n
from annotator.text.sanitize import plain_text


class JudgeTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("judge", "agrees with humans", "card")

    def show(self, judges: list[AgentReport]) -> None:
        self.clear()
        for a in judges:
            verdict = a.card.verdict if a.card else ""
            agree = (a.agreement_with_humans or {}).get("with_ties")
            self.add_row(plain_text(a.agent), Text(n.with_interval(agree, True)),
                         Text(verdict, style=n.verdict_colour(verdict)))
