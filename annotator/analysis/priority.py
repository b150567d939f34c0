"""Which pairs people should label next, and how to keep the statistics honest about it.

**Priority** (``[task] priority = "judge-uncertain"``, ``annotator tasks prioritise``): each
pair gets a score in [0, 1], the mean of the uncertainty signals that exist for it:

* ``judges_split``: the judges disagree with each other: 1 - (share of the most common
  verdict among the runs with one), scaled so that an even split of k judges is 1 (0 with
  fewer than two judges' verdicts: the signal does not exist);
* ``order_flip``: the share of runs judging the pair in both orders whose verdict changed
  with the order (position inconsistency);
* ``p_near_half``: 1 - 2 |P(A) - 0.5| for the runs that give a soft verdict (P(A) near
  0.5 is 1), the largest over runs;
* ``votes_split``: the entropy of the human votes so far over log2 of the number of
  choices (a 1-1 split of two votes is 1; defined from two votes on).

A pair with no signal at all scores 0. Ties keep each annotator's seeded order.

**A uniform share stays uniform.** A seeded share of the pairs (default 20 %) ignores the
scores and is served in random order at that share of every annotator's labels (the
assignment store, ``set_pair_priorities``). Only that share is a random sample of the task.

**The weighting estimator.** With priorities on, the labelled pairs over-represent the
hard ones, so a plain mean over them (agreement of a judge with the humans, say) is biased.
``design_weights`` gives every labelled pair the number of task pairs it stands for, and
``weighted_mean`` the estimate (a post-stratified, Horvitz-Thompson-type estimator):

* tau is the lowest priority among the labelled prioritised pairs. Prioritised pairs are
  labelled from the top, so those above tau are all labelled (a census): weight 1. Pairs
  above tau still in progress or skipped break the census: they are counted
  (``unlabelled_census``) and reported beside the estimate, which is then approximate.
* pairs at exactly tau are walked in a seeded random order (ties), so the labelled ones
  (prioritised or uniform) are a random sample of them: weight N_at / n_at.
* the uniform share is a random sample of the task, so its labelled pairs are a random
  sample within each stratum: a labelled uniform pair above tau stands for
  N_u,above / n_u,above pairs; below tau, where no prioritised pair is labelled, the
  labelled uniform pairs stand for every pair: weight N_below / n_u,below.
* estimate = sum(w_i y_i) / sum(w_i), its variance the stratified one: for each sampled
  stratum N_h^2 (1 - n_h / N_h) s_h^2 / n_h over N^2 (the census adds none).

A stratum that needs a sample and has no labelled uniform pair makes the estimate
undefined (with that reason), never a guess.

**Stratified by the judge's verdict** (``--stratify``): strata are the judge's verdicts
(A, B, tie, no verdict); each stratum is shuffled (seeded) and the strata interleaved
proportionally, so every prefix of the walk is a proportional stratified sample and the
plain mean over it is (nearly) unbiased; ``stratified_mean`` weights each stratum by its
share of the task.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .estimate import Estimate
from .verdicts import DEFAULT_ORDER_RULE, judge_verdicts

COMPONENTS = ("judges_split", "order_flip", "p_near_half", "votes_split")
NO_VERDICT = "no verdict"


def priority_scores(judgments: pd.DataFrame | None, labels: pd.DataFrame | None, pairs: Sequence[int],
                    categories: Sequence[str] = ("A", "B", "tie"), order_rule: str = DEFAULT_ORDER_RULE) -> pd.DataFrame:
    """One row per pair of ``pairs``: each component (NaN where it does not exist) and
    ``score``, the mean of the existing components (0 when none exists)."""
    index = pd.Index(list(pairs), name="pair")
    out = pd.DataFrame(index=index, columns=list(COMPONENTS), dtype=float)
    if judgments is not None and len(judgments):
        verdicts = judge_verdicts(judgments, order_rule)
        decided = verdicts[verdicts["verdict"].isin(["A", "B", "tie"])]
        counts = decided.groupby("pair")["verdict"].agg(lambda s: (s.value_counts().iloc[0], len(s), s.nunique()))
        split = {}
        for pair, (top, k, _) in counts.items():
            if k >= 2:
                m = min(k, len(categories))
                split[pair] = (1 - top / k) / (1 - 1 / m)
        out["judges_split"] = pd.Series(split, dtype=float).reindex(index)
        both = verdicts[verdicts["consistent"].notna()]
        if len(both):
            out["order_flip"] = (~both["consistent"].astype(bool)).groupby(both["pair"]).mean().reindex(index)
        soft = judgments[judgments["p_a"].notna()]
        if len(soft):
            per_run = soft.groupby(["pair", "run_name"])["p_a"].mean()
            out["p_near_half"] = (1 - 2 * (per_run - 0.5).abs()).groupby(level="pair").max().reindex(index)
    if labels is not None and len(labels):
        counts = labels[labels["choice"].isin(categories)].groupby(["pair", "choice"]).size().unstack(fill_value=0)
        n = counts.sum(axis=1)
        p = counts.div(n, axis=0)
        entropy = -(p * np.log2(p.where(p > 0, 1))).sum(axis=1) / math.log2(len(categories))
        out["votes_split"] = entropy.where(n >= 2).reindex(index)
    out["score"] = out[list(COMPONENTS)].mean(axis=1, skipna=True).fillna(0.0)
    return out


def stratified_scores(verdicts: pd.Series, pairs: Sequence[int], seed: int = 0) -> pd.Series:
    """Priority scores in (0, 1] that walk the strata of the judge's verdict (A, B, tie,
    no verdict for pairs without one) proportionally interleaved (see the module doc)."""
    strata = verdicts.reindex(pd.Index(list(pairs))).astype(object).where(lambda s: s.notna(), NO_VERDICT)
    positions = {}
    for stratum in sorted(strata.unique(), key=str):
        ids = sorted(int(p) for p in strata.index[strata == stratum])
        rng = np.random.default_rng([seed, zlib.crc32(str(stratum).encode("utf-8"))])
        for i, j in enumerate(rng.permutation(len(ids))):
            positions[ids[j]] = (i + 0.5) / len(ids)
    order = sorted(positions, key=lambda p: (positions[p], zlib.crc32(f"{seed}:{p}".encode())))
    n = len(order)
    return pd.Series({p: 1 - rank / n for rank, p in enumerate(order)}, dtype=float).reindex(strata.index)


@dataclass(frozen=True)
class Design:
    """The weights of the labelled pairs under the prioritised design, the stratum of each
    labelled pair, each stratum's size, and why the estimate is undefined ('' when it is not)."""

    weights: pd.Series
    strata: pd.Series
    population: pd.Series
    reason: str = ""
    unlabelled_census: int = 0  # prioritised pairs above tau still without a label (in progress, skipped)


