"""One response on screen: a titled border around a line view (or the stock widget)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical

from annotator.store import Pair
from annotator.text.sanitize import sanitize_line

from .line_view import LineView
from .render import RenderCache, part_text

if TYPE_CHECKING:  # the stock view (Textual's Markdown widget) loads only when it is chosen
    from .stock_view import StockMarkdownView


def _count_words(text: str) -> int:
    return len(text.split())


class ResponsePane(Vertical):
    """Response ``label`` ("A" = left, "B" = right) of the pair on screen, or its source document.

    ``show`` takes the canonical part (which of the pair's responses goes in this pane):
    with the order "BA", the left pane labelled "A" shows the pair's response B.
    """

    ALLOW_MAXIMIZE = True  # z maximises the pane with its title, so it says which response it is

    def __init__(self, label: str, cache: RenderCache, *, stock: bool = False, id: str | None = None):
        super().__init__(id=id)
        self._title = f" {label} "
        self.label = label
        self.cache = cache
        self.stock = stock
        self.part: str | None = None
        self.border_title = Text(f" {label} ")

    def compose(self):
        if self.stock:
            from .stock_view import StockMarkdownView

            yield StockMarkdownView()
        else:
            yield LineView()

    def set_maximised(self, maximised: bool) -> None:
        """The title says which response fills the screen, and how to go back."""
        if maximised:
            what = "Source document" if self.label == "Source document" else f"Response {self.label}"
            self.border_title = Text(f" {what}{self._title[len(self.label) + 1:]}· z or Esc restores ")
        else:
            self.border_title = Text(self._title)

    @property
    def view(self) -> LineView | StockMarkdownView:
        return self.children[0] if self.stock else self.query_one(LineView)

    @property
    def shown_key(self) -> object:
        return self.view.shown_key

    def line_width(self) -> int:
        view = self.view
        return view.line_width if isinstance(view, LineView) else view.scrollable_content_region.width

    async def show(self, pair: Pair, part: str, mode: str, model_name: str | None,
                   width: Callable[[int], int] | None = None) -> None:
        """Show the pair's ``part`` ("A", "B" or "source") in ``mode``.

        ``width`` maps the view's own width to the width to render at (the diff view renders
        both panes at one width, so that their rows line up).
        """
        self.part = part
        text = part_text(pair, part)
        title = f" {self.label} "
        if model_name:
            title += f"· {sanitize_line(model_name)} "
        self._title = title
        self.set_maximised(self.has_class("-maximized"))
        self.border_subtitle = Text(f" {_count_words(text):,} words ")
        key = (pair.id, part, mode)
        view = self.view
        if not isinstance(view, LineView):  # the stock Markdown widget
            await view.show_text(key, text)
        else:
            at = width or (lambda own: own)
            view.set_source(key, lambda own, base: self.cache.lines(pair, part, mode, at(own), base))

    def scroll_lines(self, lines: int) -> None:
        self.view.scroll_relative(y=lines, animate=False)

    def scroll_sideways(self, cells: int) -> None:
        view = self.view
        if isinstance(view, LineView):
            view.action_scroll_code(cells)

    def scroll_pages(self, pages: int) -> None:
        view = self.view
        view.scroll_relative(y=pages * max(1, view.scrollable_content_region.height - 2), animate=False)
