"""Rich's Markdown, adjusted for reading responses in a narrow pane.

* Tables fold their cells: a long word or value is broken across lines of its cell instead
  of being cut with an ellipsis, so nothing a response says is hidden.
* A code block whose longest line is wider than the pane is not wrapped: its lines keep
  their shape and the block scrolls sideways (:class:`~.line_view.LineView` scrolls only
  lines wider than the view, so the prose around it stays put). Rich crops every rendered
  line to the console width, so the block is rendered apart at its own width and stands in
  the document as placeholder rows (a style carrying ``meta = {"wide": (block, row)}``);
  :func:`splice_wide_blocks` puts the block's rows back in their place.
"""

from __future__ import annotations

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Markdown, TableElement
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.table import Table

from annotator.text.private_api import style_has_meta

PADDING = 1  # Syntax padding around code, as Rich's own code blocks


class FoldingTable(TableElement):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(box=box.SIMPLE, pad_edge=False, style="markdown.table.border", show_edge=True,
                      collapse_padding=True)
        if self.header is not None and self.header.row is not None:
            for column in self.header.row.cells:
                heading = column.content.copy()
                heading.stylize("markdown.table.header")
                table.add_column(heading, overflow="fold")
        if self.body is not None:
            for row in self.body.rows:
                table.add_row(*(element.content for element in row.cells))
        for column in table.columns:
            column.overflow = "fold"
        yield table


class ScrollingCodeBlock(CodeBlock):
    @classmethod
    def create(cls, markdown: Markdown, token) -> ScrollingCodeBlock:
        block = super().create(markdown, token)
        block.markdown = markdown
        return block

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        width = options.max_width
        longest = max((cell_len(line.expandtabs(4)) for line in code.splitlines()), default=0)
        natural = longest + 2 * PADDING
        if natural <= width:
            yield Syntax(code, self.lexer_name, theme=self.theme, word_wrap=True, padding=PADDING)
            return
        syntax = Syntax(code, self.lexer_name, theme=self.theme, word_wrap=False, padding=PADDING,
                        tab_size=4)
        lines = console.render_lines(syntax, options.update(width=natural, max_width=natural), pad=True)
        blocks: list = self.markdown.wide_blocks
        blocks.append(lines)
        index = len(blocks) - 1
        for row in range(len(lines)):
            yield Segment(" " * width, Style(meta={"wide": (index, row)}))
            yield Segment.line()


class ResponseMarkdown(Markdown):
    elements = {
        **Markdown.elements,
        "fence": ScrollingCodeBlock,
        "code_block": ScrollingCodeBlock,
        "table_open": FoldingTable,
    }

    def __init__(self, markup: str, **options):
        super().__init__(markup, **options)
        self.wide_blocks: list[list[list[Segment]]] = []


def _wide_cell(segment: Segment) -> tuple[int, int] | None:
    style = segment.style
    if style is None or not style_has_meta(style):
        return None
    return style.meta.get("wide")


def splice_wide_blocks(lines: list[list[Segment]], blocks: list[list[list[Segment]]]) -> set[int]:
    """Put each wide code block's rows in place of its placeholder rows (see the module doc),
    in ``lines``; returns the indices of the lines now wider than the others."""
    wide: set[int] = set()
    if not blocks:
        return wide
    for index, line in enumerate(lines):
        for i, segment in enumerate(line):
            cell = _wide_cell(segment)
            if cell is not None:
                block, row = cell
                lines[index] = [*line[:i], *blocks[block][row]]
                wide.add(index)
                break
    return wide
