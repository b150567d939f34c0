"""How much does a judge's verdict move when it is asked again? (``judge run --samples k``;
AlpacaEval's evaluator leaderboard "variance" column; docs/judge-validation.md, "Judge
variance".)

For one run whose (pair, order) cells hold two samples or more, each scored sample read as a
preference for A (its P(A) where it gave one, else A = 1, tie = 0.5, B = 0):

* ``verdict_variance``: the mean over cells of the variance of their samples' preferences
  (population variance, ddof 0: at most 0.25 for preferences in [0, 1]);
* ``agreement``: the mean over cells of the share of pairs of samples with the same verdict
  (A, B or tie; Fleiss' per-item agreement);
* ``win_rates``: per sample index s, the win rate of response A (percent, a tie half) from
  sample s alone (its preferences averaged over the orders), and ``win_rate_variance`` /
  ``win_rate_sd`` across the samples (ddof 1): how much the run's headline figure would move
  on a rerun.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_PREF = {"A": 1.0, "tie": 0.5, "B": 0.0}
ONE_SAMPLE = "one scored sample per pair and order: rerun with `judge run --samples k` (k >= 2) for the variance"


def sample_variance(judgments: pd.DataFrame) -> dict[str, Any]:
    """The figures above for one run's ``judgments`` (``Store.judgments_frame`` rows)."""
    is_scored = judgments["verdict"].isin(list(_PREF))
    if not is_scored.any():
        return {"samples": 0, "reason": "no scored verdict"}
    keys = judgments[["pair", "order"]]
    if keys.notna().to_numpy().all() and not keys.duplicated().any():
        # one judgment per pair and order (a run without --samples): nothing to group
        return {"samples": 1, "reason": ONE_SAMPLE}
    scored = judgments[is_scored].copy()
    scored["pref"] = scored["p_a"].where(scored["p_a"].notna(), scored["verdict"].map(_PREF)).astype(float)
    cells = scored.groupby(["pair", "order"])
    size = cells.size()
    k = int(judgments.groupby(["pair", "order"])["sample"].nunique().max())
    if k < 2 or (size >= 2).sum() == 0:
        return {"samples": k, "reason": ONE_SAMPLE}
    several = size[size >= 2].index
    multi = scored.set_index(["pair", "order"]).loc[several].reset_index()
    variance = multi.groupby(["pair", "order"])["pref"].var(ddof=0)
    counts = multi.groupby(["pair", "order", "verdict"]).size().unstack(fill_value=0)
    n = counts.sum(axis=1)
    agree = (counts * (counts - 1)).sum(axis=1) / (n * (n - 1))
    per_sample = scored.groupby(["sample", "pair"])["pref"].mean().groupby("sample").mean() * 100
    rates = [float(v) for v in per_sample.to_numpy()]
    return {
        "samples": k,
        "cells": int(len(several)),
        "verdict_variance": float(variance.mean()),
        "agreement": float(agree.mean()),
        "win_rates": rates,
        "win_rate_variance": float(np.var(rates, ddof=1)) if len(rates) > 1 else None,
        "win_rate_sd": float(np.std(rates, ddof=1)) if len(rates) > 1 else None,
        "of": "response A against response B, per sample index",
        "reason": None,
    }
