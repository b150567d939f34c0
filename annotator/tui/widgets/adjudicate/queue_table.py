"""The adjudication queue: one row per pair to settle, lowest agreement first."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from annotator.analysis.adjudication import QueueItem
from annotator.store import Adjudication
from annotator.text.sanitize import sanitize_line


def votes_text(votes: dict[str, int]) -> str:
    return " ".join(f"{choice} {n}" for choice, n in votes.items()) or "—"


class QueueTable(DataTable):
    """Rows keyed by pair id; the last column says whether (and how) a pair was settled."""

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def on_mount(self) -> None:
        self.add_column("#", key="n")
        self.add_column("✓", key="settled")
        self.add_column("pair", key="pair")
        self.add_column("votes", key="votes")
        self.add_column("why", key="why")

    def load(self, items: list[QueueItem], settled: dict[int, Adjudication]) -> None:
        self.clear()
        for i, item in enumerate(items, 1):
            pair = Text(sanitize_line(item.pair_id), no_wrap=True, overflow="ellipsis")
            if item.domain:
                pair.append(f" · {sanitize_line(item.domain)}", style="dim")
            self.add_row(str(i), self._settled(settled.get(item.pair)), pair, votes_text(item.votes),
                         Text(sanitize_line(item.why), overflow="ellipsis"), key=str(item.pair))

    def mark_settled(self, adjudication: Adjudication) -> None:
        self.update_cell(str(adjudication.pair), "settled", self._settled(adjudication))

    @staticmethod
    def _settled(adjudication: Adjudication | None) -> Text:
        if adjudication is None:
            return Text("·", style="dim")
        return Text(adjudication.choice, style="bold green")
