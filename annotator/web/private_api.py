"""Every private or undocumented internal of textual-serve that the browser mode relies on.

textual-serve documents only ``Server(command).serve()``; the browser mode builds its own
aiohttp application on top of it. What it relies on beyond that is listed here, and
``tests/test_private_api.py`` has one test per entry that fails when it disappears or
changes shape (Textual's internals: :mod:`annotator.tui.private_api`; Rich's and
sqlite-utils': :mod:`annotator.text.private_api`).

1. ``Server._make_app()``: the coroutine ``Server.serve()`` awaits for its aiohttp
   application; ``AnnotatorServer`` overrides it with its own routes (sign-in, state,
   assets) and guard (:data:`MAKE_APP_HOOK`). Were it renamed, ``serve()`` would serve
   textual-serve's own application, with no sign-in: the test checks ``serve()`` calls it.
2. ``textual_serve.server.to_int(value, default)``: the lenient integer parse the server
   uses for sizes from the page (:func:`to_int`).
3. ``textual_serve.app_service.AppService``: the class that runs one app process per
   socket, its keyword ``write_bytes`` and its ``send_bytes`` / ``set_terminal_size`` /
   ``blur`` / ``focus`` / ``stop`` / ``on_meta`` methods (:data:`APP_SERVICE_METHODS`).
"""

from __future__ import annotations

from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

__all__ = ["APP_SERVICE_METHODS", "MAKE_APP_HOOK", "AppService", "Server", "to_int"]

# The private method of textual_serve.server.Server that AnnotatorServer overrides.
MAKE_APP_HOOK = "_make_app"
APP_SERVICE_METHODS = ("send_bytes", "set_terminal_size", "blur", "focus", "stop", "on_meta")
