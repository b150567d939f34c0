"""Flag the pair on screen for the researcher, with a short reason."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from annotator.store import Flag
from annotator.store.flags import MAX_REASON
from annotator.text.sanitize import sanitize_line
from annotator.tui import keymap

CLEAR = "\x00clear"  # the result meaning "withdraw my flag"


class FlagScreen(ModalScreen[str | None]):
    """Dismissed with the reason typed, :data:`CLEAR`, or None (cancelled)."""

    BINDINGS = keymap.MODAL

    def __init__(self, pair_id: str, current: Flag | None):
        super().__init__()
        self.pair_id = pair_id
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Flag pair {sanitize_line(self.pair_id)} for the researcher", classes="dialog-title",
                         markup=False)
            yield Static("Say in a few words what is wrong (the prompt is cut off, both responses are the "
                         "same, offensive content, ...). The label is not changed.", markup=False)
            yield Input(value=self.current.reason if self.current else "", placeholder="reason",
                        max_length=MAX_REASON, id="flag-reason")
            yield Static("", id="flag-error")
            hint = "Enter flags · Esc cancels"
            if self.current:
                hint = "Enter updates the flag · an empty reason withdraws it · Esc cancels"
            yield Static(hint, classes="dialog-hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        reason = " ".join(event.value.split())
        if reason:
            self.dismiss(reason)
        elif self.current:
            self.dismiss(CLEAR)
        else:
            self.query_one("#flag-error", Static).update("Type a short reason (or Esc to cancel).")

    def action_close(self) -> None:
        self.dismiss(None)
