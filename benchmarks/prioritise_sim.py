"""Simulation: how many human labels does the judge card need for an agreement interval of
plus or minus 3 points, with uniform, prioritised or stratified assignment?

Data: the Auto-J pairwise test set in ../shared/data/autoj (1,392 real pairs, one human
label each) and Auto-J-13B's verdicts in both orders (the exchange file un-swapped). The
quantity estimated is the judge card's agreement with the humans (the verdict under the
order rule equals the human label, a tie a class of its own; a pair without a verdict
counts as a miss), whose value on all pairs is known: 54.96 % under "both".

Designs, each at label budgets n = 20, 30, ... and ``--sims`` simulated campaigns:

* ``uniform``: n pairs at random; the plain mean.
* ``prioritised`` (``[task] priority = "judge-uncertain"``, what the assignment store
  serves): a seeded 20 % uniform share (a new draw each campaign) is served at 20 % of the
  labels in random order, the other 80 % of the labels go to the other pairs by priority
  (``analysis.priority.priority_scores``: here only the order-flip signal exists, Auto-J
  having one judge, hard verdicts and one human label a pair), ties in random order; the
  weighting estimator of ``analysis.priority`` (and, to show why it is needed, the plain
  mean over the labelled pairs).
* ``stratified`` (``--stratify``): the judge's verdict strata walked proportionally; the
  stratified mean.
* ``stratified-known``: the same, but the pairs without a verdict are not labelled: under
  the order rule "both" their agreement is 0 whatever a person says.

For each design: the smallest n whose simulated 95 % half-width (1.96 x the standard
deviation of the estimates over the campaigns) is at most 3 points, and the bias (mean
estimate minus the true value) there. The estimators are vectorised here; at three budgets
each is checked against the library's ``weighted_mean`` / ``stratified_mean``.

    .venv/bin/python benchmarks/prioritise_sim.py [--sims 1000] [--order-rule both] [--seed 0]

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.analysis.priority import (  # noqa: E402
    design_weights,
    priority_scores,
    stratified_mean,
    stratified_scores,
    weighted_mean,
)
from annotator.analysis.verdicts import judge_verdicts  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "autoj"
LABEL = {0: "A", 1: "B", 2: "tie"}
HALF_WIDTH = 0.03
UNIFORM_SHARE = 0.2


def load(order_rule: str):
    humans = [LABEL[json.loads(line)["label"]] for line in (DATA / "testdata_pairwise.jsonl").open()]
    ab = [LABEL[json.loads(line)["output"]] for line in (DATA / "pairwise_example_output.jsonl").open()]
    swapped = [LABEL[json.loads(line)["output"]] for line in (DATA / "pairwise_exchange_example_output.jsonl").open()]
    ba = [{"A": "B", "B": "A", "tie": "tie"}[v] for v in swapped]
    n = len(humans)
    judgments = pd.DataFrame({
        "run_name": ["auto-j"] * (2 * n), "pair": list(range(n)) * 2, "order": ["AB"] * n + ["BA"] * n,
        "sample": 0, "verdict": ab + ba, "p_a": np.nan,
    })
    verdicts = judge_verdicts(judgments, order_rule).set_index("pair")["verdict"].reindex(range(n))
    y = (verdicts.to_numpy(dtype=object) == np.array(humans, dtype=object)).astype(float)
    priority = priority_scores(judgments, None, list(range(n)))["score"].to_numpy()
    return np.array(humans, dtype=object), verdicts, y, priority


def uniform_estimates(y, n, sims, rng):
    idx = np.argsort(rng.random((sims, len(y))), axis=1)[:, :n]
    return y[idx].mean(axis=1)


def prioritised_campaign(y, priority, n, rng):
    """One campaign: which pairs are labelled, the uniform mask."""
    big_n = len(y)
    uniform = rng.random(big_n) < UNIFORM_SHARE
    u_ids = np.flatnonzero(uniform)
    p_ids = np.flatnonzero(~uniform)
    n_u = min(int(round(UNIFORM_SHARE * n)), len(u_ids))
    n_p = min(n - n_u, len(p_ids))
    u_lab = rng.permutation(u_ids)[:n_u]
    order = np.lexsort((rng.random(len(p_ids)), -priority[p_ids]))
    p_lab = p_ids[order][:n_p]
    return uniform, u_lab, p_lab


def prioritised_estimate(y, priority, uniform, u_lab, p_lab):
    labelled = np.zeros(len(y), dtype=bool)
    labelled[u_lab] = True
    labelled[p_lab] = True
    tau = priority[p_lab].min() if len(p_lab) else np.inf
    w = np.zeros(len(y))
    census = (priority > tau) & ~uniform
    w[census & labelled] = 1.0
    for members, sample in (((priority > tau) & uniform, (priority > tau) & uniform & labelled),
                            (priority == tau, (priority == tau) & labelled),
                            (priority < tau, (priority < tau) & uniform & labelled)):
        if members.any():
            if not sample.any():
                return np.nan, labelled
            w[sample] = members.sum() / sample.sum()
    return float((w * y).sum() / w.sum()), labelled


def library_walk(verdicts, n, seed, exclude_no_verdict):
    """The first n pairs of ``analysis.priority.stratified_scores``' walk."""
    ids = [p for p in verdicts.index if not (exclude_no_verdict and pd.isna(verdicts[p]))]
    scores = stratified_scores(verdicts, ids, seed)
    return scores.sort_values(ascending=False, kind="stable").index[:n].to_numpy()


