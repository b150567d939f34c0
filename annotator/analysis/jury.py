"""Composite judges: several judge runs reported as one agent.

Two kinds, each defined by a judge run row without judgments of its own (kind "jury" or
"routed", the definition in its params) and turned here into judgments-like rows, so every
report treats it as one more judge run:

* **A jury** (``jury:majority(a,b,c)``, ``jury:mean-p(a,b)``): per pair and presented order,
  each member's verdict in that order (several samples resolved by the members' own rule,
  ``verdicts.judge_verdicts``) is one vote.

  - ``majority``: the verdict most members gave; when the top verdicts share the count the
    jury's verdict is "tie" (as for samples). Members without a scored verdict in that
    order do not vote; with no vote at all the jury is unscored ("no member verdict").
  - ``mean-p``: the mean of the members' P(A) in that order; a member without a soft
    verdict counts its hard verdict as P(A) = 1 (A), 0 (B) or 0.5 (tie). The jury says A
    above 0.5, B below, tie at exactly 0.5; its P(A) is that mean.

  The jury's cost for a pair and order is the sum of its members' costs. Because the jury
  votes order by order, its position consistency is measured like any judge's.
* **A routed judge** (``routed``): per pair, the judgments of the run its domain is routed
  to (``[task.routing]``: domain -> judge; ``"*"`` for the other domains). Pairs of a
  domain without a route are not judged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from annotator.store.protocol import AnalysisStore

from .defaults import JURY_RULES
from .verdicts import judge_verdicts

RULES = JURY_RULES
KINDS = ("jury", "routed")
_P = {"A": 1.0, "B": 0.0, "tie": 0.5}

FRAME_COLUMNS = [
    "run", "run_name", "kind", "pair", "pair_id", "domain", "order", "sample", "verdict", "p_a",
    "unscored_reason", "prompt_tokens", "completion_tokens", "latency_s", "cost",
]


def jury_name(rule: str, members: Sequence[str]) -> str:
    return f"jury:{rule}({','.join(members)})"


def _majority(votes: list[str]) -> str:
    counts = pd.Series(votes).value_counts()
    if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
        return "tie"
    return str(counts.index[0])


def jury_judgments(judgments: pd.DataFrame, members: Sequence[str], rule: str, name: str | None = None) -> pd.DataFrame:
    """The jury's judgments-like rows (one per pair and order where some member judged).

    ``judgments``: ``Store.judgments_frame`` rows of (at least) the member runs.
    """
    if rule not in RULES:
        raise ValueError(f"jury rule must be one of {', '.join(RULES)}, found {rule!r}")
    name = name or jury_name(rule, members)
    rows = judgments[judgments["run_name"].isin(members)] if len(judgments) else judgments
    if rows is None or rows.empty:
        return pd.DataFrame(columns=FRAME_COLUMNS)
    info = rows.drop_duplicates("pair").set_index("pair")
    cost = rows.groupby(["pair", "order"])["cost"].sum(min_count=1)
    soft = rows[rows["p_a"].notna()].groupby(["run_name", "pair", "order"])["p_a"].mean()
    per_order = judge_verdicts(rows)
    out = []
    for order, column in (("AB", "verdict_ab"), ("BA", "verdict_ba"), ("unknown", "verdict_unknown")):
        if column not in per_order:
            continue
        judged = rows[rows["order"] == order]["pair"].unique()
        votes = per_order[per_order[column].notna()].groupby("pair")
        voted = {pair: group for pair, group in votes}
        for pair in judged:
            group = voted.get(pair)
            entry = {"run": None, "run_name": name, "kind": "jury", "pair": pair,
                     **{c: info.at[pair, c] for c in ("pair_id", "domain") if c in info.columns}, "order": order,
                     "sample": 0, "verdict": None, "p_a": None, "unscored_reason": "no member verdict",
                     "prompt_tokens": None, "completion_tokens": None, "latency_s": None,
                     "cost": cost.get((pair, order))}
            if group is not None:
                verdicts = list(group[column])
                if rule == "majority":
                    entry["verdict"] = _majority(verdicts)
                else:
                    ps = [soft.get((member, pair, order), _P[v]) for member, v in zip(group["run_name"], verdicts)]
                    mean = float(np.mean(ps))
                    entry["p_a"] = mean
                    entry["verdict"] = "A" if mean > 0.5 else "B" if mean < 0.5 else "tie"
                entry["unscored_reason"] = ""
            out.append(entry)
    columns = [c for c in FRAME_COLUMNS if c in judgments.columns or c in ("run", "run_name", "kind", "pair", "order",
                                                                            "sample", "verdict", "p_a", "unscored_reason", "cost")]
    frame = pd.DataFrame(out).reindex(columns=columns).sort_values(["pair", "order"], kind="stable")
    return _none_for_missing(frame.reset_index(drop=True))


def routed_judgments(judgments: pd.DataFrame, routes: dict[str, str], name: str = "routed",
                     domains: pd.Series | None = None) -> pd.DataFrame:
    """The routed judge's rows: for each pair, the rows of the run its domain is routed to
    (``routes``: domain -> run name, ``"*"`` for any other domain). ``domains`` (pair ->
    domain) is needed when the frame has no ``domain`` column (a lean frame)."""
    if judgments is None or judgments.empty:
        return pd.DataFrame(columns=FRAME_COLUMNS)
    if "domain" in judgments.columns:
        domains = judgments["domain"].fillna("")
    else:
        domains = judgments["pair"].map(domains).fillna("")
    target = domains.map(lambda d: routes.get(d, routes.get("*")))
    picked = judgments[target.notna().to_numpy() & (judgments["run_name"] == target).to_numpy()].copy()
    picked["run_name"] = name
    picked["kind"] = "routed"
    picked["run"] = None
    return _none_for_missing(picked.reset_index(drop=True))


def _none_for_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing verdicts as None, as ``Store.judgments_frame`` gives them."""
    frame["verdict"] = frame["verdict"].astype(object).where(frame["verdict"].notna(), None)
    return frame


def composite_judgments(judgments: pd.DataFrame, definitions: Sequence[tuple[str, str, dict]],
                        domains: pd.Series | None = None) -> pd.DataFrame:
    """``judgments`` plus the rows of every composite judge: ``definitions`` are (name, kind,
    params) of runs of kind "jury" (params rule, members) or "routed" (params routes);
    ``domains`` (pair -> domain) for a frame without a domain column."""
    frames = [judgments] if judgments is not None and len(judgments) else []
    for name, kind, params in definitions:
        if kind == "jury":
            extra = jury_judgments(judgments, params.get("members", []), params.get("rule", "majority"), name)
        elif kind == "routed":
            extra = routed_judgments(judgments, params.get("routes", {}), name, domains)
        else:
            continue
        if len(extra):
            frames.append(extra)
    if not frames:
        return judgments if judgments is not None else pd.DataFrame(columns=FRAME_COLUMNS)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def with_composites(store: AnalysisStore, task: str, judgments: pd.DataFrame | None = None, *,
                    lean: bool = False) -> pd.DataFrame:
    """A task's judgments frame (``lean`` as ``Store.judgments_frame``) with its juries and
    routed judges added (one agent each)."""
    judgments = store.judgments_frame(task, lean=lean) if judgments is None else judgments
    definitions = [(r.name, r.kind, r.params) for r in store.runs(task) if r.kind in KINDS]
    if not definitions:
        return judgments
    domains = None
    if "domain" not in judgments.columns:
        pairs = store.pairs_frame(task)
        domains = pairs.set_index("pair")["domain"]
    return composite_judgments(judgments, definitions, domains)
