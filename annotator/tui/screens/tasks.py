"""The home screen: the tasks this annotator can label, to choose one (when ``--task`` was
not given and the database holds several), in the terminal and in the browser.

A task this name is labelling in another session (its writer lease is live: a terminal, a
browser) is marked and cannot be started here; every other task can, since a lease is per
task and name. The page never says which process or machine holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from annotator.store import Store, Task
from annotator.text.sanitize import sanitize_line


@dataclass(frozen=True)
class TaskChoice:
    task: Task
    done: int  # pairs this annotator has labelled
    assigned: int  # done + what is still open to them
    pairs: int  # pairs in the task
    busy_since: str = ""  # this name labels it in another session (its start, UTC), else ""
    overview: str = ""  # the researcher's line (everyone's labels) instead of this person's


def open_elsewhere(store: Store, task: str, annotator: str) -> str:
    """When (``HH:MM``, UTC) ``annotator`` started labelling ``task`` in another live
    session, else "" (never the process or the host: not the annotator's business)."""
    holder = store.live_writer(task, annotator)
    return str(holder["started_at"])[11:16] if holder else ""


def task_choices(store: Store, annotator: str) -> list[TaskChoice]:
    """Every task with pairs this annotator has labelled or can still label, by name."""
    choices = []
    for task in store.tasks():
        pairs = store.pair_count(task.name)
        if not pairs:
            continue
        progress = store.queue_progress(task, annotator)
        if progress.assigned or progress.done:
            choices.append(TaskChoice(task, progress.done, progress.assigned, pairs,
                                      open_elsewhere(store, task.name, annotator)))
    return choices


def overview_choices(store: Store) -> list[TaskChoice]:
    """Every task with pairs, for the researcher's dashboard: everyone's labels."""
    choices = []
    for task in store.tasks():
        counts = store.task_counts(task.name)
        if counts["pairs"]:
            choices.append(TaskChoice(task, counts["labels"], 0, counts["pairs"], overview=(
                f"{counts['labels']} labels by {counts['annotators']} annotator(s) · "
                f"{counts['labelled_pairs']} of {counts['pairs']} pairs labelled")))
    return choices


def choice_text(choice: TaskChoice) -> Text:
    """``Demo: instruction following (demo)  12 / 33 yours labelled · 21 left · 33 pairs``"""
    task = choice.task
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(sanitize_line(task.title or task.name), style="bold")
    if task.title and task.title != task.name:
        text.append(f" ({sanitize_line(task.name)})", style="dim")
    text.append("\n  ")
    if choice.overview:
        text.append(choice.overview)
        return text
    left = max(0, choice.assigned - choice.done)
    text.append(f"you labelled {choice.done}", style="bold cyan")
    text.append(f" · {left} waiting for you" if left else " · nothing waiting for you", style="" if left else "dim")
    text.append(f" · {choice.pairs} pairs in the task", style="dim")
    if choice.busy_since:
        text.append(f"\n  open in another session of yours since {choice.busy_since} UTC", style="bold yellow")
    return text


class TaskPickerScreen(Screen[Task | None]):
    """Dismissed with the task chosen (Enter), or None (q: quit)."""

    BINDINGS = [Binding("q,escape", "quit_app", "Quit")]
    # Here, not in app.tcss: the labelling app and the researcher's dashboard both open on it.
    DEFAULT_CSS = """
    TaskPickerScreen { align: center middle; }
    #tasks-box { width: 90; max-width: 100%; height: auto; max-height: 100%; border: thick $accent;
                 padding: 1 2; background: $surface; }
    #tasks-title { color: $accent; margin-bottom: 1; }
    #task-list { height: auto; max-height: 20; }
    #tasks-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, annotator: str, choices: list[TaskChoice], *, action: str = "start labelling"):
        super().__init__()
        self.annotator = annotator  # "" for the researcher's dashboard (nobody's own tasks)
        self.choices = choices
        self.action = action

    def compose(self) -> ComposeResult:
        with Vertical(id="tasks-box"):
            yield Static(Text.assemble(("Tasks for ", ""), (sanitize_line(self.annotator), "bold"))
                         if self.annotator else Text("Tasks"), id="tasks-title")
            if self.choices:
                yield OptionList(*(Option(choice_text(c), id=c.task.name) for c in self.choices),
                                 id="task-list")
                yield Static(f"↑↓ choose · ⏎ {self.action} · q quit", id="tasks-hint")
            else:
                yield Static("No task has a pair for you to label. q quits.", id="tasks-hint")

    def on_mount(self) -> None:
        if self.choices:
            waiting = next((i for i, c in enumerate(self.choices) if c.assigned > c.done and not c.busy_since), 0)
            self.query_one(OptionList).highlighted = waiting
            self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        task = self.choices[event.option_index].task
        store = getattr(self.app, "store", None)
        since = open_elsewhere(store, task.name, self.annotator) if store is not None and self.annotator else ""
        if since:  # looked at again now: that session may have ended, or begun, since
            self.notify(f"{self.annotator} is labelling this task in another session (since {since} UTC). "
                        "Close it first, or choose another task: one session per task and name, so two "
                        "never save over each other.", title="Open elsewhere", severity="warning", timeout=12)
            return
        self.dismiss(task)

    def action_quit_app(self) -> None:
        self.dismiss(None)
