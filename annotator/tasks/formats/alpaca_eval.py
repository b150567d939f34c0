"""AlpacaEval judge annotations (tatsu-lab/alpaca_eval): ``annotations.json`` (or ``.json.gz``),
a list of {instruction, output_1, generator_1, output_2, generator_2, dataset, annotator,
preference, price_per_example, time_per_example, raw_completion}.

``output_1`` is the baseline's output, ``output_2`` the evaluated model's. By default the
model is A and the baseline B (option ``baseline_side = "A"`` turns that round). ``path`` may
also be a folder: every ``annotations.json(.gz)`` below it is read (several models against the
same baseline in one task).

``preference`` in [1, 2] (1 = output_1 better, 2 = output_2 better, 1.5 = a draw; 0 is read as
1.5 as AlpacaEval does) is the judge's soft verdict: it is stored as ``p_a``, the probability
that A is better, with the hard verdict A (p_a > 0.5), B (< 0.5) or tie (= 0.5), in a judge
run named by the rows' ``annotator`` (e.g. ``weighted_alpaca_eval_gpt4_turbo``). A missing
preference is stored as unscored. AlpacaEval's win rate of the model is then
``mean(p_a) * 100`` over the run (with ``baseline_side = "B"``).

Rows: ``id`` (``<generator_2>/<hash of the instruction>``), ``pair_id`` (``<hash>:<model A>:<model B>``, the
id of the same pair in a task built from model outputs with ``[pairs]``), the original fields, and
``response_a``, ``response_b``, ``model_a``, ``model_b``, ``judge``, ``verdict``, ``p_a``,
``judge_raw`` (raw_completion as text), ``price``, ``seconds``.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from ..errors import Problem, TaskFileError, describe
from ..readers import read_json

DEFAULTS = {
    "data": {"id": "id", "prompt": "instruction", "response_a": "response_a", "response_b": "response_b",
             "model_a": "model_a", "model_b": "model_b", "domain": "dataset"},
    # AlpacaEval shuffles the outputs per instruction but does not record the order shown:
    # the verdicts are already in the canonical frame and their presented order is unknown.
    "judge_labels": [{"name_from": "judge", "verdict": "verdict", "p_a": "p_a", "order": "unknown", "raw": "judge_raw",
                      "cost": "price", "latency_s": "seconds", "map": {"A": "A", "B": "B", "tie": "tie"}}],
}
OPTIONS = ("baseline_side",)


def instruction_id(instruction: str) -> str:
    return hashlib.sha256(instruction.encode("utf-8")).hexdigest()[:12]


def annotation_files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.rglob("annotations.json*") if p.name in ("annotations.json", "annotations.json.gz"))
        if not found:
            raise TaskFileError(str(path), "an annotations.json(.gz) file or a folder holding some", "a folder without any")
        return found
    return [path]


def instruction_rows(file: Path, prefix: str = ""):
    """``(location, row, instruction)`` for each row of an AlpacaEval JSON file; a row that
    cannot be read, or whose instruction is not text, comes as a ``Problem`` (and None)."""
    for location, row in read_json(file):
        location = prefix + location
        if isinstance(row, Problem):
            yield location, row, None
            continue
        instruction = row.get("instruction")
        if not isinstance(instruction, str):
            yield location, Problem(location, "text in 'instruction'", describe(instruction)), None
            continue
        yield location, row, instruction


def _number(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def read(path: Path, options: dict):
    side = options.get("baseline_side", "B")
    if side not in ("A", "B"):
        raise TaskFileError("[data] baseline_side", '"A" or "B"', repr(side))
    for file in annotation_files(path):
        prefix = f"{file.parent.parent.name}/" if path.is_dir() else ""
        for location, row, instruction in instruction_rows(file, prefix):
            if instruction is None:
                yield location, row
                continue
            out = dict(row)
            out["id"] = f"{row.get('generator_2', 'model')}/{instruction_id(instruction)}"
            a, b = ("2", "1") if side == "B" else ("1", "2")
            out["response_a"], out["response_b"] = row.get(f"output_{a}"), row.get(f"output_{b}")
            out["model_a"], out["model_b"] = row.get(f"generator_{a}", ""), row.get(f"generator_{b}", "")
            # the id of the same pair in a task built from model outputs ([pairs], tasks/generators.py)
            out["pair_id"] = f"{instruction_id(instruction)}:{out['model_a']}:{out['model_b']}"
            out["judge"] = str(row.get("annotator") or "alpaca_eval")
            preference = row.get("preference")
            pref = _number(preference)
            if pref == 0:
                pref = 1.5
            if pref is not None and 1 <= pref <= 2:
                p_model = pref - 1
                out["p_a"] = p_model if side == "B" else 1 - p_model
                out["verdict"] = "A" if out["p_a"] > 0.5 else "B" if out["p_a"] < 0.5 else "tie"
            else:
                out["verdict"] = None if preference is None else f"preference {preference!r} outside [1, 2]"
            raw = row.get("raw_completion")
            out["judge_raw"] = raw if isinstance(raw, str) or raw is None else json.dumps(raw, ensure_ascii=False)
            out["price"] = _number(row.get("price_per_example"))
            out["seconds"] = _number(row.get("time_per_example"))
            yield location, out
