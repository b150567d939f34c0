"""The whole agreement report of a task, as typed sections.

``agreement_report(labels, judgments, ...)`` is a pure function of the store's frames;
``task_agreement_report(store, task)`` loads them. Both return an ``AgreementReport`` whose
sections are dataclasses (``AgreementBlock``, ``JudgeAgreement``, ``PairsSummary`` ...);
the command line prints them as rich tables, and ``AgreementReport.to_json()`` (through
``serialise``, the one serialiser) gives the documented ``--json``, which the HTML report
and the dashboard read.

Per domain, the intervals come from the same resamples of pairs as the whole task,
restricted to the domain's pairs.

Every figure is an ``Estimate`` turned into ``{"estimate", "ci_low", "ci_high", "n",
"reason", ...}``: ``estimate`` is ``None`` when the statistic is undefined and ``reason``
says why. Bootstrap intervals resample pairs (seeded); one set of resamples serves every
statistic of a scope (the whole task, or one domain), preference and factors alike.

Readings: the preference is nominal (A / B / tie) for alpha, the kappas and AC1; the
ordinal alpha reads it as A > tie > B (the store has no graded strength yet, so this is the
only ordinal reading there is). Factor answers are A more / equal / B more (the same
ordinal reading); "not applicable" is a missing value, counted in ``na_answers``. Judge
verdicts follow ``annotator.analysis.verdicts`` under the chosen order rule (by default a
pair whose verdict changes with the order has no verdict, and counts as a disagreement);
judge-human agreement follows the MT-Bench conventions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from annotator.store.protocol import AnalysisStore

from . import agreement
from .agents import reference_json
from .aggregate import dawid_skene
from .annotators import AnnotatorRecord, annotator_quality
from .bootstrap import Resampler, cluster_codes
from .defaults import AUTO_RESAMPLES_RULE, DEFAULT_BOTH_BAD, DEFAULT_REFERENCE, DISPUTED_LIMIT, auto_resamples
from .estimate import Estimate
from .exclusion import note_exclusions
from .pairs import ADJUDICATION_THRESHOLD, SPLIT, majority_codes, most_disputed, pair_votes
from .ratings import MISSING, Ratings, ratings_from_frame
from .serialise import fields_json, read_back, serialise, to_json  # noqa: F401  (to_json: the name other modules import)
from .verdicts import (
    DEFAULT_ORDER_RULE,
    ORDER_RULE_TEXT,
    consistency,
    judge_codes,
    judge_scale,
    judge_verdicts,
    no_verdict_reason,
)

PREFERENCE = ("A", "B", "tie")
# Ordinal reading of a preference and of a factor answer: A > tie/equal > B.
PREFERENCE_RANKS = {"A": 1.0, "tie": 0.0, "B": -1.0}
FACTOR_CATEGORIES = ("A", "B", "equal")
FACTOR_RANKS = {"A": 1.0, "equal": 0.0, "B": -1.0}


# -- the sections ----------------------------------------------------------------------------


@dataclass
class CohenPair:
    annotators: list[str]
    n_shared: int
    kappa: Estimate


@dataclass
class AgreementBlock:
    """Every agreement statistic of one set of ratings (the task, a domain or a factor)."""

    n_pairs: int
    n_pairs_multiply_labelled: int
    n_labels: int
    n_annotators: int
    distribution: dict[str, int]
    krippendorff_alpha: Estimate
    krippendorff_alpha_ordinal: Estimate
    fleiss_kappa: Estimate
    gwet_ac1: Estimate
    percent_agreement: dict[str, Estimate]  # "with_ties", "without_ties"
    cohen_kappa_pairs: list[CohenPair]
    cohen_kappa_mean: Estimate
    name: str | None = None  # a factor block: the factor's name
    na_answers: int | None = None  # a factor block: "not applicable" answers (missing values)

    def to_json(self) -> dict[str, Any]:
        data = fields_json(self, skip_none=("name", "na_answers"))
        if self.name is not None:  # a factor's name first, as documented
            data = {"name": data.pop("name"), **data}
        return data


@dataclass
class JudgeAgreement:
    """One judge run against the humans (MT-Bench conventions, every human vote)."""

    run: str
    pairs_with_verdict: int
    pairs_asked: int
    labelled_pairs_with_verdict: int
    labelled_pairs_asked: int
    inconsistent_pairs: int
    labelled_inconsistent_pairs: int
    labelled_pairs_without_verdict: int
    position_consistency: Estimate
    agreement_with_humans: dict[str, Estimate]  # "with_ties", "without_ties"
    cohen_kappa_with_majority: Estimate
    verdicts: dict[str, int]


@dataclass
class DisputedPair:
    pair: int
    pair_id: str
    domain: str
    votes: dict[str, int]
    majority: str | None
    majority_share: float
    entropy_bits: float
    needs_adjudication: bool
    reason: str | None
    adjudication: dict[str, Any] | None = None  # the adjudicator's decision: choice, reason, note, adjudicator


@dataclass
class PairsSummary:
    n_pairs: int
    n_pairs_multiply_labelled: int
    needs_adjudication: int
    no_majority: int
    adjudication_threshold: float
    mean_entropy_bits: float
    most_disputed: list[DisputedPair]
    adjudicated: int = 0  # pairs settled by an adjudicator (none of them needs adjudication)


@dataclass
class AggregateSummary:
    majority_vote: dict[str, Any]  # labels per category, "split", "undefined"
    dawid_skene: dict[str, Any]  # the fit, or {"reason": why it is undefined}


@dataclass
class AgreementReport:
    task: str
    categories: list[str]
    annotators: list[str]
    bootstrap: dict[str, Any]
    notes: list[str]
    overall: AgreementBlock
    per_domain: dict[str, AgreementBlock]
    per_factor: dict[str, AgreementBlock]
    order_rule: dict[str, str]
    per_annotator: list[AnnotatorRecord]
    judges: list[JudgeAgreement]
    pairs: PairsSummary
    aggregate: AggregateSummary
    runs_left_out: list[dict[str, Any]] = field(default_factory=list)
    excluded_annotators: dict[str, int] | None = None
    reference: dict[str, Any] | None = None  # the human reference of the judges' kappa (``defaults.REFERENCES``)
    both_bad: dict[str, Any] | None = None  # the --both-bad rule, when the task offers it or a label holds it

    def to_json(self) -> dict[str, Any]:
        """The documented JSON: the whole task's block at the top level, then the sections."""
        head = {"task": self.task, "categories": self.categories, "annotators": self.annotators,
                "bootstrap": self.bootstrap, "notes": self.notes}
        data = {**serialise(head), **self.overall.to_json()}
        for name in ("per_domain", "per_factor", "order_rule", "per_annotator", "judges", "pairs", "aggregate",
                     "runs_left_out", "reference"):
            data[name] = serialise(getattr(self, name))
        if self.excluded_annotators is not None:
            data["excluded_annotators"] = dict(self.excluded_annotators)
        if self.both_bad is not None:
            data["both_bad"] = dict(self.both_bad)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AgreementReport:
        """The typed report from its JSON (``to_json``: the whole task's block at the top level),
        as the HTML report reads the engine's output from a worker process."""
        return read_back(cls, {**data, "overall": data})


