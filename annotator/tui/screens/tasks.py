"""The home screen: the tasks this annotator can label, to choose one (when ``--task`` was
not given and the database holds several)."""

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


def task_choices(store: Store, annotator: str) -> list[TaskChoice]:
    """Every task with pairs this annotator has labelled or can still label, by name."""
    choices = []
    for task in store.tasks():
        pairs = store.pair_count(task.name)
        if not pairs:
            continue
        progress = store.queue_progress(task, annotator)
        if progress.assigned or progress.done:
            choices.append(TaskChoice(task, progress.done, progress.assigned, pairs))
    return choices


def choice_text(choice: TaskChoice) -> Text:
    """``Demo: instruction following (demo)  12 / 33 yours labelled · 21 left · 33 pairs``"""
    task = choice.task
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(sanitize_line(task.title or task.name), style="bold")
    if task.title and task.title != task.name:
        text.append(f" ({sanitize_line(task.name)})", style="dim")
    text.append("\n  ")
    left = max(0, choice.assigned - choice.done)
    text.append(f"you labelled {choice.done}", style="bold cyan")
    text.append(f" · {left} waiting for you" if left else " · nothing waiting for you", style="" if left else "dim")
    text.append(f" · {choice.pairs} pairs in the task", style="dim")
    return text


class TaskPickerScreen(Screen[Task | None]):
    """Dismissed with the task chosen (Enter), or None (q: quit)."""

    BINDINGS = [Binding("q,escape", "quit_app", "Quit")]

    def __init__(self, annotator: str, choices: list[TaskChoice]):
        super().__init__()
        self.annotator = annotator
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="tasks-box"):
            yield Static(Text.assemble(("Tasks for ", ""), (sanitize_line(self.annotator), "bold")),
                         id="tasks-title")
            if self.choices:
                yield OptionList(*(Option(choice_text(c), id=c.task.name) for c in self.choices),
                                 id="task-list")
                yield Static("↑↓ choose · ⏎ start labelling · q quit", id="tasks-hint")
            else:
                yield Static("No task has a pair for you to label. q quits.", id="tasks-hint")

    def on_mount(self) -> None:
        if self.choices:
            waiting = next((i for i, c in enumerate(self.choices) if c.assigned > c.done), 0)
            self.query_one(OptionList).highlighted = waiting
            self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index].task)

    def action_quit_app(self) -> None:
        self.dismiss(None)
