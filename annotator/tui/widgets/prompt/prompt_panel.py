"""The prompt above the responses, collapsible (the source document has its own pane)."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import Collapsible

from annotator.store import Pair

from ..response.line_view import LineView
from ..response.render import RenderCache


class PromptPanel(Vertical):
    def __init__(self, cache: RenderCache, *, id: str | None = None):
        super().__init__(id=id)
        self.cache = cache

    def compose(self):
        with Collapsible(title="Prompt  (p)", collapsed=False, id="prompt"):
            yield LineView(id="prompt-text")

    def show(self, pair: Pair, mode: str) -> None:
        mode = "raw" if mode == "raw" else "markdown"
        self.query_one("#prompt-text", LineView).set_source(
            (pair.id, "prompt", mode), lambda width, base: self.cache.lines(pair, "prompt", mode, width, base)
        )

    def toggle(self) -> None:
        collapsible = self.query_one("#prompt", Collapsible)
        collapsible.collapsed = not collapsible.collapsed
