"""How far each LLM judge is from the humans: the judge-validation report and the judge card.

Every figure is computed once, from one ``agents.TaskAgents`` (the humans' votes and every
judge run's verdicts under one order rule, ``verdicts``), into typed sections that
``JudgeHumanReport.to_json`` turns into the documented JSON.

For every *agent* (the humans' majority vote, and each judge run) it reports:

* ``verdicts`` (A / B / tie, and for judges "no verdict": inconsistent or unscored under
  the order rule; for the humans "split": top votes shared) and the judge's pair
  ``statuses`` (``verdicts.STATUSES``);
* ``win_rate``: the win rate of *response A* against response B (A = the first response
  as imported), overall and per domain, raw and length-controlled. For candidates against a
  baseline, whichever side they are on, use the leaderboard (``leaderboard``);
* ``length_bias``: the share of decisive verdicts that chose the longer response (Wilson
  interval, binomial test against 0.5), and for judges ``length_bias_vs_humans``: the
  judge's share minus the humans' on the same pairs (both decisive, lengths differing by
  more than ``length_threshold`` of the longer response);
* for judges: ``position_bias`` (share of decisive per-order verdicts for the response shown
  first; "unknown" when the run does not record the order shown), ``position_consistency``,
  ``agreement_with_humans`` (MT-Bench: every judge verdict against every human vote, with
  and without ties, bootstrap interval over pairs; a pair without a verdict matches no vote)
  beside the human-human ``human_ceiling``, ``cohen_kappa_with_majority``,
  ``agreement_per_domain``, ``gold`` (``gold``: accuracy against the task's gold labels),
  ``alt_test`` (``alt_test``), ``calibration`` (``calibration``), cost and median latency
  per 1,000 pairs, ``labels_needed`` (human-labelled pairs for a +-3 point interval) and
  the ``card``: a one-line verdict with its reasons (rules in ``card_verdict``);
* **factor-level alignment** (PROFILE): per factor, each agent's factor score against the
  factor's manifestation M_k, and for each judge the correlation of its scores with the
  humans' and its misaligned factors, computed as ``stats factors`` computes them
  (``factor_report.agent_scores`` and ``judge_alignment``, evaluation setting). M_k comes
  from one named source (``factor_source``: ``extractors`` by default, or ``checklist``;
  ``factor_report.manifestation_table``); the other source's scores and alignment are
  shown beside (``other_source``) where it knows any M_k. A split human majority is no
  preference and enters no factor score (as in ``stats factors``).

Judges are compared with the humans on the same pairs: the human-labelled ones (every
judged pair while there is none). Incomplete runs are listed and left out (``agents``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from annotator.store.protocol import AnalysisStore

from . import agreement, defaults
from .agents import HUMANS, TaskAgents, human_majority, incomplete_note, load_agents, reference_json  # noqa: F401  (re-exported)
from .alt_test import DEFAULT_ALPHA, DEFAULT_EPSILON, MIN_PAIRS, AltTest, alternative_annotator_test
from .bootstrap import Resampler, cluster_codes
from .calibration import Calibration, calibration
from .defaults import (
    AUTO_RESAMPLES_RULE,
    DEFAULT_BOTH_BAD,
    DEFAULT_FACTOR_SOURCE,
    DEFAULT_REFERENCE,
    DEFAULT_RESAMPLES,  # noqa: F401  (the one default, re-exported)
    FACTOR_SOURCE_TEXT,
    auto_resamples,
)
from .estimate import Estimate, json_number
from .exclusion import note_exclusions
from .factor_report import (
    FACTOR_SOURCES,
    JudgeFactors,
    agent_scores,
    check_source,
    factor_values_frame,
    judge_alignment,
    manifestation_tables,
)
from .gold import GoldAccuracy, gold_accuracy
from .pairs import SPLIT
from .proportion import binomial_p_value, proportion
from .ratings import MISSING, ratings_from_frame
from .report import judge_agreement_contributions, judge_section, percent_estimates
from .rewardbench import is_rewardbench, section_scores
from .sample_variance import sample_variance
from .serialise import fields_json, serialise
from .style import style_bias, trivial_baselines
from .verdicts import (
    DEFAULT_ORDER_RULE,
    NO_VERDICT,
    NONE,
    SCORED_ALONE,
    STATUSES,
    consistency,
    first_shown_rate,
    judge_codes,
    judge_scale,
    no_verdict_reason,
)
from .winrate import alpaca_win_rate, length_controlled_win_rate

_P_WIN = {"A": 1.0, "B": 0.0, "tie": 0.5, SPLIT: 0.5}
LENGTH_THRESHOLD = defaults.LENGTH_THRESHOLD  # lengths differing by more than 10 % of the longer response
TARGET_HALF_WIDTH = defaults.TARGET_HALF_WIDTH  # labels needed for an agreement interval of +- 3 points


# -- the card's rules ------------------------------------------------------------------------

CARD_RULES = (
    "needs review when any of: the run is incomplete; no verdict on any pair; fewer than 30 human-labelled pairs compared; "
    "agreement with the humans more than 10 points under the human-human ceiling; position consistency "
    "under 70 %; the alternative annotator test defined and failed. Trustworthy when all of: at least "
    "100 pairs compared; the alternative annotator test passed (or, where it is undefined, agreement "
    "within 5 points of the ceiling); position consistency at least 80 % (or unknown); the length bias "
    "relative to the humans within 10 points. Otherwise: use with caution."
)


@dataclass(frozen=True)
class JudgeCard:
    verdict: str  # "trustworthy" | "use with caution" | "needs review"
    reasons: list[str]


def card_verdict(*, complete: bool, n: int, agreement_est: Estimate, ceiling: Estimate, consistency_est: Estimate,
                 alt: AltTest | None, length_vs_humans: Estimate, no_verdict: str = "") -> JudgeCard:
    """The one-line verdict on a judge and its reasons (``CARD_RULES``)."""
    review, caution, good = [], [], []
    if not complete:
        review.append("the run is incomplete")
    if no_verdict:
        review.append(no_verdict)
    if n == 0:
        review.append("no human-labelled pair to compare it with (label some, or read its accuracy against the "
                      "gold labels)")
    elif n < 30:
        review.append(f"only {n} human-labelled pairs compared (fewer than 30)")
    gap = None
    if agreement_est.defined and ceiling.defined:
        gap = ceiling.value - agreement_est.value
        if gap > 0.10:
            review.append(f"agreement {agreement_est.value:.0%} is {gap * 100:.0f} points under the human-human "
                          f"ceiling {ceiling.value:.0%}")
    if consistency_est.defined and consistency_est.value < 0.70:
        review.append(f"position consistency {consistency_est.value:.0%} (under 70 %)")
    if alt is not None and alt.passed is False:
        review.append(f"fails the alternative annotator test (winning rate {alt.winning_rate:.0%}, "
                      f"epsilon {alt.epsilon:g})")
    if review:
        return JudgeCard("needs review", review)
    if n < 100:
        caution.append(f"{n} pairs compared (fewer than 100)")
    if alt is not None and alt.passed:
        good.append(f"passes the alternative annotator test (winning rate {alt.winning_rate:.0%})")
    elif gap is not None and gap <= 0.05:
        good.append(f"agreement within {max(gap, 0) * 100:.0f} points of the human-human ceiling")
    elif gap is not None:
        caution.append(f"agreement {gap * 100:.0f} points under the human-human ceiling")
    else:
        caution.append("no human-human ceiling to compare with (fewer than two annotators per pair)")
    if consistency_est.defined and consistency_est.value < 0.80:
        caution.append(f"position consistency {consistency_est.value:.0%} (under 80 %)")
    if length_vs_humans.defined and abs(length_vs_humans.value) > 0.10:
        caution.append(f"chooses the longer response {length_vs_humans.value * 100:+.0f} points more often than the humans")
    if caution:
        return JudgeCard("use with caution", caution + good)
    return JudgeCard("trustworthy", good or ["meets every rule"])


# -- sections --------------------------------------------------------------------------------


@dataclass
class AgentReport:
    agent: str
    kind: str
    pairs: int
    verdicts: dict[str, int]
    win_rate: WinRates
    length_bias: Estimate
    order_rule: str | None = None
    statuses: dict[str, int] | None = None
    run: dict[str, Any] | None = None
    pairs_judged: int | None = None
    win_rate_all_pairs: WinRates | None = None
    position_bias: Estimate | None = None
    position_consistency: Estimate | None = None
    agreement_with_humans: dict[str, Estimate] | None = None
    # the same MT-Bench agreement over the pairs the judge has a verdict on only (the pairs
    # without one left out instead of matching no vote), beside the all-pairs figure
    agreement_scored_only: dict[str, Estimate] | None = None
    cohen_kappa_with_majority: Estimate | None = None
    agreement_per_domain: dict[str, DomainAgreement] | None = None
    length_bias_vs_humans: Estimate | None = None
    gold: GoldAccuracy | None = None
    alt_test: AltTest | None = None
    calibration: Calibration | None = None
    cost_per_1000_pairs: float | None = None
    median_latency_s: float | None = None
    labels_needed: LabelsNeeded | None = None
    card: JudgeCard | None = None
    # the judge's share choosing the response with more of each style feature minus the
    # humans' (``style``), and each share with its pairs and reason
    style_bias: dict[str, Any] | None = None
    style_bias_detail: dict[str, Any] | None = None
    sample_variance: dict[str, Any] | None = None  # across ``--samples k`` (``sample_variance``)
    rewardbench: dict[str, Any] | None = None  # section scores of a RewardBench-format set (``rewardbench``)


@dataclass
class FactorSource:
    """The factor scores and judge alignments from one M_k source."""

    known_manifestations: dict[str, int]  # factor -> pairs with a known M_k
    scores: dict[str, dict[str, dict[str, Any]]]  # agent -> factor -> ``FactorScore.as_dict``
    judges: dict[str, JudgeFactors]  # judge -> alignment and misaligned factors


@dataclass
class OtherSource(FactorSource):
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, **{k: serialise(getattr(self, k))
                                          for k in ("known_manifestations", "scores", "judges")}}


@dataclass
class FactorAlignment:
    """PROFILE factor-level alignment (``factor_section``): M_k from ``source``, the other
    source beside where it knows any M_k."""

    source: str
    source_rule: str
    extractors: dict[str, str]  # factor -> extractor, for the extractors source
    factors: dict[str, str]  # key -> name
    known_manifestations: dict[str, int]
    scores: dict[str, dict[str, dict[str, Any]]]
    judges: dict[str, JudgeFactors]
    other_source: OtherSource | None = None


@dataclass
class JudgePair:
    """Agreement between two judges on the pairs both were asked about."""

    judges: list[str]
    n: int
    agreement: Estimate
    cohen_kappa: Estimate


@dataclass
class Hint:
    """A factor a judge weighs unlike the humans, and the command that guides it (PROFILE)."""

    judges: list[str]  # the runs of one judge (same model, endpoint and template) that give it
    factor: str
    direction: str
    judge_score: float
    human_score: float
    command: str


@dataclass
class JudgeHumanReport:
    task: str
    order_rule: dict[str, str]
    notes: list[str]
    agents: list[AgentReport]
    human_ceiling: dict[str, Estimate]
    judge_agreement: list[JudgePair]
    factor_alignment: FactorAlignment | None
    runs_left_out: list[dict[str, Any]] = field(default_factory=list)
    bootstrap: dict[str, Any] = field(default_factory=dict)
    card_rules: str = CARD_RULES
    excluded_annotators: dict[str, int] = field(default_factory=dict)  # --exclude: name -> labelled pairs
    style_baselines: list[dict[str, Any]] = field(default_factory=list)  # "pick the longer" per domain (``style``)
    reference: dict[str, Any] | None = None  # the human label judges are compared with (``defaults.REFERENCES``)
    defaults: dict[str, Any] = field(default_factory=dict)  # the defaults its figures depend on
    both_bad: dict[str, Any] | None = None  # the --both-bad rule, when the task offers it or a label holds it

    def hints(self, task: str | None = None) -> list[Hint]:
        """One hint per LLM judge: its most misaligned factor (``factor_hints``)."""
        return factor_hints(self, task or self.task)

    def to_json(self) -> dict[str, Any]:
        return fields_json(self, skip_none=("both_bad",))


# -- building blocks -------------------------------------------------------------------------


def manifestations(labels: pd.DataFrame, factor_values: pd.DataFrame | None, factors: Sequence[str],
                   source: str = DEFAULT_FACTOR_SOURCE) -> pd.DataFrame:
    """Pairs x factors table of M_k ('A' / 'B' / 'equal', missing where unknown) from
    ``source`` (``factor_report.manifestation_table``: one rule for every command)."""
    check_source(source)
    return manifestation_tables(labels, factor_values, factors)[0][source]


@dataclass
class WinRateBlock:
    """Raw and length-controlled win rate of response A on one set of pairs (percent; NaN, or
    None when read back from JSON, where undefined: ``lc_reason`` says why for LC)."""

    pairs: int
    win_rate: float | None
    standard_error: float | None
    wins: int
    losses: int
    ties: int
    lc_win_rate: float | None
    lc_length_coefficient: float | None
    lc_reason: str | None = None


@dataclass
class WinRates:
    """One agent's win rate of response A, overall and per domain (``win_rates``)."""

    of: str
    overall: WinRateBlock
    per_domain: dict[str, WinRateBlock] = field(default_factory=dict)


