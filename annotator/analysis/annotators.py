"""Per-annotator quality: agreement with the others, attention checks, position bias, ties,
speed, and agreement with each judge.

Rules (documented, tested):

* Agreement with the others is leave-one-out (AlpacaEval style): each label is compared
  with the majority of the *other* annotators' labels on that pair. Pairs where the others
  have no strict majority (or nobody else labelled) are left out and counted.
* Attention checks are pairs with a gold choice; accuracy is the share of the annotator's
  labels on them that equal the gold choice.
* Position bias is measured on non-tie labels: the share choosing the response shown first
  (A when shown AB, B when shown BA), with an exact two-sided binomial test against 0.5.
* A label is implausibly fast when its time on item is under ``FAST_SECONDS`` or under the
  time to skim both responses at ``FAST_CHARS_PER_SECOND`` (a fast reader manages about
  40 characters a second; 250 is skimming at six times that, so a label faster still was
  given without looking at most of the text; two 6,000-character responses need 48 s). An annotator is flagged when at least ``FAST_SHARE_FLAG`` of their timed
  labels are that fast.
* Agreement with a judge compares the annotator's label with the judge's verdict on the
  same pair (verdict rule in ``annotator.analysis.verdicts``): with ties (a tie is a
  class) and without ties (comparisons where either side is a tie are dropped), plus
  Cohen's kappa.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import agreement
from .estimate import Estimate
from .proportion import proportion
from .ratings import MISSING, Ratings, positions
from .verdicts import first_shown_rate

FAST_SECONDS = 3.0
FAST_CHARS_PER_SECOND = 250.0
FAST_SHARE_FLAG = 0.25


@dataclass
class AnnotatorRecord:
    """One annotator's quality figures (``annotator_quality``)."""

    annotator: str
    n_labels: int
    agreement_with_others: Estimate  # leave-one-out: against the others' majority
    attention_accuracy: Estimate
    first_position_rate: Estimate  # own position bias
    tie_rate: Estimate
    median_seconds: float
    timed_labels: int
    fast_labels: int
    fast_share: float
    flag_fast: bool
    judges: dict[str, dict[str, Estimate]] = field(default_factory=dict)  # run -> agreement with it


def leave_one_out(ratings: Ratings, rater: str, confidence: float = 0.95) -> Estimate:
    """Share of ``rater``'s labels equal to the strict majority of the other annotators."""
    counts = ratings.counts()
    own = ratings.rater_codes(rater).astype(int)
    has = own != MISSING
    others = counts[has].copy()
    others[np.arange(others.shape[0]), own[has]] -= 1
    total = others.sum(axis=1)
    top = others.max(axis=1) if len(others) else np.zeros(0)
    strict = (total > 0) & ((others == top[:, None]).sum(axis=1) == 1)
    compared = int(strict.sum())
    agree = int((others[strict].argmax(axis=1) == own[has][strict]).sum())
    no_majority = int(((total > 0) & ~strict).sum())
    if compared == 0:
        reason = (
            "no other annotator labelled the same pairs"
            if (total > 0).sum() == 0
            else "the other annotators never had a strict majority"
        )
        return Estimate.undefined(reason, pairs_without_majority=no_majority)
    result = proportion(agree, compared, confidence)
    return Estimate(result.value, result.ci_low, result.ci_high, result.n, extra={
        **result.extra, "pairs_without_majority": no_majority,
    })


def judge_agreement(
    own: np.ndarray, judge: np.ndarray, scale: tuple[str, ...], confidence: float = 0.95
) -> dict[str, Estimate]:
    """One annotator (codes) against one judge (codes in ``scale``, see
    ``verdicts.judge_scale``), on the pairs both labelled. A judge's "no verdict" on a pair
    counts as a disagreement, with and without ties."""
    tie = scale.index("tie") if "tie" in scale else -2
    both = (own != MISSING) & (judge != MISSING)
    with_ties = proportion(int((own[both] == judge[both]).sum()), int(both.sum()), confidence,
                           reason="no pair labelled by both the annotator and the judge")
    nt = both & (own != tie) & (judge != tie)
    without = proportion(int((own[nt] == judge[nt]).sum()), int(nt.sum()), confidence,
                         reason="no pair where both gave a non-tie answer")
    table = agreement.confusion_table(own, judge, len(scale))
    return {
        "agreement_with_ties": with_ties,
        "agreement_without_ties": without,
        "cohen_kappa": agreement.cohen_kappa(table, confidence=confidence),
    }


