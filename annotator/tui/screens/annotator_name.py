"""Asks who is labelling, when ``--annotator`` was not given."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from annotator.text.sanitize import sanitize_line

MAX_NAME = 64


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be an annotator name, or None when it can."""
    if not name.strip():
        return "Type a name (it identifies your labels)."
    if len(name) > MAX_NAME:
        return f"At most {MAX_NAME} characters."
    if sanitize_line(name) != name:
        return "Control characters are not allowed in a name."
    return None


class AnnotatorNameScreen(Screen[str]):
    """Dismissed with the name typed (stripped).

    The field starts empty: the operating-system account is not the annotator's name (a
    shared login, a lab machine) and a prefilled name is accepted with one Enter. In the
    terminal the name is remembered for the next session (see the app).
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="name-box"):
            yield Static("Who is labelling?", id="name-title")
            yield Static(
                "Your name is stored with every label you give, so that each pair is shown "
                "to you once and your work can be resumed. Other annotators' answers are never shown. "
                "In this terminal the name is remembered for next time.",
                id="name-help",
            )
            yield Input(placeholder="your name", id="name-input", max_length=MAX_NAME)
            yield Static("", id="name-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        problem = check_name(name)
        if problem:
            self.query_one("#name-error", Static).update(problem)
            return
        self.dismiss(name)
