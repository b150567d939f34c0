"""Turning one raw row into a ``Pair``, its human labels (``RowLabel``) and its judge verdicts
(``RowVerdict``), with checks.

Everything a row can get wrong is reported as a ``Problem`` naming the row, the field, what
was expected and what was found.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from annotator.store.models import CHOICES, ORDERS, Judgment, Label, Pair
from annotator.store.orders import other_order, p_a as p_a_of, to_canonical

from .cleaning import nesting_depth, size_over
from .errors import Problem, describe
from .labelmap import map_choice
from .taskfile import DataSpec, FieldRule, JudgeLabelsSpec, LabelsSpec

MAX_METADATA_DEPTH = 32

MISSING = object()  # what lookup() returns for a path the row does not have


def lookup(row: Any, path: str) -> Any:
    """Follow a dotted path (``a.b.0.c``) through nested objects and lists; ``MISSING`` if absent."""
    if isinstance(row, dict) and path in row:
        return row[path]
    value = row
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


class RowError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def field_value(row: dict, key: str, rule: FieldRule, location: str, *, text: bool = True,
                required: bool = True) -> Any:
    """The value of pair field ``key`` by ``rule``; raises ``RowError`` on a bad value."""
    if rule.simple:  # one field, read as it is: the usual rule, answered without the general path
        value = row.get(rule.fields[0], MISSING)
        if type(value) is str and text:
            return value
    if rule.value is not None and not rule.fields:
        return rule.value
    parts = []
    for name in rule.fields:
        value = lookup(row, name)
        if value is MISSING:
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
    elif rule.pattern is not None:
        match = re.fullmatch(rule.pattern, value, flags=re.DOTALL)
        part = match.group(rule.group) if match else None
        if part is None:
            raise RowError(Problem(location, f"{key}: text matching {rule.pattern!r} with group {rule.group!r}",
                                   repr(value)))
        value = part.strip()
    return value


def content_hash(pair: Pair) -> str:
    """A digest of everything a pair shows, to tell an unchanged re-import from changed content.

    Each part is length-prefixed (no separator can be forged by the text itself); metadata is
    serialised as sorted JSON only when present. Hashing the text directly, rather than a
    JSON encoding of it, keeps large imports fast.
    """
    return _digest(pair.prompt, pair.source, pair.response_a, pair.response_b, pair.model_a, pair.model_b,
                   pair.domain, pair.gold, pair.metadata, pair.reference)


def _digest(prompt: str, source: str, response_a: str, response_b: str, model_a: str, model_b: str, domain: str,
            gold: str | None, metadata: dict, reference: str) -> str:
    """:func:`content_hash` of a pair's fields: SHA-256 of every part as ``<UTF-8 length>:<bytes>``."""
    meta = json.dumps(metadata, ensure_ascii=False, sort_keys=True, default=str) if metadata else ""
    gold = gold or ""
    # only when present, so pairs imported before references existed keep their hash
    ref = "reference:" + reference if reference else None
    if ref is None:
        text = (f"{len(prompt)}:{prompt}{len(source)}:{source}{len(response_a)}:{response_a}{len(response_b)}:"
                f"{response_b}{len(model_a)}:{model_a}{len(model_b)}:{model_b}{len(domain)}:{domain}{len(gold)}:{gold}"
                f"{len(meta)}:{meta}")
        if text.isascii():  # characters are bytes: the lengths above are the UTF-8 ones (the usual case)
            return hashlib.sha256(text.encode("ascii")).hexdigest()
    parts = [prompt, source, response_a, response_b, model_a, model_b, domain, gold, meta]
    if ref is not None:
        parts.append(ref)
    encoded = [part.encode("utf-8", "surrogatepass") for part in parts]
    # one call over the joined parts: the same digest as feeding them part by part
    return hashlib.sha256(b"".join([b"%d:%b" % (len(data), data) for data in encoded])).hexdigest()


def derived_id(prompt: str, response_a: str, response_b: str) -> str:
    """A stable id from the content, for pair files without one."""
    digest = hashlib.sha256("\x00".join([prompt, response_a, response_b]).encode("utf-8"))
    return "h" + digest.hexdigest()[:16]


OPTIONAL_FIELDS = ("model_a", "model_b", "domain", "source", "gold", "reference")