def win_rates(prefs: pd.Series, pairs: pd.DataFrame) -> WinRates:
    """Raw and length-controlled win rate of response A, overall and per domain, for one
    agent (a split majority and a tie count as half a win; no verdict is left out)."""
    frame = pairs.set_index("pair").join(prefs.rename("verdict"), how="inner")
    frame = frame[frame["verdict"].isin(list(_P_WIN))]
    # each verdict's win probability, read once for every block: A 1, B 0, a tie or a split 0.5;
    # its preference for the raw win rate is 1 more (AlpacaEval's 2 / 1 / 1.5, as choice_win_rate)
    codes, seen = pd.factorize(frame["verdict"])
    p_win = np.array([_P_WIN[v] for v in seen], dtype=float)[codes] if len(seen) else np.zeros(0)
    len_a, len_b = frame["len_a"].to_numpy(), frame["len_b"].to_numpy()

    def block(rows) -> WinRateBlock:
        raw = alpaca_win_rate(p_win[rows] + 1.0)
        lc = length_controlled_win_rate(p_win[rows], len_a[rows], len_b[rows])
        return WinRateBlock(pairs=raw.n_total, win_rate=raw.win_rate, standard_error=raw.standard_error,
                            wins=raw.n_wins, losses=raw.n_wins_base, ties=raw.n_draws, lc_win_rate=lc.lc_win_rate,
                            lc_length_coefficient=lc.phi, lc_reason=lc.reason or None)

    domains = frame["domain"].fillna("").to_numpy(dtype=object)
    return WinRates(of="response A against response B", overall=block(slice(None)),
                    per_domain=({d or "(none)": block(domains == d) for d in sorted(pd.unique(domains))}
                                if (domains != "").any() else {}))


