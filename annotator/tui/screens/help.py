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

ESCAPE_TIME_HINT = (
    "Escape then a key, typed quickly, reach the app as Alt+key in tmux and some terminals: "
    "the app reads them as the two keys (in the rationale box, Escape then a digit types a "
    "symbol such as ¡ instead). To make the terminal pass Escape at once, put "
    "`set -sg escape-time 10` in ~/.tmux.conf (then `tmux source ~/.tmux.conf`)."
)


def bindings_table(user_keymap: dict[str, str], format_key, hidden: frozenset[str] = frozenset()) -> Table:
    """Every binding with its keys, less those of ``hidden`` ids (a choice the task does not offer)."""
    table = Table(box=None, expand=True, padding=(0, 1), show_header=True, header_style="bold")
    table.add_column("Keys", no_wrap=True, style="bold cyan")
    table.add_column("Action")
    table.add_column("Id (config)", style="dim", no_wrap=True)
    for area, bindings in keymap.AREAS.items():
        table.add_row(Text(area, style="bold underline"), "", "")
        for binding in bindings:
            if binding.id in hidden:
                continue
            keys = ", ".join(format_key(k) for k in keymap.keys_for(binding, user_keymap))
            table.add_row(keys, binding.description, binding.id or "")
    return table


def rows_table(rows: list[tuple[str, str]]) -> Table:
    """A screen's own keys (``help_rows``), as the keys table shows bindings."""
    table = Table(box=None, expand=True, padding=(0, 1), show_header=True, header_style="bold")
    table.add_column("Keys", no_wrap=True, style="bold cyan")
    table.add_column("Action")
    for keys, action in rows:
        table.add_row(keys, action)
    return table


class HelpScreen(ModalScreen[None]):
    """The keys. The app builds one per content and shows it again (``App.install_screen``).

    Its background is opaque (``app.tcss``): a translucent one makes every paint blend the whole screen
    beneath it, segment by segment (about a third of the CPU of opening it), and repaint it
    each time that screen changes (the timer of the top bar, every second)."""

    BINDINGS = [*keymap.MODAL, Binding("question_mark,q", "close", "Close", show=False)]

    def __init__(self, user_keymap: dict[str, str], hidden: frozenset[str] = frozenset(),
                 rows: list[tuple[str, str]] | None = None):
        """``rows``: the keys of a screen with keys of its own (the ranking screen), shown
        instead of the pair screen's bindings."""
        super().__init__()
        self.user_keymap = user_keymap
        self.hidden = hidden
        self.rows = rows

    def compose(self) -> ComposeResult:
        def format_key(key: str) -> str:
            return self.app.get_key_display(Binding(key, ""))

        with Vertical(id="dialog", classes="wide-dialog"):
            yield Static("Keys", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                if self.rows is not None:
                    yield Static(rows_table(self.rows))
                    yield Static(Text(ESCAPE_TIME_HINT, style="dim"))
                    return
                yield Static(bindings_table(self.user_keymap, format_key, self.hidden))
                yield Static(Text(
                    "Remap any key in the [keymap] section of "
                    f"{sanitize_line(str(config_path()))} (or $ANNOTATOR_CONFIG), "
                    'e.g.  save = "enter,ctrl+s"', style="dim"))
                yield Static(Text(
                    "Labels are saved the moment you press the save key: quit at any time "
                    "and you resume at the first unlabelled pair. u goes back to change a "
                    "saved label (a new revision; the old one is kept). x skips a pair for now "
                    "(it comes back at the end of your queue); ! flags it for the researcher "
                    "with a reason; : goes to a pair by its id or position; / searches the "
                    "pairs you have labelled.", style="dim"))
                yield Static(Text(
                    "Tab moves between the panes, the checklist and the confidence, never into "
                    "the rationale box: r enters it, Escape leaves it. In the diff view ] and [ "
                    "go to the next and previous change and t makes the panes scroll together "
                    "or apart; h and l scroll wide code blocks sideways.", style="dim"))
                yield Static(Text(ESCAPE_TIME_HINT, style="dim"))
            yield Static("Esc or ? to close", classes="dialog-hint")

    def on_screen_resume(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_home(animate=False)  # opened again: from the top

    def action_close(self) -> None:
        self.dismiss(None)
