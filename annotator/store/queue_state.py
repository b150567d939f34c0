"""The stored state behind the assignment queue, kept up to date by every write.

Tables (migration ``m005_assignment_scale``):

* ``queue_pairs``: one row per pair: its *stream* (``calibration``, ``gold`` or
  ``regular``), its seeded ``rank`` (:mod:`annotator.store.queue_walk`), how many annotators
  labelled it (``labellers``), whether it has all the labels the task's overlap asks for
  (``done``), and, for prioritised tasks, whether it belongs to the uniform share and its
  ``priority``. One index, ``(task, stream, done, uniform, priority, rank)``, serves every
  annotator's walk.
* ``queue_tasks``: per task, counts the progress line needs (open ordinary pairs, gold and
  calibration pairs) and the priority settings.
* ``queue_annotators``: per task and annotator, how many pairs of each stream they labelled
  and how many of their ordinary pairs still wait for others (``open_mine``).
* ``queue_cursors`` and ``queue_pending``: where each annotator is in each stream, and the
  pairs behind that position to look at again (held by others' claims when passed, or
  released unlabelled by the annotator).

Labels (:meth:`note_first_labels`) and new pairs (:meth:`queue_new_pairs`) update these rows
in their own transaction, each in time independent of the task's size. Changing the
settings that decide streams or order (seed, overlap, attention rate, calibration) rebuilds
the task's rows (:meth:`rebuild_queue`, linear, run by imports, never by an annotator).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from .base import StoreBase
from .models import TaskSettings
from .queue_walk import pair_rank, pair_ranks, share_draw

STREAMS = ("calibration", "gold", "regular")
DEFAULT_UNIFORM_SHARE = 0.2


def task_calibration(settings: Mapping | TaskSettings) -> int:
    """How many calibration pairs a task asks for (``[task] calibration``)."""
    value = settings.get("calibration", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _task_row(db, task: str) -> dict | None:
    cursor = db.execute(
        "SELECT name, overlap, attention_rate, seed, settings FROM tasks WHERE name = ?", [task])
    row = cursor.fetchone()
    if row is None:
        return None
    return {"name": row[0], "overlap": row[1], "attention_rate": row[2], "seed": row[3],
            "calibration": task_calibration(json.loads(row[4] or "{}"))}


def _insert_queue_rows(db, task: str, pairs: list[int], ranks: list[int], gold: list[bool]) -> None:
    """New ``queue_pairs`` rows (stream ``gold`` or ``regular``) for ``pairs`` (ascending ids).
    Each run of consecutive ids (an import's new pairs are one run) is one statement over its
    ranks as a JSON array, which SQLite takes apart itself (``json_each``): a third of the
    time of one bound statement per row."""
    start = 0
    while start < len(pairs):
        end = start + 1
        while end < len(pairs) and pairs[end] == pairs[end - 1] + 1:
            end += 1
        db.execute(
            "INSERT INTO queue_pairs (pair, task, stream, rank) SELECT ? + key, ?, CASE WHEN key IN "
            "(SELECT value FROM json_each(?)) THEN 'gold' ELSE 'regular' END, value FROM json_each(?)",
            [pairs[start], task, json.dumps([k for k in range(end - start) if gold[start + k]]),
             json.dumps(ranks[start:end])])
        start = end


def rebuild_task_queue(db, task: str) -> None:
    """Recompute every queue row of ``task`` from its pairs and labels (inside a transaction).

    Kept across the rebuild: the calibration pairs already chosen (while still ordinary
    pairs), priorities and the uniform share. Reset: cursors and pending lists (each
    annotator's walk starts again from the top of their order, skipping what they labelled).
    """
    t = _task_row(db, task)
    if t is None:
        return
    old = {pair: (stream, uniform, priority) for pair, stream, uniform, priority in db.execute(
        "SELECT pair, stream, uniform, priority FROM queue_pairs WHERE task = ?", [task])}
    share_row = db.execute("SELECT prioritised, uniform_share FROM queue_tasks WHERE task = ?", [task]).fetchone()
    prioritised, share = (share_row[0], share_row[1]) if share_row else (0, DEFAULT_UNIFORM_SHARE)
    for table in ("queue_pairs", "queue_annotators", "queue_cursors", "queue_pending"):
        db.execute(f"DELETE FROM {table} WHERE task = ?", [task])
    labellers: dict[int, int] = dict(db.execute(
        "SELECT pair, COUNT(DISTINCT annotator) FROM labels WHERE task = ? GROUP BY pair", [task]).fetchall())
    attention = t["attention_rate"] > 0
    rows = []
    for pair, pair_id, gold in db.execute("SELECT id, pair_id, gold FROM pairs WHERE task = ?", [task]).fetchall():
        stream = "gold" if attention and gold is not None else "regular"
        kept = old.get(pair)
        if stream == "regular" and kept and kept[0] == "calibration":
            stream = "calibration"
        uniform, priority = (kept[1], kept[2]) if kept and prioritised else (0, 0.0)
        n = labellers.get(pair, 0)
        done = int(stream == "regular" and n >= t["overlap"])
        rows.append((pair, task, stream, pair_rank(t["seed"], pair_id), n, done, uniform, priority))
    db.conn.executemany(
        "INSERT INTO queue_pairs (pair, task, stream, rank, labellers, done, uniform, priority) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    _trim_calibration(db, t)
    _top_up_calibration(db, t)
    db.execute(
        "INSERT INTO queue_tasks (task, prioritised, uniform_share) VALUES (?, ?, ?) "
        "ON CONFLICT (task) DO UPDATE SET prioritised = excluded.prioritised, "
        "uniform_share = excluded.uniform_share", [task, prioritised, share])
    _recount_task(db, task)
    db.execute(
        """
        INSERT INTO queue_annotators (task, annotator, calibration, gold, regular, uniform, open_mine)
        SELECT l.task, l.annotator,
               SUM(q.stream = 'calibration'), SUM(q.stream = 'gold'), SUM(q.stream = 'regular'),
               SUM(q.stream = 'regular' AND q.uniform = 1), SUM(q.stream = 'regular' AND q.done = 0)
        FROM (SELECT DISTINCT task, pair, annotator FROM labels WHERE task = ?) l
        JOIN queue_pairs q ON q.pair = l.pair
        GROUP BY l.annotator
        """,
        [task],
    )


def _recount_task(db, task: str) -> None:
    db.execute(
        """
        UPDATE queue_tasks SET
            open_regular = (SELECT COUNT(*) FROM queue_pairs WHERE task = ?1 AND stream = 'regular' AND done = 0),
            gold_pairs = (SELECT COUNT(*) FROM queue_pairs WHERE task = ?1 AND stream = 'gold'),
            calibration_pairs = (SELECT COUNT(*) FROM queue_pairs WHERE task = ?1 AND stream = 'calibration')
        WHERE task = ?1
        """,
        [task],
    )


def _trim_calibration(db, t: dict) -> None:
    """Return calibration pairs beyond the task's count to the ordinary pool (largest rank first)."""
    extra = db.execute(
        "SELECT pair FROM queue_pairs WHERE task = ? AND stream = 'calibration' ORDER BY rank DESC LIMIT -1 OFFSET ?",
        [t["name"], t["calibration"]]).fetchall()
    for (pair,) in extra:
        db.execute("UPDATE queue_pairs SET stream = 'regular', done = (labellers >= ?) WHERE pair = ?",
                   [t["overlap"], pair])


def _top_up_calibration(db, t: dict) -> int:
    """Choose calibration pairs until the task has as many as it asks for: the ordinary pairs
    nobody labelled yet with the smallest seeded rank. Returns how many were added.

    Run when the queue is rebuilt and at an annotator's pick while the task has fewer than
    it asks for (so the choice is made among all the pairs imported by then, and kept)."""
    have = db.execute("SELECT COUNT(*) FROM queue_pairs WHERE task = ? AND stream = 'calibration'",
                      [t["name"]]).fetchone()[0]
    want = t["calibration"] - have
    if want <= 0:
        return 0
    chosen = db.execute(
        "SELECT pair FROM queue_pairs WHERE task = ? AND stream = 'regular' AND done = 0 AND uniform = 0 "
        "AND priority = 0 AND labellers = 0 ORDER BY rank LIMIT ?",
        [t["name"], want]).fetchall()
    db.conn.executemany("UPDATE queue_pairs SET stream = 'calibration' WHERE pair = ?", chosen)
    db.execute("UPDATE queue_tasks SET open_regular = open_regular - ?1, calibration_pairs = calibration_pairs + ?1 "
               "WHERE task = ?2", [len(chosen), t["name"]])
    return len(chosen)


class QueueStateStore(StoreBase):
    # -- keeping the rows current ----------------------------------------------------------
    def rebuild_queue(self, task: str) -> None:
        """Recompute the queue rows of a task (after its seed, overlap, attention rate or
        calibration changed). Linear in the task's pairs and labels."""
        with self.atomic():
            rebuild_task_queue(self.db, task)

    def queue_new_pairs(self, task: str, after_id: int, new: list[tuple[int, str, str | None]] | None = None) -> None:
        """Queue rows for the pairs of ``task`` inserted with a database id above ``after_id``
        (``new``: their ``(id, pair_id, gold)`` when the caller knows them, not read back)."""
        t = _task_row(self.db, task)
        if t is None:
            return
        attention = t["attention_rate"] > 0
        if new is None:  # a range of row ids (only the new rows), not the task's index (all its pairs)
            new = [(pid, pair_id, gold) for pid, pair_id, gold, of in self.db.execute(
                "SELECT id, pair_id, gold, task FROM pairs WHERE id > ? ORDER BY id", [after_id]) if of == task]
        if not new:
            return
        ranks = pair_ranks(t["seed"], [pair_id for _, pair_id, _ in new])
        gold = [attention and g is not None for _, _, g in new]
        _insert_queue_rows(self.db, task, [pid for pid, _, _ in new], ranks, gold)
        gold_count = sum(gold)
        self.db.execute("INSERT OR IGNORE INTO queue_tasks (task, uniform_share) VALUES (?, ?)",
                        [task, DEFAULT_UNIFORM_SHARE])
        self.db.execute("UPDATE queue_tasks SET open_regular = open_regular + ?, gold_pairs = gold_pairs + ? "
                        "WHERE task = ?", [len(new) - gold_count, gold_count, task])
        if self.db.execute("SELECT prioritised FROM queue_tasks WHERE task = ?", [task]).fetchone()[0]:
            share = self.db.execute("SELECT uniform_share FROM queue_tasks WHERE task = ?", [task]).fetchone()[0]
            self.db.conn.executemany(
                "UPDATE queue_pairs SET uniform = 1 WHERE pair = ? AND stream = 'regular'",
                [(pid,) for pid, pair_id, _ in new if share_draw(t["seed"], pair_id) < share])
        # New pairs may sit anywhere in each annotator's order: everyone looks again from the top.
        self.db.execute("DELETE FROM queue_cursors WHERE task = ?", [task])

    def requeue_pair(self, pair: int) -> None:
        """After a pair's gold answer changed: its stream may change; rebuild its task when so."""
        found = self.db.execute(
            "SELECT q.stream, p.gold, t.attention_rate, p.task FROM queue_pairs q JOIN pairs p ON p.id = q.pair "
            "JOIN tasks t ON t.name = p.task WHERE q.pair = ?", [pair]).fetchone()
        if found is None:
            return
        stream, gold, rate, task = found
        wanted_gold = rate > 0 and gold is not None
        if wanted_gold != (stream == "gold"):
            rebuild_task_queue(self.db, task)

    def note_first_labels(self, firsts: Iterable[tuple[int, str, str]]) -> None:
        """Count the first label of each ``(pair, annotator, task)`` (inside the label's
        transaction): the pair's labellers, its done flag, the annotator's counters. The
        labeller's claim on the pair is fulfilled and dropped."""
        for pair, annotator, task in firsts:
            found = self.db.execute(
                "SELECT q.stream, q.uniform, q.done, q.labellers, t.overlap FROM queue_pairs q "
                "JOIN tasks t ON t.name = q.task WHERE q.pair = ?", [pair]).fetchone()
            self.db.execute("DELETE FROM claims WHERE pair = ? AND annotator = ?", [pair, annotator])
            self.db.execute("DELETE FROM queue_pending WHERE task = ? AND annotator = ? AND pair = ?",
                            [task, annotator, pair])
            if found is None:
                continue
            stream, uniform, done, labellers, overlap = found
            labellers += 1
            completes = stream == "regular" and not done and labellers >= overlap
            self.db.execute("UPDATE queue_pairs SET labellers = ?, done = done OR ? WHERE pair = ?",
                            [labellers, int(completes), pair])
            self.db.execute(
                "INSERT INTO queue_annotators (task, annotator) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [task, annotator])
            self.db.execute(
                f"UPDATE queue_annotators SET {stream} = {stream} + 1, uniform = uniform + ?, "
                "open_mine = open_mine + ? WHERE task = ? AND annotator = ?",
                [int(stream == "regular" and bool(uniform)),
                 int(stream == "regular" and not done and not completes), task, annotator])
            if completes:
                self.db.execute("UPDATE queue_tasks SET open_regular = open_regular - 1 WHERE task = ?", [task])
                # The others who labelled it no longer wait on it.
                self.db.execute(
                    "UPDATE queue_annotators SET open_mine = open_mine - 1 WHERE task = ? AND annotator IN "
                    "(SELECT DISTINCT annotator FROM labels WHERE pair = ? AND annotator != ?)",
                    [task, pair, annotator])

    # -- priorities (the hook for "judge-uncertain" ordering) -------------------------------
    def set_pair_priorities(self, task: str, scores: Mapping[int, float], *,
                            uniform_share: float | None = None) -> int:
        """Order the task's ordinary pairs by priority, higher first.

        ``scores`` maps pairs to a score: by database id (``int``) or by the pair's id in
        the task (``str``, ``Pair.pair_id``); pairs not named keep theirs (0 at first). A seeded uniform share of the pairs (``uniform_share``, default the task's,
        else 0.2) ignores the scores: those pairs keep their place in each annotator's seeded
        order and are served at that share of each annotator's ordinary pairs, so estimates
        from them stay unbiased. Every annotator's prioritised walk starts again from the
        top. Returns how many pairs got a score. Linear in the task's pairs (a researcher's
        command, not an annotator's step).
        """
        share = uniform_share
        if share is not None and not 0 <= share <= 1:
            raise ValueError(f"uniform_share must be between 0 and 1, got {share!r}")
        with self.atomic():
            t = _task_row(self.db, task)
            if t is None:
                raise LookupError(f"no task named {task!r}")
            self.db.execute("INSERT OR IGNORE INTO queue_tasks (task, uniform_share) VALUES (?, ?)",
                            [task, DEFAULT_UNIFORM_SHARE])
            if share is None:
                share = self.db.execute("SELECT uniform_share FROM queue_tasks WHERE task = ?", [task]).fetchone()[0]
            members = self.db.execute(
                "SELECT q.pair, p.pair_id FROM queue_pairs q JOIN pairs p ON p.id = q.pair "
                "WHERE q.task = ? AND q.stream = 'regular'", [task]).fetchall()
            known = {pid for pid, _ in members}
            by_external = {pair_id: pid for pid, pair_id in members}
            scores = {by_external.get(key, key) if isinstance(key, str) else key: value
                      for key, value in scores.items()}
            unknown = [pid for pid in scores if pid not in known]
            if unknown:
                raise LookupError(f"pair {unknown[0]!r} is not an ordinary pair of task {task!r}")
            uniform = {pid for pid, pair_id in members if share_draw(t["seed"], pair_id) < share}
            self.db.conn.executemany(
                "UPDATE queue_pairs SET uniform = ? WHERE pair = ?",
                [(int(pid in uniform), pid) for pid, _ in members])
            self.db.conn.executemany(
                "UPDATE queue_pairs SET priority = ? WHERE pair = ?",
                [(float(score), pid) for pid, score in scores.items() if pid not in uniform])
            self.db.execute("UPDATE queue_pairs SET priority = 0 WHERE task = ? AND uniform = 1", [task])
            self.db.execute("UPDATE queue_tasks SET prioritised = 1, uniform_share = ? WHERE task = ?", [share, task])
            self._reset_walks(task)
            return sum(1 for pid in scores if pid not in uniform)

    def clear_pair_priorities(self, task: str) -> None:
        """Back to the plain seeded order: no priorities, no uniform share."""
        with self.atomic():
            self.db.execute("UPDATE queue_pairs SET uniform = 0, priority = 0 WHERE task = ?", [task])
            self.db.execute("UPDATE queue_tasks SET prioritised = 0 WHERE task = ?", [task])
            self._reset_walks(task)

    def priority_design(self, task: str) -> list[dict]:
        """Every ordinary pair of a task with its stored priority and whether it is in the
        uniform share (what the weighting estimator of ``analysis.priority`` needs)."""
        return self.query("SELECT pair, uniform, priority FROM queue_pairs WHERE task = ? AND stream = 'regular'",
                          [task])

    def pair_priorities(self, task: str) -> dict[int, float]:
        """The stored priority of each ordinary pair with a non-zero one."""
        return {r["pair"]: r["priority"] for r in self.query(
            "SELECT pair, priority FROM queue_pairs WHERE task = ? AND priority != 0", [task])}

    def _reset_walks(self, task: str) -> None:
        self.db.execute("DELETE FROM queue_cursors WHERE task = ?", [task])
        self.db.execute(
            "UPDATE queue_annotators SET uniform = (SELECT COUNT(DISTINCT l.pair) FROM labels l "
            "JOIN queue_pairs q ON q.pair = l.pair WHERE l.task = queue_annotators.task "
            "AND l.annotator = queue_annotators.annotator AND q.uniform = 1) WHERE task = ?", [task])
