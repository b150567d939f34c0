"""How well does an agent tell the models apart, and does it order them as the humans do?
(Arena-Hard-Auto, Li et al. 2024, section 3: "separability with confidence" and "agreement
with confidence"; docs/judge-validation.md.)

Per agent and domain, over the models with a finite Bradley-Terry rating and interval
(``leaderboard.RatingRow``: FastChat's Elo-scale MLE, the percentile bootstrap over pairs of
``bradley_terry``, ``--bootstrap`` resamples, seeded; Arena-Hard-Auto bootstraps its ratings
the same way, resampling battles):

* ``value``: the share of model pairs whose intervals do not overlap (one's low above the
  other's high), Arena-Hard-Auto's separability. The anchor of the ratings (the baseline, at
  1000 in every resample, so its interval is a point) is left out: its "interval" says
  nothing about how well it is told apart.
* ``agreement_with_confidence``: of the pairs that both this agent and the reference (the
  humans) separate, the share ordered the same way (``n_both_separated`` such pairs).
* ``brier``: the pair-rank Brier score: over the pairs the reference separates, the mean of
  ``(P - outcome)^2`` where ``P = 1 / (1 + 10 ** ((R_j - R_i) / 400))`` is the probability
  this agent's ratings give that model i beats j and ``outcome`` is 1 when the reference
  ranks i above j (Arena-Hard-Auto's Brier score with the humans as the ground truth).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from .estimate import json_number


class Rated(Protocol):
    agent: str
    domain: str
    model: str
    bt_rating: float
    bt_ci_low: float
    bt_ci_high: float


@dataclass
class Separability:
    agent: str
    domain: str
    value: float
    n_pairs: int
    n_models: int
    bootstrap: str
    agreement_with_confidence: float = math.nan
    n_both_separated: int = 0
    brier: float = math.nan
    reference: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: json_number(v) if isinstance(v, float) else v for k, v in asdict(self).items()}


def bootstrap_name(resamples: int, seed: int) -> str:
    return (f"Bradley-Terry percentile bootstrap over pairs ({resamples} resamples, seed {seed}; 95% intervals), "
            "as Arena-Hard-Auto resamples battles")


def separated(low_i: float, high_i: float, low_j: float, high_j: float) -> bool:
    """Two intervals that do not overlap."""
    return low_i > high_j or low_j > high_i


def _intervals(rows: Sequence[Rated], anchor: str | None) -> dict[str, tuple[float, float, float]]:
    return {r.model: (r.bt_rating, r.bt_ci_low, r.bt_ci_high) for r in rows
            if r.model != anchor and all(math.isfinite(v) for v in (r.bt_rating, r.bt_ci_low, r.bt_ci_high))}


def _pairs(models: list[str]) -> list[tuple[str, str]]:
    return [(x, y) for i, x in enumerate(models) for y in models[i + 1:]]


def separability(ratings: Sequence[Rated], *, reference: str | None, anchor: str | None, resamples: int,
                 seed: int) -> list[Separability]:
    """One ``Separability`` per (agent, domain) of ``ratings``."""
    name = bootstrap_name(resamples, seed)
    keys = list(dict.fromkeys((r.agent, r.domain) for r in ratings))
    table = {k: _intervals([r for r in ratings if (r.agent, r.domain) == k], anchor) for k in keys}
    out: list[Separability] = []
    for agent, domain in keys:
        mine = table[(agent, domain)]
        models = sorted(mine)
        pairs = _pairs(models)
        row = Separability(agent, domain, math.nan, len(pairs), len(models), name,
                           reference=reference if agent != reference else None)
        out.append(row)
        if resamples == 0:
            row.reason = "no bootstrap (--bootstrap 0): no intervals to separate models"
            continue
        if not pairs:
            row.reason = "fewer than two models with a finite rating and interval (the baseline left out)"
            continue
        row.value = sum(separated(mine[x][1], mine[x][2], mine[y][1], mine[y][2]) for x, y in pairs) / len(pairs)
        if agent == reference or reference is None:
            continue
        ref = table.get((reference, domain), {})
        shared = [(x, y) for x, y in pairs if x in ref and y in ref]
        confident = [(x, y) for x, y in shared if separated(ref[x][1], ref[x][2], ref[y][1], ref[y][2])]
        both = [(x, y) for x, y in confident if separated(mine[x][1], mine[x][2], mine[y][1], mine[y][2])]
        row.n_both_separated = len(both)
        reasons = []
        if both:
            same = sum((mine[x][0] > mine[y][0]) == (ref[x][0] > ref[y][0]) for x, y in both)
            row.agreement_with_confidence = same / len(both)
        else:
            reasons.append(f"agreement with confidence: no model pair that both this agent and {reference!r} "
                           "separate")
        if confident:
            row.brier = sum((_p_beats(mine[x][0], mine[y][0]) - float(ref[x][0] > ref[y][0])) ** 2
                            for x, y in confident) / len(confident)
        else:
            reasons.append(f"Brier: {reference!r} separates no model pair this agent rates")
        row.reason = "; ".join(reasons) or None
    return out


def _p_beats(r_i: float, r_j: float) -> float:
    return 1 / (1 + 10 ** ((r_j - r_i) / 400))
