"""The PROFILE factor report of a task (``annotator stats factors``).

* **Extractor validation** (PROFILE appendix D.3): for every factor the annotators answered
  in the checklist, each extractor's M_k against the annotators' majority answer on the
  same pairs: raw agreement (Wilson interval) and Cohen's kappa (asymptotic interval) over
  the three classes A more / equal / B more. Pairs where the annotators have no majority
  (tied answers, or only "n/a") are left out and counted.
* **Where M_k comes from.** Two named sources, never mixed: ``extractors`` (the default:
  for each factor one extractor, the rule first, then PROFILE's LLM extractors
  ``profile:*``, then factor-compare runs ``llm:*``, else the first by name; or the one
  named with ``extractor``) and ``checklist`` (the annotators' own majority answer).
  PROFILE computes the humans' factor scores from independent extractors: the people who
  chose the preference also answering the checklist invites a halo effect, so the
  checklist source is shown beside, not instead.
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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from annotator.store.protocol import AnalysisStore

from . import agreement
from .agents import HUMANS, human_majority
from .aggregate import factor_majorities
from .estimate import Estimate
from .factor_alignment import alignment, as_sign, factor_score
from .jury import with_composites
from .proportion import proportion
from .report import to_json
from .verdicts import DEFAULT_ORDER_RULE, judge_verdicts

SETTINGS = ("evaluation", "generation")
SOURCES = ("extractors", "checklist")
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


def correlation_matrix(table: pd.DataFrame, min_pairs: int = 3) -> dict[str, Any]:
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
) -> dict[str, Any]:
    """The factor report (JSON-ready); see the module docstring. A judge's verdict per pair
    follows ``order_rule`` (``verdicts``); pairs without one enter no factor score.

    ``factor_values``: one row per (pair, factor, extractor) with a ``manifestation``;
    ``scores``: ``Store.scores_frame`` (pointwise runs); ``extractor`` forces the M_k
    source's extractor for every factor that has values from it.
    """
    keys = [k for k, _ in factors]
    names = dict(factors)
    fv = factor_values if factor_values is not None else pd.DataFrame(columns=["pair", "factor", "extractor", "manifestation"])
    notes = []
    humans = human_majority(labels, categories)
    agents: dict[str, pd.Series] = {HUMANS: humans}
    for name, rows in judge_verdicts(judgments, order_rule).groupby("run_name", sort=True):
        agents[str(name)] = rows.set_index("pair")["verdict"]
    pointwise = pointwise_preferences(scores)
    for name, prefs in pointwise.items():
        agents.setdefault(name, prefs)
    if not humans.empty:
        agents = {n: p if n == HUMANS else p[p.index.isin(humans.index)] for n, p in agents.items()}
    else:
        notes.append("no human labels yet: the humans' factor scores are undefined")

    chosen = chosen_extractors(fv, keys, extractor)
    if extractor is not None and not chosen:
        notes.append(f"extractor {extractor!r} has no factor values on this task")
    missing = [k for k in keys if k not in chosen]
    if missing and extractor is None:
        notes.append("no extracted values for " + ", ".join(names.get(k, k) for k in missing)
                     + " (run `annotator factors extract`); their extractor-based scores are undefined")
    tables = {"extractors": extracted_manifestations(fv, chosen, keys), "checklist": factor_majorities(labels, keys)}

    scores_out: dict[str, dict[str, dict[str, Any]]] = {}
    for source, table in tables.items():
        scores_out[source] = {}
        for setting in SETTINGS:
            scores_out[source][setting] = {
                agent: agent_scores(prefs, table, setting) for agent, prefs in agents.items()
                if setting == "generation" or agent not in pointwise
            }
    align: dict[str, dict[str, Any]] = {}
    for setting in SETTINGS:
        block = scores_out["extractors"][setting]
        human = np.array([_num(block[HUMANS][k]["score"]) for k in keys], dtype=float)
        align[setting] = {
            agent: alignment(human, np.array([_num(s[k]["score"]) for k in keys], dtype=float)).as_dict()
            for agent, s in block.items() if agent != HUMANS
        }
    return to_json({
        "task": task,
        "order_rule": order_rule,
        "notes": notes,
        "factors": {k: names.get(k, k) for k in keys},
        "agents": [{"agent": a, "kind": "humans" if a == HUMANS else "pointwise" if a in pointwise else "judge",
                    "pairs_with_verdict": int(p.notna().sum())} for a, p in agents.items()],
        "manifestation_source": {
            "default": "extractors",
            "extractors": chosen,
            "known": {source: {k: int(t[k].notna().sum()) for k in keys} for source, t in tables.items()},
        },
        "validation": validation(labels, fv, keys, confidence),
        "scores": scores_out,
        "rankings": {source: {setting: {agent: rankings(s) for agent, s in by_setting.items()}
                              for setting, by_setting in by_source.items()}
                     for source, by_source in scores_out.items()},
        "alignment": align,
        "correlation": correlation_matrix(tables["extractors"]),
    })


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


def task_factor_report(store: AnalysisStore, task: str, *, extractor: str | None = None, confidence: float = 0.95,
                       order_rule: str = DEFAULT_ORDER_RULE) -> dict[str, Any]:
    """Load a task's labels, judgments, pointwise scores and factor values; build the report."""
    found = store.require_task(task)
    values = store.factor_values(task)
    fv = pd.DataFrame([(v.pair, v.factor, v.extractor, v.manifestation) for v in values],
                      columns=["pair", "factor", "extractor", "manifestation"])
    return factor_report(
        store.labels_frame(task), with_composites(store, task), fv, scores=store.scores_frame(task), task=task,
        factors=[(f.key, f.name) for f in found.factors], categories=found.choices, extractor=extractor,
        confidence=confidence, order_rule=order_rule,
    )
