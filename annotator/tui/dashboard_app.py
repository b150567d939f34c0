"""The dashboard app and its factory (used by ``annotator dashboard`` and the tests)."""

from __future__ import annotations

from textual.app import App

from annotator.store import Store, Task
from annotator.tui.screens.dashboard import DashboardScreen


class DashboardApp(App[None]):
    CSS_PATH = "dashboard.tcss"
    TITLE = "annotator dashboard"

    def __init__(self, store: Store, task: Task, **options):
        super().__init__()
        self.store = store
        self.label_task = task
        self.options = options

    def on_mount(self) -> None:
        self.push_screen(DashboardScreen(self.store, self.label_task, **self.options))


def create_dashboard_app(store: Store, task: Task | str, **options) -> DashboardApp:
    """The researcher's dashboard for ``task``.

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
