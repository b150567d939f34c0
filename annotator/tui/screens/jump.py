"""Go to a pair: by its id, or by its position in the annotator's sequence."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from annotator.tui import keymap


class JumpScreen(ModalScreen[str | None]):
    """Dismissed with what was typed, or None (cancelled). The pair screen reports refusals."""

    BINDINGS = keymap.MODAL

    def __init__(self, position: int | None, labelled: int):
        super().__init__()
        self.position = position
        self.labelled = labelled

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Go to a pair", classes="dialog-title")
            where = f"You are at {self.position}; " if self.position else ""
            yield Static(
                f"{where}you have labelled {self.labelled} pair{'s' if self.labelled != 1 else ''}. "
                "Type a pair id, or a position: 1 is the first pair you labelled (#N is always a "
                "position, for ids that are numbers).",
                markup=False,
            )
            yield Input(placeholder="pair id or position", id="jump-target", max_length=200)
            yield Static("Enter goes · Esc cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_close(self) -> None:
        self.dismiss(None)
