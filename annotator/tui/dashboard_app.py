"""The dashboard app and its factory (used by ``annotator dashboard`` and the tests)."""

from __future__ import annotations

from textual.app import App

from annotator.store import Store, Task
from annotator.tui.screens.dashboard import DashboardScreen


class DashboardApp(App[None]):
    CSS_PATH = "dashboard.tcss"
    TITLE = "annotator dashboard"

    def __init__(self, store: Store, task: Task | None, **options):
        super().__init__()
        self.store = store
        self.label_task = task
        self.options = options

    def on_mount(self) -> None:
        if self.label_task is None:  # several tasks, none named: the home screen first
            from annotator.tui.screens.tasks import TaskPickerScreen, overview_choices

            self.push_screen(TaskPickerScreen("", overview_choices(self.store), action="open its dashboard"),
                             self._picked)
            return
        self.push_screen(DashboardScreen(self.store, self.label_task, **self.options))

    def _picked(self, task: Task | None) -> None:
        if task is None:
            self.exit()
            return
        self.label_task = task
        self.push_screen(DashboardScreen(self.store, task, **self.options))


def create_dashboard_app(store: Store, task: Task | str | None, **options) -> DashboardApp:
    """The researcher's dashboard for ``task`` (None: it opens on a picker of the tasks).

    ``options``: ``poll_seconds`` (how often progress is read, default 3), ``stats_seconds``
    (the least time between two runs of the statistics, default 30; they run only when labels
    changed), ``order_rule`` (how a judge's two presented orders combine) and ``both_bad`` (how a
    "both bad" label counts).
    """
    if isinstance(task, str):
        found = store.get_task(task)
        if found is None:
            raise LookupError(f"no task named {task!r} in the database")
        task = found
    return DashboardApp(store, task, **options)