def _longer(pairs: pd.DataFrame, threshold: float) -> pd.Series:
    """Per pair: 'A' or 'B', the clearly longer response (None when within ``threshold``)."""
    p = pairs.set_index("pair")
    longest = np.maximum(p["len_a"], p["len_b"]).astype(float)
    diff = (p["len_a"] - p["len_b"]).astype(float)
    clear = np.abs(diff) > threshold * longest
    return pd.Series(np.where(clear, np.where(diff > 0, "A", "B"), NONE), index=p.index)


def length_bias(prefs: pd.Series, pairs: pd.DataFrame) -> Estimate:
    """Share of decisive verdicts (pairs of unequal length) that chose the longer response."""
    frame = pairs.set_index("pair").join(prefs.rename("verdict"), how="inner")
    frame = frame[frame["verdict"].isin(["A", "B"]) & (frame["len_a"] != frame["len_b"])]
    longer = np.where(frame["len_a"] > frame["len_b"], "A", "B")
    chose_longer = int((frame["verdict"].to_numpy() == longer).sum())
    est = proportion(chose_longer, len(frame), reason="no decisive verdict on a pair of unequal lengths")
    if est.defined:
        est = Estimate(est.value, est.ci_low, est.ci_high, est.n,
                       extra={**est.extra, "p_value": binomial_p_value(chose_longer, len(frame))})
    return est