# -- one scope's agreement block -------------------------------------------------------------


def _cohen_pairs(ratings: Ratings, resampler: Resampler) -> tuple[list[CohenPair], Estimate]:
    k = len(ratings.categories)
    pairs = []
    columns = []
    for i, j in combinations(range(len(ratings.raters)), 2):
        a, b = ratings.codes[:, i], ratings.codes[:, j]
        both = np.nonzero((a != MISSING) & (b != MISSING))[0]
        if both.size == 0:
            continue
        table = agreement.confusion_table(a, b, k)
        pairs.append((ratings.raters[i], ratings.raters[j], agreement.cohen_kappa(table, confidence=resampler.confidence)))
        columns.append((both, a[both].astype(int) * k + b[both].astype(int)))

    if not ratings.raters:
        return [], Estimate.undefined("no labels: no pair of annotators to compare")
    if len(ratings.raters) < 2:
        return [], Estimate.undefined("only one annotator: no pair of annotators to compare")
    if not pairs:
        return [], Estimate.undefined("no two annotators share a labelled pair")

    replicates = None
    if resampler.resamples:
        rows = np.concatenate([both for both, _ in columns])
        cols = np.concatenate([p * k * k + cell for p, (_, cell) in enumerate(columns)])
        sums = resampler.count_sums(rows, cols, len(pairs) * k * k).reshape(resampler.resamples, len(pairs), k, k)
        replicates = agreement.cohen_from_tables(sums)  # resamples x pairs

    out = []
    for p, (rater_a, rater_b, estimate) in enumerate(pairs):
        if estimate.defined and replicates is not None:
            asymptotic = {"asymptotic_ci_low": estimate.ci_low, "asymptotic_ci_high": estimate.ci_high}
            low, high, resamples_defined = resampler.interval(replicates[:, p])
            estimate = Estimate(estimate.value, low, high, estimate.n, "", {
                **estimate.extra, **asymptotic, "ci_method": "bootstrap", "resamples_defined": resamples_defined,
            })
        out.append(CohenPair(annotators=[rater_a, rater_b], n_shared=estimate.n, kappa=estimate))

    defined = [p for p, entry in enumerate(out) if entry.kappa.defined]
    if not defined:
        return out, Estimate.undefined("Cohen's kappa is undefined for every pair of annotators")
    mean = Estimate(float(np.mean([out[p].kappa.value for p in defined])), n=len(defined),
                    extra={"pairs_of_annotators": len(defined)})
    if replicates is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = resampler.attach(mean, np.nanmean(replicates[:, defined], axis=1))
    return out, mean


