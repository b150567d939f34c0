"""Every binding of the app, with its id (for the config file) and the keys in force."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from annotator.text.sanitize import sanitize_line
from annotator.tui import keymap
from annotator.tui.config import config_path


def bindings_table(user_keymap: dict[str, str], format_key) -> Table:
    table = Table(box=None, expand=True, padding=(0, 1), show_header=True, header_style="bold")
    table.add_column("Keys", no_wrap=True, style="bold cyan")
    table.add_column("Action")
    table.add_column("Id (config)", style="dim", no_wrap=True)
    for area, bindings in keymap.AREAS.items():
        table.add_row(Text(area, style="bold underline"), "", "")
        for binding in bindings:
            keys = ", ".join(format_key(k) for k in keymap.keys_for(binding, user_keymap))
            table.add_row(keys, binding.description, binding.id or "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [*keymap.MODAL, Binding("question_mark,q", "close", "Close", show=False)]

    def __init__(self, user_keymap: dict[str, str]):
        super().__init__()
        self.user_keymap = user_keymap

    def compose(self) -> ComposeResult:
        def format_key(key: str) -> str:
            return self.app.get_key_display(Binding(key, ""))

        with Vertical(id="dialog", classes="wide-dialog"):
            yield Static("Keys", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(bindings_table(self.user_keymap, format_key))
                yield Static(Text(
                    "Remap any key in the [keymap] section of "
                    f"{sanitize_line(str(config_path()))} (or $ANNOTATOR_CONFIG), "
                    'e.g.  save = "enter,ctrl+s"', style="dim"))
                yield Static(Text(
                    "Labels are saved the moment you press the save key: quit at any time "
                    "and you resume at the first unlabelled pair. u goes back to change a "
                    "saved label (a new revision; the old one is kept).", style="dim"))
            yield Static("Esc or ? to close", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
