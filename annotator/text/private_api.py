"""Every private internal of Rich and sqlite-utils that the code relies on, in one place.

Neither library promises anything about names with a leading underscore: an upgrade may
rename or change them without notice. The code reaches them only through this module (or,
for a method it overrides, names it here), and ``tests/test_private_api.py`` has one test
per entry that fails when the internal disappears or changes shape. This module sits in the
lowest layer (beside the sanitiser) so the store, the command line and the terminal app can
all use it; it imports neither library (the objects are passed in), so importing it costs
nothing at start-up. Textual's internals are in :mod:`annotator.tui.private_api`,
textual-serve's in :mod:`annotator.web.private_api`.

Rich
1. ``Console._render_buffer(buffer)``: where a console turns segments into the text it
   writes (to the terminal, a file or a capture); the command line's ``SafeConsole``
   (``text/console.py``) overrides it to sanitise every text segment
   (:data:`CONSOLE_RENDER_HOOK`).
2. ``Style._meta``: a style's serialised meta data, ``None`` when it has none; read as a
   cheap test before ``Style.meta`` (which unpickles it) on every segment of a rendered
   response (:func:`style_has_meta`).
3. ``Console._width`` and ``Console._height``: the size a console fixed when it was made
   (from ``$COLUMNS``), ``None`` to follow the environment when it prints; ``SafeConsole``
   sets them back to ``None`` when no size was given (:func:`follow_environment_size`).

sqlite-utils
4. ``Migrations._migrations``: the migrations a ``Migrations`` object defines, in order
   (``Migrations.applied`` gives those applied to a database; nothing public gives the
   defined ones): the schema version (:func:`defined_migrations`).
"""

from __future__ import annotations

from typing import Any

# The private method of rich.console.Console that SafeConsole overrides.
CONSOLE_RENDER_HOOK = "_render_buffer"


def follow_environment_size(console: Any, width: Any, height: Any) -> None:
    """Let a ``rich.console.Console`` made without a size follow ``$COLUMNS`` / ``$LINES`` (or
    the terminal) when it prints, not the values they had when it was made."""
    if width is None:
        console._width = None
    if height is None:
        console._height = None


def style_has_meta(style: Any) -> bool:
    """Whether a ``rich.style.Style`` carries meta data (without unpickling it)."""
    return bool(style._meta)


def defined_migrations(migrations: Any) -> list:
    """The migrations a ``sqlite_utils.Migrations`` defines, in the order they apply."""
    return list(migrations._migrations)
