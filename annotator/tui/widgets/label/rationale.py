"""The rationale box: one line of free text; a pasted paragraph keeps all of its lines."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


def join_lines(text: str) -> str:
    """Pasted text as one line: its lines joined by single spaces, blank lines dropped."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


class RationaleInput(Input):
    """An ``Input`` whose paste keeps every line (the stock one keeps only the first)."""

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
