"""The rationale box: one line of free text, entered only on purpose.

Tab never moves the focus into it: the box takes the focus only through its key (``r``)
or a click (:meth:`RationaleInput.enter`), and gives it up on Escape or when the focus
goes elsewhere, so a command key typed after Tab never becomes rationale text. ``r`` and
Escape are priority bindings that act as the key arrives, and the focus moves at once, so
the keys typed right after them go where the annotator meant. While it has the focus it
says so (a marked border and a prompt line). A pasted paragraph keeps
all of its lines, joined.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

from annotator.tui import keymap


def join_lines(text: str) -> str:
    """Pasted text as one line: its lines joined by single spaces, blank lines dropped."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


class RationaleInput(Input):
    """An ``Input`` out of the Tab order, whose paste keeps every line."""

    BINDINGS = keymap.RATIONALE

    class Leave(Message):
        """Escape: the screen puts the focus back on the responses."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.can_focus = False

    def enter(self) -> None:
        """Take the focus now (the explicit way in: its key or a click).

        At once, not after the current message (``focus()`` would): with its key bound at
        priority, the very next key typed is routed here, so a fast typist loses none.
        """
        self.can_focus = True
        self.screen.set_focus(self)

    def _on_blur(self, event: events.Blur) -> None:
        self.can_focus = False  # out of the Tab order again
        super()._on_blur(event)

    async def _on_mouse_down(self, event: events.MouseDown) -> None:
        if not self.has_focus:
            self.enter()
        await super()._on_mouse_down(event)

    def action_leave(self) -> None:
        # Drop the focus at once (a key typed right after Escape must not reach this widget),
        # then let the screen put it back on the responses.
        self.screen.set_focus(None)
        self.post_message(self.Leave())

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        text = join_lines(event.text)
        if not text:
            return
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *selection)

    @property
    def _value(self):
        """The text as drawn: a stored rationale's control characters inert, one visible
        character each (the cursor counts the real text's characters), the value untouched."""
        from rich.text import Text

        from annotator.text.sanitize import sanitize_in_place

        return Text(sanitize_in_place(self.value), no_wrap=True, overflow="ignore", end="")
