"""The pairs in dispute: votes, majority and entropy, the most spread first."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from annotator.analysis.report import DisputedPair
from annotator.text import numbers as n
from annotator.text.sanitize import plain_text


class DisputedTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("pair", "domain", "votes A/B/tie", "majority", "entropy", "adjudicated")

    def show(self, disputed: list[DisputedPair]) -> None:
        self.clear()
        for p in disputed:
            votes = p.votes
            settled = p.adjudication
            self.add_row(
                plain_text(p.pair_id), plain_text(p.domain),
                Text(f"{votes.get('A', 0)}/{votes.get('B', 0)}/{votes.get('tie', 0)}", justify="center"),
                plain_text(str(p.majority or n.DASH), "yellow" if p.needs_adjudication else ""),
                Text(n.num(p.entropy_bits, 2), justify="right"),
                plain_text(f"{settled['choice']} ({settled['reason']})" if settled else n.DASH,
                           "green" if settled else ""),
            )
