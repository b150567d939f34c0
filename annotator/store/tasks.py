"""Tasks and their pairs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from . import rows
from .columnar import ColumnarStore
from .models import Pair, Task, utc_now
from .queue_state import QueueStateStore, task_calibration


def _queue_settings(task: Task) -> tuple:
    """The settings that decide a task's queue rows (a change rebuilds them)."""
    return (task.seed, task.overlap, task.attention_rate, task_calibration(task.settings))


class TaskClash(Exception):
    """A task of that name exists already (and replacing it was not asked for)."""


class UnknownTask(KeyError):
    """No task of that name in the database; the message names the tasks there are."""

    def __init__(self, name: str, known: list[str]):
        self.name, self.known = name, known
        super().__init__(f"no task named {name!r} (tasks: {', '.join(known) or 'none'})")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


QUEUE_CHUNK = 50_000  # queue rows made from memory this many pairs at a time (memory stays bounded)


class _Unqueued:
    """Pairs inserted (``(task, pair_id, gold)``, in order, with the ids after ``after_id``)
    whose queue rows are not written yet."""

    def __init__(self, after_id: int):
        self.after_id = after_id
        self.pairs: list[tuple[str, str, str | None]] = []


class TaskStore(QueueStateStore, ColumnarStore):
    _unqueued: _Unqueued | None = None  # set while insert_pair_batches runs
    # -- tasks -----------------------------------------------------------------------------
    def save_task(self, task: Task, *, replace: bool = False) -> Task:
        """Insert a task, or update its settings when ``replace`` is set."""
        with self.atomic():
            existing = self.get_task(task.name)
            if existing and not replace:
                raise TaskClash(f"a task named {task.name!r} exists already")
            task.created_at = existing.created_at if existing else utc_now()
            self.db.table("tasks").upsert(rows.task_to_row(task), pk="name")
            if existing is None:
                self.db.execute("INSERT OR IGNORE INTO queue_tasks (task) VALUES (?)", [task.name])
            elif _queue_settings(existing) != _queue_settings(task):
                self.rebuild_queue(task.name)
        return task

    def get_task(self, name: str) -> Task | None:
        found = self.query("SELECT * FROM tasks WHERE name = ?", [name])
        return rows.task_from_row(found[0]) if found else None

    def require_task(self, name: str) -> Task:
        """The task of that name, or ``UnknownTask`` (a ``KeyError``) naming the tasks there are."""
        task = self.get_task(name)
        if task is None:
            raise UnknownTask(name, [t.name for t in self.tasks()])
        return task

    def tasks(self) -> list[Task]:
        return [rows.task_from_row(r) for r in self.query("SELECT * FROM tasks ORDER BY name")]

    def task_counts(self, name: str) -> dict:
        """Counts a researcher asks for first: pairs, labels, annotators, judge runs, judgments."""
        one = lambda sql: self.query(sql, [name])[0]["n"]  # noqa: E731
        per_annotator = self.query(
            "SELECT annotator, COUNT(*) AS n FROM current_labels WHERE task = ? "
            "GROUP BY annotator ORDER BY annotator",
            [name],
        )
        runs = self.query(
            "SELECT r.name, r.kind, COUNT(j.id) AS n FROM judge_runs r "
            "LEFT JOIN judgments j ON j.run = r.id WHERE r.task = ? GROUP BY r.id ORDER BY r.name",
            [name],
        )
        return {
            "name": name,
            "pairs": one("SELECT COUNT(*) AS n FROM pairs WHERE task = ?"),
            "labels": one("SELECT COUNT(*) AS n FROM current_labels WHERE task = ?"),
            "labelled_pairs": one(
                "SELECT COUNT(DISTINCT pair) AS n FROM labels WHERE task = ?"
            ),
            "annotators": len(per_annotator),
            "labels_per_annotator": {r["annotator"]: r["n"] for r in per_annotator},
            "judge_runs": len(runs),
            "judgments": sum(r["n"] for r in runs),
            "judgments_per_run": {r["name"]: r["n"] for r in runs},
            "gold_pairs": one("SELECT COUNT(*) AS n FROM pairs WHERE task = ? AND gold IS NOT NULL"),
        }

    # -- pairs -----------------------------------------------------------------------------
    def insert_pairs(self, pairs: Iterable[Pair], batch_size: int = 2000) -> int:
        """Insert new pairs in batches (call inside ``atomic()`` for all-or-nothing)."""
        it = iter(pairs)
        return self.insert_pair_batches(iter(lambda: list(islice(it, batch_size)), []))

    def insert_pair_batches(self, batches: Iterable[list[Pair]]) -> int:
        """Insert new pairs batch by batch (the caller bounds each batch, so memory holds one;
        ``batches`` may be a generator that reads the next rows), in one transaction.

        Their queue rows are written once, after the last batch (or before an
        :meth:`update_pair` in between, which may rebuild the queue): one pass over the queue's
        index, not one per batch. The new rows take the ids after the largest one, in order
        (SQLite's rule for a row without an id, the write lock held), so the queue rows are made
        from the pairs in memory, not read back (checked: the largest id must have grown by
        the number of rows; otherwise they are read back)."""
        columns = rows.PAIR_COLUMNS + ("created_at",)
        sql = f"INSERT INTO pairs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        now = utc_now()
        count = 0
        with self.atomic():
            self._unqueued = unqueued = _Unqueued(self._max_pair_id())
            try:
                for batch in batches:
                    if batch:
                        self.db.conn.executemany(sql, rows.pair_values(batch, now))
                        unqueued.pairs += [(pair.task, pair.pair_id, pair.gold) for pair in batch]
                        count += len(batch)
                self._queue_inserted()
            finally:
                self._unqueued = None
        return count

    def _max_pair_id(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(id), 0) FROM pairs").fetchone()[0]

    def _ids_follow(self, before: int, count: int) -> bool:
        """Whether the ``count`` rows inserted last took the ids ``before + 1`` ... ``before + count``."""
        return self._max_pair_id() == before + count

    def _queue_inserted(self) -> None:
        """Queue rows for the pairs :meth:`insert_pair_batches` inserted and has not queued yet."""
        unqueued = self._unqueued
        if unqueued is None or not unqueued.pairs:
            return
        before, inserted = unqueued.after_id, unqueued.pairs
        if not self._ids_follow(before, len(inserted)):
            for task in sorted({t for t, _, _ in inserted}):
                self.queue_new_pairs(task, before)  # read back
        else:  # from memory, a chunk at a time
            for start in range(0, len(inserted), QUEUE_CHUNK):
                chunk, first = inserted[start:start + QUEUE_CHUNK], before + start
                for task in sorted({t for t, _, _ in chunk}):
                    self.queue_new_pairs(task, first, [(first + i, pair_id, gold) for i, (t, pair_id, gold)
                                                       in enumerate(chunk, start=1) if t == task])
        unqueued.after_id, unqueued.pairs = self._max_pair_id(), []

    def update_pair(self, pair: Pair) -> None:
        """Replace the content of an existing pair (same task and pair_id)."""
        row = rows.pair_to_row(pair)
        row.pop("id", None)
        with self.atomic():
            self._queue_inserted()  # the queue as it would be without the batching (the update may rebuild it)
            self.db.execute(
                "UPDATE pairs SET prompt=:prompt, source=:source, response_a=:response_a, "
                "response_b=:response_b, model_a=:model_a, model_b=:model_b, domain=:domain, "
                "metadata=:metadata, gold=:gold, reference=:reference, content_hash=:content_hash "
                "WHERE task=:task AND pair_id=:pair_id",
                row,
            )
            found = self.db.execute("SELECT id FROM pairs WHERE task = ? AND pair_id = ?",
                                    [pair.task, pair.pair_id]).fetchone()
            if found:
                self.requeue_pair(found[0])

    def pair_index(self, task: str) -> dict[str, tuple[int, str]]:
        """``pair_id -> (database id, content hash)`` for every pair of a task."""
        return {
            r["pair_id"]: (r["id"], r["content_hash"])
            for r in self.query("SELECT id, pair_id, content_hash FROM pairs WHERE task = ?", [task])
        }

    def pair_ids(self, task: str) -> dict[str, int]:
        """``pair_id -> database id`` for every pair of a task, read from the index that holds
        both (:func:`~annotator.store.schema.m015_pairs_by_task_covering`): no pair row, whose
        texts come before its content hash, is read."""
        with self._lock:
            return dict(self.db.execute("SELECT pair_id, id FROM pairs WHERE task = ?", [task]).fetchall())

    def get_pair(self, id: int) -> Pair | None:
        found = self.query("SELECT * FROM pairs WHERE id = ?", [id])
        return rows.pair_from_row(found[0]) if found else None

    def get_pair_by_external_id(self, task: str, pair_id: str) -> Pair | None:
        found = self.query("SELECT * FROM pairs WHERE task = ? AND pair_id = ?", [task, pair_id])
        return rows.pair_from_row(found[0]) if found else None

    def pairs(self, task: str) -> Iterator[Pair]:
        """All pairs of a task in import order."""
        with self._lock:
            cursor = self.db.execute("SELECT * FROM pairs WHERE task = ? ORDER BY id", [task])
            names = [d[0] for d in cursor.description]
            fetched = cursor.fetchall()
        for values in fetched:
            yield rows.pair_from_row(dict(zip(names, values)))

    def pairs_frame(self, task: str):
        """One row per pair of a task, without the texts: pair, pair_id, domain, model_a,
        model_b, gold, len_a, len_b (characters)."""
        return self.arrow_frame(
            "SELECT id AS pair, pair_id, domain, model_a, model_b, gold, LENGTH(response_a) AS len_a, "
            "LENGTH(response_b) AS len_b FROM pairs WHERE task = ? ORDER BY id",
            [task],
        )

    def model_pairings(self, task: str) -> list[tuple[str, str, int]]:
        """``(model_a, model_b, number of pairs)`` for each pairing of models in a task."""
        return [(r["model_a"], r["model_b"], r["n"]) for r in self.query(
            "SELECT model_a, model_b, COUNT(*) AS n FROM pairs WHERE task = ? GROUP BY model_a, model_b "
            "ORDER BY model_a, model_b", [task])]

    def instruction_ids(self, task: str) -> dict[int, int]:
        """Pair id -> instruction number: pairs with the same prompt share one (several
        candidates answering one instruction, e.g. for length-controlled win rates)."""
        return {
            r["pair"]: r["instruction"]
            for r in self.query(
                "SELECT id AS pair, DENSE_RANK() OVER (ORDER BY prompt) AS instruction FROM pairs WHERE task = ?",
                [task],
            )
        }

    def pairs_without_source(self, task: str) -> int:
        """How many pairs of a task have no source document."""
        return self.query("SELECT COUNT(*) AS n FROM pairs WHERE task = ? AND source = ''", [task])[0]["n"]

    def pair_count(self, task: str) -> int:
        return self.query("SELECT COUNT(*) AS n FROM pairs WHERE task = ?", [task])[0]["n"]