def length_bias_vs_humans(judge: pd.Series, humans: pd.Series, pairs: pd.DataFrame,
                          threshold: float = LENGTH_THRESHOLD) -> Estimate:
    """The judge's share choosing the clearly longer response minus the humans', on the pairs
    where both are decisive (normal interval of the paired difference)."""
    longer = _longer(pairs, threshold)
    frame = pd.concat([judge.rename("j"), humans.rename("h"), longer.rename("l")], axis=1, join="inner")
    frame = frame[frame["j"].isin(["A", "B"]) & frame["h"].isin(["A", "B"]) & frame["l"].notna()]
    n = len(frame)
    if n == 0:
        return Estimate.undefined("no pair where the judge and the humans both chose a response and the lengths "
                                  f"differ by more than {threshold:.0%}")
    j = (frame["j"] == frame["l"]).to_numpy(dtype=float)
    h = (frame["h"] == frame["l"]).to_numpy(dtype=float)
    d = j - h
    se = d.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan
    return Estimate(float(d.mean()), float(d.mean() - 1.96 * se), float(d.mean() + 1.96 * se), n,
                    extra={"judge_share": float(j.mean()), "human_share": float(h.mean()), "threshold": threshold,
                           "ci_method": "normal, paired"})


def position_bias(verdicts: pd.DataFrame) -> Estimate:
    """Share of decisive per-order verdicts that chose the response shown first.

    ``verdicts``: one run's rows of ``verdicts.judge_verdicts``, whose ``verdict_ab`` /
    ``verdict_ba`` / ``verdict_unknown`` are each order's verdict with its samples resolved
    first: several samples of one order are one verdict, not several trials. A run that
    scored each response alone (``verdicts.scored_alone``) showed nothing in an order:
    unknown."""
    if "scored_alone" in verdicts and len(verdicts) and verdicts["scored_alone"].astype(bool).all():
        return Estimate.undefined(SCORED_ALONE)
    choices, orders = [], []
    for column, order in (("verdict_ab", "AB"), ("verdict_ba", "BA"), ("verdict_unknown", "unknown")):
        scored = verdicts[column].dropna().to_numpy(dtype=object)
        choices.append(scored)
        orders.append(np.full(len(scored), order, dtype=object))
    return first_shown_rate(np.concatenate(choices), np.concatenate(orders))


