"""A task's label map: the raw label values of a file to "A", "B" or "tie".

The keys of a ``map`` table in ``task.toml`` and the values found in rows are both read
through :func:`label_key`, so ``1``, ``1.0`` and ``"1"`` match the same key.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def label_key(raw: Any) -> str:
    """A raw label value (or a map key) as the text it is matched by.

    Text is stripped; numbers, and text that is a plain decimal number, are written the
    shortest way: ``1``, ``1.0``, ``"1"``, ``" 1.00 "`` all give ``"1"`` and ``1.5`` gives
    ``"1.5"`` (a CSV written by pandas holds ``1.0`` where the map says ``1``). Booleans are
    ``true`` / ``false``.
    """
    if isinstance(raw, bool):
        return json.dumps(raw)
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if (isinstance(raw, (int, float)) or _NUMBER.fullmatch(text)) and math.isfinite(number := float(text)):
        return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    return text


def map_choice(raw: Any, mapping: dict[str, str]) -> str | None:
    """A raw label value through a task's map (keys made by ``label_key``); ``None`` if not in it."""
    return mapping.get(label_key(raw))
