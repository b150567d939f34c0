"""The statistics of a judge-improvement experiment (``annotator experiment guide``).

**Split.** The human-labelled pairs (those with a majority verdict) are split, per domain,
into a calibration part and a held-out part: within each domain the pairs are shuffled with
a generator seeded by (seed, domain) and the first round(share x n) are held out (halves
round up, so a domain of 5 at 0.3 holds out 2, and a domain of one pair stays in
calibration). Everything that shapes an arm (misaligned factors, few-shot examples) is
computed on the calibration part only; every arm is measured on the held-out part only.

**Per arm, on the held-out pairs** (``n`` = held-out pairs with a human majority; a pair the
judge gave no verdict on under the order rule counts as *wrong*, never dropped):

* ``agreement``: the share of the n pairs whose verdict equals the human majority (a tie
  a class of its own); ``agreement_no_ties``: the same over the pairs where neither the
  majority nor the verdict is a tie;
* ``kappa``: Cohen's kappa between verdict and majority over the pairs with a verdict;
* per-pair correctness gives the paired test against the baseline: McNemar's exact test
  (the two-sided binomial test on the discordant pairs; statsmodels), with p = 1 when no
  pair is discordant; ``delta_agreement`` = arm - baseline.

**Guidance** (PROFILE section 4.4): the factors where the judge's factor score departs
most from the humans' on the calibration pairs (``|judge - human|``, largest first), with
the direction the humans show: "more" when their score is above +0.1, "less" below -0.1,
"neutral" in between. The control arm takes as many factors at random (seeded) among the
other factors with a defined score, with the humans' direction likewise.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import agreement, defaults
from .estimate import Estimate

NEUTRAL_BAND = defaults.NEUTRAL_BAND
CHOICES = ("A", "B", "tie")


def split_pairs(domains: pd.Series, share: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """(calibration, held-out) pair ids; ``domains`` is indexed by pair id. See the module doc."""
    if not 0 < share < 1:
        raise ValueError(f"the held-out share must be between 0 and 1, found {share}")
    calibration, held_out = [], []
    frame = domains.fillna("").astype(str)
    for domain in sorted(frame.unique()):
        ids = sorted(int(p) for p in frame.index[frame == domain])
        rng = np.random.default_rng([seed, zlib.crc32(domain.encode("utf-8"))])
        order = [ids[i] for i in rng.permutation(len(ids))]
        k = int(math.floor(share * len(ids) + 0.5))
        held_out += order[:k]
        calibration += order[k:]
    return sorted(calibration), sorted(held_out)


def direction(human_score: float) -> str:
    if human_score > NEUTRAL_BAND:
        return "more"
    if human_score < -NEUTRAL_BAND:
        return "less"
    return "neutral"


def misaligned_factors(human: dict[str, float | None], judge: dict[str, float | None], k: int) -> list[dict[str, Any]]:
    """The ``k`` factors with the largest |judge - human| (both defined), with the humans'
    direction. Ties in the gap keep the factors' order."""
    gaps = [(key, h, j, j - h) for key, h in human.items() if h is not None and (j := judge.get(key)) is not None]
    gaps.sort(key=lambda row: -abs(row[3]))
    return [{"factor": key, "direction": direction(h), "human_score": h, "judge_score": j, "gap": gap}
            for key, h, j, gap in gaps[:k]]


def random_factors(human: dict[str, float | None], exclude: Sequence[str], k: int, seed: int = 0) -> list[dict[str, Any]]:
    """``k`` factors at random (seeded) among those with a defined human score, not in ``exclude``."""
    scores = {key: value for key, value in human.items() if value is not None}
    pool = sorted(key for key in scores if key not in exclude)
    rng = np.random.default_rng([seed, 7])
    picked = [pool[i] for i in sorted(rng.choice(len(pool), size=min(k, len(pool)), replace=False))] if pool else []
    return [{"factor": key, "direction": direction(scores[key]), "human_score": scores[key]} for key in picked]


def mcnemar_p(correct_base: Sequence[bool], correct_arm: Sequence[bool]) -> tuple[float, int, int]:
    """McNemar's exact p-value for paired correctness, and the discordant counts (b: baseline
    right and arm wrong, c: baseline wrong and arm right). p = 1 when b + c = 0."""
    from statsmodels.stats.contingency_tables import mcnemar

    base = np.asarray(correct_base, dtype=bool)
    arm = np.asarray(correct_arm, dtype=bool)
    b, c = int(np.sum(base & ~arm)), int(np.sum(~base & arm))
    if b + c == 0:
        return 1.0, b, c
    table = [[int(np.sum(base & arm)), b], [c, int(np.sum(~base & ~arm))]]
    return float(mcnemar(table, exact=True).pvalue), b, c


@dataclass(frozen=True)
class ArmResult:
    n: int
    correct: pd.Series  # per held-out pair: verdict == majority
    agreement: float | None
    agreement_no_ties: float | None
    n_no_ties: int
    kappa: Estimate
    no_verdict: int  # held-out pairs without a verdict (counted wrong)


def arm_result(verdicts: pd.Series, majority: pd.Series) -> ArmResult:
    """Agreement of one arm's verdicts (pair -> 'A' / 'B' / 'tie' / None) with the human
    majority over the pairs of ``majority`` (the held-out part); see the module doc."""
    v = verdicts.reindex(majority.index)
    has = v.notna()
    correct = pd.Series((v == majority).fillna(False).to_numpy(dtype=bool) & has.to_numpy(), index=majority.index)
    n = len(majority)
    no_ties = (majority != "tie").to_numpy() & (v != "tie").to_numpy()
    n_nt = int(no_ties.sum())
    table = np.zeros((3, 3))
    index = {c: i for i, c in enumerate(CHOICES)}
    for verdict, human in zip(v[has], majority[has]):
        table[index[verdict], index[human]] += 1
    kappa = agreement.cohen_kappa(table) if has.any() else Estimate.undefined("no verdict on a held-out pair")
    return ArmResult(
        n=n, correct=correct,
        agreement=float(correct.mean()) if n else None,
        agreement_no_ties=float(correct[no_ties].mean()) if n_nt else None,
        n_no_ties=n_nt, kappa=kappa, no_verdict=int((~has).sum()),
    )
