"""The alternative annotator test (Calderon, Reichart & Dror 2025, "The Alternative
Annotator Test for LLM-as-a-Judge"): can the judge replace one of the human annotators?

For each annotator j (of at least three), on the pairs j labelled together with at least
one other annotator:

* the judge's alignment with the others on pair i: the share of the other annotators'
  labels on i that equal the judge's verdict, S(judge, i, -j); the annotator's own: the
  share of the others' labels that equal j's label, S(j, i, -j);
* W_judge(i) = 1 when S(judge) >= S(j), W_human(i) = 1 when S(j) >= S(judge) (both are 1
  on a draw); rho_judge_j and rho_human_j are their means over j's pairs;
* a one-sided paired t-test of H0: rho_human_j - rho_judge_j >= epsilon against
  H1: rho_human_j - rho_judge_j < epsilon, on the per-pair differences W_human - W_judge
  (the judge may be worse than annotator j by at most epsilon);

the p-values of all annotators are corrected for multiple testing with Benjamini-Yekutieli
(false discovery rate ``alpha``). The *winning rate* omega is the share of annotators whose
H0 is rejected; the judge passes (can replace an annotator) when omega >= 0.5. The
*advantage probability* rho is the mean over annotators of rho_judge_j: how often the judge
is at least as aligned with the others as an annotator is.

Defaults: epsilon = 0.2 (the paper's value for expert annotators; 0.1 suits crowd workers)
and alpha = 0.05. A pair where the judge has no verdict under the order rule counts as a
verdict that matches no label. Undefined with fewer than three annotators; an annotator with
fewer than ``min_pairs`` shared pairs is left out of the test (and listed): 30 by default,
the paper's minimum for the t-test's normality (its code's ``min_instances_per_human``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import stdtr

from .defaults import (
    ALT_ALPHA as DEFAULT_ALPHA,  # every default in one module (defaults)
    ALT_EPSILON as DEFAULT_EPSILON,
    ALT_MIN_PAIRS as MIN_PAIRS,  # the paper: under 30 the t-test does not hold
)
from .ratings import MISSING, Ratings


@dataclass(frozen=True)
class AltTest:
    epsilon: float
    alpha: float
    winning_rate: float  # omega, NaN when undefined
    advantage_probability: float  # rho, NaN when undefined
    passed: bool | None
    per_annotator: list[dict] = field(default_factory=list)
    min_pairs: int = MIN_PAIRS  # annotators with fewer shared pairs are left out
    left_out: list[str] = field(default_factory=list)  # annotators with too few shared pairs
    reason: str = ""


def _one_sided_p(d: np.ndarray, epsilon: float) -> float:
    """p-value of H0: mean(d) >= epsilon against mean(d) < epsilon (paired t-test)."""
    if len(d) < 2:
        return math.nan
    sd = d.std(ddof=1)
    if sd == 0:
        return 0.0 if d.mean() < epsilon else 1.0
    t = (d.mean() - epsilon) / (sd / math.sqrt(len(d)))
    return float(stdtr(len(d) - 1, t))  # scipy.stats.ttest_1samp(d, epsilon, alternative="less")


def benjamini_yekutieli(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Yekutieli adjusted p-values (false discovery rate under any dependence),
    as ``statsmodels``' ``multipletests(method="fdr_by")``: p_(i) x m x c(m) / i, made
    monotone from the largest down and capped at 1, with c(m) = 1 + 1/2 + ... + 1/m."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    c = np.sum(1.0 / np.arange(1, m + 1))
    scaled = p[order] * m * c / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def alternative_annotator_test(ratings: Ratings, judge: np.ndarray, *, epsilon: float = DEFAULT_EPSILON,
                               alpha: float = DEFAULT_ALPHA, min_pairs: int = MIN_PAIRS) -> AltTest:
    """The test of one judge; ``judge``: its codes on ``ratings.units`` (category index,
    -1 where not asked, any index outside the categories for "no verdict")."""
    if len(ratings.raters) < 3:
        return AltTest(epsilon, alpha, math.nan, math.nan, None, min_pairs=min_pairs,
                       reason=f"needs at least three annotators ({len(ratings.raters)} labelled this task)")
    codes = ratings.codes  # units x raters, MISSING where not labelled
    k = len(ratings.categories)
    counts = ratings.counts()  # units x categories
    asked = judge != MISSING
    per_annotator = []
    left_out = []
    p_values = []
    for j, rater in enumerate(ratings.raters):
        own = codes[:, j]
        others_n = counts.sum(axis=1) - (own != MISSING)
        use = (own != MISSING) & (others_n > 0) & asked
        if use.sum() < min_pairs:
            left_out.append(rater)
            continue
        idx = np.nonzero(use)[0]
        own_i = own[idx].astype(int)
        others = counts[idx].astype(float)
        others[np.arange(len(idx)), own_i] -= 1  # leave annotator j out
        n_others = others.sum(axis=1)
        s_human = others[np.arange(len(idx)), own_i] / n_others
        jc = judge[idx]
        s_judge = np.where(jc < k, others[np.arange(len(idx)), np.clip(jc, 0, k - 1)], 0.0) / n_others
        w_judge = (s_judge >= s_human).astype(float)
        w_human = (s_human >= s_judge).astype(float)
        p = _one_sided_p(w_human - w_judge, epsilon)
        p_values.append(p)
        per_annotator.append({"annotator": rater, "n": int(len(idx)), "rho_judge": float(w_judge.mean()),
                              "rho_human": float(w_human.mean()), "p_value": p})
    if len(per_annotator) < 3:
        return AltTest(epsilon, alpha, math.nan, math.nan, None, per_annotator, min_pairs, left_out,
                       reason=f"needs at least three annotators with {min_pairs} or more pairs shared with others "
                              f"and the judge ({len(per_annotator)} have)")
    pv = np.array(p_values, dtype=float)
    finite = np.isfinite(pv)
    rejected = np.zeros(len(pv), dtype=bool)
    adjusted = np.full(len(pv), np.nan)
    if finite.any():
        adj = benjamini_yekutieli(pv[finite])
        rejected[finite] = adj <= alpha
        adjusted[finite] = adj
    for entry, rej, adj in zip(per_annotator, rejected, adjusted):
        entry["p_adjusted"] = None if math.isnan(adj) else float(adj)
        entry["rejected"] = bool(rej)
    omega = float(rejected.mean())
    rho = float(np.mean([e["rho_judge"] for e in per_annotator]))
    return AltTest(epsilon, alpha, omega, rho, omega >= 0.5, per_annotator, min_pairs, left_out)
