"""The adjudicator's decision: the final label, a reason from the taxonomy, a note."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Static

from annotator.store import ADJUDICATION_REASONS

REASON_KEYS = list(ADJUDICATION_REASONS)


class DecisionBar(Horizontal):
    """Shows the decision being made; the screen owns it and calls :meth:`show`."""

    def compose(self) -> ComposeResult:
        yield Static(id="adj-final")
        yield Static(id="adj-reason")
        yield Input(placeholder="note (n), Enter saves", id="adj-note", max_length=2000)

    def show(self, choice: str | None, reason: str | None, choices: tuple[str, ...]) -> None:
        final = Text("Final: ", style="bold")
        keys = {"A": "1", "B": "2", "tie": "3", "both_bad": "4"}
        for c in choices:
            style = "bold reverse" if c == choice else "dim"
            final.append(f" {keys[c]} {c.replace('_', ' ')} ", style=style)
            final.append(" ")
        self.query_one("#adj-final", Static).update(final)
        reason_text = Text("Reason (r): ", style="bold")
        reason_text.append(ADJUDICATION_REASONS[reason] if reason else "— choose one —",
                           style="reverse" if reason else "dim")
        self.query_one("#adj-reason", Static).update(reason_text)

    @property
    def note(self) -> str:
        return self.query_one("#adj-note", Input).value.strip()

    def clear_note(self) -> None:
        self.query_one("#adj-note", Input).value = ""
