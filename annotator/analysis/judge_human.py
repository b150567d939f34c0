"""How far each LLM judge is from the humans: the judge-validation report.

For every *agent* (the humans' majority vote, and each judge run's verdict per pair, see
``verdicts``) it reports:

* **win rate** of response A against response B (A = the candidate, B = the baseline, as
  benchmark data is imported), overall and per domain, raw and length-controlled
  (``winrate``; the LC fit needs ten pairs or more, undefined with a reason otherwise);
* **length bias**: the share of decisive verdicts that chose the longer response, with a
  Wilson interval and a binomial test against 0.5;
* for judges, **position bias** (the share of decisive per-order verdicts that chose the
  response shown first, binomial test against 0.5) and **position consistency**;
* for judges, **agreement with the humans** (the agreement report's judge section: MT-Bench
  agreement with every human vote, with and without ties, and Cohen's kappa against the
  human majority);
* **factor-level alignment** (PROFILE): per factor, the agent's factor score
  (``factor_alignment.factor_score``, evaluation setting) against the factor's
  manifestation M_k, and for each judge the correlation of its factor scores with the
  humans'. M_k comes from the annotators' factor answers (their majority, "n/a" left out)
  and, where no annotator answered, from extracted factor values (rules first).

Judges are compared with the humans on the same pairs: the pairs with a human verdict (every
judged pair while there is none). Position bias and consistency, which need no human, use
every pair the judge saw; a judge's win rate on all its pairs is kept as
``win_rate_all_pairs`` when it covers pairs the humans did not label.

Factors where a judge's score departs most from the humans' are listed as
``misaligned``: PROFILE found that guidance on such a factor in the judge prompt raises
judge-human agreement (try the ``factor-guided`` judge with ``--guide``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .aggregate import factor_majorities, majority_vote
from .estimate import Estimate
from .factor_alignment import alignment, factor_score
from .proportion import binomial_p_value, proportion
from .ratings import ratings_from_frame
from .report import agreement_report, to_json
from .verdicts import consistency, first_shown_rate, judge_verdicts
from .winrate import choice_win_rate, length_controlled_win_rate

HUMANS = "humans"
MISALIGNMENT = 0.3  # a factor score this far from the humans' is misaligned ...
MIN_SCORE = 0.1  # ... and so is one of the other sign, when both are at least this far from 0
_P_WIN = {"A": 1.0, "B": 0.0, "tie": 0.5}


def human_majority(labels: pd.DataFrame, categories: Sequence[str] = ("A", "B", "tie")) -> pd.Series:
    """The humans' preference per labelled pair: the majority vote (the house rule of
    ``pairs``: split top votes count as a tie). With one annotator, simply their label."""
    if labels.empty:
        return pd.Series(dtype=object, name="verdict")
    return majority_vote(ratings_from_frame(labels, "choice", categories)).dropna().rename("verdict")


def agent_preferences(labels: pd.DataFrame, judgments: pd.DataFrame | None,
                      categories: Sequence[str] = ("A", "B", "tie")) -> dict[str, pd.Series]:
    """Agent name -> its verdict per pair ('A' / 'B' / 'tie'), humans first."""
    agents = {HUMANS: human_majority(labels, categories)}
    verdicts = judge_verdicts(judgments)
    for name, rows in verdicts.groupby("run_name", sort=True):
        agents[str(name)] = rows.set_index("pair")["verdict"].rename("verdict")
    return agents


def manifestations(labels: pd.DataFrame, factor_values: pd.DataFrame | None, factors: Sequence[str]) -> pd.DataFrame:
    """Pairs x factors table of M_k ('A' / 'B' / 'equal', missing where unknown).

    The annotators' answers decide first (their majority; ties between answers leave the
    pair unknown); extracted factor values fill the rest, rule-based extractors first.
    """
    table = factor_majorities(labels, factors)
    if factor_values is not None and not factor_values.empty:
        fv = factor_values[factor_values["factor"].isin(factors)].copy()
        fv["rank"] = np.where(fv["extractor"] == "rule", 0, np.where(fv["extractor"] == "human", 1, 2))
        fv = fv.sort_values("rank").drop_duplicates(["pair", "factor"])
        extracted = fv.pivot(index="pair", columns="factor", values="manifestation").reindex(columns=list(factors))
        table = table.combine_first(extracted) if not table.empty else extracted
    return table.reindex(columns=list(factors))


def win_rates(prefs: pd.Series, pairs: pd.DataFrame) -> dict[str, Any]:
    """Raw and length-controlled win rate of A, overall and per domain, for one agent."""
    frame = pairs.set_index("pair").join(prefs.rename("verdict"), how="inner")

    def block(rows: pd.DataFrame) -> dict[str, Any]:
        raw = choice_win_rate(rows["verdict"], candidate="A")
        lc = length_controlled_win_rate(rows["verdict"].map(_P_WIN), rows["len_a"], rows["len_b"])
        return {
            "pairs": raw.n_total,
            "win_rate": raw.win_rate,
            "standard_error": raw.standard_error,
            "wins": raw.n_wins, "losses": raw.n_wins_base, "ties": raw.n_draws,
            "lc_win_rate": lc.lc_win_rate,
            "lc_length_coefficient": lc.phi,
            "lc_reason": lc.reason or None,
        }

    out = {"overall": block(frame)}
    domains = frame["domain"].fillna("")
    if (domains != "").any():
        out["per_domain"] = {d or "(none)": block(rows) for d, rows in frame.groupby(domains, sort=True)}
    else:
        out["per_domain"] = {}
    return out


def length_bias(prefs: pd.Series, pairs: pd.DataFrame) -> Estimate:
    """Share of decisive verdicts (pairs of unequal length) that chose the longer response."""
    frame = pairs.set_index("pair").join(prefs.rename("verdict"), how="inner")
    frame = frame[frame["verdict"].isin(["A", "B"]) & (frame["len_a"] != frame["len_b"])]
    longer = np.where(frame["len_a"] > frame["len_b"], "A", "B")
    chose_longer = int((frame["verdict"].to_numpy() == longer).sum())
    est = proportion(chose_longer, len(frame), reason="no decisive verdict on a pair of unequal lengths")
    if est.defined:
        est = Estimate(est.value, est.ci_low, est.ci_high, est.n, extra={**est.extra, "p_value": binomial_p_value(chose_longer, len(frame))})
    return est


def position_bias(judgments: pd.DataFrame) -> Estimate:
    """Share of decisive per-order verdicts that chose the response shown first."""
    return first_shown_rate(judgments["verdict"].to_numpy(dtype=object), judgments["order"].to_numpy(dtype=object))


def factor_section(agents: dict[str, pd.Series], table: pd.DataFrame, names: dict[str, str]) -> dict[str, Any]:
    """Factor scores of every agent and each judge's alignment with the humans."""
    scores: dict[str, dict[str, Any]] = {}
    for agent, prefs in agents.items():
        joined = table.join(prefs.rename("__pref__"), how="inner")
        scores[agent] = {
            key: factor_score(joined["__pref__"].tolist(), joined[key].tolist()) for key in table.columns
        }
    keys = list(table.columns)
    human = np.array([scores[HUMANS][k].score for k in keys], dtype=float)
    judges = {}
    for agent in agents:
        if agent == HUMANS:
            continue
        mine = np.array([scores[agent][k].score for k in keys], dtype=float)
        gaps = mine - human
        misaligned = [
            {"factor": k, "judge_score": float(mine[i]), "human_score": float(human[i]),
             "direction": "less" if mine[i] > human[i] else "more"}
            for i, k in enumerate(keys)
            if not np.isnan(gaps[i]) and (
                abs(gaps[i]) >= MISALIGNMENT
                or (np.sign(mine[i]) * np.sign(human[i]) < 0 and min(abs(mine[i]), abs(human[i])) >= MIN_SCORE)
            )
        ]
        misaligned.sort(key=lambda m: -abs(m["judge_score"] - m["human_score"]))
        entry = {"alignment": alignment(human, mine).as_dict(), "misaligned": misaligned}
        if not agents[agent].isin(["A", "B"]).any():
            # only ties: its factor scores are 0 by construction, and guidance on a factor
            # is not what it lacks (a judge that never decides is usually position-biased)
            entry["misaligned"] = []
            entry["misaligned_reason"] = "the judge gave no decisive verdict"
        judges[agent] = entry
    return {
        "factors": {k: names.get(k, k) for k in keys},
        "known_manifestations": {k: int(table[k].notna().sum()) for k in keys},
        "scores": {agent: {k: s.as_dict() for k, s in by_factor.items()} for agent, by_factor in scores.items()},
        "judges": judges,
    }