@dataclass
class LabelsNeeded:
    """Human-labelled pairs needed for a judge's agreement interval to be +- ``target_half_width``
    (``labels_needed``): ``pairs_needed`` None with ``reason`` where it cannot be had."""

    target_half_width: float
    pairs_needed: int | None = None
    pairs_now: int | None = None
    current_half_width: float | None = None
    more_pairs_needed: int | None = None
    method: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The documented JSON: without a number, the target, ``pairs_needed`` (null), the pairs
        measured now where known, and the reason; with one, how it was reached."""
        if self.pairs_needed is None:
            out: dict[str, Any] = {"target_half_width": self.target_half_width, "pairs_needed": None}
            if self.pairs_now is not None:
                out["pairs_now"] = self.pairs_now
            return {**out, "reason": self.reason}
        return {"target_half_width": self.target_half_width, "pairs_now": self.pairs_now,
                "current_half_width": json_number(self.current_half_width), "pairs_needed": self.pairs_needed,
                "more_pairs_needed": self.more_pairs_needed, "method": self.method}

    def text(self, plus_minus: str = "±", lead: str = "for ") -> str:
        """One line for the judge card ("" where no number can be had)."""
        if self.pairs_needed is None:
            return ""
        return (f"{lead}{plus_minus}{self.target_half_width * 100:.0f} points: {self.pairs_needed:,} human-labelled "
                f"pairs ({self.more_pairs_needed or 0:,} more)")


def labels_needed(est: Estimate, target: float = TARGET_HALF_WIDTH, confidence_z: float = 1.96) -> LabelsNeeded:
    """Human-labelled pairs needed for the agreement interval to be +- ``target``: the
    interval's half-width shrinks as 1 / sqrt(pairs), from the one measured now (or, without
    an interval, the binomial formula z^2 p (1 - p) / target^2)."""
    if not est.defined or est.n == 0:
        return LabelsNeeded(target, reason=est.reason or "no agreement measured")
    pairs_now = int(est.extra.get("pairs", est.n))
    if est.value in (0.0, 1.0):
        return LabelsNeeded(target, pairs_now=pairs_now, reason=f"agreement is {est.value:.0%}: its interval cannot be scaled")
    if math.isfinite(est.ci_low) and math.isfinite(est.ci_high) and est.ci_high > est.ci_low:
        half = (est.ci_high - est.ci_low) / 2
        needed = math.ceil(pairs_now * (half / target) ** 2)
        method = "scaled from the bootstrap interval measured now (half-width ~ 1/sqrt(pairs))"
    else:
        p = est.value
        needed = math.ceil(confidence_z ** 2 * max(p * (1 - p), 1e-9) / target ** 2)
        half = math.nan
        method = "binomial: z^2 p (1 - p) / target^2"
    return LabelsNeeded(target, pairs_needed=needed, pairs_now=pairs_now, current_half_width=half,
                        more_pairs_needed=max(0, needed - pairs_now), method=method)


def factor_section(agents: dict[str, pd.Series], tables: dict[str, pd.DataFrame], names: dict[str, str],
                   source: str = DEFAULT_FACTOR_SOURCE, extractors: dict[str, str] | None = None) -> FactorAlignment:
    """Factor scores of every agent and each judge's alignment with the humans, with M_k from
    ``source`` (``tables``: ``factor_report.manifestation_tables``); the other source beside
    where it knows any M_k."""

    def block(table: pd.DataFrame) -> FactorSource:
        keys = list(table.columns)
        scores = {agent: agent_scores(prefs, table, "evaluation") for agent, prefs in agents.items()}
        judges = {agent: judge_alignment(scores[HUMANS], scores[agent], keys, bool(prefs.isin(["A", "B"]).any()))
                  for agent, prefs in agents.items() if agent != HUMANS}
        return FactorSource({k: int(table[k].notna().sum()) for k in keys}, scores, judges)

    mine = block(tables[source])
    other = next(s for s in FACTOR_SOURCES if s != source)
    beside = block(tables[other]) if tables[other].notna().any().any() else None
    return FactorAlignment(
        source=source, source_rule=FACTOR_SOURCE_TEXT[source], extractors=dict(extractors or {}),
        factors={k: names.get(k, k) for k in tables[source].columns},
        known_manifestations=mine.known_manifestations, scores=mine.scores, judges=mine.judges,
        other_source=OtherSource(beside.known_manifestations, beside.scores, beside.judges, other)
        if beside is not None else None,
    )


def _judge_pairwise(verdicts: pd.DataFrame, scale: tuple[str, ...]) -> list[JudgePair]:
    """Agreement between every two judges (WorldAlignment's dual judges) on the pairs both
    were asked about; "no verdict" matches nothing."""
    out = []
    by_run = {name: rows.set_index("pair")["verdict"] for name, rows in verdicts.groupby("run_name", sort=True)}
    index = {c: i for i, c in enumerate(scale)}
    for a, b in combinations(sorted(by_run), 2):
        joined = pd.concat([by_run[a].rename("a"), by_run[b].rename("b")], axis=1, join="inner")
        n = len(joined)
        va = joined["a"].where(joined["a"].notna(), NO_VERDICT).map(index).fillna(len(scale) - 1).astype(int)
        vb = joined["b"].where(joined["b"].notna(), NO_VERDICT).map(index).fillna(len(scale) - 1).astype(int)
        none = len(scale) - 1
        same = (va == vb) & (va != none)
        table = agreement.confusion_table(va.to_numpy(), vb.to_numpy(), len(scale))
        out.append(JudgePair([a, b], n, proportion(int(same.sum()), n, reason="no pair judged by both"),
                             agreement.cohen_kappa(table) if n else Estimate.undefined("no pair judged by both")))
    return out


# -- the report ------------------------------------------------------------------------------


def judge_human_report(
    agents: TaskAgents,
    factor_values: pd.DataFrame | None = None,
    *,
    factors: Sequence[tuple[str, str]] = (),
    gold: pd.Series | None = None,
    gold_source: str = "pairs",
    resamples: int | None = None,
    seed: int = 0,
    epsilon: float = DEFAULT_EPSILON,
    alpha: float = DEFAULT_ALPHA,
    alt_min_pairs: int = MIN_PAIRS,
    length_threshold: float = LENGTH_THRESHOLD,
    factor_source: str = DEFAULT_FACTOR_SOURCE,
    extractor: str | None = None,
    style: pd.DataFrame | None = None,
    clusters: Mapping[int, int] | None = None,
) -> JudgeHumanReport:
    """The judge-validation report of one task; see the module docstring.

    ``agents``: ``agents.load_agents``; ``factor_values``: one row per (pair, factor,
    extractor) with a ``manifestation``; ``factors``: (key, name) of the task's checklist;
    ``gold``: pair -> gold label (the task's, or None); ``resamples``: bootstrap resamples over
    pairs for the agreement intervals and the human ceiling (None: ``defaults.auto_resamples``,
    the rule ``stats agreement`` uses, so the ceiling has one interval wherever it is shown).
    ``clusters``: pair -> ranked item (``Store.ranking_clusters``): the bootstrap resamples
    items, the pairs expanded from one ranking together.
    """
    if agents.ratings is None:  # agents built by hand, without the humans' ratings
        agents = replace(agents, ratings=ratings_from_frame(agents.labels, "choice", agents.categories))
    labels, pairs, judgments, verdicts = agents.labels, agents.pairs, agents.judgments, agents.verdicts
    ratings = agents.ratings
    assert ratings is not None
    humans = agents.human_majority()
    notes = []
    if humans.empty:
        notes.append("no human labels yet: the humans' column and every comparison with it are undefined")
    if verdicts.empty and not agents.left_out:
        notes.append("no judge has run on this task yet (see `annotator judge run`)")
    notes += [incomplete_note(agents.runs[name]) for name in agents.left_out]

    # the units of every human comparison: the labelled pairs
    units = ratings.units
    counts = ratings.counts()
    labelled = counts.sum(axis=1) > 0
    resamples_rule = "chosen (--bootstrap)"
    if resamples is None:
        resamples, resamples_rule = auto_resamples(len(units)), AUTO_RESAMPLES_RULE
    item_codes = cluster_codes(units, clusters) if clusters else None
    resampler = Resampler(len(units), resamples, seed, clusters=item_codes)
    scale = judge_scale(verdicts, agents.categories)
    codes = judge_codes(verdicts, units, scale)
    resampler.group_units(ratings.codes, *codes.values())  # what the resampled sums follow (bootstrap)
    section = {row.run: row for row in judge_section(
        verdicts, codes, scale, ratings, resampler, judgments,
        agents.adjudicated if agents.reference == "adjudicated" else None)}
    tie_index = agents.categories.index("tie") if "tie" in agents.categories else None
    ceiling_contrib = agreement.percent_agreement_contributions(counts, tie_index)
    ceiling = agreement.percent_agreement(counts, tie_index)
    if resamples:
        reps = resampler.replicate(ceiling_contrib, agreement.percent_from_sums)
        ceiling = {"with_ties": resampler.attach(ceiling["with_ties"], reps[:, 0]),
                   "without_ties": resampler.attach(ceiling["without_ties"], reps[:, 1])}

    domain_of = pairs.set_index("pair")["domain"].fillna("").reindex(units).fillna("").to_numpy()
    domains = sorted(set(domain_of[labelled])) if labelled.any() else []

    labelled_pairs = pd.Index(units[labelled])
    judge_prefs = {name: rows.set_index("pair")["verdict"] for name, rows in verdicts.groupby("run_name", sort=True)}
    compared = {HUMANS: humans}
    for name, prefs in judge_prefs.items():
        compared[name] = prefs if labelled_pairs.empty else prefs[prefs.index.isin(labelled_pairs)]
    if any(len(judge_prefs[n]) > len(compared[n]) for n in judge_prefs) and not labelled_pairs.empty:
        notes.append(f"judges are compared with the humans on the {len(labelled_pairs)} human-labelled pairs; judged "
                     "pairs without a human label are left out (JSON: win_rate_all_pairs, pairs_judged)")

    judge_p_a = judgments[judgments["p_a"].notna()].groupby(["run_name", "pair"])["p_a"].mean() \
        if len(judgments) and judgments["p_a"].notna().any() else pd.Series(dtype=float)

    report_agents = []
    for name, prefs in compared.items():
        if name == HUMANS:
            report_agents.append(AgentReport(
                agent=HUMANS, kind="humans", pairs=int(len(prefs)),
                verdicts={c: int((prefs == c).sum()) for c in ("A", "B", "tie", SPLIT)},
                win_rate=win_rates(prefs, pairs), length_bias=length_bias(prefs, pairs),
            ))
            continue
        run = agents.runs.get(name)
        rows = verdicts[verdicts["run_name"] == name]
        mine = rows[rows["pair"].isin(prefs.index)]
        entry = AgentReport(
            agent=name, kind=run.kind if run else "llm", pairs=int(len(prefs)),
            verdicts={**{c: int((prefs == c).sum()) for c in ("A", "B", "tie")}, NO_VERDICT: int(prefs.isna().sum())},
            win_rate=win_rates(prefs, pairs), length_bias=length_bias(prefs, pairs),
            order_rule=agents.order_rule,
            statuses={s: int((mine["status"] == s).sum()) for s in STATUSES},
            run=run.to_json() if run else None,
            pairs_judged=int(len(judge_prefs[name])),
        )
        if len(judge_prefs[name]) > len(prefs):
            entry.win_rate_all_pairs = win_rates(judge_prefs[name], pairs)
        # the run's judgments (every column), taken from the task's once
        run_rows = judgments[judgments["run_name"] == name] if len(judgments) else None
        silent = no_verdict_reason(rows, run_rows)
        entry.position_bias = position_bias(rows)
        entry.position_consistency = consistency(rows)
        if silent:  # a judge that never answered: no figure, not 0 %
            entry.position_bias = entry.position_consistency = Estimate.undefined(silent)
        sec = section.get(name)
        if sec is not None:
            entry.agreement_with_humans = sec.agreement_with_humans
            entry.cohen_kappa_with_majority = sec.cohen_kappa_with_majority
            entry.agreement_per_domain = _per_domain(counts, codes[name], scale, domain_of, domains)
            entry.agreement_scored_only = scored_only_agreement(counts, codes[name], scale, resampler)
        entry.length_bias_vs_humans = length_bias_vs_humans(prefs, humans, pairs, length_threshold)
        if run_rows is not None:
            entry.sample_variance = sample_variance(run_rows)
        if style is not None:
            entry.style_bias, entry.style_bias_detail = style_bias(prefs, humans, style)
        if gold is not None and gold.notna().any():
            subsets = pairs.set_index("pair")["domain"].fillna("")
            entry.gold = gold_accuracy(rows, gold, source=gold_source, subsets=subsets if (subsets != "").any() else None,
                                       no_verdict=silent)
            if is_rewardbench(entry.gold.per_subset):
                entry.rewardbench = section_scores({k: v["accuracy"].value if v["accuracy"].defined else None
                                                    for k, v in entry.gold.per_subset.items()})
        entry.alt_test = alternative_annotator_test(ratings, codes[name], epsilon=epsilon, alpha=alpha,
                                                    min_pairs=alt_min_pairs)
        p_a = judge_p_a.loc[name] if name in judge_p_a.index.get_level_values(0) else pd.Series(dtype=float)
        entry.calibration = calibration(p_a, humans)
        if run is not None:
            entry.median_latency_s = run.median_latency_s
            # only when every finished judgment has a known cost: a partial sum would be too low
            if run.cost is not None and run.pairs_asked and run.cost_known >= run.finished:
                entry.cost_per_1000_pairs = run.cost / run.pairs_asked * 1000
        with_ties = entry.agreement_with_humans["with_ties"] if entry.agreement_with_humans else Estimate.undefined("")
        if with_ties.defined and sec is not None:
            with_ties = Estimate(with_ties.value, with_ties.ci_low, with_ties.ci_high, with_ties.n, with_ties.reason,
                                 {**with_ties.extra, "pairs": int(sec.labelled_pairs_asked)})
        entry.labels_needed = labels_needed(with_ties)
        entry.card = card_verdict(
            complete=run.complete if run else True, n=int(sec.labelled_pairs_asked) if sec else 0,
            agreement_est=with_ties, ceiling=ceiling["with_ties"], consistency_est=entry.position_consistency,
            alt=entry.alt_test if entry.alt_test.passed is not None else None,
            length_vs_humans=entry.length_bias_vs_humans, no_verdict=silent,
        )
        report_agents.append(entry)

    keys = [k for k, _ in factors]
    check_source(factor_source)
    tables, chosen = manifestation_tables(labels, factor_values, keys, extractor)
    if keys and not tables[factor_source].notna().any().any():
        other = next(s for s in FACTOR_SOURCES if s != factor_source)
        notes.append(f"no factor manifestation M_k from the {factor_source} source"
                     + (" (run `annotator factors extract`)" if factor_source == "extractors" else "")
                     + ": the factor scores are undefined"
                     + (f"; the {other} source's are shown beside (--factor-source {other} to use them)"
                        if tables[other].notna().any().any() else ""))
    return JudgeHumanReport(
        task=agents.task,
        order_rule={"name": agents.order_rule, "rule": agents.order_rule_text},
        notes=notes,
        agents=report_agents,
        human_ceiling=ceiling,
        judge_agreement=_judge_pairwise(verdicts, scale),
        factor_alignment=factor_section(compared, tables, dict(factors), factor_source, chosen) if keys else None,
        runs_left_out=[agents.runs[n].to_json() for n in agents.left_out],
        bootstrap={"resamples": resamples, "seed": seed, "resamples_rule": resamples_rule,
                   "unit": "item (the pairs of one ranked item resampled together)" if item_codes is not None
                   else "pair"},
        reference=reference_json(agents.reference, agents.adjudicated, humans.index),  # the majority above, once
        defaults=defaults.judge_defaults(epsilon=epsilon, alpha=alpha, alt_min_pairs=alt_min_pairs,
                                         length_threshold=length_threshold),
        style_baselines=_style_baselines(style, gold, gold_source, humans, pairs),
        both_bad=agents.both_bad,
    )


def _style_baselines(style: pd.DataFrame | None, gold: pd.Series | None, gold_source: str, humans: pd.Series,
                     pairs: pd.DataFrame) -> list[dict[str, Any]]:
    """``style.trivial_baselines`` against the gold labels, else the humans' majority."""
    if style is None:
        return []
    with_gold = gold is not None and gold.notna().any()
    reference = gold if with_gold else humans
    return trivial_baselines(reference, style, pairs.set_index("pair")["domain"].fillna(""),
                             f"gold labels ({gold_source})" if with_gold else "humans' majority")


def scored_only_agreement(counts: np.ndarray, judge: np.ndarray, scale: tuple[str, ...],
                          resampler: Resampler) -> dict[str, Estimate]:
    """MT-Bench agreement (every judge verdict against every human vote, with and without
    ties) over the labelled pairs the judge HAS a verdict on: a pair without one (unscored,
    or no verdict under the order rule) is left out, where the all-pairs figure
    (``agreement_with_humans``) counts it as matching no vote. Same resamples of pairs."""
    none = len(scale) - 1
    contributions = judge_agreement_contributions(counts, judge, scale)
    contributions[judge == none] = 0.0
    return percent_estimates(contributions, resampler, "no human label on a pair the judge has a verdict on")


@dataclass
class DomainAgreement:
    """A judge's agreement with every human vote in one domain (shares; None where undefined)."""

    pairs: int
    with_ties: float | None
    without_ties: float | None
    comparisons: int


def _per_domain(counts: np.ndarray, judge: np.ndarray, scale: tuple[str, ...], domain_of: np.ndarray,
                domains: list[str]) -> dict[str, DomainAgreement]:
    """The judge's agreement with every human vote per domain (with and without ties)."""
    contributions = judge_agreement_contributions(counts, judge, scale)
    out = {}
    for d in domains:
        sums = contributions[domain_of == d].sum(axis=0)
        with_ties, without = agreement.percent_from_sums(sums)
        out[d or "(none)"] = DomainAgreement(
            pairs=int(((judge != MISSING) & (counts.sum(axis=1) > 0) & (domain_of == d)).sum()),
            with_ties=json_number(with_ties), without_ties=json_number(without), comparisons=int(sums[1]))
    return out


def disagreements(agents: TaskAgents, run: str, limit: int = 20) -> list[dict[str, Any]]:
    """The human-labelled pairs where ``run``'s verdict differs from the human majority
    (including pairs where it has no verdict), most confident human majorities first."""
    humans = agents.human_majority()
    rows = agents.verdicts[agents.verdicts["run_name"] == run].set_index("pair")
    joined = rows.join(humans.rename("humans"), how="inner")
    joined = joined[joined["verdict"].fillna(NO_VERDICT) != joined["humans"]]
    share = agents.labels.groupby("pair")["choice"].agg(lambda s: s.value_counts().iloc[0] / len(s))
    joined = joined.join(share.rename("share")).sort_values(["share"], ascending=False, kind="stable")
    info = agents.pairs.set_index("pair")
    return [
        {"pair": int(pair), "pair_id": str(info.at[pair, "pair_id"]), "domain": str(info.at[pair, "domain"] or ""),
         "humans": r["humans"], "human_share": float(r["share"]), "judge": r["verdict"] if isinstance(r["verdict"], str) else None,
         "status": r["status"], "verdict_ab": r["verdict_ab"], "verdict_ba": r["verdict_ba"]}
        for pair, r in joined.head(limit).iterrows()
    ]


def hint_command(judge: str, run: dict[str, Any] | None, factor: str, direction: str, task: str) -> str:
    """The command that follows a hint, calling the same server and model as the run did."""
    parts = ["annotator judge run --judge factor-guided", f"--guide {factor}={direction}", f"--task {task}"]
    if run:
        endpoint = (run.get("endpoint") or "").strip()
        if endpoint and "api.openai.com" not in endpoint:
            parts.append(f"--base-url {endpoint}")
        if run.get("model"):
            parts.append(f"--model {run['model']}")
    return " ".join(parts)


def factor_hints(report: JudgeHumanReport, task: str) -> list[Hint]:
    """One hint per LLM judge with a factor hint (``factor_report.factor_hint``: its most
    misaligned factor resting on enough pairs, from the report's M_k source), with the command
    that guides it; runs of one judge (same model, endpoint and template) giving the same hint
    share one."""
    fa = report.factor_alignment
    if fa is None:
        return []
    kinds = {a.agent: a for a in report.agents}
    grouped: dict[tuple, list[str]] = {}
    for judge, block in fa.judges.items():
        agent = kinds.get(judge)
        m = block.hint
        if m is not None and agent is not None and agent.kind == "llm":
            run = agent.run or {}
            key = (run.get("model"), run.get("endpoint"), run.get("template_version"), m.factor,
                   round(m.judge_score, 2), round(m.human_score, 2), m.direction)
            grouped.setdefault(key, []).append(judge)
    return [Hint(judges, key[3], key[6], key[4], key[5],
                 hint_command(judges[0], kinds[judges[0]].run, key[3], key[6], task))
            for key, judges in grouped.items()]


def hint_reasons(report: JudgeHumanReport) -> list[str]:
    """Why a judge with misaligned factors gets no hint (too few pairs), once each."""
    fa = report.factor_alignment
    return sorted({b.hint_reason for b in fa.judges.values() if b.hint_reason}) if fa else []


def task_disagreements(store: AnalysisStore, task: str, run: str, *, order_rule: str = DEFAULT_ORDER_RULE, limit: int = 20,
                       exclude: Sequence[str] = (), reference: str = DEFAULT_REFERENCE,
                       both_bad: str = DEFAULT_BOTH_BAD) -> list[dict[str, Any]]:
    """``disagreements`` of one run on a task (complete or not), each with the judge's
    explanations per presented order. ``LookupError`` for an unknown run."""
    agents = load_agents(store, task, order_rule=order_rule, include_incomplete=True, exclude=exclude,
                         reference=reference, both_bad=both_bad)
    if run not in agents.runs:
        raise LookupError(f"no judge run named {run!r} in task {task!r} (runs: {', '.join(sorted(agents.runs)) or 'none'})")
    listed = disagreements(agents, run, limit)
    texts = store.judgment_texts(agents.runs[run].name, task, [d["pair"] for d in listed])
    for d in listed:
        d["explanations"] = texts.get(d["pair"], {})
    return listed


def task_gold(store: AnalysisStore, task: str, agents: TaskAgents,
              source: str = "auto") -> tuple[pd.Series | None, str]:
    """The gold labels a task's judges are scored against: the pairs' own gold labels
    (``source`` "pairs", or "auto" when the task has some), or the human majority ("majority";
    "auto" without gold labels gives none: accuracy against gold is then not reported)."""
    pairs_gold = agents.pairs.set_index("pair")["gold"].dropna()
    if source in ("auto", "pairs") and len(pairs_gold):
        return pairs_gold, "pairs"
    if source == "majority":
        majority = agents.human_majority()
        return majority[majority.isin(["A", "B", "tie"])], "human majority"
    return None, ""


def task_judge_human_report(store: AnalysisStore, task: str, *, order_rule: str = DEFAULT_ORDER_RULE,
                            include_incomplete: bool = False, gold: str = "auto", exclude: Sequence[str] = (),
                            reference: str = DEFAULT_REFERENCE, both_bad: str = DEFAULT_BOTH_BAD,
                            **options: Any) -> JudgeHumanReport:
    """Load a task once (``agents.load_agents``) and build the report; ``exclude``: annotators
    whose labels are left out (named in the report); ``both_bad``: how "both_bad" labels count."""
    found = store.require_task(task)
    agents = load_agents(store, task, order_rule=order_rule, include_incomplete=include_incomplete, exclude=exclude,
                         reference=reference, both_bad=both_bad)
    fv = factor_values_frame(store, task)
    gold_labels, source = task_gold(store, task, agents, gold)
    return note_exclusions(judge_human_report(agents, fv, factors=[(f.key, f.name) for f in found.factors],
                                              gold=gold_labels, gold_source=source, style=store.style_features(task),
                                              clusters=store.ranking_clusters(task) if found.settings.ranking
                                              is not None else None, **options), store, task, exclude)