def design_weights(priority: pd.Series, uniform: pd.Series, labelled: Sequence[int]) -> Design:
    """Weights of the labelled pairs under the prioritised design (module doc).

    ``priority``: every pair's score; ``uniform``: every pair's membership of the uniform
    share (bool); ``labelled``: the pairs with a label. Strata: ``census`` (prioritised
    pairs above tau, all labelled: weight 1), ``uniform-above`` (uniform pairs above tau),
    ``at`` (every pair whose priority equals tau: the labelled ones, prioritised or
    uniform, are a random sample of them, since ties are walked in a seeded random order)
    and ``below`` (the uniform pairs below tau stand for every pair below tau).
    """
    lab = pd.Series(False, index=priority.index)
    lab[pd.Index(list(labelled)).intersection(priority.index)] = True
    uni = uniform.reindex(priority.index).fillna(False).astype(bool)
    prioritised_labelled = lab & ~uni
    tau = priority[prioritised_labelled].min() if prioritised_labelled.any() else math.inf
    stratum = pd.Series(np.where(priority > tau, np.where(uni, "uniform-above", "census"),
                                 np.where(priority == tau, "at", "below")), index=priority.index)
    weights = pd.Series(np.nan, index=priority.index)
    sizes, reasons = {}, []
    for name in ("census", "uniform-above", "at", "below"):
        members = stratum == name
        if not members.any():
            continue
        sample = lab & members & (uni if name == "below" else True)
        sizes[name] = int(members.sum())
        if name == "census":
            weights[sample] = 1.0
        elif sample.sum() == 0:
            reasons.append(f"no labelled pair to stand for the {int(members.sum())} pair(s) of stratum {name!r}")
        else:
            weights[sample] = members.sum() / sample.sum()
    labelled_weights = weights[lab].dropna()
    missing = int(((stratum == "census") & ~lab).sum())
    return Design(labelled_weights, stratum[labelled_weights.index], pd.Series(sizes, dtype=float), "; ".join(reasons),
                  missing)


