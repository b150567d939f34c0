"""A judge run's verdict per pair, from its judgments in one or both presented orders.

How the orders combine is a choice, so it is a named rule (``--order-rule``), printed under
every table that rests on it. Verdicts are canonical ("A" means the pair's response A),
whatever order the judge was shown.

Within one order, several samples are resolved first: the most frequent scored verdict;
when verdicts share the top count the samples disagree and the order's verdict is "tie".

Each (run, pair) the judge was asked about gets a *status*:

* ``consistent``: scored in both orders, with the same verdict;
* ``inconsistent``: scored in both orders, with different verdicts;
* ``partial``: asked in both orders, scored in only one (the other failed or was unscored);
* ``single``: asked in one order only (a one-order run, or an imported verdict whose
  presented order is ``unknown``), and scored;
* ``unscored``: no scored verdict in any order.

The order rules (``ORDER_RULES``):

``both`` (default)
    A verdict counts only when both orders agree. An inconsistent pair has no verdict: it
    is counted as an inconsistency (never a match, never dropped); a partial pair counts
    as unscored. A single-order verdict counts as it is.
``judgebench``
    JudgeBench's scoring: each scored order adds +1 for A and -1 for B (0 for a tie or no
    verdict); the sign of the sum is the verdict, 0 a tie. One decisive order plus a tie
    is decisive; A in one order and B in the other is a tie.
``first``
    The verdict in the first presented order (A shown first, ``AB``) only; an order
    recorded as unknown counts as that first order.
``mean``
    The mean over the scored orders of P(A) (the judge's probability that A is better;
    where a judgment has none, its hard verdict read as 1 / 0.5 / 0): above 0.5 is A,
    below is B, exactly 0.5 a tie.
``mt-bench``
    Zheng et al. (2023): a verdict that changes with the order counts as a tie.

Every rule also gives a soft preference ``p_a`` in [0, 1] for win rates: the mean over the
orders it uses of P(A) (hard verdicts read as 1 / 0.5 / 0); under ``both`` an inconsistent
pair is a draw (0.5) and an unscored or partial one has none; where ``mt-bench`` or
``judgebench`` make a tie of verdicts that differ between the orders, the pair is a draw
(0.5) too, so a win rate never counts as a win what the rule counts as a tie.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .defaults import DEFAULT_ORDER_RULE, ORDER_RULE_TEXT, ORDER_RULES  # noqa: F401  (re-exported)
from .estimate import Estimate
from .proportion import binomial_p_value, proportion

STATUSES = ("consistent", "inconsistent", "partial", "single", "unscored")
COLUMNS = ["run_name", "pair", "verdict", "p_a", "status", "verdict_ab", "verdict_ba", "verdict_unknown",
           "consistent", "asked_both"]
_SOFT = {"A": 1.0, "B": 0.0, "tie": 0.5}
#: None for np.where's "else" (an object scalar: numpy's type stubs take no bare None there)
NONE = np.array(None, dtype=object)


def check_rule(rule: str) -> str:
    if rule not in ORDER_RULES:
        raise ValueError(f"unknown order rule {rule!r} (one of {', '.join(ORDER_RULES)})")
    return rule


def _order_verdict(verdicts: pd.Series) -> str:
    counts = verdicts.value_counts()
    if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
        return "tie"
    return str(counts.index[0])


def _per_order(judgments: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, pair, order) with a scored verdict: the resolved verdict and its
    soft value (mean P(A) of the scored samples, the hard verdict where none has one)."""
    scored = judgments[judgments["verdict"].notna()]
    keys = ["run_name", "pair", "order"]
    multi = scored.duplicated(keys, keep=False)
    single = scored.loc[~multi, keys + ["verdict"]]
    if multi.any():
        resolved = scored[multi].groupby(keys, sort=False)["verdict"].agg(_order_verdict).reset_index()
        single = pd.concat([single, resolved], ignore_index=True)
    if "p_a" in scored and scored["p_a"].notna().any():
        soft = scored.groupby(keys, sort=False)["p_a"].mean().rename("soft").reset_index()
        single = single.merge(soft, on=keys, how="left")
    else:
        single = single.assign(soft=np.nan)
    hard = single["verdict"].map(_SOFT)
    single["soft"] = single["soft"].astype(float).fillna(hard)
    return single


