"""The agents of a task, loaded once: the humans (their votes per pair) and each judge run
(its verdicts under an order rule), with what every judge report needs to know about a run.

``load_agents(store, task, order_rule=...)`` reads the store once; the judge report, the
leaderboard and the judge card all work from the one ``TaskAgents`` it returns.

Incomplete runs: a run started for ``planned`` judgments of which fewer have finished (an
interrupted or failed ``judge run``) is *incomplete*. It is marked in every report and left
out of the comparisons unless ``include_incomplete`` is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from annotator.store import Store
from annotator.store.models import is_failed
from annotator.store.protocol import AnalysisStore

from .aggregate import majority_vote
from .defaults import DEFAULT_BOTH_BAD, DEFAULT_REFERENCE, REFERENCE_TEXT, REFERENCES
from .ratings import Ratings, ratings_from_frame
from .verdicts import DEFAULT_ORDER_RULE, ORDER_RULE_TEXT, check_rule, judge_verdicts, scored_alone

HUMANS = "humans"
_VOTE = {"A": 1.0, "B": 0.0, "tie": 0.5}


def human_majority(labels: pd.DataFrame, categories: Sequence[str] = ("A", "B", "tie")) -> pd.Series:
    """The humans' verdict per labelled pair: the majority vote (``pairs``' rule: "split"
    where the top votes are shared). With one annotator, simply their label."""
    if labels.empty:
        return pd.Series(dtype=object, name="verdict")
    return majority_vote(ratings_from_frame(labels, "choice", categories)).dropna().rename("verdict")


@dataclass
class RunInfo:
    """What the reports say about one judge run."""

    name: str
    kind: str
    model: str
    endpoint: str
    template_version: str
    planned: int | None  # judgments the run was started for (None: imported, not planned)
    finished: int  # judgments that did not fail
    failed: int
    pairs_asked: int
    cost: float | None
    cost_known: int  # judgments with a known cost
    median_latency_s: float | None
    scored_alone: bool = False  # each response scored on its own: no order was shown (``verdicts.scored_alone``)

    @property
    def complete(self) -> bool:
        return self.planned is None or self.finished >= self.planned

    def to_json(self) -> dict:
        return {
            "name": self.name, "kind": self.kind, "model": self.model, "endpoint": self.endpoint,
            "template_version": self.template_version,
            "complete": self.complete, "planned": self.planned, "finished": self.finished, "failed": self.failed,
            "pairs_asked": self.pairs_asked, "scored_alone": self.scored_alone,
        }


@dataclass
class TaskAgents:
    task: str
    categories: tuple[str, ...]
    order_rule: str
    labels: pd.DataFrame
    pairs: pd.DataFrame
    judgments: pd.DataFrame
    verdicts: pd.DataFrame  # judge_verdicts of the runs compared (order_rule)
    runs: dict[str, RunInfo]
    left_out: list[str] = field(default_factory=list)  # incomplete runs not compared
    ratings: Ratings | None = None
    adjudicated: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # pair -> adjudicated choice
    reference: str = DEFAULT_REFERENCE  # ``defaults.REFERENCES``: what one human label per pair is
    both_bad: dict | None = None  # the --both-bad rule the labels were read under (``both_bad.both_bad_json``)

    @property
    def order_rule_text(self) -> str:
        return ORDER_RULE_TEXT[self.order_rule]

    def human_majority(self) -> pd.Series:
        """The humans' verdict per labelled pair: the majority vote (``pairs``' rule), or
        with the ``adjudicated`` reference the adjudicator's label where there is one."""
        if self.ratings is None or self.labels.empty:
            return pd.Series(dtype=object, name="verdict")
        return with_adjudications(majority_vote(self.ratings).dropna(), self.adjudicated,
                                  self.reference).rename("verdict")

    def reference_json(self) -> dict:
        return reference_json(self.reference, self.adjudicated, self.human_majority().index)

    def human_soft(self) -> pd.Series:
        """The humans' soft preference for A per labelled pair: the mean of their votes
        (A = 1, tie = 0.5, B = 0)."""
        if self.labels.empty:
            return pd.Series(dtype=float, name="p_a")
        return self.labels["choice"].map(_VOTE).groupby(self.labels["pair"]).mean().rename("p_a")

    def judge_names(self) -> list[str]:
        return sorted(self.verdicts["run_name"].unique()) if len(self.verdicts) else []


def run_infos(runs, judgments: pd.DataFrame) -> dict[str, RunInfo]:
    """``RunInfo`` per run name, from the store's runs and the task's judgments frame."""
    out = {}
    grouped = dict(tuple(judgments.groupby("run_name", sort=False))) if len(judgments) else {}
    for run in runs:
        rows = grouped.get(run.name, judgments.iloc[0:0])
        # each distinct status tested once, not once per judgment
        failed = sum(int(n) for status, n in rows["status"].value_counts().items() if is_failed(status))
        costs = rows["cost"].dropna() if len(rows) else pd.Series(dtype=float)
        latency = rows["latency_s"].dropna() if len(rows) else pd.Series(dtype=float)
        planned = run.params.get("planned") if isinstance(run.params, dict) else None
        out[run.name] = RunInfo(
            name=run.name, kind=run.kind, model=run.model, endpoint=run.endpoint,
            template_version=run.template_version, planned=planned if isinstance(planned, int) else None,
            finished=len(rows) - failed, failed=failed, pairs_asked=int(rows["pair"].nunique()) if len(rows) else 0,
            cost=float(costs.sum()) if len(costs) else None, cost_known=len(costs),
            median_latency_s=float(latency.median()) if len(latency) else None,
            scored_alone=isinstance(run.params, dict) and run.params.get("presentation") == "scored alone",
        )
    return out