def judge_human_report(
    labels: pd.DataFrame,
    judgments: pd.DataFrame | None,
    pairs: pd.DataFrame,
    factor_values: pd.DataFrame | None = None,
    *,
    task: str = "",
    factors: Sequence[tuple[str, str]] = (),
    categories: Sequence[str] = ("A", "B", "tie"),
) -> dict[str, Any]:
    """The judge-validation report of one task (JSON-ready); see the module docstring.

    ``labels``: ``Store.labels_frame``; ``judgments``: ``Store.judgments_frame``;
    ``pairs``: ``Store.pairs_frame``; ``factor_values``: one row per (pair, factor,
    extractor) with a ``manifestation``; ``factors``: (key, name) of the task's checklist.
    """
    judgments = judgments if judgments is not None else pd.DataFrame(columns=["run_name", "pair", "order", "verdict"])
    agents = agent_preferences(labels, judgments, categories)
    notes = []
    if agents[HUMANS].empty:
        notes.append("no human labels yet: the humans' column and every comparison with it are undefined")
    if len(agents) == 1:
        notes.append("no judge has run on this task yet (see `annotator judge run`)")
    agreement = agreement_report(labels, judgments, task=task, categories=categories, resamples=0)["judges"]
    agreement_by_run = {row["run"]: row for row in agreement}
    verdicts = judge_verdicts(judgments)
    run_kinds = judgments.groupby("run_name")["kind"].first().to_dict() if "kind" in judgments else {}
    # Every agent is compared with the humans on the same pairs: the human-labelled ones
    # (all judged pairs while no human has labelled any).
    labelled = agents[HUMANS].index
    compared = {
        name: prefs if name == HUMANS or labelled.empty else prefs[prefs.index.isin(labelled)]
        for name, prefs in agents.items()
    }
    beyond = {name: len(agents[name]) - len(compared[name]) for name in agents if name != HUMANS}
    if any(beyond.values()):
        notes.append(
            f"judges are compared with the humans on the {len(labelled)} human-labelled pairs; judged "
            "pairs without a human label are left out (JSON: win_rate_all_pairs, pairs_judged)"
        )
    report_agents = []
    for name, prefs in compared.items():
        entry: dict[str, Any] = {
            "agent": name,
            "kind": "humans" if name == HUMANS else run_kinds.get(name, "llm"),
            "pairs": int(len(prefs)),
            "verdicts": {c: int((prefs == c).sum()) for c in ("A", "B", "tie")},
            "win_rate": win_rates(prefs, pairs),
            "length_bias": length_bias(prefs, pairs),
        }
        if name != HUMANS:
            entry["pairs_judged"] = int(len(agents[name]))
            if beyond[name]:
                entry["win_rate_all_pairs"] = win_rates(agents[name], pairs)
            entry["position_bias"] = position_bias(judgments[judgments["run_name"] == name])
            entry["position_consistency"] = consistency(verdicts[verdicts["run_name"] == name])
            row = agreement_by_run.get(name, {})
            entry["agreement_with_humans"] = row.get("agreement_with_humans")
            entry["cohen_kappa_with_majority"] = row.get("cohen_kappa_with_majority")
        report_agents.append(entry)
    keys = [k for k, _ in factors]
    table = manifestations(labels, factor_values, keys)
    return to_json({
        "task": task,
        "notes": notes,
        "agents": report_agents,
        "factor_alignment": factor_section(compared, table, dict(factors)) if keys else None,
    })


def task_judge_human_report(store, task: str) -> dict[str, Any]:
    """Load a task's labels, judgments, pairs and factor values and build the report."""
    found = store.get_task(task)
    if found is None:
        raise KeyError(task)
    values = store.factor_values(task)
    fv = pd.DataFrame(
        [(v.pair, v.factor, v.extractor, v.manifestation) for v in values],
        columns=["pair", "factor", "extractor", "manifestation"],
    )
    from .jury import with_composites

    return judge_human_report(
        store.labels_frame(task), with_composites(store, task), store.pairs_frame(task), fv,
        task=task, factors=[(f.key, f.name) for f in found.factors], categories=found.choices,
    )
