"""PROFILE factor-level preference alignment.

For one factor k over a set of response pairs, an agent's preference Pref is +1 (A), -1 (B)
or 0 (tie), and the factor's manifestation M_k is +1 (more in A), -1 (more in B) or 0
(equal). C counts pairs with Pref * M_k = +1, D those with Pref * M_k = -1, and

    score_k = (C - D) / (C + D + T)

where T depends on the setting (PROFILE, eq. for tau_14):

* ``"evaluation"`` (a judge or a human choosing between two given responses): pairs with
  M_k = 0 are dropped; T = the number of remaining pairs with Pref = 0 (preference ties).
* ``"generation"`` (scored generations, no preference ties): T = the number of pairs with
  M_k = 0.

A score near +1 means the agent prefers the response that shows the factor more; near -1,
the one that shows it less. Two agents (humans, each judge) are compared by correlating
their vectors of factor scores (Kendall tau_b, Spearman rho, Pearson r).

Undefined results are NaN with a reason: no pairs left, or C + D + T = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_SIGN = {"A": 1, "B": -1, "tie": 0, "equal": 0, 1: 1, -1: -1, 0: 0}


def as_sign(value) -> float:
    """'A' / +1 -> 1, 'B' / -1 -> -1, 'tie' / 'equal' / 0 -> 0; anything else (n/a, None) -> NaN."""
    if isinstance(value, float) and math.isnan(value):
        return math.nan
    return float(_SIGN[value]) if value in _SIGN else math.nan


@dataclass(frozen=True)
class FactorScore:
    score: float
    concordant: int
    discordant: int
    ties: int
    pairs: int  # pairs that entered the score
    reason: str = ""  # why the score is undefined, when it is NaN

    def as_dict(self) -> dict:
        return {"score": None if math.isnan(self.score) else self.score, "C": self.concordant,
                "D": self.discordant, "T": self.ties, "pairs": self.pairs,
                **({"undefined_reason": self.reason} if self.reason else {})}


def factor_score(preference, manifestation, setting: str = "evaluation") -> FactorScore:
    """tau_14-style factor score of one factor; see the module docstring.

    ``preference`` and ``manifestation`` are aligned sequences of 'A' / 'B' / 'tie' ('equal')
    or +1 / -1 / 0. Pairs where either is missing or not applicable (None, NaN, 'na') are
    left out first.
    """
    if setting not in ("evaluation", "generation"):
        raise ValueError("setting must be 'evaluation' or 'generation'")
    p = np.array([as_sign(v) for v in preference], dtype=float)
    m = np.array([as_sign(v) for v in manifestation], dtype=float)
    if p.shape != m.shape:
        raise ValueError("preference and manifestation must have the same length")
    keep = ~np.isnan(p) & ~np.isnan(m)
    p, m = p[keep], m[keep]
    if setting == "evaluation":
        p, m = p[m != 0], m[m != 0]
        ties = int(np.sum(p == 0))
    else:
        ties = int(np.sum(m == 0))
    product = p * m
    c, d = int(np.sum(product > 0)), int(np.sum(product < 0))
    n = len(p)
    if n == 0:
        return FactorScore(math.nan, 0, 0, 0, 0, "no pairs where both the preference and the factor are known")
    if c + d + ties == 0:
        return FactorScore(math.nan, c, d, ties, n, "no concordant, discordant or tied pairs")
    return FactorScore((c - d) / (c + d + ties), c, d, ties, n)


@dataclass(frozen=True)
class Alignment:
    kendall_tau_b: float
    spearman: float
    pearson: float
    factors: int
    reason: str = ""

    def as_dict(self) -> dict:
        clean = lambda x: None if math.isnan(x) else x  # noqa: E731
        return {"kendall_tau_b": clean(self.kendall_tau_b), "spearman": clean(self.spearman),
                "pearson": clean(self.pearson), "factors": self.factors,
                **({"undefined_reason": self.reason} if self.reason else {})}


def alignment(scores_a, scores_b) -> Alignment:
    """Correlate two agents' factor-score vectors (factors undefined for either are dropped).

    Needs at least three factors with defined scores on both sides and no constant vector;
    otherwise every correlation is NaN with a reason.
    """
    a = np.asarray(scores_a, dtype=float)
    b = np.asarray(scores_b, dtype=float)
    keep = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[keep], b[keep]
    if len(a) < 3:
        return Alignment(math.nan, math.nan, math.nan, len(a), "fewer than three factors scored by both agents")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return Alignment(math.nan, math.nan, math.nan, len(a), "one agent's factor scores are all equal")
    from scipy import stats  # here, not at import: a second of start-up for every report

    return Alignment(
        kendall_tau_b=float(stats.kendalltau(a, b, variant="b").statistic),
        spearman=float(stats.spearmanr(a, b).statistic),
        pearson=float(stats.pearsonr(a, b).statistic),
        factors=len(a),
    )
