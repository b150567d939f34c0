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
    """Dismissed with the reason typed, :data:`CLEAR`, or None (cancelled).

    ``typed`` and ``error``: opened again after a flag could not be written, with the reason
    that was typed (:data:`CLEAR`: the withdrawal) and why it failed.
    """

    BINDINGS = keymap.MODAL

    def __init__(self, pair_id: str, current: Flag | None, *, typed: str | None = None, error: str = ""):
        super().__init__()
        self.pair_id = pair_id
        self.current = current
        self.typed = typed
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Flag pair {sanitize_line(self.pair_id)} for the researcher", classes="dialog-title",
                         markup=False)
            yield Static("Say in a few words what is wrong (the prompt is cut off, both responses are the "
                         "same, offensive content, ...). The label is not changed.", markup=False)
            value = self.current.reason if self.current else ""
            if self.typed is not None:
                value = "" if self.typed == CLEAR else self.typed
            yield Input(value=value, placeholder="reason", max_length=MAX_REASON, id="flag-reason")
            yield Static(sanitize_line(self.error), id="flag-error", markup=False)
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