def agreement_block(
    ratings: Ratings, resampler: Resampler, ranks: dict[str, float], n_categories: int | None = None
) -> AgreementBlock:
    """Every agreement statistic of one set of ratings (``Estimate`` values).

    ``ranks`` gives the ordinal reading of the categories (for the ordinal alpha);
    ``n_categories`` the size of the scale for Gwet's AC1 (default: the categories).
    """
    counts = ratings.counts()
    cats = ratings.categories
    tie_index = next((i for i, c in enumerate(cats) if c in ("tie", "equal")), None)
    values = [ranks[c] for c in cats]
    q = n_categories or len(cats)
    rated = counts.sum(axis=1)

    block: dict[str, Any] = {  # the fields of the AgreementBlock returned
        "n_pairs": int((rated > 0).sum()),
        "n_pairs_multiply_labelled": int((rated >= 2).sum()),
        "n_labels": int(rated.sum()),
        "n_annotators": int(((ratings.codes != MISSING).sum(axis=0) > 0).sum()),
        "distribution": {c: int(counts[:, i].sum()) for i, c in enumerate(cats)},
    }

    # every count-based statistic resampled in one pass over the bootstrap weights; the point
    # estimates sum the same per-pair contributions (computed once)
    contributions = {
        "alpha": agreement.alpha_contributions(counts),
        "fleiss": agreement.fleiss_contributions(counts),
        "gwet": agreement.gwet_contributions(counts),
        "percent": agreement.percent_agreement_contributions(counts, tie_index),
    }
    sums = resampler.sums_many(contributions)

    for key, level in (("krippendorff_alpha", "nominal"), ("krippendorff_alpha_ordinal", "ordinal")):
        block[key] = resampler.attach(
            agreement.krippendorff_alpha(counts, values, level, contributions=contributions["alpha"]),
            agreement.alpha_from_sums(sums["alpha"], values, level) if sums else None,
        )
    block["fleiss_kappa"] = resampler.attach(
        agreement.fleiss_kappa(counts, contributions=contributions["fleiss"]),
        agreement.fleiss_from_sums(sums["fleiss"]) if sums else None
    )
    block["gwet_ac1"] = resampler.attach(
        agreement.gwet_ac1(counts, q, contributions=contributions["gwet"]),
        agreement.gwet_from_sums(sums["gwet"], q) if sums else None
    )
    percent = agreement.percent_agreement(counts, tie_index, contributions=contributions["percent"])
    reps = agreement.percent_from_sums(sums["percent"]) if sums else None
    block["percent_agreement"] = {
        "with_ties": resampler.attach(percent["with_ties"], reps[:, 0] if reps is not None else None),
        "without_ties": resampler.attach(percent["without_ties"], reps[:, 1] if reps is not None else None),
    }

    block["cohen_kappa_pairs"], block["cohen_kappa_mean"] = _cohen_pairs(ratings, resampler)
    return AgreementBlock(**block)


# -- judges ----------------------------------------------------------------------------------