def walks(codes, sims, rng, exclude=None):
    """``sims`` stratified walks at once (the library's rule: each stratum shuffled, pair i
    of a stratum of size m at position (i + 0.5) / m, all pairs by position): an array
    sims x pairs of pair ids in walk order. Pairs of stratum ``exclude`` are left out."""
    ids = np.flatnonzero(codes != exclude) if exclude is not None else np.arange(len(codes))
    c = codes[ids]
    out = np.empty((sims, len(ids)), dtype=int)
    sizes = {k: int((c == k).sum()) for k in np.unique(c)}
    for s in range(sims):
        position = np.empty(len(ids))
        for k, m in sizes.items():
            members = np.flatnonzero(c == k)
            position[rng.permutation(members)] = (np.arange(m) + 0.5) / m
        out[s] = ids[np.lexsort((rng.random(len(ids)), position))]
    return out


def strata_of(verdicts):
    return verdicts.astype(object).where(verdicts.notna(), "no verdict")


def stratified_estimates(y, codes, population, order, n, known_zero=None):
    """The stratified mean of each walk's first n pairs (``known_zero``: a stratum whose
    y is known to be 0, not sampled)."""
    total = population.sum()
    chosen = order[:, :n]
    mean = np.zeros(len(order))
    for k, big_n in population.items():
        if k == known_zero:
            continue
        member = codes[chosen] == k
        count = member.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean += big_n / total * np.where(count > 0, (y[chosen] * member).sum(axis=1) / count, np.nan)
    return mean


