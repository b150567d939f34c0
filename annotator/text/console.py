"""The command line's consoles: Rich consoles that cannot be made to act on a terminal.

Every text segment a :class:`SafeConsole` writes goes through :func:`sanitize` (ESC, C1
controls, BEL, bidi overrides, tag characters made visible), and hyperlinks are dropped
from styles (the CLI makes none, so a ``[link=...]`` that reached it is someone's data),
whatever the call site passed: a table cell, a message, a progress description. Rich's own
control sequences (colours, cursor movement for progress bars) are not text segments and
pass as they are. :func:`safe_json` is the same rule for ``--json`` output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.segment import Segment

from .private_api import follow_environment_size
from .sanitize import sanitize


class SafeConsole(Console):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rich fixes the width from $COLUMNS when the console is made; without a width given,
        # it follows $COLUMNS (or the terminal) when it prints instead, as a command run
        # in-process (click's runner, a test) with its own environment expects.
        follow_environment_size(self, kwargs.get("width"), kwargs.get("height"))

    # Rich's private rendering hook (listed in text/private_api.py, CONSOLE_RENDER_HOOK).
    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        def safe(segments: Iterable[Segment]):
            for text, style, control in segments:
                if control:
                    yield Segment(text, style, control)
                    continue
                if style is not None and style.link:
                    style = style.update_link(None)
                yield Segment(sanitize(text) if text else text, style, control)

        return super()._render_buffer(safe(buffer))


# What json.dumps(ensure_ascii=False) leaves raw: C1 controls, DEL, bidi controls, line and
# paragraph separators, tag characters. Escaped as \uXXXX, the document stays the same JSON.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")


def safe_json(data: Any, **options: Any) -> str:
    """``json.dumps`` readable as UTF-8, with every character a terminal could act on escaped."""
    text = json.dumps(data, ensure_ascii=False, **options)
    return _RAW_IN_JSON.sub(lambda m: json.dumps(m.group())[1:-1], text)
