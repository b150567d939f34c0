"""The adjudication app and its factory (used by ``annotator adjudicate`` and the tests)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import App, ComposeResult
from textual.widgets import Static

from annotator.analysis.adjudication import QueueItem, task_adjudication_queue
from annotator.analysis.defaults import DEFAULT_ORDER_RULE
from annotator.analysis.pairs import ADJUDICATION_THRESHOLD
from annotator.store import Store, Task
from annotator.tui.config import Settings
from annotator.tui.screens.adjudicate import AdjudicateScreen


@dataclass
class QueueOptions:
    threshold: float = ADJUDICATION_THRESHOLD  # below this majority share a pair needs adjudication
    all_disagreements: bool = False  # every pair whose votes are not unanimous
    judges: tuple[str, ...] | bool = False  # add judge-vs-human disagreements (True: every run)
    order_rule: str = DEFAULT_ORDER_RULE  # how a judge's two orders combine


class AdjudicationApp(App[None]):
    CSS_PATH = ["app.tcss", "adjudicate.tcss"]
    TITLE = "annotator · adjudication"
    ENABLE_COMMAND_PALETTE = False  # its footer key cut "s Save & next" and hid q at 80 columns

    def __init__(self, store: Store, task: Task, adjudicator: str, settings: Settings, options: QueueOptions):
        super().__init__()
        self.store = store
        self.label_task = task
        self.adjudicator = adjudicator
        self.settings = settings
        self.options = options

    def compose(self) -> ComposeResult:
        yield Static("Building the queue of disputed pairs…", id="adj-loading")

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.set_keymap(self.settings.keymap)
        self.build_queue()

    @work(thread=True, exit_on_error=False)
    def build_queue(self) -> None:
        """Read the task and rank its pairs off the UI thread (seconds at 100,000 pairs)."""
        o = self.options
        try:
            items = task_adjudication_queue(self.store, self.label_task.name, threshold=o.threshold,
                                            all_disagreements=o.all_disagreements, judges=o.judges,
                                            order_rule=o.order_rule)
            settled = self.store.current_adjudications(self.label_task.name)
        except Exception as e:  # shown, never a crash with exit status 0
            self.call_from_thread(self._failed, e)
            return
        self.call_from_thread(self._show, items, settled)

    def _show(self, items: list[QueueItem], settled) -> None:
        self.push_screen(AdjudicateScreen(self.store, self.label_task, self.adjudicator, items, settled))

    def _failed(self, error: Exception) -> None:
        self.exit(return_code=1, message=f"cannot build the adjudication queue: {error}")


def create_adjudication_app(store: Store, task: Task | str, adjudicator: str, settings: Settings | None = None,
                            options: QueueOptions | None = None) -> AdjudicationApp:
    """The app with which ``adjudicator`` settles the disputed pairs of ``task``."""
    if isinstance(task, str):
        task = store.require_task(task)
    return AdjudicationApp(store, task, adjudicator, settings or Settings(), options or QueueOptions())
