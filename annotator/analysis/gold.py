"""A judge's accuracy against gold labels (LLMBar, JudgeBench, RewardBench-style sets, or the
human majority taken as gold).

Inputs: the judge's verdicts per pair (``verdicts.judge_verdicts`` under one order rule) and
a gold label per pair ('A' / 'B' / 'tie'). The pairs counted are the gold-labelled pairs
the judge was asked about (``n``); gold pairs the judge never saw are counted apart
(``n_not_judged``) and left out of every figure.

How each figure treats ties, unscored and missing verdicts:

* ``accuracy``: verdicts (under the order rule) equal to the gold label, over all ``n``
  pairs. An unscored pair, an inconsistent pair without a verdict, and a tie where the gold
  label is decisive all count as wrong.
* ``accuracy_scored``: the same correct verdicts over the pairs that have a verdict.
* ``accuracy_no_ties``: correct verdicts over the pairs where both the gold label and the
  verdict are A or B (a tie on either side, and a pair without a verdict, left out): the
  figure PandaLM and MT-Bench report "without ties".
* ``accuracy_first`` / ``accuracy_second``: the verdict in the AB order (A shown first) /
  in the BA order equals gold, over all ``n`` pairs (a missing or unscored verdict counts as
  wrong): LLMBar's ``correct_False`` / ``correct_True``.
* ``both_correct``: correct in both orders, over ``n`` (LLMBar's ``correct_both``).
* ``position_consistency``: the same verdict in both orders, over the pairs scored in both.
  ``llmbar_equal`` reproduces LLMBar's ``equal`` instead: the same verdict in both orders over
  all ``n`` pairs, where two missing verdicts count as equal.
* ``kappa_between_orders``: Cohen's kappa between the verdicts in the two orders over all
  ``n`` pairs (when the run asked the second order at all), a missing or unscored verdict in
  either order being a category of its own.
  ``kappa_between_orders_llmbar`` reproduces LLMBar's ``kappa_agreement``, whose code reads a
  missing verdict as "output 2" (B) in both orders.
* ``confusion``: gold label (rows) by verdict (columns: A, B, tie, no verdict).
* ``precision`` / ``recall`` / ``f1`` per gold class and their macro averages over the gold
  classes present: a verdict of "no verdict" is a prediction of no class (it lowers recall).
  F1 is 2 TP / (2 TP + FP + FN), so a class the judge never predicts has F1 0 (its
  precision, 0 / 0, is undefined, and so is the macro precision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import agreement
from .estimate import Estimate
from .proportion import proportion
from .verdicts import NO_VERDICT, SCORED_ALONE

VERDICT_COLUMNS = ("A", "B", "tie", NO_VERDICT)


@dataclass(frozen=True)
class GoldAccuracy:
    source: str  # where the gold labels come from: "pairs" (the task's gold) or "human majority"
    n: int
    n_unscored: int  # pairs without a verdict under the order rule (unscored, inconsistent ...)
    n_not_judged: int
    accuracy: Estimate
    accuracy_scored: Estimate
    accuracy_first: Estimate
    accuracy_second: Estimate
    both_correct: Estimate
    position_consistency: Estimate
    llmbar_equal: Estimate
    kappa_between_orders: Estimate
    kappa_between_orders_llmbar: Estimate
    confusion: dict[str, dict[str, int]]
    per_class: dict[str, dict[str, float | None]]
    macro_precision: float | None
    macro_recall: float | None
    macro_f1: float | None
    per_subset: dict[str, dict[str, Any]] = field(default_factory=dict)
    accuracy_no_ties: Estimate = field(default_factory=lambda: Estimate.undefined("not computed"))


def _kappa(a: np.ndarray, b: np.ndarray) -> Estimate:
    cats = sorted(set(a) | set(b))
    index = {c: i for i, c in enumerate(cats)}
    table = agreement.confusion_table(
        np.array([index[x] for x in a], dtype=int), np.array([index[x] for x in b], dtype=int), len(cats)
    )
    return agreement.cohen_kappa(table)


def gold_accuracy(verdicts: pd.DataFrame, gold: pd.Series, *, source: str = "pairs",
                  subsets: pd.Series | None = None, no_verdict: str = "") -> GoldAccuracy:
    """Accuracy of one judge run against ``gold`` (pair -> label); see the module docstring.

    ``verdicts``: one run's rows of ``judge_verdicts`` (pair, verdict, verdict_ab, verdict_ba,
    verdict_unknown, status). ``subsets``: optional pair -> subset name (e.g. a
    RewardBench subset or a domain) for ``per_subset`` accuracy. ``no_verdict``: the reason
    the run has no verdict on any pair (``verdicts.no_verdict_reason``): every figure is then
    undefined with it, not 0 %.
    """
    gold = gold.dropna()
    rows = verdicts[verdicts["pair"].isin(gold.index)]
    g = gold.reindex(rows["pair"]).to_numpy(dtype=object)
    n = len(rows)
    verdict = rows["verdict"].to_numpy(dtype=object)
    first = np.where(rows["verdict_ab"].notna(), rows["verdict_ab"], rows["verdict_unknown"]).astype(object)
    second = rows["verdict_ba"].to_numpy(dtype=object)
    has_verdict = pd.notna(verdict)
    correct = has_verdict & (verdict == g)
    no_pairs = "no gold-labelled pair was judged"
    accuracy = proportion(int(correct.sum()), n, reason=no_pairs)
    accuracy_scored = proportion(int(correct.sum()), int(has_verdict.sum()), reason="no verdict on a gold pair")
    decisive = np.isin(g, ["A", "B"]) & np.isin(verdict, ["A", "B"])
    accuracy_no_ties = proportion(int((correct & decisive).sum()), int(decisive.sum()),
                                  reason="no pair where both the gold label and the verdict are A or B")
    first_ok = pd.notna(first) & (first == g)
    second_ok = pd.notna(second) & (second == g)
    asked_second = rows["verdict_ba"].notna().any() or (rows["status"].isin(["inconsistent", "consistent", "partial"])).any()
    if "asked_both" in rows:
        asked_second = asked_second or bool(rows["asked_both"].astype(bool).any())
    alone = "scored_alone" in rows and n and bool(rows["scored_alone"].astype(bool).all())
    accuracy_first = proportion(int(first_ok.sum()), n, reason=no_pairs)
    if alone:
        accuracy_first = accuracy_second = both_correct = Estimate.undefined(SCORED_ALONE)
    elif asked_second:
        accuracy_second = proportion(int(second_ok.sum()), n, reason=no_pairs)
        both_correct = proportion(int((first_ok & second_ok).sum()), n, reason=no_pairs)
    else:
        accuracy_second = Estimate.undefined("the judge saw the pairs in one order only")
        both_correct = Estimate.undefined("the judge saw the pairs in one order only")
    both_scored = pd.notna(first) & pd.notna(second)
    position_consistency = proportion(int((both_scored & (first == second)).sum()), int(both_scored.sum()),
                                      reason="no pair was scored in both orders")
    if alone:
        position_consistency = llmbar_equal = kappa = kappa_llmbar = Estimate.undefined(SCORED_ALONE)
    elif asked_second:
        a = np.where(pd.notna(first), first, NO_VERDICT)
        b = np.where(pd.notna(second), second, NO_VERDICT)
        llmbar_equal = proportion(int((a == b).sum()), n, reason=no_pairs)
        kappa = _kappa(a, b) if n else Estimate.undefined(no_pairs)
        kappa_llmbar = _kappa(np.where(pd.notna(first), first, "B"), np.where(pd.notna(second), second, "B")) \
            if n else Estimate.undefined(no_pairs)
    else:
        llmbar_equal = kappa = kappa_llmbar = Estimate.undefined("the judge saw the pairs in one order only")

    shown = np.where(has_verdict, verdict, NO_VERDICT)
    gold_classes = [c for c in ("A", "B", "tie") if (g == c).any()]
    confusion = {c: {v: int(((g == c) & (shown == v)).sum()) for v in VERDICT_COLUMNS} for c in gold_classes}
    per_class = {}
    for c in gold_classes:
        tp = int(((g == c) & (shown == c)).sum())
        predicted = int((shown == c).sum())
        actual = int((g == c).sum())
        precision = tp / predicted if predicted else None
        recall = tp / actual if actual else None
        # 2 TP / (2 TP + FP + FN): the harmonic mean of precision and recall where both are
        # defined, and 0 for a class the judge never predicted (its precision is 0 / 0)
        f1 = 2 * tp / (predicted + actual) if predicted + actual else None
        per_class[c] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}

    def macro(key: str) -> float | None:
        values = [value for m in per_class.values() if (value := m[key]) is not None]
        return float(np.mean(values)) if values and len(values) == len(per_class) else None

    per_subset = {}
    if subsets is not None and n:
        names = subsets.reindex(rows["pair"]).fillna("").to_numpy(dtype=object)
        for name in sorted(set(names)):
            mine = names == name
            per_subset[str(name) or "(none)"] = {
                "n": int(mine.sum()),
                "accuracy": proportion(int(correct[mine].sum()), int(mine.sum())),
                "n_unscored": int((~has_verdict[mine]).sum()),
            }
    if no_verdict:
        accuracy, accuracy_scored, accuracy_first, accuracy_second, both_correct, position_consistency, \
            llmbar_equal, kappa, kappa_llmbar, accuracy_no_ties = (Estimate.undefined(no_verdict, n=n) for _ in range(10))
    return GoldAccuracy(
        source=source, n=n, n_unscored=int((~has_verdict).sum()), n_not_judged=int(len(gold) - n),
        accuracy=accuracy, accuracy_scored=accuracy_scored, accuracy_first=accuracy_first,
        accuracy_second=accuracy_second, both_correct=both_correct, position_consistency=position_consistency,
        llmbar_equal=llmbar_equal, kappa_between_orders=kappa, kappa_between_orders_llmbar=kappa_llmbar,
        confusion=confusion, per_class=per_class, macro_precision=macro("precision"),
        macro_recall=macro("recall"), macro_f1=macro("f1"), per_subset=per_subset,
        accuracy_no_ties=accuracy_no_ties,
    )


def judgebench_score(verdicts: pd.DataFrame, gold: pd.Series) -> float:
    """JudgeBench's score in percent: correct pairs under the ``judgebench`` order rule over
    all gold pairs. ``verdicts``: ONE run's rows of ``judge_verdicts(..., "judgebench")``."""
    if "run_name" in verdicts and verdicts["run_name"].nunique() > 1:
        raise ValueError("judgebench_score scores one judge run: filter the verdicts to one run_name first")
    gold = gold.dropna()
    v = verdicts.set_index("pair")["verdict"].reindex(gold.index)
    return float(100 * (v.to_numpy(dtype=object) == gold.to_numpy(dtype=object)).sum() / len(gold)) if len(gold) else float("nan")
