"""Every private internal of Textual that the terminal app relies on, in one place.

Textual promises nothing about names with a leading underscore: an upgrade may rename or
change them without notice. The app reaches them only through this module (or, for the
handlers it overrides, names them here), and ``tests/test_private_api.py`` has one test per
entry that fails when the internal disappears or changes shape, so an upgrade breaks a
named test rather than a keystroke. The Rich and sqlite-utils internals of the headless
code are in :mod:`annotator.text.private_api`; textual-serve's in
:mod:`annotator.web.private_api`.

1. ``textual._ansi_sequences.ANSI_SEQUENCES_KEYS``: how Textual reads escape sequences;
   the app takes from it the macOS Option+digit characters (Escape + digit) to read them
   back as the digit (:data:`ANSI_SEQUENCES_KEYS`).
2. ``textual.keys._character_to_key``: a character's key name ("!" -> "exclamation_mark"),
   for a key replayed after Escape (:func:`character_to_key`).
3. ``App._check_bindings(key, priority=False)``: runs the binding of a key, as Textual does
   for a key press (:func:`check_bindings`).
4. ``Screen._modal_binding_chain``: the (node, bindings) pairs a key press is checked
   against (:func:`modal_binding_chain`).
5. ``textual.widgets._footer.FooterKey``: the footer's key widget, which the app's footer
   adds for the help key (:data:`FooterKey`).
6. ``Footer._bindings_ready``: whether the footer may compose its keys yet
   (:func:`footer_bindings_ready`).
7. ``Input._on_blur`` and ``Input._on_mouse_down``: the input's own focus-out and click
   handlers, which the rationale box overrides and then calls (``RationaleInput`` in
   ``widgets/label/rationale.py``): :data:`INPUT_HANDLERS`.
"""

from __future__ import annotations

from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual.app import App
from textual.keys import _character_to_key
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["ANSI_SEQUENCES_KEYS", "FooterKey", "INPUT_HANDLERS", "character_to_key", "check_bindings",
           "footer_bindings_ready", "modal_binding_chain"]

# The private handlers of ``textual.widgets.Input`` that RationaleInput overrides.
INPUT_HANDLERS = ("_on_blur", "_on_mouse_down")


def character_to_key(character: str) -> str:
    """Textual's key name for a printable character ("!" -> "exclamation_mark")."""
    return _character_to_key(character)


async def check_bindings(app: App, key: str, priority: bool = False) -> bool:
    """Run ``key``'s binding as a key press would; True when one handled it."""
    return await app._check_bindings(key, priority)


def modal_binding_chain(screen: Screen) -> list:
    """The (node, bindings map) pairs a key press on ``screen`` is checked against."""
    return screen._modal_binding_chain


def footer_bindings_ready(footer: Footer) -> bool:
    """Whether Textual's footer has its bindings (before that it composes nothing)."""
    return footer._bindings_ready