class PairBuilder:
    """:func:`build_pair` for one ``[data]`` table, its rules looked at once rather than per row:
    a field read by one name is taken from the row directly when it holds text (nearly every
    field of every row); anything else goes through :func:`field_value`, as always."""

    def __init__(self, spec: DataSpec, label_map: dict[str, str] | None):
        fields = spec.fields

        def plan(key: str) -> tuple[str, FieldRule, str | None]:
            rule = fields[key]
            return key, rule, rule.fields[0] if rule.simple else None

        self.spec, self.label_map = spec, label_map or {}
        self.texts = [plan(key) for key in ("prompt", "response_a", "response_b")]
        self.optional = [plan(key) for key in OPTIONAL_FIELDS if key in fields]
        self.id = plan("id") if "id" in fields else None

    def __call__(self, task: str, row: dict, location: str) -> Pair:
        """Map a row to a Pair, checking every field; raises ``RowError``."""
        spec = self.spec
        texts = []
        for key, rule, name in self.texts:
            value = row.get(name, MISSING) if name is not None else MISSING
            texts.append(value if type(value) is str else field_value(row, key, rule, location))
        prompt, response_a, response_b = texts
        limit = spec.max_response_chars
        if len(response_a) > limit or len(response_b) > limit or len(prompt) > limit:
            for key, value in (("response_a", response_a), ("response_b", response_b), ("prompt", prompt)):
                if len(value) > limit:
                    raise RowError(Problem(
                        location, f"{key} of at most {limit:,} characters "
                        "(raise [data] max_response_chars to allow more)", f"{len(value):,} characters"))
        optional = dict.fromkeys(OPTIONAL_FIELDS)
        for key, rule, name in self.optional:
            value = row.get(name, MISSING) if name is not None else MISSING
            optional[key] = value if type(value) is str else field_value(row, key, rule, location, required=False)
        if self.id is not None:
            key, rule, name = self.id
            pair_id = row.get(name, MISSING) if name is not None else MISSING
            if type(pair_id) is not str:
                pair_id = field_value(row, key, rule, location)
            if not pair_id.strip():
                raise RowError(Problem(location, "a non-empty id", "an empty id"))
        else:
            pair_id = derived_id(prompt, response_a, response_b)
        gold = optional["gold"]
        if gold is not None and str(gold).strip() == "":
            gold = None
        if gold is not None:
            mapped = gold if gold in CHOICES else map_choice(gold, self.label_map)
            if mapped is None:
                raise RowError(Problem(location, "a gold answer of A, B or tie (or a value in [labels] map)",
                                       describe(gold)))
            gold = mapped
        metadata = _metadata(row, location, spec) if spec.metadata else {}
        model_a, model_b = optional["model_a"] or "", optional["model_b"] or ""
        domain, source, reference = optional["domain"] or "", optional["source"] or "", optional["reference"] or ""
        return Pair(
            task=task, pair_id=pair_id, prompt=prompt, response_a=response_a, response_b=response_b,
            model_a=model_a, model_b=model_b, domain=domain, source=source, metadata=metadata, gold=gold,
            reference=reference,
            content_hash=_digest(prompt, source, response_a, response_b, model_a, model_b, domain, gold, metadata,
                                 reference),
        )