def needed(estimates_for, grid):
    """The smallest budget whose 1.96 x SD of the estimates is at most the half-width."""
    for n in grid:
        est = estimates_for(n)
        est = est[~np.isnan(est)]
        if len(est) and 1.96 * est.std(ddof=1) <= HALF_WIDTH:
            return n, est
    return None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=1000)
    parser.add_argument("--order-rule", default="both")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(json.dumps({"skipped": f"no data at {DATA}"}))
        return
    started = time.perf_counter()
    humans, verdicts, y, priority = load(args.order_rule)
    truth = float(y.mean())
    big_n = len(y)
    strata = strata_of(verdicts)
    codes = strata.to_numpy(dtype=object)
    population = strata.value_counts()
    grid = list(range(20, big_n + 1, 10))
    print(f"Auto-J: {big_n} pairs, judge agreement with the humans {100 * truth:.2f} % (order rule {args.order_rule}); "
          f"priority > 0 on {int((priority > 0).sum())} pairs (order flips); strata "
          + ", ".join(f"{k} {v}" for k, v in population.items()))

    # cross-check the vectorised estimators with the library's on a few campaigns
    check_rng = np.random.default_rng([args.seed, 99])
    for n in (120, 400, 800):
        uniform, u_lab, p_lab = prioritised_campaign(y, priority, n, check_rng)
        mine, labelled = prioritised_estimate(y, priority, uniform, u_lab, p_lab)
        design = design_weights(pd.Series(priority), pd.Series(uniform), np.flatnonzero(labelled))
        lib = weighted_mean(pd.Series(y), design).value
        assert abs(mine - lib) < 1e-12, (n, mine, lib)
        chosen = library_walk(verdicts, n, 5, False)
        lib = stratified_mean(pd.Series(y[chosen], index=chosen), strata, population).value
        mine = stratified_estimates(y, codes, population, chosen[None, :], n)[0]
        assert abs(mine - lib) < 1e-12, (n, mine, lib)
        # the vectorised walk takes as many pairs of each stratum as the library's
        mine_walk = walks(codes, 1, check_rng)[0, :n]
        assert sorted(pd.Series(codes[mine_walk]).value_counts().items()) == \
            sorted(pd.Series(codes[chosen]).value_counts().items()), n

    rng = np.random.default_rng([args.seed, 1])
    results = {}
    n_u, est_u = needed(lambda n: uniform_estimates(y, n, args.sims, rng), grid)
    results["uniform"] = (n_u, est_u)

    def prioritised(n, weighted=True):
        out = np.empty(args.sims)
        for s in range(args.sims):
            uniform, u_lab, p_lab = prioritised_campaign(y, priority, n, rng)
            if weighted:
                out[s], _ = prioritised_estimate(y, priority, uniform, u_lab, p_lab)
            else:
                out[s] = y[np.concatenate([u_lab, p_lab])].mean()
        return out

    n_p, est_p = needed(prioritised, grid)
    results["prioritised"] = (n_p, est_p)
    plain_bias = float(prioritised(n_p or 600, weighted=False).mean() - truth)

    all_walks = walks(codes, args.sims, rng)
    n_s, est_s = needed(lambda n: stratified_estimates(y, codes, population, all_walks, n), grid)
    results["stratified"] = (n_s, est_s)
    known_walks = walks(codes, args.sims, rng, exclude="no verdict")
    n_k, est_k = needed(lambda n: stratified_estimates(y, codes, population, known_walks, n, "no verdict"),
                        [n for n in grid if n <= known_walks.shape[1]])
    results["stratified-known"] = (n_k, est_k)

    print(f"{'design':<18} {'labels for +-3 pts':>19} {'vs uniform':>11} {'bias at that n':>15}")
    figures = {}
    for name, (n, est) in results.items():
        bias = None if est is None else float(est.mean() - truth)
        ratio = None if n is None or n_u is None else n / n_u
        figures[name] = {"labels_needed": n, "ratio_to_uniform": ratio, "bias": bias}
        print(f"{name:<18} {str(n):>19} {('-' if ratio is None else f'{ratio:.2f}x'):>11} "
              f"{('-' if bias is None else f'{100 * bias:+.2f} pts'):>15}")
    print(f"prioritised, plain mean over the labelled pairs (no weights): bias {100 * plain_bias:+.2f} pts at n = {n_p}")
    elapsed = time.perf_counter() - started
    print(json.dumps({"pairs": big_n, "order_rule": args.order_rule, "true_agreement": truth, "sims": args.sims,
                      "half_width": HALF_WIDTH, "uniform_share": UNIFORM_SHARE, "designs": figures,
                      "prioritised_plain_mean_bias": plain_bias, "elapsed_s": round(elapsed, 1)}))


if __name__ == "__main__":
    main()
