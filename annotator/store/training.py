"""Training answers: an annotator's answers to a task's practice pairs ([training] in
task.toml), kept in their own table (``training_answers``), never among the labels, so no
statistic, export or queue ever counts them."""

from __future__ import annotations

from dataclasses import dataclass

from .base import StoreBase
from .models import utc_now


@dataclass(frozen=True)
class TrainingScore:
    """The annotator's latest training attempt: ``correct`` of ``answered`` (of ``items``)."""

    attempt: int  # 0: not started
    answered: int
    correct: int
    items: int
    pass_mark: float

    @property
    def finished(self) -> bool:
        return self.attempt > 0 and self.answered >= self.items

    @property
    def share(self) -> float | None:
        return self.correct / self.answered if self.answered else None

    @property
    def passed(self) -> bool:
        return self.finished and self.correct >= self.pass_mark * self.items - 1e-9

    @property
    def state(self) -> str:
        """passed, not passed (finished below the mark) or so far (not finished)."""
        return "passed" if self.passed else ("not passed" if self.finished else "so far")

    def as_dict(self) -> dict:
        """The score as plain data (``annotators list --json`` and the report)."""
        return {"attempt": self.attempt, "answered": self.answered, "correct": self.correct, "items": self.items,
                "pass": self.pass_mark, "passed": self.passed, "state": self.state}


class TrainingStore(StoreBase):
    def add_training_answer(self, task: str, annotator: str, attempt: int, item: int, choice: str,
                            expected: str) -> bool:
        """Store one practice answer; returns whether it matched the expected answer."""
        correct = choice == expected
        with self.atomic():
            self.db.execute(
                "INSERT OR REPLACE INTO training_answers (task, annotator, attempt, item, choice, expected, correct, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [task, annotator, attempt, item, choice, expected, int(correct), utc_now()])
        return correct

    def training_score(self, task: str, annotator: str, items: int, pass_mark: float) -> TrainingScore:
        found = self.query(
            "SELECT attempt, COUNT(*) AS answered, SUM(correct) AS correct FROM training_answers "
            "WHERE task = ? AND annotator = ? GROUP BY attempt ORDER BY attempt DESC LIMIT 1", [task, annotator])
        if not found:
            return TrainingScore(0, 0, 0, items, pass_mark)
        row = found[0]
        return TrainingScore(row["attempt"], row["answered"], row["correct"] or 0, items, pass_mark)

    def training_scores(self, task: str) -> dict[str, tuple[int, int, int]]:
        """Annotator -> (latest attempt, answered, correct) in it."""
        rows = self.query(
            "SELECT t.annotator, t.attempt, COUNT(*) AS answered, SUM(t.correct) AS correct FROM training_answers t "
            "WHERE t.task = ? AND t.attempt = (SELECT MAX(attempt) FROM training_answers u "
            "WHERE u.task = t.task AND u.annotator = t.annotator) GROUP BY t.annotator", [task])
        return {r["annotator"]: (r["attempt"], r["answered"], r["correct"] or 0) for r in rows}

    def training_results(self, task: str, items: int, pass_mark: float) -> dict[str, TrainingScore]:
        """Annotator -> their latest attempt scored against the pass mark, by name."""
        return {name: TrainingScore(attempt, answered, correct, items, pass_mark)
                for name, (attempt, answered, correct) in sorted(self.training_scores(task).items())}
