"""The one way a report becomes the documented JSON.

Report sections are dataclasses holding ``Estimate`` values, numpy scalars and nested
sections; ``serialise`` turns any of them into plain JSON: a dataclass field by field (its
``to_json`` when it defines one), an ``Estimate`` as its dict (``estimate``, ``ci_low``,
``ci_high``, ``n``, ``reason`` ...), NaN and infinities as ``None``, numpy scalars as Python
numbers.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

import numpy as np

from .estimate import Estimate, json_number


def serialise(value: Any) -> Any:
    """A JSON-ready copy of ``value`` (see the module docstring)."""
    if isinstance(value, Estimate):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        custom = getattr(value, "to_json", None)
        if custom is not None:
            return custom()
        return {f.name: serialise(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): serialise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [serialise(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return json_number(float(value))
    return value


def fields_json(value: Any, skip_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """A dataclass's fields as JSON, leaving out the fields in ``skip_none`` that are None."""
    return {f.name: serialise(getattr(value, f.name)) for f in fields(value)
            if not (f.name in skip_none and getattr(value, f.name) is None)}


# the name the modules used before: a report's values as JSON
to_json = serialise
