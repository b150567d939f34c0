"""The PROFILE factor report of a task (``annotator stats factors``).

* **Extractor validation** (PROFILE appendix D.3): for every factor the annotators answered
  in the checklist, each extractor's M_k against the annotators' majority answer on the
  same pairs: raw agreement (Wilson interval) and Cohen's kappa (asymptotic interval) over
  the three classes A more / equal / B more. Pairs where the annotators have no majority
  (tied answers, or only "n/a") are left out and counted.
* **Where M_k comes from.** Two named sources, never mixed (``defaults.FACTOR_SOURCES``,
  ``--factor-source``, one default for every command: ``defaults.DEFAULT_FACTOR_SOURCE``):
  ``extractors`` (for each factor one extractor, the rule first, then PROFILE's LLM
  extractors ``profile:*``, then factor-compare runs ``llm:*``, else the first by name; or
  the one named with ``extractor``) and ``checklist`` (the annotators' own majority
  answer). PROFILE computes the humans' factor scores from independent extractors: the
  people who chose the preference also answering the checklist invites a halo effect, so
  the default is the extractors and the checklist is shown beside, not instead.
  ``manifestation_table`` is the one function every command (``stats judges``, ``report``,
  ``stats factors``, ``experiment guide``, the dashboard) takes M_k from.
* **Misaligned factors** of a judge (``judge_alignment``): the factors whose score is at
  least ``defaults.MISALIGNMENT`` from the humans', or of the other sign with both at least
  ``defaults.MIN_SCORE`` from 0, largest gap first (evaluation setting).
* **Factor scores** of every agent (the humans' majority, each judge run; pointwise runs
  in the generation setting) with ``factor_alignment.factor_score`` in both of PROFILE's
  settings: ``evaluation`` (pairs with M_k = 0 dropped, T = preference ties) and
  ``generation`` (T = pairs with M_k = 0; pairs whose preference is a tie enter neither C,
  D nor T, and are counted as ``tied_preference_left_out``). A pointwise run's preference
  on a pair is the response with the higher mean score (equal scores: a tie).
* **Rankings**: per agent and setting, the factors from the most rewarded (highest score)
  to the least; equal scores share the lower rank (1, 2, 2, 4); undefined scores are not
  ranked.
* **Factor correlation matrix** (PROFILE appendix G.3): Kendall's tau_b between the M_k of
  two factors (+1 / 0 / -1) over the pairs where both are known, from the extractors
  source; undefined (None) with fewer than three shared pairs or a constant column.
* **Alignment** of each judge with the humans: correlations of their factor-score vectors
  (``factor_alignment.alignment``), per setting.

Judges are compared on the human-labelled pairs when there are any (as ``stats judges``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from annotator.store.protocol import AnalysisStore

from . import agreement
from .agents import HUMANS, adjudicated_choices, human_majority, reference_json, with_adjudications
from .aggregate import factor_majorities
from .defaults import (
    DEFAULT_FACTOR_SOURCE,
    DEFAULT_REFERENCE,
    FACTOR_SOURCE_TEXT,
    FACTOR_SOURCES,
    MIN_CORRELATION_PAIRS,
    MIN_FACTOR_HINT_PAIRS,
    MIN_SCORE,
    MISALIGNMENT,
)
from .estimate import Estimate
from .factor_alignment import alignment, as_sign, factor_score
from .human_ties import DEFAULT_HUMAN_TIES, apply_human_ties
from .jury import with_composites
from .proportion import proportion
from .serialise import fields_json
from .verdicts import DEFAULT_ORDER_RULE, judge_verdicts

SETTINGS = ("evaluation", "generation")
SOURCES = FACTOR_SOURCES
FACTOR_VALUE_COLUMNS = ["pair", "factor", "extractor", "manifestation"]
M_CLASSES = ("A", "equal", "B")


def _extractor_rank(name: str) -> tuple[int, str]:
    order = 0 if name == "rule" else 1 if name.startswith("profile:") else 2 if name.startswith("llm:") else 3
    return order, name


def chosen_extractors(factor_values: pd.DataFrame, factors: Sequence[str], extractor: str | None = None) -> dict[str, str]:
    """Factor -> the extractor whose M_k is the ``extractors`` source (see the module doc).
    ``extractor`` forces one where it has values. Factors without any extracted value are
    absent. The "human" extractor (imported answers) is never an extractor here."""
    out: dict[str, str] = {}
    if factor_values is None or factor_values.empty:
        return out
    for factor in factors:
        names = sorted(set(factor_values.loc[factor_values["factor"] == factor, "extractor"]) - {"human"},
                       key=_extractor_rank)
        if extractor is not None:
            names = [n for n in names if n == extractor]
        if names:
            out[factor] = names[0]
    return out


def extracted_manifestations(factor_values: pd.DataFrame, chosen: dict[str, str], factors: Sequence[str]) -> pd.DataFrame:
    """Pairs x factors table of M_k from the chosen extractor of each factor."""
    columns = list(factors)
    if factor_values is None or factor_values.empty or not chosen:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="pair"), dtype=object)
    keep = np.zeros(len(factor_values), dtype=bool)
    for factor, name in chosen.items():
        keep |= (factor_values["factor"] == factor).to_numpy() & (factor_values["extractor"] == name).to_numpy()
    chosen_rows = factor_values[keep]
    return chosen_rows.pivot(index="pair", columns="factor", values="manifestation").reindex(columns=columns)


@dataclass
class FactorAgent:
    agent: str
    kind: str  # "humans" | "judge" | "pointwise"
    pairs_with_verdict: int


@dataclass
class ManifestationSource:
    """Where M_k came from: the source used (``default``, named so in the JSON) and its rule,
    the extractor chosen per factor, and how many pairs each source knows per factor."""

    default: str
    rule: str
    extractors: dict[str, str]
    known: dict[str, dict[str, int]]


@dataclass
class OtherFactorSource:
    source: str
    alignment: dict[str, dict[str, dict[str, Any]]]  # setting -> judge -> correlations
    misaligned: dict[str, list[Misaligned]]


@dataclass
class FactorReport:
    """The factor report (``stats factors``), serialised to the documented JSON in one place."""

    task: str
    order_rule: str
    notes: list[str]
    factors: dict[str, str]
    agents: list[FactorAgent]
    manifestation_source: ManifestationSource
    reference: dict[str, Any]
    validation: list[dict[str, Any]]
    scores: dict[str, dict[str, dict[str, dict[str, dict[str, Any]]]]]  # source -> setting -> agent -> factor
    rankings: dict[str, dict[str, dict[str, list[dict[str, Any]]]]]
    alignment: dict[str, dict[str, dict[str, Any]]]  # setting -> judge -> correlations (the source used)
    misaligned: dict[str, list[Misaligned]]  # judge -> misaligned factors (evaluation setting, the source used)
    other_source: OtherFactorSource | None
    correlation: dict[str, Any]
    human_ties: dict[str, Any] = field(default_factory=dict)  # the rule for pairs the humans tied (human_ties.py)

    @property
    def source(self) -> str:
        return self.manifestation_source.default

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)


def factor_values_frame(store, task: str) -> pd.DataFrame:
    """The task's extracted factor values, one row per (pair, factor, extractor)."""
    return pd.DataFrame([(v.pair, v.factor, v.extractor, v.manifestation) for v in store.factor_values(task)],
                        columns=FACTOR_VALUE_COLUMNS)


