"""Adjudications: an adjudicator's final label for a disputed pair, kept apart from labels.

An adjudication never touches the annotators' labels. Each pair's adjudications are
append-only revisions (a second adjudicator, or the same one changing their mind, adds a
revision); the newest revision is the pair's adjudicated label.
"""

from __future__ import annotations

from . import rows
from .base import StoreBase
from .labels import offers_both_bad
from .models import (
    ADJUDICATION_QUEUES,
    ADJUDICATION_REASONS,
    BOTH_BAD,
    LABEL_CHOICES,
    Adjudication,
    Judgment,
    Label,
    utc_now,
)


class InvalidAdjudication(ValueError):
    pass


def check_adjudication(adjudication: Adjudication) -> None:
    if adjudication.choice not in LABEL_CHOICES:
        raise InvalidAdjudication(f"choice must be one of {LABEL_CHOICES}, got {adjudication.choice!r}")
    if adjudication.reason not in ADJUDICATION_REASONS:
        raise InvalidAdjudication(
            f"reason must be one of {', '.join(ADJUDICATION_REASONS)}, got {adjudication.reason!r}")
    if adjudication.queue not in ADJUDICATION_QUEUES:
        raise InvalidAdjudication(f"queue must be one of {ADJUDICATION_QUEUES}, got {adjudication.queue!r}")
    if not adjudication.adjudicator.strip():
        raise InvalidAdjudication("an adjudication needs the adjudicator's name")


class AdjudicationStore(StoreBase):
    def add_adjudication(self, adjudication: Adjudication) -> Adjudication:
        """Append ``adjudication`` as the pair's next revision (one short transaction)."""
        check_adjudication(adjudication)
        with self.atomic():
            found = self.db.execute("SELECT task FROM pairs WHERE id = ?", [adjudication.pair]).fetchone()
            if found is None:
                raise InvalidAdjudication(f"no pair with id {adjudication.pair}")
            task = found[0]
            if adjudication.choice == "tie":
                allow_tie = self.db.execute("SELECT allow_tie FROM tasks WHERE name = ?", [task]).fetchone()[0]
                if not allow_tie:
                    raise InvalidAdjudication(f"task {task!r} does not allow ties")
            if adjudication.choice == BOTH_BAD and not offers_both_bad(self.db, task):
                raise InvalidAdjudication(f"task {task!r} does not offer the choice {BOTH_BAD!r}")
            latest = self.db.execute(
                "SELECT COALESCE(MAX(revision), 0) FROM adjudications WHERE pair = ?", [adjudication.pair]
            ).fetchone()[0]
            adjudication.revision = latest + 1
            adjudication.created_at = adjudication.created_at or utc_now()
            adjudication.id = self.db.table("adjudications").insert(
                rows.adjudication_to_row(adjudication, task)).last_pk
        return adjudication

    def current_adjudications(self, task: str) -> dict[int, Adjudication]:
        """The newest adjudication of every adjudicated pair of a task, by pair id."""
        found = self.query(
            "SELECT a.* FROM adjudications a WHERE a.task = ? AND a.revision = "
            "(SELECT MAX(b.revision) FROM adjudications b WHERE b.pair = a.pair) ORDER BY a.pair",
            [task],
        )
        return {r["pair"]: rows.adjudication_from_row(r) for r in found}

    def adjudication_history(self, pair: int) -> list[Adjudication]:
        return [rows.adjudication_from_row(r) for r in self.query(
            "SELECT * FROM adjudications WHERE pair = ? ORDER BY revision", [pair])]

    def adjudication_count(self, task: str) -> int:
        """How many pairs of a task have been adjudicated."""
        return self.query("SELECT COUNT(DISTINCT pair) AS n FROM adjudications WHERE task = ?", [task])[0]["n"]

    def adjudicators_by_first_adjudication(self, task: str) -> list[str]:
        return [r["adjudicator"] for r in self.query(
            "SELECT adjudicator, MIN(id) AS first FROM adjudications WHERE task = ? GROUP BY adjudicator "
            "ORDER BY first", [task])]

    # -- what an adjudicator reads about one pair (indexed lookups: as fast at 1M pairs) -----
    def pair_labels(self, pair: int) -> list[Label]:
        """Every annotator's current label on one pair, in the order they first labelled it."""
        found = self.query(
            "SELECT l.* FROM labels l WHERE l.pair = ? AND l.revision = (SELECT MAX(r.revision) FROM labels r "
            "WHERE r.pair = l.pair AND r.annotator = l.annotator) ORDER BY l.id", [pair])
        return [rows.label_from_row(r) for r in found]

    def pair_judgments(self, task: str, pair: int) -> list[tuple[str, Judgment]]:
        """(run name, judgment) for every judgment of one pair by the task's judge runs, looked
        up run by run through the (run, pair, ...) key."""
        out = []
        for run in self.query("SELECT id, name FROM judge_runs WHERE task = ? AND kind != 'factor' ORDER BY name", [task]):
            for r in self.query('SELECT * FROM judgments WHERE run = ? AND pair = ? ORDER BY "order", sample',
                                [run["id"], pair]):
                out.append((run["name"], rows.judgment_from_row(r)))
        return out
