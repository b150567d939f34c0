"""The task's guidelines (Markdown), over the pair screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from annotator.store import Task
from annotator.text.sanitize import sanitize, sanitize_line
from annotator.tui import keymap


class GuidelinesScreen(ModalScreen[None]):
    BINDINGS = [*keymap.MODAL, keymap.APP[1]]  # Escape or `g` again closes

    def __init__(self, task: Task):
        super().__init__()
        self.label_task = task

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide-dialog"):
            yield Static(f"Guidelines · {sanitize_line(self.label_task.title or self.label_task.name)}",
                         classes="dialog-title", markup=False)
            with VerticalScroll(id="guidelines-scroll"):
                yield Markdown(sanitize(self.label_task.guidelines) or "_This task has no guidelines._")
            yield Static("Esc or g to close", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_guidelines(self) -> None:
        self.dismiss(None)