def judge_verdicts(judgments: pd.DataFrame | None, rule: str = DEFAULT_ORDER_RULE) -> pd.DataFrame:
    """One row per (run, pair) the judge was asked about, under ``rule`` (module docstring).

    ``judgments`` is ``Store.judgments_frame(task)`` (columns run_name, pair, order,
    sample, verdict, p_a ...). Columns of the result: run_name, pair, verdict ('A' / 'B' /
    'tie', None when the rule gives none), p_a (soft preference, NaN when none), status,
    verdict_ab, verdict_ba, verdict_unknown (each order's verdict, None where not scored),
    consistent (True / False where scored in both orders, else None), asked_both (asked in
    both orders, scored or not).
    """
    check_rule(rule)
    if judgments is None or judgments.empty:
        return pd.DataFrame(columns=COLUMNS)
    spread = _spread_orders(judgments)
    if spread is None:
        spread = _spread_orders_grouped(judgments)
    run_name, pair, asked_by_order, verdict_by_order, soft_by_order = spread
    all_words = pd.api.types.is_string_dtype(judgments["verdict"].dtype) and judgments["verdict"].dtype != object
    ab, ba, unk = verdict_by_order
    has_ab, has_ba, has_unk = pd.notna(ab), pd.notna(ba), pd.notna(unk)
    asked_both = asked_by_order[0] & asked_by_order[1]
    both = has_ab & has_ba
    same = both & (ab == ba)
    any_scored = has_ab | has_ba | has_unk
    status = np.select(
        [both & same, both & ~same, asked_both & any_scored, any_scored],
        ["consistent", "inconsistent", "partial", "single"], "unscored",
    ).astype(object)
    # the one scored verdict of a partial or single pair
    one = np.where(has_ab, ab, np.where(has_ba, ba, unk))
    s_ab, s_ba, s_unk = soft_by_order
    stacked = np.vstack([s_ab, s_ba, s_unk])
    scored_orders = (~np.isnan(stacked)).sum(axis=0)
    mean_soft = np.where(scored_orders > 0, np.nansum(stacked, axis=0) / np.maximum(scored_orders, 1), np.nan)

    if rule == "both":
        out_verdict = np.where(same, ab, np.where(status == "single", one, NONE))
        p = np.where(same, mean_soft, np.where(status == "inconsistent", 0.5,
                                               np.where(status == "single", mean_soft, np.nan)))
    elif rule == "mt-bench":
        out_verdict = np.where(both, np.where(same, ab, "tie"), np.where(any_scored, one, NONE))
        # a verdict that changed with the order is a tie: a draw, whatever the mean P(A)
        p = np.where(both & ~same, 0.5, np.where(any_scored, mean_soft, np.nan))
    elif rule == "judgebench":
        sign = {"A": 1, "B": -1, "tie": 0}
        total = sum(pd.Series(v).map(sign).fillna(0).to_numpy() for v in (ab, ba, unk))
        out_verdict = np.where(any_scored, np.where(total > 0, "A", np.where(total < 0, "B", "tie")), NONE)
        # orders that cancel out (A in one, B in the other) are a tie: a draw
        p = np.where(both & ~same & (total == 0), 0.5, np.where(any_scored, mean_soft, np.nan))
    elif rule == "first":
        first = np.where(has_ab, ab, np.where(has_unk, unk, NONE))
        out_verdict = first
        p = np.where(has_ab, s_ab, np.where(has_unk, s_unk, np.nan))
    else:  # mean
        out_verdict = np.where(any_scored, np.where(mean_soft > 0.5, "A", np.where(mean_soft < 0.5, "B", "tie")), NONE)
        p = np.where(any_scored, mean_soft, np.nan)

    # the rule's verdict where it is a word (every verdict of a text column is one, or missing)
    words = pd.notna(out_verdict) if all_words else np.array([isinstance(v, str) for v in out_verdict], dtype=bool)
    out = pd.DataFrame({
        "run_name": run_name,
        "pair": pair,
        "verdict": np.where(words, out_verdict, NONE).astype(object),
        "p_a": np.asarray(p, dtype=float),
        "status": status,
        "verdict_ab": np.where(has_ab, ab, NONE).astype(object),
        "verdict_ba": np.where(has_ba, ba, NONE).astype(object),
        "verdict_unknown": np.where(has_unk, unk, NONE).astype(object),
        "consistent": np.where(both, same, NONE),
        "asked_both": asked_both,
    })
    return out


