"""The one way a report becomes the documented JSON, and is read back typed.

Report sections are dataclasses holding ``Estimate`` values, numpy scalars and nested
sections; ``serialise`` turns any of them into plain JSON: a dataclass field by field (its
``to_json`` when it defines one), an ``Estimate`` as its dict (``estimate``, ``ci_low``,
``ci_high``, ``n``, ``reason`` ...), NaN and infinities as ``None``, numpy scalars as Python
numbers. ``read_back(cls, data)`` is the inverse for a section whose JSON is its fields
(``fields_json``): the report, which receives the engines' JSON from worker processes, reads
the sections back as the same dataclasses the commands read (inspect_ai's ``EvalLog`` model:
one typed tree, serialised in one place, read back typed).
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

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


T = TypeVar("T")
_ESTIMATE_KEYS = ("estimate", "ci_low", "ci_high", "n", "reason")


def estimate_from_json(data: dict[str, Any]) -> Estimate:
    """An ``Estimate`` from its JSON (``Estimate.to_dict``): ``None`` numbers are NaN."""
    def number(key: str) -> float:
        value = data.get(key)
        return math.nan if value is None else float(value)

    return Estimate(number("estimate"), number("ci_low"), number("ci_high"), int(data.get("n") or 0),
                    data.get("reason") or "", {k: v for k, v in data.items() if k not in _ESTIMATE_KEYS})


def read_back(cls: type[T], data: Any) -> T:
    """The typed section ``cls`` from its JSON (the inverse of ``serialise`` for a dataclass
    serialised field by field); nested dataclasses, ``Estimate``, lists, dicts and optional
    fields are read back by their annotations."""
    return _read(cls, data)


def _read(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        return _read(options[0], data) if len(options) == 1 else data
    if tp is Estimate:
        return estimate_from_json(data)
    if is_dataclass(tp) and isinstance(tp, type):
        hints = get_type_hints(tp)
        return tp(**{f.name: _read(hints[f.name], data[f.name]) for f in fields(tp) if f.name in data})
    if origin is list:
        (item,) = get_args(tp) or (Any,)
        return [_read(item, v) for v in data]
    if origin is dict:
        _, value = get_args(tp) or (Any, Any)
        return {k: _read(value, v) for k, v in data.items()}
    return data
