"""A scroll view over pre-rendered lines: draws only the rows that are visible."""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

LineSource = Callable[[int, Style], list[Strip]]  # (width, base style) -> lines


class LineView(ScrollView, can_focus=True):
    """Shows lines produced by a ``LineSource``, re-asking it when the width or style changes.

    The source is normally a :class:`~.render.RenderCache` look-up, so a resize to a width
    seen before, or a pair pre-rendered in the background, costs nothing.

    Lines wider than the view (a code block too wide to wrap) scroll sideways; the other
    lines stay put, so a code block scrolls inside its block. A cut line shows ``›`` at its
    right edge (more to see) and ``‹`` at its left once scrolled.

    ``partner``: another view that follows this one's vertical scrolling (and leads it
    back): the diff view's "scroll together".
    """

    DEFAULT_CSS = """
    LineView {
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    """
    # Sideways scrolling moves only the wide lines (``code_x``), not the view: no horizontal
    # scrollbar row (a line of text in a short pane) and no re-layout when a pair has one.
    BINDINGS = [
        Binding("left", "scroll_code(-8)", "Code left", show=False),
        Binding("right", "scroll_code(8)", "Code right", show=False),
    ]
    MORE = "›"
    LESS = "‹"

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._source: LineSource | None = None
        self._source_key: object = None
        self._lines: list[Strip] = []
        self._lines_width = -1
        self._lines_style: Style | None = None
        self.shown_key: object = None  # what is on screen (set once lines are in place)
        self.partner: LineView | None = None
        self.code_x = 0  # how far wide lines are scrolled sideways
        self._widest = 0
        self._cut: dict[int, Strip] = {}  # wide lines as drawn at this code_x and width

    @property
    def line_width(self) -> int:
        """Cells available to a line (the scrollbar gutter is kept, so it does not vary)."""
        return self.scrollable_content_region.width

    def set_source(self, key: object, source: LineSource) -> None:
        """Show new content; ``key`` names it (for tests and the benchmark)."""
        self._source, self._source_key = source, key
        self._lines_width = -1
        self.code_x = 0
        self._load()
        self.scroll_to(0, 0, animate=False, immediate=True)

    def _load(self) -> None:
        width = self.line_width
        if self._source is None or width <= 0:
            return
        style = self.rich_style
        if width != self._lines_width or style != self._lines_style:
            self._lines = self._source(width, style)
            self._lines_width, self._lines_style = width, style
            self._cut.clear()
            self._widest = max((line.cell_length for line in self._lines), default=width)
            self.virtual_size = Size(width, len(self._lines))
            self.shown_key = self._source_key
        self.refresh()

    def on_resize(self) -> None:
        self._load()

    def render_lines(self, crop):
        # The lines carry the view's colours and width; if those changed (theme, an ancestor's
        # background; a maximised pane restored, which sends no resize), fetch them again first.
        if self._source is not None and (self.rich_style != self._lines_style
                                         or self.line_width != self._lines_width):
            self._load()
        return super().render_lines(crop)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines) if self._lines else 1

    def plain_lines(self) -> list[str]:
        """The text of every line (for tests)."""
        return [strip.text.rstrip() for strip in self._lines]

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        partner = self.partner
        if partner is not None and partner.scroll_y != new:
            partner.scroll_to(y=new, animate=False, immediate=True)

    def action_scroll_code(self, cells: int) -> None:
        """Scroll the lines wider than the view sideways (the others stay put)."""
        width = self.scrollable_content_region.width
        limit = max(0, self._widest - width)
        code_x = max(0, min(limit, self.code_x + cells))
        if code_x != self.code_x:
            self.code_x = code_x
            self._cut.clear()
            self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_y = self.scroll_offset.y
        scroll_x = self.code_x
        index = scroll_y + y
        width = self.scrollable_content_region.width
        style = self._lines_style or self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        line = self._lines[index]
        length = line.cell_length
        if length == width:
            return line  # pre-rendered at this width over this style: nothing to build
        if length < width:
            return line.extend_cell_length(width, style)
        cut = self._cut.get(index)
        if cut is None or cut.cell_length != width:
            cut = self._cut[index] = self._cut_line(line, scroll_x, width, style)
        return cut

    def _cut_line(self, line: Strip, scroll_x: int, width: int, style: Style) -> Strip:
        """A wide line: the part in view, with a mark on each side that has more."""
        length = line.cell_length
        scroll_x = min(scroll_x, length - width)
        more = scroll_x + width < length
        body = line.crop(scroll_x + (scroll_x > 0), scroll_x + width - more)
        dim = style + Style(dim=True, bold=True)
        parts = [Strip([Segment(self.LESS, dim)], 1)] if scroll_x > 0 else []
        parts.append(body)
        if more:
            parts.append(Strip([Segment(self.MORE, dim)], 1))
        return Strip.join(parts)
