"""The overall choice, as seen on screen: A (left) better, B (right) better, tie, or both bad
(when the task offers it)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class ChoiceBar(Widget):
    DEFAULT_CSS = """
    ChoiceBar { height: 1; width: auto; }
    """

    choice = reactive[str | None](None)  # on-screen "A" / "B" / "tie" / "both_bad"
    offered = reactive(("A", "B", "tie"))  # the task's label_choices
    keys = reactive(("1", "2", "3", "4"))  # the keys of A, B, tie and both_bad

    def render(self) -> Text:
        options = [(key, value, label) for key, (value, label) in
                   zip(self.keys, (("A", "A better"), ("B", "B better"), ("tie", "Tie"), ("both_bad", "Both bad")))
                   if value in self.offered]
        text = Text(no_wrap=True)
        text.append("Choice ", style="bold")
        for key, value, label in options:
            chosen = self.choice == value
            text.append(f" {key} ", style="reverse bold" if chosen else "bold")
            text.append(f" {label} ", style="bold green" if chosen else "dim")
        return text