def weighted_mean(values: pd.Series, design: Design) -> Estimate:
    """The weighting estimator: sum(w y) / sum(w) over the labelled pairs with a value, with
    the stratified standard error and a normal 95 % interval (the census adds no variance).
    Undefined, with the design's reason, when a stratum has no labelled pair to stand for it."""
    if design.reason:
        return Estimate.undefined(design.reason)
    joined = pd.concat([values.rename("y"), design.weights.rename("w"), design.strata.rename("h")],
                       axis=1, join="inner").dropna()
    if joined.empty:
        return Estimate.undefined("no labelled pair with a weight")
    mean = float((joined["y"] * joined["w"]).sum() / joined["w"].sum())
    total = float(design.population.sum())
    var, thin = 0.0, []
    for stratum, rows in joined.groupby("h"):
        n_h, big_n = len(rows), float(design.population[stratum])
        if stratum == "census" or n_h >= big_n:
            continue
        if n_h < 2:
            thin.append(str(stratum))
            continue
        var += big_n ** 2 * (1 - n_h / big_n) * float(rows["y"].var(ddof=1)) / n_h
    if thin:
        return Estimate(mean, n=len(joined), extra={
            "ci_method": "stratified normal (weighting estimator)",
            "interval_reason": f"one labelled pair in stratum {', '.join(thin)}: its variance cannot be estimated"})
    se = math.sqrt(var) / total
    return Estimate(mean, ci_low=mean - 1.96 * se, ci_high=mean + 1.96 * se, n=len(joined),
                    extra={"standard_error": se, "ci_method": "stratified normal (weighting estimator)"})


def stratified_mean(values: pd.Series, strata: pd.Series, population: pd.Series) -> Estimate:
    """sum over strata of (N_h / N) x mean_h, with the stratified standard error; strata
    whose values are known without a label (the caller passes them with population and
    values for every pair) need no sample."""
    frame = pd.concat([values.rename("y"), strata.rename("h")], axis=1, join="inner").dropna()
    total = float(population.sum())
    mean, var, thin = 0.0, 0.0, []
    for stratum, big_n in population.items():
        rows = frame[frame["h"] == stratum]
        if rows.empty:
            return Estimate.undefined(f"no labelled pair in stratum {stratum!r}")
        n_h = len(rows)
        mean += big_n / total * float(rows["y"].mean())
        if n_h >= big_n:
            continue
        if n_h < 2:
            thin.append(str(stratum))
            continue
        var += (big_n / total) ** 2 * (1 - n_h / big_n) * float(rows["y"].var(ddof=1)) / n_h
    if thin:
        return Estimate(mean, n=len(frame), extra={
            "ci_method": "stratified normal",
            "interval_reason": f"one labelled pair in stratum {', '.join(thin)}: its variance cannot be estimated"})
    se = math.sqrt(var)
    return Estimate(mean, ci_low=mean - 1.96 * se, ci_high=mean + 1.96 * se, n=len(frame),
                    extra={"standard_error": se, "ci_method": "stratified normal"})
