"""Turning one raw row into a ``Pair`` (and its label and verdict values), with checks.

Everything a row can get wrong is reported as a ``Problem`` naming the row, the field, what
was expected and what was found.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

from annotator.store.models import CHOICES, Pair

from .cleaning import nesting_depth
from .errors import Problem, describe
from .taskfile import DataSpec, FieldRule

MAX_METADATA_DEPTH = 32

_MISSING = object()


def lookup(row: Any, path: str) -> Any:
    """Follow a dotted path (``a.b.0.c``) through nested objects and lists; ``_MISSING`` if absent."""
    if isinstance(row, dict) and path in row:
        return row[path]
    value = row
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


class RowError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def field_value(row: dict, key: str, rule: FieldRule, location: str, *, text: bool = True,
                required: bool = True) -> Any:
    """The value of pair field ``key`` by ``rule``; raises ``RowError`` on a bad value."""
    if rule.value is not None and not rule.fields:
        return rule.value
    parts = []
    for name in rule.fields:
        value = lookup(row, name)
        if value is _MISSING:
            if len(rule.fields) > 1 or not required:
                continue
            raise RowError(Problem(location, f"a field {name!r} (for {key})", f"no such field (fields: {', '.join(map(str, list(row)[:12]))})"))
        if value is None and (len(rule.fields) > 1 or not required):
            continue
        if text and not isinstance(value, str):
            if key == "id" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            else:
                raise RowError(Problem(location, f"text in {name!r} (for {key})", describe(value)))
        parts.append(value)
    if not parts:
        if required and rule.fields:
            raise RowError(Problem(location, f"one of the fields {rule.fields} (for {key})", "none present"))
        return rule.value if rule.value is not None else None
    value = "\n\n".join(p for p in parts if p.strip()) if len(parts) > 1 else parts[0]
    if rule.split is not None:
        pieces = value.split(rule.split)
        if not -len(pieces) <= rule.index < len(pieces):
            raise RowError(Problem(location, f"{key}: at least {rule.index + 1} parts split on {rule.split!r}", repr(value)))
        value = pieces[rule.index].strip()
    return value


def content_hash(pair: Pair) -> str:
    """A digest of everything a pair shows, to tell an unchanged re-import from changed content.

    Each part is length-prefixed (no separator can be forged by the text itself); metadata is
    serialised as sorted JSON only when present. Hashing the text directly, rather than a
    JSON encoding of it, keeps large imports fast.
    """
    digest = hashlib.sha256()
    for part in (pair.prompt, pair.source, pair.response_a, pair.response_b, pair.model_a, pair.model_b,
                 pair.domain, pair.gold or "", json.dumps(pair.metadata, ensure_ascii=False, sort_keys=True, default=str)
                 if pair.metadata else ""):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(b"%d:" % len(data))
        digest.update(data)
    return digest.hexdigest()


def derived_id(prompt: str, response_a: str, response_b: str) -> str:
    """A stable id from the content, for pair files without one."""
    digest = hashlib.sha256("\x00".join([prompt, response_a, response_b]).encode("utf-8"))
    return "h" + digest.hexdigest()[:16]


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


def build_pair(task: str, row: dict, location: str, spec: DataSpec, label_map: dict[str, str] | None) -> Pair:
    """Map a row to a Pair, checking every field; raises ``RowError``."""
    f = spec.fields
    prompt = field_value(row, "prompt", f["prompt"], location)
    response_a = field_value(row, "response_a", f["response_a"], location)
    response_b = field_value(row, "response_b", f["response_b"], location)
    for key, value in (("response_a", response_a), ("response_b", response_b), ("prompt", prompt)):
        if len(value) > spec.max_response_chars:
            raise RowError(Problem(
                location, f"{key} of at most {spec.max_response_chars:,} characters "
                "(raise [data] max_response_chars to allow more)", f"{len(value):,} characters"))
    optional = {}
    for key in ("model_a", "model_b", "domain", "source", "gold"):
        optional[key] = field_value(row, key, f[key], location, required=False) if key in f else None
    if "id" in f:
        pair_id = field_value(row, "id", f["id"], location)
        if not pair_id.strip():
            raise RowError(Problem(location, "a non-empty id", "an empty id"))
    else:
        pair_id = derived_id(prompt, response_a, response_b)
    gold = optional["gold"]
    if gold is not None and str(gold).strip() == "":
        gold = None
    if gold is not None:
        mapped = gold if gold in CHOICES else map_choice(gold, label_map or {})
        if mapped is None:
            raise RowError(Problem(location, "a gold answer of A, B or tie (or a value in [labels] map)", describe(gold)))
        gold = mapped
    metadata = {}
    for name in spec.metadata:
        value = lookup(row, name)
        if value is not _MISSING:
            if nesting_depth(value, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
                raise RowError(Problem(location, f"metadata {name!r} nested at most {MAX_METADATA_DEPTH} levels deep",
                                       f"deeper nesting (more than {MAX_METADATA_DEPTH} levels)"))
            metadata[name] = value
    pair = Pair(
        task=task, pair_id=pair_id, prompt=prompt, response_a=response_a, response_b=response_b,
        model_a=optional["model_a"] or "", model_b=optional["model_b"] or "",
        domain=optional["domain"] or "", source=optional["source"] or "", metadata=metadata,
        gold=gold,
    )
    pair.content_hash = content_hash(pair)
    return pair
