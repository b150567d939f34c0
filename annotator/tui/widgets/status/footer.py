"""The footer: the keys in force, with the key to every key (``?``) always in view.

Textual's footer cuts whatever does not fit at the right of a narrow terminal. Here the
help key is docked at the right end (where Textual puts its command palette key), so at
80 columns the annotator still sees how to find every other key; below
:data:`COMPACT_BELOW` columns the keys are packed closer.
"""

from __future__ import annotations

from textual.widgets import Footer

from annotator.tui.private_api import FooterKey, footer_bindings_ready

COMPACT_BELOW = 120
HELP_ACTION = "app.help"


class KeysFooter(Footer):
    def compose(self):
        yield from super().compose()
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
