"""A factor's definition, question and place in the PROFILE taxonomy."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from annotator.store import Factor
from annotator.text.sanitize import sanitize, sanitize_line
from annotator.tui import keymap


class FactorDefinitionScreen(ModalScreen[None]):
    BINDINGS = [*keymap.MODAL, Binding("i,q", "close", "Close", show=False)]

    def __init__(self, factor: Factor):
        super().__init__()
        self.factor = factor

    def compose(self) -> ComposeResult:
        f = self.factor
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_row("Question", Text(sanitize(f.question)))
        table.add_row("Definition", Text(sanitize(f.definition)))
        if f.level1:
            table.add_row("Taxonomy", Text(f"{sanitize(f.level1)} › {sanitize(f.level2)} › {sanitize(f.name)}"))
        if f.needs_source:
            table.add_row("Needs", Text("the source document (answer n/a when there is none)"))
        if f.custom:
            table.add_row("Origin", Text("a factor defined by this task"))
        with Vertical(id="dialog"):
            yield Static(Text(sanitize_line(f.name)), classes="dialog-title")
            yield Static(table)
            yield Static("Esc or i to close", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