def compared_judgments(store: AnalysisStore, task: str, include_incomplete: bool = False
                       ) -> tuple[pd.DataFrame, dict[str, RunInfo], list[str]]:
    """A task's judgments (juries and routed judges added, one agent each) without the
    incomplete runs unless ``include_incomplete``; with every run's ``RunInfo`` and the
    names of the runs left out."""
    from .jury import with_composites

    judgments = with_composites(store, task, lean=True)
    runs = run_infos([r for r in store.runs(task) if r.kind not in ("factor", "pointwise")], judgments)
    left_out = [] if include_incomplete else sorted(n for n, r in runs.items() if not r.complete)
    compared = judgments[~judgments["run_name"].isin(left_out)] if left_out else judgments
    return compared, runs, left_out


def incomplete_note(run: RunInfo) -> str:
    """The note every report gives for an incomplete run it leaves out."""
    return (f"run {run.name} is incomplete ({run.finished} of {run.planned} judgments finished): left out of "
            "every comparison (--include-incomplete to compare it anyway)")


def adjudicated_choices(store: AnalysisStore, task: str, both_bad: str = DEFAULT_BOTH_BAD) -> pd.Series:
    """Pair -> the current adjudicated label of every adjudicated pair of a task (a "both_bad"
    decision under the ``both_bad`` rule, as the labels)."""
    from .both_bad import adjudications_under

    found = adjudications_under(store.current_adjudications(task), both_bad)
    return pd.Series({pair: a.choice for pair, a in found.items()}, dtype=object)


def with_adjudications(majority: pd.Series, adjudicated: pd.Series | None, reference: str) -> pd.Series:
    """The human reference per labelled pair (``defaults.REFERENCES``): the majority, with the
    adjudicated label in its place where there is one (reference "adjudicated")."""
    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {', '.join(REFERENCES)}, got {reference!r}")
    if reference == "majority" or adjudicated is None or adjudicated.empty:
        return majority
    out = majority.copy()
    settled = adjudicated[adjudicated.index.isin(out.index)]
    out.loc[settled.index] = settled.to_numpy()
    return out


def reference_json(reference: str, adjudicated: pd.Series | None, labelled) -> dict:
    """What a report says about its human reference: the rule and how many pairs it settled."""
    n = 0 if adjudicated is None else int(adjudicated.index.isin(labelled).sum())
    return {"name": reference, "rule": REFERENCE_TEXT[reference],
            "adjudicated_pairs": n if reference == "adjudicated" else 0,
            "adjudications_ignored": n if reference == "majority" else 0}


def load_agents(store: AnalysisStore, task: str, *, order_rule: str = DEFAULT_ORDER_RULE,
                include_incomplete: bool = False, categories: Sequence[str] | None = None,
                exclude: Sequence[str] = (), reference: str = DEFAULT_REFERENCE,
                both_bad: str = DEFAULT_BOTH_BAD) -> TaskAgents:
    """Read a task's labels, pairs and judgments once and resolve every run's verdicts;
    ``exclude``: annotators whose labels are left out (``--exclude NAME``); ``reference``:
    the human label a judge is compared with (``defaults.REFERENCES``); ``both_bad``: how a
    "both_bad" label counts (``defaults.BOTH_BAD_RULES``)."""
    from .both_bad import both_bad_json

    check_rule(order_rule)
    found = store.require_task(task)
    cats = tuple(categories or found.choices)
    pairs = store.pairs_frame(task)
    # the labels take their pairs' columns from that frame, so every response is measured once;
    # a wrapper that serves frames it read once already (the report's) is asked as before
    given = {"pairs": pairs} if isinstance(store, Store) else {}
    labels = store.labels_frame(task, lean=True, exclude=exclude, both_bad=both_bad, **given)
    if "tie" not in cats and len(labels) and (labels["choice"] == "tie").any():
        cats = ("A", "B", "tie")
    compared, runs, left_out = compared_judgments(store, task, include_incomplete)
    verdicts = judge_verdicts(compared, order_rule)
    alone = [name for name, run in runs.items() if run.scored_alone]
    if alone:
        verdicts = scored_alone(verdicts, alone)
    ratings = ratings_from_frame(labels, "choice", cats)
    return TaskAgents(task=task, categories=cats, order_rule=order_rule, labels=labels, pairs=pairs,
                      judgments=compared, verdicts=verdicts, runs=runs, left_out=left_out, ratings=ratings,
                      adjudicated=adjudicated_choices(store, task, both_bad), reference=reference,
                      both_bad=both_bad_json(store, task, both_bad, exclude))