ORDERS = ("AB", "BA", "unknown")


def _spread_orders(judgments: pd.DataFrame):
    """``judge_verdicts``' per-(run, pair) table in one pass of arrays, sorted by run name and
    pair: (run names, pairs, asked in each of ``ORDERS``, the verdict in each (object, None
    where not scored), its soft value in each (NaN where none)). None where a (run, pair,
    order) has several scored samples (resolved by ``_spread_orders_grouped``) or a key is
    missing (left out there, as pandas' grouping leaves it out)."""
    run = judgments["run_name"]
    order = judgments["order"]
    if run.isna().any() or order.isna().any() or judgments["pair"].isna().any():
        return None
    run_codes, run_names = pd.factorize(run, sort=True)
    pair = judgments["pair"].to_numpy()
    if pair.dtype.kind not in "iu" or not len(pair):
        return None
    order_codes, order_names = pd.factorize(order)
    known = np.array([ORDERS.index(o) if o in ORDERS else -1 for o in order_names], dtype=np.int64)
    low, high = int(pair.min()), int(pair.max())
    span = high - low + 1
    if span * len(run_names) >= 1 << 62:
        return None
    combined = run_codes.astype(np.int64) * span + (pair.astype(np.int64) - low)
    keys, key = np.unique(combined, return_inverse=True)
    key = key.reshape(-1)
    n_keys = len(keys)
    verdicts = judgments["verdict"]
    scored = verdicts.notna().to_numpy()
    # one scored verdict per (run, pair, order): several samples are resolved by counting
    slot = key.astype(np.int64) * len(order_names) + order_codes
    if np.bincount(slot[scored], minlength=n_keys * len(order_names)).max(initial=0) > 1:
        return None
    orders = known[order_codes]
    asked = np.zeros((len(ORDERS), n_keys), dtype=bool)
    asked[orders[orders >= 0], key[orders >= 0]] = True
    verdict = np.full((len(ORDERS), n_keys), None, dtype=object)
    soft = np.full((len(ORDERS), n_keys), np.nan)
    rows = scored & (orders >= 0)
    values = verdicts.to_numpy(dtype=object)[rows]
    verdict[orders[rows], key[rows]] = values
    # each verdict's hard P(A), looked up once per distinct verdict (NaN outside A / B / tie)
    codes, distinct = pd.factorize(values)
    hard = np.array([_SOFT.get(v, np.nan) for v in distinct] + [np.nan], dtype=float)[codes]
    p_a = judgments["p_a"].to_numpy(dtype=float, na_value=np.nan)[rows] if "p_a" in judgments else hard
    soft[orders[rows], key[rows]] = np.where(np.isnan(p_a), hard, p_a)
    names = np.asarray(run_names, dtype=object)[keys // span]
    return names, keys % span + low, asked, verdict, soft


def _spread_orders_grouped(judgments: pd.DataFrame):
    """``_spread_orders`` through pandas' grouping (several samples per order resolved by
    ``_order_verdict``; rows with a missing key left out)."""
    asked = judgments.groupby(["run_name", "pair", "order"], sort=False).size().unstack("order")
    asked = asked.reindex(columns=list(ORDERS)).notna().sort_index()
    per_order = _per_order(judgments)
    # one row per (run, pair, order) already (``_per_order``): spread the orders into columns
    by_order = per_order.set_index(["run_name", "pair", "order"])
    verdict = by_order["verdict"].unstack("order").reindex(index=asked.index, columns=list(ORDERS))
    soft = by_order["soft"].unstack("order").reindex(index=asked.index, columns=list(ORDERS)).astype(float)
    return (np.asarray(asked.index.get_level_values(0), dtype=object), asked.index.get_level_values(1).to_numpy(),
            asked.to_numpy().T,
            np.vstack([np.where(pd.notna(v), v, NONE) for v in (verdict[c].to_numpy(dtype=object) for c in ORDERS)]),
            np.vstack([soft[c].to_numpy() for c in ORDERS]))


SCORED_ALONE = "unknown: each response was scored alone, nothing was shown in an order"


def scored_alone(verdicts: pd.DataFrame, runs) -> pd.DataFrame:
    """The verdicts of ``runs`` that scored each response on its own (a rating method: no
    order was shown; the verdict is the higher score), whatever the order rule: where the
    run's two records agree that is the verdict; where they differ the scores tied (LLMBar's
    rating runs break a tie by position, so a tie looks like an inconsistency) and the
    verdict is a tie. Each such pair becomes ``single`` with its verdict in
    ``verdict_unknown``: position bias and consistency are unknown (``SCORED_ALONE``), and
    ``scored_alone`` marks the rows."""
    out = verdicts.copy()
    out["scored_alone"] = out["run_name"].isin(list(runs))
    mine = out["scored_alone"].to_numpy()
    if not mine.any():
        return out
    ab = out["verdict_ab"].to_numpy(dtype=object)
    ba = out["verdict_ba"].to_numpy(dtype=object)
    unk = out["verdict_unknown"].to_numpy(dtype=object)
    has_ab, has_ba = pd.notna(ab), pd.notna(ba)
    one = np.where(has_ab, ab, np.where(has_ba, ba, unk))
    verdict = np.where(has_ab & has_ba & (ab != ba), "tie", one).astype(object)
    verdict = np.where(pd.notna(one) | (has_ab & has_ba), verdict, np.array(None, dtype=object))
    scored = pd.notna(verdict)
    out.loc[mine, "verdict"] = verdict[mine]
    out.loc[mine, "p_a"] = pd.Series(verdict).map(_SOFT).to_numpy(dtype=float)[mine]
    out.loc[mine, "status"] = np.where(scored, "single", "unscored")[mine]
    out.loc[mine, "verdict_unknown"] = verdict[mine]
    out.loc[mine, ["verdict_ab", "verdict_ba", "consistent"]] = None
    out.loc[mine, "asked_both"] = False
    return out


def no_verdict_reason(verdicts: pd.DataFrame, judgments: pd.DataFrame | None = None) -> str:
    """Why one run has no figure at all: "no verdict on any pair (N unscored: reasons)" when
    it gave no scored verdict in any order on any pair it was asked about (a judge that never
    answered), else "". A judge whose verdicts all change with the order did answer: under
    ``both`` its pairs are inconsistencies, counted (its agreement is 0 %, its position bias
    measurable). ``judgments``: the run's rows of the judgments frame, for the unscored
    reasons (the most frequent first)."""
    if not len(verdicts) or (verdicts["status"] != "unscored").any():
        return ""
    reasons = ""
    if judgments is not None and len(judgments) and "unscored_reason" in judgments:
        counts = judgments["unscored_reason"].fillna("").replace("", "no reason recorded").value_counts()
        reasons = ": " + ", ".join(f"{reason} {n:,}" for reason, n in counts.head(3).items())
        if len(counts) > 3:
            reasons += f", {len(counts) - 3} other reason(s)"
    return f"no verdict on any pair ({len(verdicts):,} unscored{reasons})"


def status_counts(verdicts: pd.DataFrame) -> dict[str, int]:
    """How many pairs of one run have each status, and how many have no verdict under the
    rule that made ``verdicts`` (``no_verdict``: inconsistent under ``both``, unscored ...)."""
    counts = {s: int((verdicts["status"] == s).sum()) for s in STATUSES}
    counts["no_verdict"] = int(verdicts["verdict"].isna().sum())
    return counts


def consistency(verdicts: pd.DataFrame) -> Estimate:
    """Share of pairs scored in both orders whose verdict did not change (Wilson interval)."""
    both = verdicts["consistent"].notna()
    if not both.any():
        if "scored_alone" in verdicts and verdicts["scored_alone"].astype(bool).all() and len(verdicts):
            return Estimate.undefined(SCORED_ALONE)
        if "verdict_unknown" in verdicts and verdicts["verdict_unknown"].notna().any():
            return Estimate.undefined("unknown: the order in which the judge saw the responses is not recorded")
        if "asked_both" in verdicts and verdicts["asked_both"].astype(bool).any():
            return Estimate.undefined("no pair was scored in both orders")
        return Estimate.undefined("no pair was judged in both orders")
    return proportion(int(verdicts.loc[both, "consistent"].astype(bool).sum()), int(both.sum()))


def first_shown_rate(choices, orders, confidence: float = 0.95) -> Estimate:
    """Position bias: the share of decisive choices that went to the response shown first.

    ``choices`` are canonical ('A' / 'B' / 'tie'; ties and missing values are left out),
    ``orders`` the presented order of each ('AB': A shown first). Wilson interval, and the
    two-sided binomial test against 0.5 as ``extra["p_value"]``. Works for an annotator's
    labels (``shown_order``) and for a judge's per-order verdicts alike. When any order is
    ``unknown`` the statistic is undefined: position bias needs the order shown; so it is
    when every decisive choice was made in the same order (a judge run in order AB only,
    labels imported without the order shown): its share is then the share of one side.
    """
    choices = np.asarray(choices, dtype=object)
    orders = np.asarray(orders, dtype=object)
    unknown = orders == "unknown"
    if unknown.any():
        return Estimate.undefined("unknown: the order in which the responses were shown is not recorded",
                                  n=int(unknown.sum()))
    chose_a, chose_b = choices == "A", choices == "B"  # each comparison made once
    decisive = chose_a | chose_b
    shown = set(orders[decisive])
    if len(shown) == 1:
        # every decisive choice made with the responses in one order: the share for the
        # first-shown response is the share for A (or B), content and position confounded
        return Estimate.undefined(
            f"every decisive choice was made with the responses in one order ({shown.pop()}): the share for "
            "the response shown first is the share for one side, not a position effect", n=int(decisive.sum()))
    first = (chose_a & (orders == "AB")) | (chose_b & (orders == "BA"))
    k, n = int(first[decisive].sum()), int(decisive.sum())
    est = proportion(k, n, confidence, reason="no decisive (non-tie) choice")
    if not est.defined:
        return est
    return Estimate(est.value, est.ci_low, est.ci_high, est.n, est.reason,
                    {**est.extra, "p_value": binomial_p_value(k, n)})


NO_VERDICT = "no verdict"


def judge_scale(verdicts: pd.DataFrame, categories) -> tuple[str, ...]:
    """The categories a judge's verdicts are coded in, for comparing them with human labels:
    the task's categories, then "tie" if the judges gave ties on a task without them, then
    "no verdict" (an inconsistent or unscored pair under the order rule). Verdicts outside
    the task's categories and missing verdicts are thus kept, as answers that match no
    human label, instead of being dropped."""
    scale = list(categories)
    if "tie" not in scale and (verdicts["verdict"] == "tie").any():
        scale.append("tie")
    scale.append(NO_VERDICT)
    return tuple(scale)


def judge_codes(verdicts: pd.DataFrame, units, scale) -> dict[str, np.ndarray]:
    """Per run: its verdict code on each unit (index in ``scale``; -1 where the judge was
    not asked about the pair; the "no verdict" code where the rule gives none)."""
    index = pd.Index(units)
    cat_index = pd.Index(list(scale))
    none = len(scale) - 1
    codes = {}
    for run_name, rows in verdicts.groupby("run_name", sort=True):
        aligned = np.full(len(index), -1, dtype=int)
        u = index.get_indexer(rows["pair"])
        v = cat_index.get_indexer(rows["verdict"].where(rows["verdict"].notna(), NO_VERDICT))
        v = np.where(v < 0, none, v)
        keep = u >= 0
        aligned[u[keep]] = v[keep]
        codes[str(run_name)] = aligned
    return codes
