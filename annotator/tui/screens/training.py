"""Training before labelling: the task's practice pairs ([training] in task.toml).

Each practice pair is answered with the choice keys; the screen then says whether the answer
matched the expected one and shows the explanation. At the end the score is compared with
the pass mark: passed, the real pairs follow; not passed, another attempt (when the task
allows retries) or a message to ask the researcher. Answers go to ``training_answers``,
never among the labels.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from annotator.store import Store, Task
from annotator.tasks.training import Training
from annotator.text.sanitize import plain_text, sanitize_line

CHOICE_WORDS = {"A": "A better", "B": "B better", "tie": "a tie"}
FACTOR_WORDS = {"A": "A shows more", "B": "B shows more", "equal": "equal", "na": "not applicable"}


class TrainingScreen(Screen[bool]):
    """Dismissed with True when the annotator passed (the real pairs follow), else False."""

    BINDINGS = [
        Binding("1", "answer('A')", "A better"),
        Binding("2", "answer('B')", "B better"),
        Binding("3", "answer('tie')", "Tie"),
        Binding("enter", "next", "Next"),
        Binding("r", "retry", "Try again"),
        Binding("q", "quit_training", "Quit"),
    ]

    def __init__(self, store: Store, task: Task, annotator: str, training: Training):
        super().__init__()
        self.store = store
        self.label_task = task
        self.annotator = annotator
        self.training = training
        score = self._score()
        self.attempt = max(score.attempt, 1)
        self.item = score.answered if score.attempt and not score.finished else 0
        if score.finished:  # failed before (a pass never opens this screen)
            self.item = len(training.pairs)
        self.answered: str | None = None  # the answer given to the pair on screen

    def _score(self):
        return self.store.training_score(self.label_task.name, self.annotator, len(self.training.pairs),
                                         self.training.pass_mark)

    def compose(self) -> ComposeResult:
        with Vertical(id="training"):
            yield Static(id="training-title")
            with VerticalScroll(id="training-pair"):
                yield Static(id="training-prompt")
                with Horizontal(id="training-responses"):
                    yield Static(id="training-a", classes="training-response")
                    yield Static(id="training-b", classes="training-response")
            yield Static(id="training-result")

    def on_mount(self) -> None:
        self._show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        done = self.item >= len(self.training.pairs)
        if action == "answer":
            return not done and self.answered is None and (parameters[0] != "tie" or self.label_task.allow_tie)
        if action == "next":
            return self.answered is not None or (done and self._score().passed)
        if action == "retry":
            return done and not self._score().passed and self.training.retries
        return True

    def _show(self) -> None:
        total = len(self.training.pairs)
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append("Training ", style="bold")
        title.append(f"{min(self.item + 1, total)} / {total}" if self.item < total else "done")
        title.append(" · as ")
        title.append(sanitize_line(self.annotator), style="bold")
        title.append(f" · attempt {self.attempt} · practice pairs are not labels", style="dim")
        self.query_one("#training-title", Static).update(title)
        result = self.query_one("#training-result", Static)
        pair_area = self.query_one("#training-pair")
        if self.item >= total:
            pair_area.display = False
            result.update(self._summary())
            self.refresh_bindings()
            return
        pair_area.display = True
        pair = self.training.pairs[self.item]
        self.query_one("#training-prompt", Static).update(Text.assemble(("Prompt\n", "bold"), plain_text(pair.prompt)))
        for side, text in (("a", pair.response_a), ("b", pair.response_b)):
            pane = self.query_one(f"#training-{side}", Static)
            pane.border_title = f"Response {side.upper()}"
            pane.update(plain_text(text))
        if self.answered is None:
            keys = "1 = A better · 2 = B better" + (" · 3 = tie" if self.label_task.allow_tie else "")
            result.update(Text(f"Your answer: {keys}", style="dim"))
        else:
            result.update(self._feedback(pair))
        self.refresh_bindings()

    def _feedback(self, pair) -> Text:
        text = Text()
        if self.answered == pair.choice:
            text.append("✓ As expected", style="bold green")
        else:
            text.append(f"✗ Expected {CHOICE_WORDS[pair.choice]}", style="bold red")
            text.append(f" (you answered {CHOICE_WORDS[self.answered]})")
        text.append("\n")
        text.append(plain_text(pair.explanation))
        if pair.factors:
            text.append("\nFactors: ", style="bold")
            text.append(" · ".join(f"{sanitize_line(k)}: {FACTOR_WORDS[v]}" for k, v in pair.factors.items()))
        text.append("\n⏎ next", style="dim")
        return text

    def _summary(self) -> Text:
        score = self._score()
        text = Text()
        text.append(f"{score.correct} of {score.items} as expected", style="bold")
        text.append(f" (pass mark {self.training.pass_mark:.0%}).\n\n")
        if score.passed:
            text.append("Passed. ", style="bold green")
            text.append("⏎ starts labelling the real pairs.")
        elif self.training.retries:
            text.append("Not passed yet. ", style="bold yellow")
            text.append("r tries the practice pairs again · q quits.")
        else:
            text.append("Not passed. ", style="bold red")
            text.append("This task allows one attempt: ask the researcher. q quits.")
        return text

    def action_answer(self, choice: str) -> None:
        if not self.check_action("answer", (choice,)):
            return
        pair = self.training.pairs[self.item]
        self.store.add_training_answer(self.label_task.name, self.annotator, self.attempt, self.item, choice,
                                       pair.choice)
        self.answered = choice
        self._show()

    def action_next(self) -> None:
        if self.item >= len(self.training.pairs):
            if self._score().passed:
                self.dismiss(True)
            return
        if self.answered is None:
            return
        self.item += 1
        self.answered = None
        self._show()

    def action_retry(self) -> None:
        if self.check_action("retry", ()):
            self.attempt += 1
            self.item = 0
            self.answered = None
            self._show()

    def action_quit_training(self) -> None:
        self.dismiss(False)
