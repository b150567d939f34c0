"""The researcher's dashboard: how labelling goes, refreshed as labels arrive.

Nothing here waits on the database: a thread worker polls the store every ``poll_seconds``
(coverage, each annotator's pace and ETA, the last hour's activity) and a second worker runs
the agreement and judge reports when labels have changed (at most every ``stats_seconds``);
each posts its result back to the screen, which shows the last result until a new one is ready.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from annotator.store import Task
from annotator.text import numbers as n
from annotator.text.sanitize import sanitize_line
from annotator.tui.dashboard_data import ProgressSnapshot, StatsSnapshot, progress_snapshot, stats_snapshot
from annotator.tui.widgets.dashboard.activity_chart import ActivityChart
from annotator.tui.widgets.dashboard.agreement_panel import AgreementPanel
from annotator.tui.widgets.dashboard.annotator_table import AnnotatorTable
from annotator.tui.widgets.dashboard.disputed_table import DisputedTable
from annotator.tui.widgets.dashboard.judge_table import JudgeTable
from annotator.tui.widgets.dashboard.progress_summary import ProgressSummary

BINDINGS = [
    Binding("r", "refresh_now", "Refresh now", id="dashboard_refresh"),
    Binding("q", "app.quit", "Quit", id="dashboard_quit"),
]


class DashboardScreen(Screen):
    BINDINGS = BINDINGS

    def __init__(self, store, task: Task, *, poll_seconds: float = 3.0, stats_seconds: float = 30.0,
                 order_rule: str | None = None, both_bad: str | None = None):
        super().__init__()
        self.store = store
        self.label_task = task
        self.poll_seconds = poll_seconds
        self.stats_seconds = stats_seconds
        self.order_rule = order_rule
        self.both_bad = both_bad
        self.progress: ProgressSnapshot | None = None
        self.stats: StatsSnapshot | None = None
        self._stats_running = False
        self._stats_started = float("-inf")
        self._closing = False

    def compose(self) -> ComposeResult:
        title = Text.assemble(("Dashboard", "bold"), " — task ", (sanitize_line(self.label_task.name), "bold"))
        if self.label_task.title and self.label_task.title != self.label_task.name:
            title.append(f" · {sanitize_line(self.label_task.title)}", style="dim")
        yield Static(title, id="dash-title")
        yield ProgressSummary("reading the task…", id="dash-progress")
        with Horizontal(id="dash-top"):
            with Vertical(id="dash-annotators-box"):
                yield Static("Annotators — last hour: first labels given; median s: per pair; left: pairs still "
                             "open to them; ETA at their pace", classes="dash-caption")
                yield AnnotatorTable(id="dash-annotators")
            with Vertical(id="dash-side"):
                yield AgreementPanel(id="dash-agreement")
                yield ActivityChart(id="dash-activity")
        with Horizontal(id="dash-bottom"):
            with Vertical(id="dash-disputed-box"):
                yield Static("Pairs in dispute (votes most spread first)", classes="dash-caption")
                yield DisputedTable(id="dash-disputed")
            with Vertical(id="dash-judges-box"):
                yield Static("Judges against the humans: computing…", id="dash-judges-caption", classes="dash-caption")
                yield JudgeTable(id="dash-judges")
        yield Footer()

    def on_mount(self) -> None:
        self.load_progress()
        self.set_interval(self.poll_seconds, self.load_progress)

    def on_unmount(self) -> None:
        self._closing = True  # a worker still running posts nothing to a screen going away

    def action_refresh_now(self) -> None:
        self._stats_started = float("-inf")
        self.load_progress()

    # -- workers ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="dashboard-progress", exit_on_error=False)
    def load_progress(self) -> None:
        try:
            snap = progress_snapshot(self.store, self.label_task)
        except Exception as exc:  # a busy or vanished database: said, and the next poll tries again
            self._post(self.failed, "progress", exc)
            return
        self._post(self.show_progress, snap)

    @work(thread=True, exclusive=False, group="dashboard-stats", exit_on_error=False)
    def load_stats(self) -> None:
        try:
            snap = stats_snapshot(self.store, self.label_task, order_rule=self.order_rule,
                                  both_bad=self.both_bad)
        except Exception as exc:  # shown, never fatal: the next change of labels tries again
            self._post(self.failed, "statistics", exc)
            return
        self._post(self.show_stats, snap)

    def _post(self, callback, *args) -> None:
        if self._closing:
            return
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app stopped while the worker ran
            pass

    # -- results (UI thread) ---------------------------------------------------------------
    def show_progress(self, snap: ProgressSnapshot) -> None:
        if self._closing:
            return
        self.progress = snap
        self.query_one(ProgressSummary).show(snap)
        self.query_one(AnnotatorTable).show(snap.paces)
        self.query_one(ActivityChart).show(snap.per_minute)
        due = time.monotonic() - self._stats_started >= self.stats_seconds
        changed = self.stats is None or self.stats.labels != snap.labels
        if not self._stats_running and changed and due:
            self._stats_running = True
            self._stats_started = time.monotonic()
            self.query_one(AgreementPanel).computing(snap.labels)
            self.load_stats()

    def show_stats(self, snap: StatsSnapshot) -> None:
        self._stats_running = False
        if self._closing:
            return
        self.stats = snap
        self.query_one(AgreementPanel).show(snap)
        self.query_one(DisputedTable).show(snap.disputed)
        self.query_one(JudgeTable).show(snap.judges)
        ceiling = snap.ceiling
        text = Text("Judges against the humans", style="bold")
        if ceiling.defined:
            text.append(f" · human-human ceiling {n.with_interval(ceiling, True)}", style="")
        text.append(f" · order rule {snap.order_rule}", style="dim")
        if not snap.judges:
            text.append(" · no judge has run on this task yet", style="dim")
        self.query_one("#dash-judges-caption", Static).update(text)

    def failed(self, what: str, exc: Exception) -> None:
        if what == "statistics":
            self._stats_running = False
        if not self._closing:
            self.notify(f"{what} failed: {sanitize_line(str(exc))}", severity="error")
