"""Optional confidence, 1 to 5: `c` focuses it, then a digit sets it."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from annotator.tui import keymap


class ConfidenceSelect(Widget, can_focus=True):
    BINDINGS = keymap.CONFIDENCE
    DEFAULT_CSS = """
    ConfidenceSelect { height: 1; width: auto; padding: 0 1; }
    ConfidenceSelect:focus { background: $accent 30%; }
    """

    value = reactive(0)  # 0 = not given
    required = reactive(False)

    class Changed(Message):
        def __init__(self, value: int | None):
            super().__init__()
            self.value = value

    class Leave(Message):
        pass

    def render(self) -> Text:
        text = Text(no_wrap=True)
        text.append("Confidence", style="bold")
        text.append("* " if self.required else " ")
        for n in range(1, 6):
            text.append("●" if n <= self.value else "○", style="bold yellow" if n <= self.value else "dim")
        text.append(f" {self.value}/5" if self.value else "  (c)", style="dim")
        return text

    def action_set(self, value: int) -> None:
        self.value = value
        self.post_message(self.Changed(value or None))
        if value:
            self.post_message(self.Leave())

    def action_leave(self) -> None:
        # Drop the focus at once (a key typed right after Escape must not reach this widget),
        # then let the screen put it back on the responses.
        self.screen.set_focus(None)
        self.post_message(self.Leave())