def judge_agreement_contributions(counts: np.ndarray, judge: np.ndarray, scale: tuple[str, ...]) -> np.ndarray:
    """Per unit ``[matching votes, votes, matching non-tie votes, non-tie votes]`` of one
    judge against every human vote (MT-Bench conventions; a judge's tie or human tie
    votes are left out of the non-tie columns; "no verdict" matches nothing)."""
    k = counts.shape[1]
    m = counts.sum(axis=1)
    tie = scale.index("tie") if "tie" in scale else -2
    human_tie = tie if 0 <= tie < k else None
    present = (judge != MISSING) & (m > 0)
    in_scale = present & (judge < k)
    own = np.where(in_scale, counts[np.arange(len(judge)), np.clip(judge, 0, k - 1)], 0)
    tie_votes = counts[:, human_tie] if human_tie is not None else np.zeros(len(m))
    non_tie = present & (judge != tie)
    return np.column_stack([
        own, np.where(present, m, 0), np.where(non_tie, own, 0), np.where(non_tie, m - tie_votes, 0),
    ]).astype(float)


def reference_codes(ratings: Ratings, adjudicated: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the human reference's category index and whether it is one label: the
    strict majority (``pairs.majority_codes``), or the adjudicated label where ``adjudicated``
    (pair -> choice) has one."""
    counts = ratings.counts()
    cats = ratings.categories
    codes, strict = majority_codes(counts, cats.index("tie") if "tie" in cats else None)
    if adjudicated is not None and len(adjudicated):
        index = {c: i for i, c in enumerate(cats)}
        settled = pd.Series(adjudicated).reindex(ratings.units).map(index).to_numpy(dtype=float)
        known = ~np.isnan(settled)
        codes = np.where(known, np.nan_to_num(settled, nan=-1).astype(int), codes)
        strict = strict | known
    return codes, strict


def percent_estimates(contributions: np.ndarray, resampler: Resampler, no_label: str) -> dict[str, Estimate]:
    """MT-Bench agreement with and without ties from per-pair contributions
    (``judge_agreement_contributions``), with bootstrap intervals on ``resampler``;
    ``no_label``: the reason when no pair has a comparison."""
    sums = contributions.sum(axis=0)
    with_ties, without = agreement.percent_from_sums(sums)
    out = {
        "with_ties": Estimate(float(with_ties), n=int(sums[1])) if not np.isnan(with_ties)
        else Estimate.undefined(no_label),
        "without_ties": Estimate(float(without), n=int(sums[3])) if not np.isnan(without)
        else Estimate.undefined("no comparison left once ties are dropped"),
    }
    if resampler.resamples:
        reps = resampler.replicate(contributions, agreement.percent_from_sums)
        out = {"with_ties": resampler.attach(out["with_ties"], reps[:, 0]),
               "without_ties": resampler.attach(out["without_ties"], reps[:, 1])}
    return out


def judge_section(
    verdicts: pd.DataFrame, codes: dict[str, np.ndarray], scale: tuple[str, ...], ratings: Ratings,
    resampler: Resampler, judgments: pd.DataFrame | None = None, adjudicated: pd.Series | None = None,
) -> list[JudgeAgreement]:
    """Per judge run: position consistency and MT-Bench agreement with every human vote.

    ``codes`` are the runs' verdicts in ``scale`` (``verdicts.judge_codes``): a pair the
    judge was asked about but has no verdict for under the order rule (inconsistent,
    unscored) is compared like any other and matches no human vote. Kappa is against the
    human reference (``reference_codes``: the majority, or the adjudicated label where
    ``adjudicated`` has one). A run with no scored verdict at all (``verdicts.no_verdict_reason``; ``judgments`` gives the unscored reasons)
    has no agreement and no kappa: undefined with that reason, not 0 %.
    """
    counts = ratings.counts()
    majority, strict = reference_codes(ratings, adjudicated)
    m = counts.sum(axis=1)
    out = []
    for run_name, judge in codes.items():
        rows = verdicts[verdicts["run_name"] == run_name]
        present = (judge != MISSING) & (m > 0)
        percent = percent_estimates(judge_agreement_contributions(counts, judge, scale), resampler,
                                    "no human label on a pair the judge was asked about")
        with_majority = strict & present
        table = agreement.confusion_table(
            np.where(with_majority, judge, MISSING), np.where(with_majority, majority, MISSING), len(scale)
        )
        kappa = agreement.cohen_kappa(table, confidence=resampler.confidence)
        silent = no_verdict_reason(rows)  # the run's judgments are read for the reasons only where it is silent
        if silent and judgments is not None and not judgments.empty:
            silent = no_verdict_reason(rows, judgments[judgments["run_name"] == run_name])
        if silent:
            percent = {key: Estimate.undefined(silent, n=est.n) for key, est in percent.items()}
            kappa = Estimate.undefined(silent)
        status = rows.set_index("pair")["status"]
        labelled = status.index.isin(ratings.units[m > 0]) if len(status) else np.zeros(0, dtype=bool)
        out.append(JudgeAgreement(
            run=run_name,
            pairs_with_verdict=int(rows["verdict"].notna().sum()),
            pairs_asked=int(len(rows)),
            labelled_pairs_with_verdict=int((present & (judge != len(scale) - 1)).sum()),
            labelled_pairs_asked=int(present.sum()),
            inconsistent_pairs=int((rows["status"] == "inconsistent").sum()),
            labelled_inconsistent_pairs=int((status[labelled] == "inconsistent").sum()),
            labelled_pairs_without_verdict=int((present & (judge == len(scale) - 1)).sum()),
            position_consistency=consistency(rows),
            agreement_with_humans=percent,
            cohen_kappa_with_majority=kappa,
            verdicts={c: int((judge[present] == i).sum()) for i, c in enumerate(scale)},
        ))
    return out


# -- the report ------------------------------------------------------------------------------


def _factor_frame(labels: pd.DataFrame) -> pd.DataFrame:
    """Long frame (pair, annotator, factor, answer) from the labels' factor dicts."""
    columns = ["pair", "annotator", "factor", "answer"]
    if labels.empty:
        return pd.DataFrame(columns=columns)
    if not any(labels["factors"]):  # no label answered a factor (the common case): nothing to spread
        return pd.DataFrame([], columns=columns)
    rows = [(pair, who, key, answer)
            for pair, who, answers in zip(labels["pair"].to_numpy(), labels["annotator"].to_numpy(dtype=object),
                                          labels["factors"].to_numpy(dtype=object)) if answers
            for key, answer in answers.items() if answer is not None]
    return pd.DataFrame(rows, columns=columns)


def agreement_report(
    labels: pd.DataFrame,
    judgments: pd.DataFrame | None = None,
    *,
    task: str = "",
    categories: Sequence[str] = PREFERENCE,
    factors: Sequence[tuple[str, str]] | None = None,
    resamples: int | None = None,
    seed: int = 0,
    confidence: float = 0.95,
    threshold: float = ADJUDICATION_THRESHOLD,
    disputed: int = DISPUTED_LIMIT,
    order_rule: str = DEFAULT_ORDER_RULE,
    adjudications: Mapping[int, Any] | None = None,
    reference: str = DEFAULT_REFERENCE,
    clusters: Mapping[int, int] | None = None,
) -> AgreementReport:
    """The agreement report of one task (``AgreementReport``; ``.to_json()`` for JSON).

    ``labels``: ``Store.labels_frame(task)``; ``judgments``: ``Store.judgments_frame(task)``
    or None. ``categories``: the task's choices. ``factors``: ``(key, name)`` of the task's
    checklist (factor keys found in labels but not listed are added). ``resamples``: the
    bootstrap size (0 for no intervals; None: ``defaults.auto_resamples``, named in the
    report). ``threshold``: the majority share under which a
    pair needs adjudication. ``disputed``: how many of the most disputed pairs to list.
    ``order_rule``: how a judge's verdicts in the two presented orders combine
    (``verdicts.ORDER_RULES``). ``adjudications``: pair -> the current ``Adjudication``
    (settled pairs need no adjudication); ``reference``: what the judges' kappa compares with
    (``defaults.REFERENCES``). ``clusters``: pair -> ranked item (``Store.ranking_clusters``):
    the bootstrap then resamples items, the pairs expanded from one ranking together.
    """
    categories = tuple(categories)
    if "tie" not in categories and (labels["choice"] == "tie").any():
        categories = PREFERENCE
    ratings = ratings_from_frame(labels, "choice", categories)
    units = ratings.units
    resamples_rule = "chosen (--bootstrap)"
    if resamples is None:
        resamples, resamples_rule = auto_resamples(len(units)), AUTO_RESAMPLES_RULE
    item_codes = cluster_codes(units, clusters) if clusters else None
    resampler = Resampler(len(units), resamples, seed, confidence, clusters=item_codes)
    ranks = PREFERENCE_RANKS

    notes = []
    if ratings.n_units == 0:
        notes.append("no labels yet: every statistic is undefined")
    elif len(ratings.raters) == 1:
        notes.append(
            f"only one annotator ({ratings.raters[0]}): agreement between annotators is undefined"
        )

    unit = "item (the pairs of one ranked item resampled together)" if item_codes is not None else "pair"
    bootstrap = {"resamples": resamples, "seed": seed, "confidence": confidence, "unit": unit,
                 "resamples_rule": resamples_rule}

    domains: list[tuple[str, np.ndarray]] = []
    domain_codes = np.zeros(len(units), dtype=np.int64)
    # each pair's id and domain, from its first label (read once for the domains and the disputed pairs)
    info = labels.loc[~labels["pair"].duplicated().to_numpy(), ["pair", "pair_id", "domain"]].set_index("pair") \
        if len(labels) else None
    if info is not None and (labels["domain"].fillna("") != "").any():
        domain_of = info["domain"].fillna("").reindex(units).to_numpy()
        for code, domain in enumerate(sorted(set(domain_of))):
            in_domain = domain_of == domain
            domain_codes[in_domain] = code
            domains.append((domain, in_domain))
    factor_frame = _factor_frame(labels)
    names = dict(factors or [])
    keys = list(names) + sorted(set(factor_frame["factor"]) - set(names))
    factor_ratings = {}
    for key in keys:
        rows = factor_frame[factor_frame["factor"] == key]
        factor_ratings[key] = (rows, ratings_from_frame(rows, "answer", FACTOR_CATEGORIES, units=units))
    verdicts = judge_verdicts(judgments, order_rule)
    scale = judge_scale(verdicts, categories)
    codes = judge_codes(verdicts, units, scale)
    # what every resampled statistic below is a function of, per pair: its votes, domain,
    # verdicts and factor answers (bootstrap.Resampler.group_units; the numbers do not depend on it)
    resampler.group_units(ratings.codes, domain_codes, *codes.values(), *(fr.codes for _, fr in factor_ratings.values()))
    overall = agreement_block(ratings, resampler, ranks)

    # per domain
    per_domain = {}
    for domain, in_domain in domains:
        # the domain's rows of the task's ratings (the same raters and categories as
        # ``ratings_from_frame`` of the labels with the domain's units gives, without a second read)
        sub = Ratings(units[in_domain], ratings.raters, ratings.categories, ratings.codes[in_domain])
        per_domain[domain or "(none)"] = agreement_block(sub, resampler.restricted(in_domain), ranks)

    # per factor, on the same units and resamples as the preference
    per_factor = {}
    for key, (rows, fr) in factor_ratings.items():
        block = agreement_block(fr, resampler, FACTOR_RANKS)
        block.name = names.get(key, key)
        block.na_answers = int((rows["answer"] == "na").sum())
        per_factor[key] = block

    # judges
    adjudications = dict(adjudications or {})
    adjudicated = pd.Series({p: a.choice for p, a in adjudications.items()}, dtype=object)
    votes = pair_votes(ratings, threshold, adjudicated)
    return AgreementReport(
        task=task, categories=list(categories), annotators=list(ratings.raters), bootstrap=bootstrap, notes=notes,
        overall=overall, per_domain=per_domain, per_factor=per_factor,
        order_rule={"name": order_rule, "rule": ORDER_RULE_TEXT[order_rule]},
        per_annotator=annotator_quality(labels, ratings, codes, scale, confidence=confidence),
        judges=judge_section(verdicts, codes, scale, ratings, resampler, judgments,
                             adjudicated if reference == "adjudicated" else None),
        pairs=_pairs_summary(votes, info, disputed, threshold, adjudications),
        aggregate=_aggregate_summary(ratings, votes),
        reference=reference_json(reference, adjudicated, units[ratings.counts().sum(axis=1) > 0]),
    )


def _pairs_summary(votes: pd.DataFrame, info: pd.DataFrame | None, limit: int, threshold: float,
                   adjudications: Mapping[int, Any] | None = None) -> PairsSummary:
    """``info``: each labelled pair's pair_id and domain, indexed by pair (None without labels)."""
    adjudications = adjudications or {}
    disputed = []
    for pair, row in most_disputed(votes, limit).iterrows():
        disputed.append(DisputedPair(
            pair=int(pair),
            pair_id=str(info.at[pair, "pair_id"]) if info is not None else "",
            domain=str(info.at[pair, "domain"] or "") if info is not None else "",
            votes={c[len("votes_"):]: int(row[c]) for c in votes.columns if c.startswith("votes_")},
            majority=row["majority"],
            majority_share=float(row["majority_share"]),
            entropy_bits=float(row["entropy_bits"]),
            needs_adjudication=bool(row["needs_adjudication"]),
            reason=row["adjudication_reason"] or None,
            adjudication=_decision(adjudications.get(int(pair))),
        ))
    multi = votes["n_votes"] >= 2
    return PairsSummary(
        n_pairs=int(len(votes)),
        n_pairs_multiply_labelled=int(multi.sum()),
        needs_adjudication=int(votes["needs_adjudication"].sum()),
        no_majority=int((votes["adjudication_reason"] == "no majority").sum()),
        adjudication_threshold=threshold,
        mean_entropy_bits=float(votes.loc[multi, "entropy_bits"].mean()) if multi.any() else float("nan"),
        most_disputed=disputed,
        adjudicated=int(votes["adjudicated"].notna().sum()),
    )


def _decision(adjudication: Any) -> dict[str, Any] | None:
    """An adjudication as the report shows it (its reason in words)."""
    if adjudication is None:
        return None
    from annotator.store.models import ADJUDICATION_REASONS

    return {"choice": adjudication.choice, "reason": ADJUDICATION_REASONS.get(adjudication.reason, adjudication.reason),
            "note": adjudication.note, "adjudicator": adjudication.adjudicator}


def _aggregate_summary(ratings: Ratings, votes: pd.DataFrame) -> AggregateSummary:
    majority = votes.loc[votes["n_votes"] > 0, "majority"]
    majority_vote = {
        "labels": {str(c): int((majority == c).sum()) for c in ratings.categories},
        "split": int((majority == SPLIT).sum()),
        "undefined": int(majority.isna().sum()),
    }
    ds = dawid_skene(ratings)
    if ds.reason:
        return AggregateSummary(majority_vote, {"reason": ds.reason})
    strict = votes["majority_share"].notna()
    shared = ds.labels.index[strict.reindex(ds.labels.index).to_numpy()]
    agree = (ds.labels.loc[shared] == votes.loc[shared, "majority"]).mean() if len(shared) else float("nan")
    return AggregateSummary(majority_vote, {
        "reason": None,
        "iterations": ds.iterations,
        "converged": ds.converged,
        "log_likelihood": ds.log_likelihood,
        "class_prior": {c: float(v) for c, v in ds.class_prior.items()},
        "labels": {str(c): int((ds.labels == c).sum()) for c in ratings.categories},
        "agreement_with_strict_majority": float(agree),
        "changed_from_majority": int((ds.labels != majority.reindex(ds.labels.index)).sum()),
        "confusion": {
            rater: {row: {col: float(v) for col, v in frame.loc[row].items()} for row in frame.index}
            for rater, frame in ds.confusion.items()
        },
    })


def task_agreement_report(store: AnalysisStore, task: str, exclude: Sequence[str] = (), *,
                          include_incomplete: bool = False, both_bad: str = DEFAULT_BOTH_BAD,
                          **options: Any) -> AgreementReport:
    """Load a task's labels and judgments from ``store`` and build ``agreement_report``;
    ``exclude``: annotators whose labels are left out (named in the report); ``both_bad``:
    how "both_bad" labels count (``defaults.BOTH_BAD_RULES``, named in the report). Incomplete
    judge runs are left out of the judge tables and named in ``notes`` and ``runs_left_out``
    (the judge card's rule, ``agents``) unless ``include_incomplete``."""
    found = store.require_task(task)
    from .agents import compared_judgments, incomplete_note
    from .both_bad import adjudications_under, both_bad_json

    judgments, runs, left_out = compared_judgments(store, task, include_incomplete)
    report = note_exclusions(agreement_report(
        store.labels_frame(task, lean=True, exclude=exclude, both_bad=both_bad),
        judgments,
        adjudications=adjudications_under(store.current_adjudications(task), both_bad),
        task=task,
        categories=found.choices,
        factors=[(f.key, f.name) for f in found.factors],
        clusters=store.ranking_clusters(task) if found.settings.ranking is not None else None,
        **options,
    ), store, task, exclude)
    report.notes += [incomplete_note(runs[name]) for name in left_out]
    report.runs_left_out = [runs[name].to_json() for name in left_out]
    report.both_bad = both_bad_json(store, task, both_bad, exclude)
    return report
