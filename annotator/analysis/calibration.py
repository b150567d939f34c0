"""Calibration of a judge's probability that A is better, P(A), against the humans.

The outcome of a pair is the human majority: 1 when it prefers A, 0 when it prefers B;
pairs whose majority is a tie (or split) are left out and counted (``n_ties_left_out``).
P(A) is the judge's own probability (logprob-derived or imported), averaged over the
presented orders where it gave one; pairs without one are left out.

* Brier score: mean of (P(A) - outcome)^2 (0 is perfect, 0.25 is a constant 0.5);
* expected calibration error (ECE): P(A) in ``bins`` equal-width bins over [0, 1];
  sum over bins of (pairs in bin / all pairs) x |mean P(A) - share of A outcomes|;
* reliability bins: per bin, the number of pairs, mean P(A) and the share of A outcomes
  (the reliability diagram).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .defaults import CALIBRATION_BINS as DEFAULT_BINS  # every default in one module (defaults)


@dataclass(frozen=True)
class Calibration:
    n: int
    brier: float
    ece: float
    bins: list[dict] = field(default_factory=list)
    n_ties_left_out: int = 0
    reason: str = ""
    n_bins: int = DEFAULT_BINS  # equal-width bins of P(A) over [0, 1]


def calibration(p_a: pd.Series, majority: pd.Series, bins: int = DEFAULT_BINS) -> Calibration:
    """``p_a``: pair -> the judge's P(A); ``majority``: pair -> the humans' 'A' / 'B' / 'tie'."""
    joined = pd.concat([p_a.rename("p"), majority.rename("m")], axis=1, join="inner").dropna()
    ties = int((~joined["m"].isin(["A", "B"])).sum())
    joined = joined[joined["m"].isin(["A", "B"])]
    if joined.empty:
        reason = ("the judge gives no probability P(A)" if p_a.dropna().empty
                  else "no pair with both a judge probability and a decisive human majority")
        return Calibration(0, math.nan, math.nan, [], ties, reason, bins)
    p = joined["p"].to_numpy(dtype=float)
    y = (joined["m"] == "A").to_numpy(dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    rows = []
    ece = 0.0
    for b in range(bins):
        mine = which == b
        if not mine.any():
            continue
        conf, acc = float(p[mine].mean()), float(y[mine].mean())
        ece += mine.sum() / len(p) * abs(conf - acc)
        rows.append({"low": float(edges[b]), "high": float(edges[b + 1]), "n": int(mine.sum()),
                     "mean_p_a": conf, "share_a": acc})
    return Calibration(len(p), float(np.mean((p - y) ** 2)), float(ece), rows, ties, n_bins=bins)