def annotator_quality(
    labels: pd.DataFrame,
    ratings: Ratings,
    judge_codes: dict[str, np.ndarray] | None = None,
    judge_scale: tuple[str, ...] = (),
    *,
    confidence: float = 0.95,
    fast_seconds: float = FAST_SECONDS,
    fast_chars_per_second: float = FAST_CHARS_PER_SECOND,
    fast_share_flag: float = FAST_SHARE_FLAG,
) -> list[AnnotatorRecord]:
    """One record per annotator (``Estimate`` values; ``serialise`` turns them into JSON).

    ``labels`` is ``Store.labels_frame(task)``; ``ratings`` its preference ratings (units =
    pairs); ``judge_codes`` maps a judge run's name to its verdict codes aligned with
    ``ratings.units`` in ``judge_scale`` (-1 where it was not asked; see
    ``verdicts.judge_codes``).
    """
    records: list[AnnotatorRecord] = []
    if not ratings.raters:
        return records
    # every column read once for the whole task, each annotator's rows picked by a mask (in the
    # order stored, as a grouping by annotator gives them)
    who = positions(ratings.raters, labels["annotator"])
    choices = labels["choice"].to_numpy(dtype=object)
    shown_orders = labels["shown_order"].to_numpy(dtype=object)
    gold = labels["gold"]
    has_gold = gold.notna().to_numpy()
    gold_right = has_gold & (labels["choice"] == gold).to_numpy(dtype=bool, na_value=False)
    all_seconds = pd.to_numeric(labels["seconds"], errors="coerce").to_numpy(dtype=float)
    all_chars = (pd.to_numeric(labels["len_a"], errors="coerce").fillna(0)
                 + pd.to_numeric(labels["len_b"], errors="coerce").fillna(0)).to_numpy(dtype=float)
    for index, rater in enumerate(ratings.raters):
        mine = who == index
        n = int(mine.sum())
        choice = choices[mine]
        shown = shown_orders[mine]

        attention = proportion(
            int(gold_right[mine].sum()), int(has_gold[mine].sum()), confidence,
            reason="no attention-check (gold) pair labelled",
        )

        first_rate = first_shown_rate(choice, shown, confidence)

        tie_rate = proportion(int((choice == "tie").sum()), n, confidence, reason="no label")

        seconds = all_seconds[mine]
        chars = all_chars[mine]
        timed = ~np.isnan(seconds)
        floor = np.maximum(fast_seconds, chars / fast_chars_per_second)
        fast = timed & (seconds < floor)
        fast_share = float(fast.sum() / timed.sum()) if timed.any() else float("nan")

        judges = {}
        if judge_codes:
            own = ratings.rater_codes(rater).astype(int)
            for run_name, codes in judge_codes.items():
                judges[run_name] = judge_agreement(own, codes, judge_scale, confidence)

        records.append(AnnotatorRecord(
            annotator=rater,
            n_labels=n,
            agreement_with_others=leave_one_out(ratings, rater, confidence),
            attention_accuracy=attention,
            first_position_rate=first_rate,
            tie_rate=tie_rate,
            median_seconds=float(np.median(seconds[timed])) if timed.any() else float("nan"),
            timed_labels=int(timed.sum()),
            fast_labels=int(fast.sum()),
            fast_share=fast_share,
            flag_fast=bool(timed.any() and fast_share >= fast_share_flag),
            judges=judges,
        ))
    return records
