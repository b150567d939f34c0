"""Go to a pair: by its id, or by its position in the annotator's sequence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from annotator.tui import keymap


class JumpScreen(ModalScreen):
    """Dismissed with what was typed, or None (cancelled). The pair screen reports refusals.

    ``go``: an async function of what was typed, run on the app's queue (keys pressed
    meanwhile wait for it) while the dialog is still up; the dialog is then dismissed with
    what it returns (the pair gone to, or None).
    """

    BINDINGS = keymap.MODAL

    def __init__(self, position: int | None, labelled: int, *,
                 go: Callable[[str], Awaitable[object]] | None = None):
        super().__init__()
        self.position = position
        self.labelled = labelled
        self.go = go
        self._going = False

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
        target = event.value.strip()
        if not target or self._going:
            return
        if self.go is None:
            self.dismiss(target)
            return
        self._going = True
        self.app.call_next(self._go, target)

    async def _go(self, target: str) -> None:
        try:
            result = await self.go(target)
        finally:
            self._going = False
        self.dismiss(result)

    def action_close(self) -> None:
        if not self._going:  # a jump on its way ends with the dialog
            self.dismiss(None)
