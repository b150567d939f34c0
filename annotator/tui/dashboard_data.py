"""What the dashboard shows, read from the store (no Textual here: the workers call these).

``progress_snapshot`` is light (a few aggregate queries; the dashboard polls it every few
seconds); ``stats_snapshot`` runs the agreement and judge reports, as ``stats agreement``
and ``stats judges`` do with their defaults, so the dashboard's alpha and card verdicts are
the numbers those commands print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from annotator.analysis.pace import DEFAULT_WINDOW_HOURS, Coverage, Pace, annotator_pace, coverage, task_eta_hours

if TYPE_CHECKING:
    from annotator.analysis.estimate import Estimate
    from annotator.analysis.judge_human import AgentReport, JudgeHumanReport
    from annotator.analysis.report import AgreementReport, DisputedPair

TIMELINE_MINUTES = 60


@dataclass
class ProgressSnapshot:
    coverage: Coverage
    paces: list[Pace]
    eta_hours: float | None
    per_minute: list[int]  # first labels per minute over the last hour, oldest first
    labels: int  # current labels of the task (a change means new statistics are due)
    taken_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass
class StatsSnapshot:
    """The statistics on the dashboard: the typed reports of ``stats agreement`` and ``stats
    judges`` (their defaults), read by attribute; each figure below is the one those commands
    print."""

    labels: int  # the label count the statistics were computed on
    agreement: AgreementReport
    judge_report: JudgeHumanReport
    order_rule: str
    seconds: float
    taken_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def alpha(self) -> Estimate:
        return self.agreement.overall.krippendorff_alpha

    @property
    def n_pairs(self) -> int:
        """The pairs alpha rests on: those labelled by two or more annotators (``alpha.n``,
        as ``stats agreement`` prints it), not every labelled pair."""
        return int(self.alpha.n)

    @property
    def notes(self) -> list[str]:
        return self.agreement.notes

    @property
    def disputed(self) -> list[DisputedPair]:
        return self.agreement.pairs.most_disputed

    @property
    def needs_adjudication(self) -> int:
        return self.agreement.pairs.needs_adjudication

    @property
    def adjudicated(self) -> int:
        return self.agreement.pairs.adjudicated

    @property
    def ceiling(self) -> Estimate:
        return self.judge_report.human_ceiling["with_ties"]

    @property
    def judges(self) -> list[AgentReport]:
        return [a for a in self.judge_report.agents if a.kind != "humans"]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def progress_snapshot(store, task, *, now: datetime | None = None,
                      window_hours: float = DEFAULT_WINDOW_HOURS) -> ProgressSnapshot:
    """Coverage, each annotator's pace and ETA, and the last hour's labels per minute."""
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(hours=window_hours)
    rows = store.coverage_by_domain(task.name)
    cover = coverage(rows, task.overlap)
    activity = store.label_activity(task.name, _iso(since))
    remaining = {row["annotator"]: store.queue_progress(task, row["annotator"], now=now).remaining
                 for row in activity}
    paces = annotator_pace(activity, remaining, window_hours)
    timeline = store.label_timeline(task.name, _iso(now - timedelta(minutes=TIMELINE_MINUTES)))
    start = (now - timedelta(minutes=TIMELINE_MINUTES - 1)).replace(second=0, microsecond=0)
    minutes = [(start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M") for i in range(TIMELINE_MINUTES)]
    return ProgressSnapshot(cover, paces, task_eta_hours(cover, paces), [timeline.get(m, 0) for m in minutes],
                            labels=store.task_counts(task.name)["labels"], taken_at=now)


def stats_snapshot(store, task, *, order_rule: str | None = None, resamples: int | None = None,
                   both_bad: str | None = None) -> StatsSnapshot:
    """Alpha with its interval, the disputed pairs and the judge cards (the commands' defaults;
    ``both_bad``: the --both-bad rule, default "tie")."""
    import time

    from annotator.analysis.defaults import DEFAULT_BOTH_BAD, DEFAULT_ORDER_RULE
    from annotator.analysis.judge_human import task_judge_human_report
    from annotator.analysis.report import task_agreement_report
    from annotator.export.report.collect import FramesOnce

    rule = order_rule or DEFAULT_ORDER_RULE
    start = time.perf_counter()
    store = FramesOnce(store)  # the two reports read the task's frames once
    labels = store.task_counts(task.name)["labels"]
    both_bad = both_bad or DEFAULT_BOTH_BAD
    agreement = task_agreement_report(store, task.name, order_rule=rule, resamples=resamples, both_bad=both_bad)
    judges = task_judge_human_report(store, task.name, order_rule=rule, resamples=resamples, both_bad=both_bad)
    return StatsSnapshot(labels=labels, agreement=agreement, judge_report=judges, order_rule=rule,
                         seconds=time.perf_counter() - start)
