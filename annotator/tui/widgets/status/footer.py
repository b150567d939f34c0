"""The footer: the keys in force, with the key to every key (``?``) always in view.

Textual's footer cuts whatever does not fit at the right of a narrow terminal. Here the
help key is docked at the right end (where Textual puts its command palette key), so at
80 columns the annotator still sees how to find every other key; below
:data:`COMPACT_BELOW` columns the keys are packed closer.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Footer

from annotator.tui.private_api import FooterKey, footer_bindings_ready

COMPACT_BELOW = 120
HELP_ACTION = "app.help"


class KeysFooter(Footer):
    # Compact keys have a margin on their right: the docked help key must not, or the key
    # scrolled behind it shows through that column ("? all keysc").
    DEFAULT_CSS = """
    KeysFooter.-compact FooterKey.-command-palette { margin-right: 0; }
    """

    _composed_width = 0

    def compose(self):
        width = self.app.size.width
        self._composed_width = width
        compact = width < COMPACT_BELOW
        # Only the keys that fit whole before the help key: a key cut by it would leave a
        # stray character beside "? all keys".
        room = width - (HELP_WIDTH_COMPACT if compact else HELP_WIDTH)
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                room -= key_width(widget, compact)
                if room < 0:
                    break
            yield widget
        if not footer_bindings_ready(self):
            return
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.action == HELP_ACTION:
                yield FooterKey(binding.key, self.app.get_key_display(binding), "all keys", binding.action,
                                classes="-command-palette", disabled=not enabled,
                                tooltip=tooltip or binding.description)
                return

    def on_resize(self) -> None:
        self.compact = self.app.size.width < COMPACT_BELOW
        if footer_bindings_ready(self) and self.app.size.width != self._composed_width:
            self.call_later(self.recompose)


HELP_WIDTH, HELP_WIDTH_COMPACT = 14, 11  # "▏ ? all keys " with its padding, in each style


def key_width(key: FooterKey, compact: bool) -> int:
    """Columns a footer key takes with its margin (Textual's footer styles)."""
    words = cell_len(key.key_display) + cell_len(key.description)
    return words + 1 + bool(key.description) if compact else words + 3
