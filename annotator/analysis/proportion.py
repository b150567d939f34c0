"""A proportion with its Wilson score interval, and the exact binomial test.

Both are closed formulas (the tests check them against ``statsmodels``'
``proportion_confint(method="wilson")`` and ``scipy.stats.binomtest``): those libraries
take about a second to import, which every ``stats`` command would pay.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from .estimate import Estimate


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / trials`` (Wilson 1927)."""
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(successes: int, trials: int, confidence: float = 0.95, reason: str = "no cases") -> Estimate:
    """``successes / trials`` with a Wilson interval; undefined (with ``reason``) when no trials."""
    if trials <= 0:
        return Estimate.undefined(reason)
    low, high = wilson_interval(successes, trials, confidence)
    return Estimate(
        successes / trials, ci_low=float(low), ci_high=float(high), n=int(trials),
        extra={"successes": int(successes), "ci_method": "wilson"},
    )


def binomial_p_value(successes: int, trials: int, p: float = 0.5) -> float:
    """Two-sided exact binomial test of ``successes`` in ``trials`` against rate ``p``:
    the probability of every outcome no more likely than the one observed (the definition
    of ``scipy.stats.binomtest``)."""
    if trials <= 0:
        return float("nan")
    from scipy.special import bdtr, bdtrc, binom

    def pmf(k: int) -> float:
        return float(binom(trials, k) * p ** k * (1 - p) ** (trials - k)) if trials < 1000 else \
            math.exp(math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
                     + k * math.log(p) + (trials - k) * math.log1p(-p))

    if p == 0.5:
        low = min(successes, trials - successes)
        if 2 * low == trials:
            return 1.0
        return float(min(1.0, 2 * bdtr(low, trials, 0.5)))
    # general p: sum the probabilities of outcomes at most as likely as the observed one
    observed = pmf(successes) * (1 + 1e-7)
    mode = int(math.floor((trials + 1) * p))
    if successes < mode:
        upper = next((k for k in range(mode, trials + 1) if pmf(k) <= observed), trials + 1)
        tail = float(bdtrc(upper - 1, trials, p)) if upper <= trials else 0.0
        return min(1.0, float(bdtr(successes, trials, p)) + tail)
    lower = next((k for k in range(mode, -1, -1) if pmf(k) <= observed), -1)
    head = float(bdtr(lower, trials, p)) if lower >= 0 else 0.0
    return min(1.0, head + float(bdtrc(successes - 1, trials, p)))