def manifestation_tables(labels: pd.DataFrame, factor_values: pd.DataFrame | None, factors: Sequence[str],
                         extractor: str | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Both sources' pairs x factors tables of M_k (``SOURCES``), and the extractor chosen
    per factor for the ``extractors`` source."""
    keys = list(factors)
    fv = factor_values if factor_values is not None else pd.DataFrame(columns=FACTOR_VALUE_COLUMNS)
    chosen = chosen_extractors(fv, keys, extractor)
    checklist = factor_majorities(labels, keys) if len(labels) else pd.DataFrame(columns=keys, dtype=object)
    return {"extractors": extracted_manifestations(fv, chosen, keys),
            "checklist": checklist.reindex(columns=keys)}, chosen


def manifestation_table(source: str, labels: pd.DataFrame, factor_values: pd.DataFrame | None,
                        factors: Sequence[str], extractor: str | None = None) -> pd.DataFrame:
    """The pairs x factors table of M_k from ``source`` (``SOURCES``): the one rule every
    command takes M_k from."""
    check_source(source)
    return manifestation_tables(labels, factor_values, factors, extractor)[0][source]


def check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"factor source must be one of {', '.join(SOURCES)}, got {source!r}")


@dataclass
class Misaligned:
    """A factor a judge weighs unlike the humans (``judge_alignment``)."""

    factor: str
    judge_score: float
    human_score: float
    direction: str  # the guidance that would bring the judge closer: "less" | "more"


@dataclass
class FactorHint(Misaligned):
    """The one factor a judge is told about: its most misaligned factor whose score and the
    humans' each rest on at least ``defaults.MIN_FACTOR_HINT_PAIRS`` pairs with a known M_k."""

    pairs: int = 0  # the fewer of the judge's and the humans' pairs with a known M_k


@dataclass
class JudgeFactors:
    """One judge's factor-level alignment with the humans."""

    alignment: dict[str, Any]  # ``factor_alignment.Alignment.as_dict``: tau_b, Spearman, Pearson, factors
    misaligned: list[Misaligned]
    misaligned_reason: str | None = None  # why no factor is called misaligned (no decisive verdict)
    hint: FactorHint | None = None
    hint_reason: str | None = None  # why a misaligned factor gives no hint (too few pairs)

    def to_json(self) -> dict[str, Any]:
        return fields_json(self, skip_none=("misaligned_reason",))


def factor_hint(misaligned: list[Misaligned], judge: dict[str, dict[str, Any]], humans: dict[str, dict[str, Any]],
                minimum: int = MIN_FACTOR_HINT_PAIRS) -> tuple[FactorHint | None, str | None]:
    """The one factor hint of a judge: its most misaligned factor whose score and the
    humans' each rest on at least ``minimum`` pairs with a known M_k (None and the reason
    otherwise)."""
    def pairs(m: Misaligned) -> int:
        return int(min(judge[m.factor]["pairs"], humans[m.factor]["pairs"]))

    for m in misaligned:
        if pairs(m) >= minimum:
            return FactorHint(m.factor, m.judge_score, m.human_score, m.direction, pairs(m)), None
    if not misaligned:
        return None, None
    few = min(pairs(m) for m in misaligned)
    return None, (f"no factor hint: each misaligned factor rests on fewer than {minimum} pairs with a known "
                  f"manifestation (as few as {few})")


def judge_alignment(human: dict[str, dict[str, Any]], judge: dict[str, dict[str, Any]], keys: Sequence[str],
                    decisive: bool = True) -> JudgeFactors:
    """One judge's factor-level alignment with the humans from both agents' factor scores
    (``agent_scores``): the correlations (``factor_alignment.alignment``) and the misaligned
    factors (see the module doc), largest gap first. ``decisive``: the judge gave at least
    one A / B verdict (otherwise its scores are 0 or undefined by construction and no factor
    is called misaligned)."""
    h = np.array([_num(human[k]["score"]) for k in keys], dtype=float)
    j = np.array([_num(judge[k]["score"]) for k in keys], dtype=float)
    gaps = j - h
    misaligned = [
        Misaligned(k, float(j[i]), float(h[i]), "less" if j[i] > h[i] else "more")
        for i, k in enumerate(keys)
        if not np.isnan(gaps[i]) and (
            abs(gaps[i]) >= MISALIGNMENT
            or (np.sign(j[i]) * np.sign(h[i]) < 0 and min(abs(j[i]), abs(h[i])) >= MIN_SCORE))
    ]
    misaligned.sort(key=lambda m: -abs(m.judge_score - m.human_score))
    if not decisive:
        return JudgeFactors(alignment(h, j).as_dict(), [], "the judge gave no decisive verdict")
    hint, reason = factor_hint(misaligned, judge, human)
    return JudgeFactors(alignment(h, j).as_dict(), misaligned, None, hint, reason)


def validate_extractor(human: pd.Series, extracted: pd.Series, confidence: float = 0.95) -> dict[str, Any]:
    """Agreement and Cohen's kappa of one extractor's M_k with the annotators' majority M_k
    on the pairs where both are known. ``human`` and ``extracted`` are indexed by pair."""
    joined = pd.concat([human.rename("h"), extracted.rename("x")], axis=1, join="inner").dropna()
    joined = joined[joined["h"].isin(M_CLASSES) & joined["x"].isin(M_CLASSES)]
    n = len(joined)
    same = int((joined["h"] == joined["x"]).sum())
    index = {c: i for i, c in enumerate(M_CLASSES)}
    table = np.zeros((3, 3))
    for h, x in zip(joined["h"], joined["x"]):
        table[index[x], index[h]] += 1
    note = ""
    if n and joined["x"].nunique() == 1:
        note = f"the extractor answered {joined['x'].iloc[0]!r} on every pair: kappa is 0 by construction"
    return {
        "n": n,
        **({"note": note} if note else {}),
        "agreement": proportion(same, n, confidence, reason="no pair with both the extractor's and the annotators' answer"),
        "kappa": agreement.cohen_kappa(table, confidence=confidence) if n else
        Estimate.undefined("no pair with both the extractor's and the annotators' answer"),
        "confusion": {x: {h: int(table[index[x], index[h]]) for h in M_CLASSES} for x in M_CLASSES},
    }


def validation(labels: pd.DataFrame, factor_values: pd.DataFrame, factors: Sequence[str],
               confidence: float = 0.95) -> list[dict[str, Any]]:
    """Every (factor answered in the checklist, extractor with values for it) comparison."""
    majority = factor_majorities(labels, factors)
    answered = _answered(labels, factors)
    out = []
    for factor in factors:
        if not answered.get(factor):
            continue
        human = majority[factor].dropna() if factor in majority else pd.Series(dtype=object)
        if factor_values is None or not len(factor_values):
            continue  # no extractor has measured anything
        rows = factor_values[factor_values["factor"] == factor]
        for name in sorted(set(rows["extractor"]) - {"human"}, key=_extractor_rank):
            mine = rows[rows["extractor"] == name].set_index("pair")["manifestation"]
            result = validate_extractor(human, mine, confidence)
            out.append({"factor": factor, "extractor": name, "pairs_answered": answered[factor],
                        "pairs_with_majority": int(len(human)), **result})
    return out


def _answered(labels: pd.DataFrame, factors: Sequence[str]) -> dict[str, int]:
    """Factor -> pairs where at least one annotator gave an A / equal / B answer."""
    seen: dict[str, set] = {f: set() for f in factors}
    if len(labels):
        for pair, answers in zip(labels["pair"], labels["factors"]):
            for key, value in answers.items():
                if key in seen and value in M_CLASSES:
                    seen[key].add(pair)
    return {f: len(p) for f, p in seen.items()}


def pointwise_preferences(scores: pd.DataFrame) -> dict[str, pd.Series]:
    """Run name -> preference per pair from a pointwise run's scores of A and B (mean over
    samples): the higher-scored response, "tie" when equal. Pairs missing a side are left out."""
    out: dict[str, pd.Series] = {}
    if scores is None or scores.empty:
        return out
    scored = scores[scores["target"].isin(["A", "B"]) & scores["score"].notna()]
    for name, rows in scored.groupby("run_name", sort=True):
        wide = rows.pivot_table(index="pair", columns="target", values="score", aggfunc="mean")
        if "A" not in wide or "B" not in wide:
            continue
        wide = wide.dropna(subset=["A", "B"])
        diff = wide["A"] - wide["B"]
        out[str(name)] = pd.Series(np.where(diff > 0, "A", np.where(diff < 0, "B", "tie")), index=wide.index, name="verdict")
    return out


def agent_scores(prefs: pd.Series, table: pd.DataFrame, setting: str) -> dict[str, dict[str, Any]]:
    """Factor -> score dict (``FactorScore.as_dict`` plus ``tied_preference_left_out`` in the
    generation setting) of one agent against one M_k table."""
    joined = table.join(prefs.rename("__pref__"), how="inner")
    out = {}
    for key in table.columns:
        pref, m = joined["__pref__"].tolist(), joined[key].tolist()
        score = factor_score(pref, m, setting).as_dict()
        if setting == "generation":
            p = np.array([as_sign(v) for v in pref], dtype=float)
            mk = np.array([as_sign(v) for v in m], dtype=float)
            known = ~np.isnan(p) & ~np.isnan(mk)
            score["tied_preference_left_out"] = int(np.sum(known & (p == 0) & (mk != 0)))
        out[key] = score
    return out


def rankings(scores: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Factors from the highest score to the lowest (ties share the lower rank; undefined
    scores are left out)."""
    defined = sorted(((k, v["score"]) for k, v in scores.items() if v["score"] is not None), key=lambda kv: -kv[1])
    out, rank = [], 0
    for i, (key, value) in enumerate(defined):
        if i == 0 or value != defined[i - 1][1]:
            rank = i + 1
        out.append({"factor": key, "score": value, "rank": rank})
    return out


def correlation_matrix(table: pd.DataFrame, min_pairs: int = MIN_CORRELATION_PAIRS) -> dict[str, Any]:
    """Kendall's tau_b between every two factors' M_k (as +1 / 0 / -1) over shared pairs."""
    keys = list(table.columns)
    signs = table.apply(lambda col: col.map(as_sign)).astype(float) if len(table) else table
    k = len(keys)
    matrix: list[list[float | None]] = [[None] * k for _ in range(k)]
    shared = [[0] * k for _ in range(k)]
    reasons: list[list[str | None]] = [[None] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            if not len(table):
                reasons[i][j] = "no pair with both factors known"
                continue
            both = signs[[keys[i], keys[j]]].dropna()
            shared[i][j] = len(both)
            if len(both) < min_pairs:
                reasons[i][j] = f"fewer than {min_pairs} pairs with both factors known"
            elif both.iloc[:, 0].nunique() < 2 or both.iloc[:, 1].nunique() < 2:
                reasons[i][j] = "one factor's M_k is the same on every shared pair"
            else:
                from scipy import stats  # here, not at import: scipy.stats costs every judge card a second

                value = float(stats.kendalltau(both.iloc[:, 0], both.iloc[:, 1], variant="b").statistic)
                matrix[i][j] = None if math.isnan(value) else value
    return {"method": "kendall_tau_b", "factors": keys, "matrix": matrix, "pairs": shared, "reasons": reasons}


def factor_report(
    labels: pd.DataFrame,
    judgments: pd.DataFrame | None,
    factor_values: pd.DataFrame | None,
    *,
    scores: pd.DataFrame | None = None,
    task: str = "",
    factors: Sequence[tuple[str, str]] = (),
    categories: Sequence[str] = ("A", "B", "tie"),
    extractor: str | None = None,
    confidence: float = 0.95,
    order_rule: str = DEFAULT_ORDER_RULE,
    factor_source: str = DEFAULT_FACTOR_SOURCE,
    adjudicated: pd.Series | None = None,
    reference: str = DEFAULT_REFERENCE,
    human_ties: str = DEFAULT_HUMAN_TIES,
) -> FactorReport:
    """The factor report (``FactorReport``; ``.to_json()`` for JSON); see the module docstring. A judge's verdict per pair
    follows ``order_rule`` (``verdicts``); pairs without one enter no factor score.

    ``factor_values``: one row per (pair, factor, extractor) with a ``manifestation``;
    ``scores``: ``Store.scores_frame`` (pointwise runs); ``extractor`` forces the M_k
    source's extractor for every factor that has values from it; ``adjudicated`` (pair ->
    the adjudicator's label) and ``reference``: the humans' label per pair, as ``stats judges``
    takes it (``agents.with_adjudications``).
    """
    keys = [k for k, _ in factors]
    names = dict(factors)
    fv = factor_values if factor_values is not None else pd.DataFrame(columns=["pair", "factor", "extractor", "manifestation"])
    notes = []
    humans = with_adjudications(human_majority(labels, categories), adjudicated, reference)
    agents: dict[str, pd.Series] = {HUMANS: humans}
    for name, rows in judge_verdicts(judgments, order_rule).groupby("run_name", sort=True):
        agents[str(name)] = rows.set_index("pair")["verdict"]
    pointwise = pointwise_preferences(scores)
    for name, prefs in pointwise.items():
        agents.setdefault(name, prefs)
    if not humans.empty:
        agents = {n: p if n == HUMANS else p[p.index.isin(humans.index)] for n, p in agents.items()}
    agents, ties_used = apply_human_ties(agents, humans, human_ties)
    if humans.empty:
        notes.append("no human labels yet: the humans' factor scores are undefined")

    chosen = chosen_extractors(fv, keys, extractor)
    if extractor is not None and not chosen:
        notes.append(f"extractor {extractor!r} has no factor values on this task")
    missing = [k for k in keys if k not in chosen]
    if missing and extractor is None:
        notes.append("no extracted values for " + ", ".join(names.get(k, k) for k in missing)
                     + " (run `annotator factors extract`); their extractor-based scores are undefined")
    check_source(factor_source)
    tables, _ = manifestation_tables(labels, fv, keys, extractor)
    other = next(s for s in SOURCES if s != factor_source)

    scores_out: dict[str, dict[str, dict[str, Any]]] = {}
    for source, table in tables.items():
        scores_out[source] = {}
        for setting in SETTINGS:
            scores_out[source][setting] = {
                agent: agent_scores(prefs, table, setting) for agent, prefs in agents.items()
                if setting == "generation" or agent not in pointwise
            }
    def aligned(source: str, setting: str) -> dict[str, Any]:
        block = scores_out[source][setting]
        return {agent: judge_alignment(block[HUMANS], s, keys, bool(agents[agent].isin(["A", "B"]).any()))
                for agent, s in block.items() if agent != HUMANS}

    judges = {source: {setting: aligned(source, setting) for setting in SETTINGS} for source in SOURCES}
    align = {setting: {a: j.alignment for a, j in judges[factor_source][setting].items()} for setting in SETTINGS}
    known = {source: {k: int(t[k].notna().sum()) for k in keys} for source, t in tables.items()}
    return FactorReport(
        task=task,
        order_rule=order_rule,
        notes=notes,
        factors={k: names.get(k, k) for k in keys},
        agents=[FactorAgent(a, "humans" if a == HUMANS else "pointwise" if a in pointwise else "judge",
                            int(p.notna().sum())) for a, p in agents.items()],
        manifestation_source=ManifestationSource(factor_source, FACTOR_SOURCE_TEXT[factor_source], chosen, known),
        reference=reference_json(reference, adjudicated, humans.index),
        validation=validation(labels, fv, keys, confidence),
        scores=scores_out,
        rankings={source: {setting: {agent: rankings(s) for agent, s in by_setting.items()}
                           for setting, by_setting in by_source.items()}
                  for source, by_source in scores_out.items()},
        alignment=align,
        misaligned={agent: j.misaligned for agent, j in judges[factor_source]["evaluation"].items()},
        other_source=OtherFactorSource(other, {setting: {a: j.alignment for a, j in judges[other][setting].items()}
                                               for setting in SETTINGS},
                                       {a: j.misaligned for a, j in judges[other]["evaluation"].items()})
        if any(known[other].values()) else None,
        correlation=correlation_matrix(tables["extractors"]),
        human_ties=ties_used,
    )


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


def task_factor_report(store: AnalysisStore, task: str, *, extractor: str | None = None, confidence: float = 0.95,
                       order_rule: str = DEFAULT_ORDER_RULE, factor_source: str = DEFAULT_FACTOR_SOURCE,
                       reference: str = DEFAULT_REFERENCE, human_ties: str = DEFAULT_HUMAN_TIES) -> FactorReport:
    """Load a task's labels, judgments, pointwise scores and factor values; build the report."""
    found = store.require_task(task)
    fv = factor_values_frame(store, task)
    return factor_report(
        store.labels_frame(task), with_composites(store, task), fv, scores=store.scores_frame(task), task=task,
        factors=[(f.key, f.name) for f in found.factors], categories=found.choices, extractor=extractor,
        confidence=confidence, order_rule=order_rule, factor_source=factor_source,
        adjudicated=adjudicated_choices(store, task), reference=reference, human_ties=human_ties,
    )
