"""Who is labelling: asked when ``--annotator`` was not given, and a remembered name offered.

A remembered name is offered, never assumed (:class:`ContinueAsScreen`: one key to continue
as it, another to change it), and a name is remembered only when the annotator asks for it
(the box under the name field).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Static

from annotator.text.sanitize import sanitize_line

MAX_NAME = 64
CHANGE = object()  # ContinueAsScreen's answer when the annotator is someone else


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be an annotator name, or None when it can."""
    if not name.strip():
        return "Type a name (it identifies your labels)."
    if len(name) > MAX_NAME:
        return f"At most {MAX_NAME} characters."
    if sanitize_line(name) != name:
        return "Control characters are not allowed in a name."
    return None


class RememberBox(Checkbox, inherit_bindings=False):
    """Space ticks it; Enter (as in the name field) gives the name."""

    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]


class AnnotatorNameScreen(Screen[tuple[str, bool]]):
    """Dismissed with ``(name, remember)``: the name typed (stripped), and whether the
    annotator asked for it to be remembered in this terminal.

    The field starts empty: the operating-system account is not the annotator's name (a
    shared login, a lab machine) and a prefilled name is accepted with one Enter. The box
    "remember" is shown only where a name can be remembered (not in a browser).
    """

    BINDINGS = [Binding("enter", "submit", "Start", show=False)]

    def __init__(self, *, can_remember: bool = True):
        super().__init__()
        self.can_remember = can_remember

    def compose(self) -> ComposeResult:
        with Vertical(id="name-box"):
            yield Static("Who is labelling?", id="name-title")
            yield Static(
                "Your name is stored with every label you give, so that each pair is shown "
                "to you once and your work can be resumed. Other annotators' answers are never shown.",
                id="name-help",
            )
            yield Input(placeholder="your name", id="name-input", max_length=MAX_NAME)
            if self.can_remember:
                yield RememberBox("Offer my name next time here (Tab, space)",
                                  False, id="name-remember")
            yield Static("", id="name-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        name = self.query_one("#name-input", Input).value.strip()
        problem = check_name(name)
        if problem:
            self.query_one("#name-error", Static).update(problem)
            self.query_one("#name-input", Input).focus()
            return
        remember = self.can_remember and self.query_one("#name-remember", Checkbox).value
        self.dismiss((name, remember))


class ContinueAsScreen(Screen[object]):
    """``Last time in this terminal: alice. ⏎ continue as alice · c someone else · q quit``.

    Dismissed with the name (continue), :data:`CHANGE` (someone else) or None (quit).
    """

    BINDINGS = [
        Binding("enter", "continue", "Continue"),
        Binding("c,n", "change", "Someone else"),
        Binding("q,escape", "quit_app", "Quit"),
    ]

    def __init__(self, name: str):
        super().__init__()
        self.offered = name

    def compose(self) -> ComposeResult:
        shown = sanitize_line(self.offered)
        with Vertical(id="name-box"):
            yield Static("Who is labelling?", id="name-title")
            yield Static(f"Last time in this terminal the labels were given as {shown}.", id="name-help")
            yield Static(f"⏎  continue as {shown}\nc  I am someone else\nq  quit",
                         id="name-offer", markup=False)

    def action_continue(self) -> None:
        self.dismiss(self.offered)

    def action_change(self) -> None:
        self.dismiss(CHANGE)

    def action_quit_app(self) -> None:
        self.dismiss(None)