def _metadata(row: dict, location: str, spec: DataSpec) -> dict[str, Any]:
    """The row's ``[data] metadata`` fields that it has, checked for depth and size."""
    metadata = {}
    for name in spec.metadata:
        value = lookup(row, name)
        if value is not MISSING:
            if nesting_depth(value, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
                raise RowError(Problem(location, f"metadata {name!r} nested at most {MAX_METADATA_DEPTH} levels deep",
                                       f"deeper nesting (more than {MAX_METADATA_DEPTH} levels)"))
            if size_over(value, spec.max_response_chars) > spec.max_response_chars:
                raise RowError(Problem(location, f"metadata {name!r} of at most {spec.max_response_chars:,} "
                                       "characters (raise [data] max_response_chars to allow more)", "more"))
            metadata[name] = finite(value)
    return metadata


def build_pair(task: str, row: dict, location: str, spec: DataSpec, label_map: dict[str, str] | None) -> Pair:
    """Map a row to a Pair, checking every field; raises ``RowError`` (an importer reading many
    rows makes one :class:`PairBuilder` and calls it)."""
    return PairBuilder(spec, label_map)(task, row, location)


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (null): JSON has no such numbers, and the
    metadata column holds JSON. Returns ``value`` itself when it has none."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        out = [finite(v) for v in value]
        return out if any(a is not b for a, b in zip(out, value)) else value
    if isinstance(value, dict):
        out = {k: finite(v) for k, v in value.items()}
        return out if any(out[k] is not v for k, v in value.items()) else value
    return value


def is_empty(raw: Any) -> bool:
    """No value: the field is missing, null, or blank text."""
    return raw is MISSING or raw is None or (isinstance(raw, str) and not raw.strip())


def _presented_order(row: dict, column: str | None, default: str, location: str) -> str:
    if not column:
        return default
    value = lookup(row, column)
    if value not in ORDERS:
        raise RowError(Problem(location, f'an order "AB" or "BA" in {column!r}', "no such field" if value is MISSING else repr(value)))
    return value


def _number(value: Any) -> float | None:
    """A number from a row (CSV cells are text: "0.9" counts); None when absent or not a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and value.strip():
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


@dataclass(frozen=True)
class RowLabel:
    """One human label found in a row, already in canonical order."""

    annotator: str
    choice: str  # canonical "A" / "B" / "tie"
    shown_order: str  # the order the annotator saw the pair in

    def label(self, pair: int) -> Label:
        return Label(pair=pair, annotator=self.annotator, choice=self.choice, shown_order=self.shown_order,
                     origin="import")


def row_labels(row: dict, location: str, labels: LabelsSpec | None, allow_tie: bool) -> list[RowLabel]:
    """The human labels in a row (none without a [labels] table); raises ``RowError``."""
    if not labels:
        return []
    columns = list(labels.annotators.items())
    if labels.annotator_from:
        name = lookup(row, labels.annotator_from)
        if is_empty(name):
            raise RowError(Problem(location, f"an annotator name in {labels.annotator_from!r}", "none"))
        if labels.accepts(str(name)):
            columns.append((str(name), labels.label))
    out = []
    for annotator, column in columns:
        raw = lookup(row, column)
        if is_empty(raw):
            continue
        choice = map_choice(raw, labels.map)
        if choice is None:
            raise RowError(Problem(location, f"a label in {column!r} from the map ({', '.join(labels.map)})", repr(raw)))
        if choice == "tie" and not allow_tie:
            raise RowError(Problem(location, f"a label in {column!r} other than tie (the task disallows ties)", repr(raw)))
        shown = _presented_order(row, labels.shown_order, "AB", location)
        out.append(RowLabel(annotator=annotator, choice=to_canonical(choice, shown), shown_order=shown))
    return out


@dataclass(frozen=True)
class RowVerdict:
    """One judge verdict found in a row: one run, one presented order, canonical verdict."""

    run: str  # the judge run's name
    order: str  # the order the judge saw the pair in
    verdict: str | None  # canonical "A" / "B" / "tie"; None when unscored
    unscored_reason: str  # "empty", or the raw value that is not in the map
    p_a: float | None = None  # canonical probability that A is better
    raw_output: str = ""
    cost: float | None = None
    latency_s: float | None = None
    scored_alone: bool = False  # the judge scored each response alone: no order was shown

    def judgment(self, run: int, pair: int, sample: int) -> Judgment:
        return Judgment(run=run, pair=pair, order=self.order, sample=sample, verdict=self.verdict, p_a=self.p_a,
                        unscored_reason=self.unscored_reason, raw_output=self.raw_output, cost=self.cost,
                        latency_s=self.latency_s)


def _verdict(raw: Any, mapping: dict[str, str], order: str) -> tuple[str | None, str]:
    """A raw verdict in the presented frame -> (canonical verdict, unscored reason)."""
    if is_empty(raw):
        return None, "empty"
    choice = map_choice(raw, mapping)
    if choice is None:
        return None, str(raw)
    return to_canonical(choice, order), ""


def row_verdicts(row: dict, location: str, specs: list[JudgeLabelsSpec]) -> list[RowVerdict]:
    """The inline verdicts of a row (judge tables without a file of their own), per order present."""
    out = []
    for spec in specs:
        if spec.path is None:
            out += verdicts_of(row, spec, location)
    return out


def verdicts_of(row: dict, spec: JudgeLabelsSpec, location: str) -> list[RowVerdict]:
    """The verdicts of one judge table in a row (a pair row or a row of the judge's file)."""
    if all(lookup(row, c) is MISSING for c in (spec.verdict, spec.verdict_ba) if c):
        return []  # a row without the verdict columns holds no verdict of this judge (a pairs-only row)
    name = spec.name
    if spec.name_from:
        value = lookup(row, spec.name_from)
        if is_empty(value):
            raise RowError(Problem(location, f"a judge name in {spec.name_from!r}", "none"))
        name = str(value)
        if not spec.accepts(name):
            return []
    first = _presented_order(row, spec.order_from, spec.order, location)
    columns = [(first, spec.verdict)]
    if spec.verdict_ba:
        columns.append((other_order(first), spec.verdict_ba))
    out = []
    alone = bool(spec.scored_alone) and lookup(row, spec.scored_alone) is True
    for order, column in columns:
        raw = lookup(row, column)
        if raw is MISSING:
            continue
        verdict, reason = _verdict(raw, spec.map, order)
        p_a = None
        if spec.p_a and column == spec.verdict:
            found = lookup(row, spec.p_a)
            value = _number(found)
            if value is None and not is_empty(found):
                raise RowError(Problem(location, f"a probability between 0 and 1 in {spec.p_a!r}", repr(found)))
            if value is not None:
                if not 0 <= value <= 1:
                    raise RowError(Problem(location, f"a probability between 0 and 1 in {spec.p_a!r}", repr(value)))
                p_a = p_a_of(value, order)
        raw_column = spec.raw_ba if column == spec.verdict_ba and spec.raw_ba else spec.raw
        raw_output = lookup(row, raw_column) if raw_column else MISSING
        cost = _number(lookup(row, spec.cost)) if spec.cost and column == spec.verdict else None
        latency = _number(lookup(row, spec.latency_s)) if spec.latency_s and column == spec.verdict else None
        out.append(RowVerdict(run=name, order=order, verdict=verdict, unscored_reason=reason, p_a=p_a,
                              raw_output="" if is_empty(raw_output) else str(raw_output), cost=cost, latency_s=latency,
                              scored_alone=alone))
    return out
