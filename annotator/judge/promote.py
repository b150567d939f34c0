"""``experiment guide --promote ARM --out judges/NAME.toml``: an experiment's arm as a judge file.

The file is the base judge's configuration plus what the arm added: the guidance
(``[guidance]``, for ``guide-mis`` / ``guide-rand``) or the few-shot examples (``[[examples]]``,
each with its pair id, the texts and the human answer, for ``few-shot``), and a
``[provenance]`` table: the task, the base judge, the arm, the seed and split, the ids of the
calibration pairs (the only pairs examples are drawn from: a held-out pair never enters a
judge file), and the arm's held-out agreement, its change against the baseline and McNemar's p.
``judge run --judge judges/NAME.toml`` then runs it on any task.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from annotator.store.protocol import JudgeStore

from .config import JudgeConfig, load_judge, shipped_templates_dir


class PromoteError(ValueError):
    """An arm that cannot be promoted; the message says why."""


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")  # JSON escapes are TOML's
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else json.dumps(key)


def to_toml(top: dict[str, Any], tables: dict[str, dict[str, Any]], arrays: dict[str, list[dict[str, Any]]]) -> str:
    """A small TOML writer (the standard library reads TOML but does not write it): values that
    are None are left out."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in top.items() if v is not None]
    for name, table in tables.items():
        if table:
            lines += ["", f"[{name}]", *(f"{_key(k)} = {_value(v)}" for k, v in table.items() if v is not None)]
    for name, rows in arrays.items():
        for row in rows:
            lines += ["", f"[[{name}]]", *(f"{_key(k)} = {_value(v)}" for k, v in row.items() if v is not None)]
    return "\n".join(lines) + "\n"


def promoted_judge(store: JudgeStore, task: str, judge: JudgeConfig, result: dict[str, Any], arm: str, name: str, *,
                   model: str | None, shot_chars: int, price: tuple[float, float] | None = None) -> str:
    """The text of the judge file for ``arm`` of an ``experiment guide`` ``result``."""
    entry = next((a for a in result["arms"] if a["name"] == arm), None)
    if entry is None:
        raise PromoteError(f"no arm {arm!r} in the experiment (arms: {', '.join(a['name'] for a in result['arms'])})")
    if entry.get("reason"):
        raise PromoteError(f"arm {arm} was not run ({entry['reason']}): nothing to promote")
    shipped = (shipped_templates_dir() / f"{judge.template}.txt").is_file()
    template = judge.template if shipped else str(judge.template_path.resolve())
    top: dict[str, Any] = {
        "name": name,
        "description": f"{judge.name} promoted from experiment guide arm {arm} on task {task}",
        "model": model or judge.model, "base_url": judge.base_url or None, "api_key_env": judge.api_key_env,
        "template": template, "template_version": judge.template_version, "parser": judge.parser,
        "scope": judge.scope, "temperature": judge.temperature, "max_tokens": judge.max_tokens,
        "logprobs": judge.logprobs, "top_logprobs": judge.top_logprobs, "both_orders": judge.both_orders,
        "samples": judge.samples, "request_timeout": judge.request_timeout, "max_retries": judge.max_retries,
    }
    prices: dict[str, Any] = (  # the experiment's --price, else the judge's own (for its own model only)
        {"input": price[0], "output": price[1], "batch_factor": judge.batch_factor} if price is not None else
        {} if model and model != judge.model else
        {"input": judge.price_input, "output": judge.price_output, "batch_factor": judge.batch_factor})
    guidance = dict(judge.guidance)
    examples: list[dict[str, Any]] = []
    if arm in ("guide-mis", "guide-rand"):
        guidance.update({g["factor"]: g["direction"] for g in entry["guidance"]})
    elif arm == "few-shot":
        top["example_chars"] = shot_chars
        calibration = set(result["split"]["calibration_pairs"])
        answers = entry["example_answers"]
        wanted = set(entry["examples"])
        texts = {p.pair_id: p for p in store.pairs(task) if p.pair_id in wanted}
        for pair_id in entry["examples"]:
            if pair_id not in calibration:  # never: examples come from the calibration part
                raise PromoteError(f"example {pair_id!r} is not a calibration pair")
            pair = texts.get(pair_id)
            if pair is None:
                raise PromoteError(f"pair {pair_id!r} is no longer in task {task}")
            examples.append({"pair_id": pair_id, "human": answers[pair_id], "prompt": pair.prompt,
                             "response_a": pair.response_a, "response_b": pair.response_b})
    split = result["split"]
    provenance = {
        "task": task, "base_judge": judge.name, "arm": arm, "seed": split["seed"],
        "share_held_out": split["share_held_out"], "order_rule": result["order_rule"],
        "calibration_pairs": list(split["calibration_pairs"]), "held_out_pairs": split["held_out"],
        "held_out_agreement": entry.get("agreement"), "delta_agreement": entry.get("delta_agreement"),
        "mcnemar_p": entry.get("p_value"), "kappa": entry.get("kappa"), "run": entry.get("run"),
        "promoted_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    header = (f"# Judge {name}: {judge.name} with the {arm} arm of `annotator experiment guide` on task {task}.\n"
              "# [provenance] says where it came from; examples are calibration pairs only (never held out).\n")
    return header + to_toml(top, {"price": prices, "guidance": guidance, "provenance": provenance},
                            {"examples": examples})


def write_promoted(text: str, out: Path, force: bool) -> JudgeConfig:
    """Write the judge file (an existing one only with ``force``) and read it back as a judge."""
    if out.exists() and not force:
        raise PromoteError(f"{out} exists: pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return load_judge(str(out))
