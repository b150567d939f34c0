"""Distributions of pointwise scores (a judge scoring each response, or the instruction,
alone): per run, per target and per domain.

Scores are counted by distinct request, not by pair: an instruction shared by six pairs is
scored (and counted) once by a prompt-level scorer, a baseline response shared by six pairs
once by a response-level scorer (rows of one run and target with the same cache key are one
score; ``pairs`` below still reads every pair).

For each group: ``scored`` calls (several samples of one target each count), ``unscored``,
``mean``, ``sd`` (sample standard deviation, ddof 1; undefined under two scores),
``min``, ``q1``, ``median``, ``q3``, ``max`` (pandas' linear quantiles) and ``histogram``
(count per score value). For a run that scores both responses of a pair, ``pairs`` counts
the pairs where A's mean score is higher, B's is higher, or they are equal (the pointwise
judge's implied preference).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

TARGET_NAMES = {"A": "response A", "B": "response B", "prompt": "instruction", "source": "source"}


def describe(values: pd.Series, unscored: int) -> dict[str, Any]:
    values = values.dropna().astype(float)
    n = len(values)
    if n == 0:
        return {"scored": 0, "unscored": unscored, "mean": None, "sd": None, "min": None, "q1": None, "median": None,
                "q3": None, "max": None, "histogram": {}, "reason": "no scored call"}
    sd = float(values.std(ddof=1)) if n >= 2 else None
    return {
        "scored": n, "unscored": unscored, "mean": float(values.mean()),
        "sd": None if sd is None or math.isnan(sd) else sd,
        "min": float(values.min()), "q1": float(values.quantile(0.25)), "median": float(values.median()),
        "q3": float(values.quantile(0.75)), "max": float(values.max()),
        "histogram": {f"{k:g}": int(v) for k, v in values.value_counts().sort_index().items()},
        **({"reason": "sd needs two scores"} if sd is None else {}),
    }


def _block(rows: pd.DataFrame) -> dict[str, Any]:
    return describe(rows["score"], int(rows["score"].isna().sum()))


def distinct(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (target, request): rows without a cache key are kept as they are."""
    if "cache_key" not in rows.columns:
        return rows
    keyed = rows["cache_key"].fillna("") != ""
    return pd.concat([rows[~keyed], rows[keyed].drop_duplicates(subset=["target", "cache_key"])]).sort_index()


def score_distributions(scores: pd.DataFrame) -> list[dict[str, Any]]:
    """One entry per pointwise run; ``scores`` is ``Store.scores_frame``."""
    out: list[dict[str, Any]] = []
    if scores is None or scores.empty:
        return out
    frame = scores.assign(domain=scores["domain"].fillna("").replace("", "(none)"))
    for (run_name, kind), rows in frame.groupby(["run_name", "kind"], sort=True):
        targets = {}
        for target, trows in distinct(rows).groupby("target", sort=True):
            targets[str(target)] = {
                "all": _block(trows),
                "per_domain": {str(d): _block(drows) for d, drows in trows.groupby("domain", sort=True)}
                if trows["domain"].nunique() > 1 else {},
            }
        entry: dict[str, Any] = {"run": str(run_name), "kind": str(kind), "targets": targets}
        wide = rows[rows["target"].isin(["A", "B"])].pivot_table(index="pair", columns="target", values="score",
                                                                  aggfunc="mean")
        if {"A", "B"} <= set(wide.columns):
            wide = wide.dropna(subset=["A", "B"])
            entry["pairs"] = {"n": int(len(wide)), "a_higher": int((wide["A"] > wide["B"]).sum()),
                              "b_higher": int((wide["A"] < wide["B"]).sum()), "equal": int((wide["A"] == wide["B"]).sum())}
        out.append(entry)
    return out
