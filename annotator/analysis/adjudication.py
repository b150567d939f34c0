"""Which pairs an adjudicator should settle, in what order.

Two queues, built from the analysis functions (never a second majority rule):

* ``humans``: pairs whose annotators disagree. By default the pairs that need adjudication
  (``pairs.pair_votes``: no strict majority, or a majority under the threshold, 60 % by
  default); with ``all_disagreements`` every pair with two or more votes that are not all
  the same. Lowest agreement first: pairs needing adjudication, then by agreement (the share
  of agreeing pairs of votes, lowest first), then by the entropy of the votes (highest
  first), then by the number of votes (most first), then by pair.
* ``judges`` (on request): pairs where a judge run's verdict (combined over the presented
  orders by the order rule) differs from the human majority
  (``judge_human.disagreements``), most confident human majorities first; a pair where
  the judge gave no verdict is not a disagreement to settle.

A pair in both queues appears once, in the humans queue, with the judges' disagreement
named beside its own reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from annotator.store.protocol import AnalysisStore

from .defaults import DEFAULT_ORDER_RULE
from .pairs import ADJUDICATION_THRESHOLD, pair_votes
from .ratings import ratings_from_frame


@dataclass
class QueueItem:
    pair: int
    pair_id: str
    domain: str
    queue: str  # "humans" | "judges"
    votes: dict[str, int]  # choice -> number of votes
    majority: str | None  # the analysis rule's majority ("split" when the top votes tie)
    agreement: float | None  # share of agreeing pairs of votes (None under two votes)
    reasons: list[str] = field(default_factory=list)  # why the pair is in the queue

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)


def human_queue(labels: pd.DataFrame, categories: Sequence[str], pair_ids: dict[int, tuple[str, str]],
                threshold: float = ADJUDICATION_THRESHOLD, all_disagreements: bool = False) -> list[QueueItem]:
    """The humans queue (see the module docstring). ``labels``: current labels with ``pair``,
    ``annotator`` and ``choice``; ``pair_ids``: pair -> (pair_id, domain)."""
    if labels.empty:
        return []
    votes = pair_votes(ratings_from_frame(labels, "choice", categories), threshold)
    votes = votes[votes["n_votes"] >= 2]
    ranked = votes.assign(_pair=votes.index).sort_values(
        ["needs_adjudication", "agreement", "entropy_bits", "n_votes", "_pair"],
        ascending=[False, True, False, False, True], kind="stable")
    if all_disagreements:
        ranked = ranked[ranked["agreement"] < 1]
    else:
        ranked = ranked[ranked["needs_adjudication"]]
    items = []
    for pair, row in ranked.iterrows():
        reasons = [row["adjudication_reason"]] if row["adjudication_reason"] else []
        if not reasons:
            reasons = [f"agreement {row['agreement']:.0%}"]
        pair_id, domain = pair_ids.get(pair, (str(pair), ""))
        items.append(QueueItem(
            pair=int(pair), pair_id=pair_id, domain=domain, queue="humans",
            votes={c: int(row[f"votes_{c}"]) for c in categories if row[f"votes_{c}"]},
            majority=row["majority"] if isinstance(row["majority"], str) else None,
            agreement=None if pd.isna(row["agreement"]) else float(row["agreement"]), reasons=reasons,
        ))
    return items


def add_judge_disagreements(items: list[QueueItem], disagreements: dict[str, list[dict]],
                            votes_of: dict[int, dict[str, int]], pair_ids: dict[int, tuple[str, str]]) -> list[QueueItem]:
    """``items`` followed by the judges queue: ``disagreements`` is run -> the rows of
    ``judge_human.disagreements``; a pair already queued gets the judge named among its reasons."""
    by_pair = {item.pair: item for item in items}
    out = list(items)
    for run, rows in disagreements.items():
        for d in rows:
            if d["judge"] is None:
                continue  # no verdict: nothing the judge claims
            reason = f"judge {run} says {d['judge']}, the humans {d['humans']}"
            item = by_pair.get(d["pair"])
            if item is None:
                pair_id, domain = pair_ids.get(d["pair"], (d["pair_id"], d["domain"]))
                item = QueueItem(pair=d["pair"], pair_id=pair_id, domain=domain, queue="judges",
                                 votes=votes_of.get(d["pair"], {}), majority=d["humans"], agreement=None)
                by_pair[d["pair"]] = item
                out.append(item)
            item.reasons.append(reason)
    return out


def task_adjudication_queue(store: AnalysisStore, task: str, *, threshold: float = ADJUDICATION_THRESHOLD,
                            all_disagreements: bool = False, judges: Sequence[str] | bool = False,
                            order_rule: str = DEFAULT_ORDER_RULE) -> list[QueueItem]:
    """Read a task and build its queue. ``judges``: False for the humans queue only, True for
    every judge run, or the names of the runs whose disagreements with the humans to add."""
    spec = store.require_task(task)
    labels = store.labels_frame(task, columns=["pair", "annotator", "choice"])
    pairs = store.pairs_frame(task)
    pair_ids = dict(zip(pairs["pair"], zip(pairs["pair_id"], pairs["domain"].fillna(""))))
    items = human_queue(labels, spec.choices, pair_ids, threshold, all_disagreements)
    if not judges:
        return items
    from .agents import load_agents
    from .judge_human import disagreements

    agents = load_agents(store, task, order_rule=order_rule, include_incomplete=True)
    runs = sorted(agents.runs) if judges is True else list(judges)
    unknown = [r for r in runs if r not in agents.runs]
    if unknown:
        raise LookupError(f"no judge run named {unknown[0]!r} on task {task!r} "
                          f"(runs: {', '.join(sorted(agents.runs)) or 'none'})")
    counts = labels.groupby(["pair", "choice"]).size() if len(labels) else pd.Series(dtype=int)
    votes_of: dict[int, dict[str, int]] = {}
    for (pair, choice), n in counts.items():
        votes_of.setdefault(int(pair), {})[choice] = int(n)
    found = {run: disagreements(agents, run, limit=len(pairs) or 1) for run in runs}
    return add_judge_disagreements(items, found, votes_of, pair_ids)
