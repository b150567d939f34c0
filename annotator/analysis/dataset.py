"""The dataset profile of WorldAlignment's section 3.2 (Figures 2 and 3): how long the
instructions and the responses are, per domain; how instruction length and response length
go together; and how each pointwise scorer (difficulty, realism, quality) is distributed per
domain, beside a reference task when one is given.

Rules (each named in the output):

- *Distinct texts*: an instruction shared by several pairs counts once; a response counts
  once per (instruction, response text), so a baseline response shared by six pairs is one
  response, as are the two sides of a pair when they are the same text.
- *Length unit*: ``words`` (whitespace-separated tokens) or ``characters``.
- *Correlation*: over the distinct responses, each response's length against its
  instruction's length: Pearson's r with its two-sided p (``scipy.stats.pearsonr``) and
  Spearman's rho with its p (``scipy.stats.spearmanr``). Under three responses, or when either
  length is constant, there is no coefficient: null with the reason.
- *Scorers*: ``analysis.scores.score_distributions`` (scores counted by distinct request).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .scores import describe, score_distributions

UNITS = ("words", "characters")
DEFAULT_UNIT = "words"
NO_DOMAIN = "(none)"


def text_length(text: str, unit: str = DEFAULT_UNIT) -> int:
    """A text's length: whitespace-separated tokens (``words``) or characters."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, found {unit!r}")
    return len(text.split()) if unit == "words" else len(text)


def texts_frame(pairs: Iterable[Mapping[str, Any]], unit: str = DEFAULT_UNIT) -> pd.DataFrame:
    """One row per distinct response (with its instruction): domain, instruction,
    instruction_length, response_length. ``pairs``: mappings with prompt, response_a,
    response_b and domain."""
    rows, seen = [], set()
    for pair in pairs:
        domain = str(pair.get("domain") or "") or NO_DOMAIN
        prompt = str(pair.get("prompt") or "")
        for side in ("response_a", "response_b"):
            text = str(pair.get(side) or "")
            if (prompt, text) in seen:
                continue
            seen.add((prompt, text))
            rows.append({"domain": domain, "instruction": prompt, "instruction_length": text_length(prompt, unit),
                         "response_length": text_length(text, unit)})
    return pd.DataFrame(rows, columns=["domain", "instruction", "instruction_length", "response_length"])


def _lengths(values: pd.Series) -> dict[str, Any]:
    block = describe(values, 0)
    block.pop("histogram", None)
    block.pop("unscored", None)
    block["n"] = block.pop("scored")
    return block


def correlation(x: pd.Series, y: pd.Series) -> dict[str, Any]:
    """Pearson's r and Spearman's rho of two lengths, with their p values, or null and why."""
    from scipy import stats

    n = len(x)
    none = {"n": n, "pearson_r": None, "pearson_p": None, "spearman_rho": None, "spearman_p": None}
    if n < 3:
        return {**none, "reason": "a correlation needs three responses or more"}
    if x.nunique() < 2 or y.nunique() < 2:
        which = "instruction" if x.nunique() < 2 else "response"
        return {**none, "reason": f"every {which} has the same length: no correlation is defined"}
    r, p = stats.pearsonr(x.astype(float), y.astype(float))
    rho, p_rho = stats.spearmanr(x.astype(float), y.astype(float))

    def num(v: float) -> float | None:
        return None if v is None or math.isnan(float(v)) else float(v)

    return {"n": n, "pearson_r": num(r), "pearson_p": num(p), "spearman_rho": num(rho), "spearman_p": num(p_rho)}


def _block(rows: pd.DataFrame) -> dict[str, Any]:
    instructions = rows.drop_duplicates("instruction")
    return {
        "instructions": _lengths(instructions["instruction_length"]),
        "responses": _lengths(rows["response_length"]),
        "correlation": correlation(rows["instruction_length"], rows["response_length"]),
    }


def dataset_profile(pairs: Iterable[Mapping[str, Any]], scores: pd.DataFrame | None = None, *,
                    by_domain: bool = False, unit: str = DEFAULT_UNIT) -> dict[str, Any]:
    """The profile of one task: lengths and their correlation (overall and, with
    ``by_domain``, per domain) and the pointwise scorers' distributions."""
    frame = texts_frame(pairs, unit)
    out: dict[str, Any] = {
        "unit": unit,
        "rules": {"distinct": "an instruction once; a response once per (instruction, text)",
                  "length": "whitespace-separated tokens" if unit == "words" else "characters",
                  "correlation": "each distinct response's length against its instruction's length"},
        "all": _block(frame),
        "per_domain": {str(d): _block(rows) for d, rows in frame.groupby("domain", sort=True)} if by_domain else {},
        "scorers": score_distributions(scores) if scores is not None else [],
    }
    if not by_domain:
        for entry in out["scorers"]:
            for target in entry["targets"].values():
                target["per_domain"] = {}
    return out
