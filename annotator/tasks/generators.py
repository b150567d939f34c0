"""A task built from the outputs of several generators: ``[pairs]`` in task.toml.

The ``[data]`` files hold one row per (instruction, generator, output), e.g. AlpacaEval's
``results/<model>/model_outputs.json(.gz)`` (``instruction``, ``output``, ``generator``,
``dataset``) or any JSONL / CSV / Parquet file with such fields. The rows of every file are
grouped by instruction and turned into pairs by ``[pairs] mode`` (``annotator.tasks.pairing``):

* ``key``: the field that says two rows answer the same instruction (default: the
  instruction's text). With a key field, the instruction's id is its value; without, the
  first 12 hex digits of the SHA-256 of the text (AlpacaEval's own instruction hash).
* ``whitespace``: ``"exact"`` (default) matches texts exactly and reports the instructions
  that differ from another only by whitespace; ``"collapse"`` matches them as one.
* A pair's id is ``<instruction id>:<model a>:<model b>``: stable across re-imports and
  readable.
* An instruction some generator did not answer gets no pair with that generator; it is counted
  and named in the import's notices (per generator: how many, the first ids), never dropped
  silently. A generator answering one instruction twice is a bad row.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Problem, TaskFileError, describe
from .pairing import MODES, Sampler, all_pairs, baseline_pairs

PAIRS_KEYS = {"mode", "k", "seed", "instruction", "output", "generator", "key", "domain", "whitespace"}
WHITESPACE = ("exact", "collapse")
# the [data] field mapping of the rows this module builds
DEFAULTS = {"data": {"id": "id", "prompt": "instruction", "response_a": "output_a", "response_b": "output_b",
                     "model_a": "generator_a", "model_b": "generator_b", "domain": "domain"}}
SHOWN = 3  # ids named per generator in a notice


@dataclass
class PairsSpec:
    mode: str = "baseline"
    baseline: str = ""
    k: int = 1
    seed: int = 0
    instruction: str = "instruction"
    output: str = "output"
    generator: str = "generator"
    key: str | None = None  # None: the instruction's text
    domain: str = "dataset"
    whitespace: str = "exact"
    notices: list[str] = field(default_factory=list)  # filled while reading (the import's notices)


def instruction_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def parse_pairs(raw: Any, baseline: str, where: str) -> PairsSpec:
    """The ``[pairs]`` table, checked; ``baseline`` is ``[task] baseline``."""
    from .taskfile import refuse_unknown_keys

    loc = f"{where} [pairs]"
    if not isinstance(raw, dict):
        raise TaskFileError(loc, "a table", describe(raw))
    refuse_unknown_keys(raw, PAIRS_KEYS, loc)
    spec = PairsSpec(baseline=baseline)
    mode = raw.get("mode", "baseline")
    if mode not in MODES:
        raise TaskFileError(f"{loc} mode", f"one of {', '.join(map(repr, MODES))}", describe(mode))
    spec.mode = mode
    for key in ("instruction", "output", "generator", "key", "domain"):
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key]:
                raise TaskFileError(f"{loc} {key}", "a field name", describe(raw[key]))
            setattr(spec, key, raw[key])
    for key, low in (("k", 1), ("seed", 0)):
        if key in raw:
            value = raw[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < low or value > 2**63 - 1:
                raise TaskFileError(f"{loc} {key}", f"a whole number of at least {low}", describe(value))
            setattr(spec, key, value)
    if "k" in raw and mode != "sample":
        raise TaskFileError(f"{loc} k", 'k only with mode = "sample"', f"mode = {mode!r}")
    spec.whitespace = raw.get("whitespace", "exact")
    if spec.whitespace not in WHITESPACE:
        raise TaskFileError(f"{loc} whitespace", f"one of {', '.join(map(repr, WHITESPACE))}", describe(spec.whitespace))
    if mode == "baseline" and not baseline:
        raise TaskFileError(loc, 'a [task] baseline with mode = "baseline" (each candidate against it)', "none")
    return spec


@dataclass
class _Instruction:
    id: str
    text: str
    domain: str
    outputs: dict[str, tuple[str, str]] = field(default_factory=dict)  # generator -> (output, location)


def _text(row: dict, name: str, location: str) -> str | Problem:
    from .mapping import lookup

    value = lookup(row, name)
    if not isinstance(value, str):
        return Problem(location, f"text in {name!r}", "no such field" if value is _missing() else describe(value))
    return value


def _missing():
    from .mapping import MISSING

    return MISSING


def _collapse(text: str) -> str:
    return " ".join(text.split())


def read_generators(fmt: str, paths: list[Path], options: dict[str, Any]) -> Iterator[tuple[int, str, Any]]:
    """``(source, location, row or Problem)`` of the pairs built from generator output files."""
    from .datafiles import read_data
    from .mapping import lookup

    spec: PairsSpec = options["pairs"]
    plain = {k: v for k, v in options.items() if k != "pairs"}
    instructions: dict[str, _Instruction] = {}
    texts: dict[str, set[str]] = defaultdict(set)  # collapsed text -> the exact texts
    differing_text = 0
    generators: dict[str, int] = {}
    for _, location, row in read_data(fmt, paths, plain):
        if isinstance(row, Problem):
            yield 0, location, row
            continue
        text, output, generator = (_text(row, spec.instruction, location), _text(row, spec.output, location),
                                   _text(row, spec.generator, location))
        bad = next((v for v in (text, output, generator) if isinstance(v, Problem)), None)
        if bad is not None:
            yield 0, location, bad
            continue
        assert isinstance(text, str) and isinstance(output, str) and isinstance(generator, str)
        if spec.key is not None:
            raw_key = lookup(row, spec.key)
            if raw_key is _missing() or raw_key is None or isinstance(raw_key, (dict, list)):
                yield 0, location, Problem(location, f"an instruction key in {spec.key!r}", describe(raw_key))
                continue
            key = iid = str(raw_key)
        else:
            key = _collapse(text) if spec.whitespace == "collapse" else text
            iid = instruction_hash(key)
        texts[_collapse(text)].add(text)
        domain = lookup(row, spec.domain)
        item = instructions.get(key)
        if item is None:
            item = instructions[key] = _Instruction(iid, text, domain if isinstance(domain, str) else "")
        elif spec.key is not None and item.text != text:
            differing_text += 1
        if generator in item.outputs:
            yield 0, location, Problem(location, f"one output of {generator!r} per instruction",
                                       f"instruction {iid!r} again (first at {item.outputs[generator][1]})")
            continue
        item.outputs[generator] = (output, location)
        generators.setdefault(generator, len(generators))
    if spec.mode == "baseline" and generators and spec.baseline not in generators:
        raise TaskFileError("[pairs] mode", f"outputs of the baseline {spec.baseline!r} ([task] baseline) in the "
                            "[data] files", f"generators {', '.join(sorted(generators))}")
    sampler = Sampler(spec.k, spec.seed) if spec.mode == "sample" else None
    missing: dict[str, list[str]] = defaultdict(list)
    for item in instructions.values():
        answered = list(item.outputs)
        for g in generators:
            if g not in item.outputs:
                missing[g].append(item.id)
        if spec.mode == "baseline":
            pairs = baseline_pairs(answered, spec.baseline)
        elif spec.mode == "all":
            pairs = all_pairs(answered)
        else:
            assert sampler is not None
            pairs = sampler.pairs(item.id, answered)
        for a, b in pairs:
            out_a, where = item.outputs[a]
            yield 0, where, {"id": f"{item.id}:{a}:{b}", "instruction": item.text, "domain": item.domain,
                             "output_a": out_a, "output_b": item.outputs[b][0], "generator_a": a, "generator_b": b}
    spec.notices.extend(_notices(spec, instructions, generators, missing, texts, differing_text))


def _notices(spec: PairsSpec, instructions, generators, missing, texts, differing_text) -> list[str]:
    total = len(instructions)
    out = [f"[pairs] mode {spec.mode!r}" + (f" (k = {spec.k}, seed {spec.seed})" if spec.mode == "sample" else "")
           + f": {len(generators)} generators, {total:,} instructions matched by "
           + (f"the field {spec.key!r}" if spec.key else f"their text ({spec.whitespace} whitespace)")]
    for g in sorted(missing):
        ids = missing[g]
        shown = ", ".join(repr(i) for i in ids[:SHOWN]) + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")
        lost = " (no pair for any candidate there)" if spec.mode == "baseline" and g == spec.baseline else ""
        out.append(f"generator {g!r} has no output for {len(ids):,} of {total:,} instructions: {shown}{lost}")
    near = [sorted(v) for v in texts.values() if len(v) > 1]
    if near and spec.key is None:
        rule = ("matched as one (whitespace = \"collapse\")" if spec.whitespace == "collapse"
                else "matched as different instructions (set [pairs] whitespace = \"collapse\" to match them)")
        out.append(f"{len(near):,} instruction(s) differ from another only by whitespace, {rule}: first "
                   f"{instruction_hash(near[0][0])!r} and {instruction_hash(near[0][1])!r}")
    if differing_text:
        out.append(f"{differing_text:,} output row(s) share an instruction key ({spec.key!r}) with a different "
                   "instruction text: the first text read is shown")
    return out
