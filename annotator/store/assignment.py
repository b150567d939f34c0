"""Who labels which pair next: overlap, per-annotator order, claims, attention checks,
calibration, priorities.

The rules (all seeded by the task's ``seed``, so a queue is reproducible):

* Each ordinary pair is labelled by ``task.overlap`` different annotators. A pair is open
  to an annotator while fewer than ``overlap`` others have labelled it or hold an unexpired
  claim on it; an annotator never gets a pair they labelled already.
* Every annotator walks the open pairs in their own seeded order (pairs sorted by ``rank XOR
  mask``, see :mod:`annotator.store.queue_walk`), so two annotators rarely start on the same
  pair. Each annotator's position in their order is stored (``queue_cursors``); pairs passed
  while others held them, and pairs the annotator was served but released unlabelled (on
  quit), are looked at again first (``queue_pending``). Choosing, claiming and saving each
  take a bounded number of index look-ups, whatever the number of pairs and labels.
* A task may name a calibration batch (``[task] calibration = N``): N ordinary pairs (the
  unlabelled ones with the smallest seeded rank, chosen once) that every annotator labels
  first, so agreement is measurable from the first day. Overlap does not apply to them.
* Serving a pair *claims* it (table ``claims``) until ``expires_at``. A claim keeps
  concurrent annotators on one database from over-assigning a pair; an annotator who comes
  back is served their own claimed (or released, still open) pair first. Claims are taken
  inside ``BEGIN IMMEDIATE`` so two processes cannot both take the last open slot.
* Attention checks: when ``task.attention_rate > 0``, pairs with a ``gold`` answer are kept
  out of the ordinary pool and mixed into each annotator's queue so that they make up
  ``attention_rate`` of the labels (the next item is a gold pair whenever that keeps the
  share of gold items at or under the rate). Gold pairs are served to every annotator
  (overlap does not apply) and are not marked on screen. Accuracy on them is derived from
  the labels (:meth:`AssignmentStore.attention_score`). With a rate of 0, gold pairs are
  ordinary pairs.
* Priorities (:meth:`~annotator.store.queue_state.QueueStateStore.set_pair_priorities`):
  ordinary pairs with a higher stored priority come first; a seeded uniform share of the
  pairs ignores priorities and is served at that share of each annotator's ordinary pairs,
  in the annotator's seeded order.
* Pairs the annotator skipped come after everything else, the longest ago skipped first.
* Position: :func:`annotator.store.orders.presentation_order` says, per annotator and pair,
  whether A or B is shown first (left); the label records it as ``shown_order``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from . import rows
from .models import Pair, Task
from .queue_state import QueueStateStore, _task_row, _top_up_calibration, task_calibration
from .queue_walk import annotator_mask, first_after

DEFAULT_CLAIM = timedelta(minutes=10)

# What a candidate pair is to an annotator at the moment of a pick.
_OK, _HELD, _GONE = "ok", "held", "gone"
_PENDING_LOOK = 64  # pending pairs looked at per pick (they are few: pairs others hold)




@dataclass(frozen=True)
class QueueProgress:
    """One annotator's position in a task's queue."""

    done: int  # pairs this annotator has labelled
    assigned: int  # done + what is still open to them (including expected attention checks)

    @property
    def remaining(self) -> int:
        return max(0, self.assigned - self.done)


@dataclass(frozen=True)
class AttentionScore:
    """An annotator's answers on attention-check (gold) pairs."""

    answered: int
    correct: int
    reason: str = ""  # why accuracy is undefined, when it is

    @property
    def accuracy(self) -> float:
        """Share of gold pairs answered as expected; NaN (see ``reason``) when none answered."""
        return self.correct / self.answered if self.answered else math.nan


def _now_iso(now: datetime | None) -> str:
    return (now or datetime.now(timezone.utc)).isoformat(timespec="microseconds")


@dataclass
class _Pick:
    """What one pick reads once: the task's queue counts and the annotator's."""

    task: Task
    annotator: str
    mask: int
    now_iso: str
    exclude: set[int]
    open_regular: int
    gold_pairs: int
    calibration_pairs: int
    prioritised: bool
    uniform_share: float
    served: dict[str, int]  # labelled by the annotator, plus excluded (on their way), per stream


@dataclass(frozen=True)
class PlannedClaim:
    """A pick read outside the write lock (:meth:`AssignmentStore.plan_claim`)."""

    pair: int
    pick: _Pick
    writes: list  # (sql, args) of the pick's bookkeeping, written with the claim
    expires_at: str


class _PickUnderLock(Exception):
    """A pick that must be made under the write lock (it chooses the calibration pairs)."""


class AssignmentStore(QueueStateStore):
    # -- reading the stored state ----------------------------------------------------------
    def _queue_counts(self, task: Task) -> tuple:
        row = self.db.execute(
            "SELECT open_regular, gold_pairs, calibration_pairs, prioritised, uniform_share "
            "FROM queue_tasks WHERE task = ?", [task.name]).fetchone()
        return row or (0, 0, 0, 0, 0.2)

    def _annotator_counts(self, task: str, annotator: str) -> dict[str, int]:
        row = self.db.execute(
            "SELECT calibration, gold, regular, uniform, open_mine FROM queue_annotators "
            "WHERE task = ? AND annotator = ?", [task, annotator]).fetchone()
        keys = ("calibration", "gold", "regular", "uniform", "open_mine")
        return dict(zip(keys, row or (0, 0, 0, 0, 0)))

    def _has_skips(self) -> bool:
        """Whether the database stores skipped pairs (table ``skips``)."""
        if getattr(self, "_skips_known", None) is None:
            self._skips_known = self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'skips'").fetchone() is not None
        return self._skips_known

    def _state(self, p: _Pick, pair: int, *, skipped_ok: bool = False) -> str:
        """Whether ``pair`` can be served to the annotator now (_OK), is held by others'
        claims (_HELD: look again later), or is not for them (_GONE: labelled by them,
        done, on its way to them, or skipped by them: skipped pairs come back last)."""
        if pair in p.exclude:
            return _GONE
        if not skipped_ok and self._has_skips() and self.db.execute(
                "SELECT 1 FROM skips WHERE pair = ? AND annotator = ?", [pair, p.annotator]).fetchone():
            return _GONE
        row = self.db.execute("SELECT stream, done, labellers FROM queue_pairs WHERE pair = ?", [pair]).fetchone()
        if row is None:
            return _GONE
        stream, done, labellers = row
        if self.db.execute("SELECT 1 FROM labels WHERE pair = ? AND annotator = ? LIMIT 1",
                           [pair, p.annotator]).fetchone():
            return _GONE
        if stream != "regular":
            return _OK
        if done:
            return _GONE
        held = self.db.execute(
            "SELECT COUNT(*) FROM claims WHERE pair = ? AND annotator != ? AND expires_at > ?",
            [pair, p.annotator, p.now_iso]).fetchone()[0]
        return _HELD if labellers + held >= p.task.overlap else _OK

    # -- walking one stream in the annotator's order ----------------------------------------
    def _fetcher(self, p: _Pick, stream: str, uniform: int, level: float):
        sql = ("SELECT rank, pair FROM queue_pairs q WHERE task = ? AND stream = ? AND done = 0 "
               "AND uniform = ? AND priority = ? AND rank BETWEEN ? AND ? AND NOT EXISTS "
               "(SELECT 1 FROM labels l WHERE l.pair = q.pair AND l.annotator = ?) ORDER BY rank, pair LIMIT ?")

        def fetch(lo: int, hi: int, limit: int) -> list[tuple[int, int]]:
            return self.db.execute(sql, [p.task.name, stream, uniform, level, lo, hi, p.annotator, limit]).fetchall()

        return fetch

    def _next_level(self, p: _Pick, below: float | None) -> float | None:
        """The highest priority below ``below`` among the prioritised pairs open to the annotator."""
        sql = ("SELECT priority FROM queue_pairs q WHERE task = ? AND stream = 'regular' AND done = 0 "
               "AND uniform = 0 {cond} AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.pair = q.pair "
               "AND l.annotator = ?) ORDER BY priority DESC LIMIT 1")
        if below is None:
            row = self.db.execute(sql.format(cond=""), [p.task.name, p.annotator]).fetchone()
        else:
            row = self.db.execute(sql.format(cond="AND priority < ?"), [p.task.name, below, p.annotator]).fetchone()
        return row[0] if row else None

    def _successor(self, p: _Pick, walk: str, position: tuple | None) -> tuple | None:
        """The next ``(level, key, pair)`` of a walk after ``position`` (None: from the top)."""
        stream = "regular" if walk in ("regular", "uniform", "priority") else walk
        hint = p.open_regular if stream == "regular" else max(p.gold_pairs, p.calibration_pairs)
        if walk != "priority":
            after = position[1:] if position else None
            found = first_after(self._fetcher(p, stream, int(walk == "uniform"), 0.0), p.mask, after, hint)
            return (0.0, *found) if found else None
        level = position[0] if position else self._next_level(p, None)
        after = position[1:] if position else None
        while level is not None:
            found = first_after(self._fetcher(p, "regular", 0, level), p.mask, after, hint)
            if found:
                return (level, *found)
            level, after = self._next_level(p, level), None
        return None

    def _walk(self, p: _Pick, walk: str) -> int | None:
        """The first pair of one walk that can be served to the annotator now."""
        stream = "regular" if walk in ("regular", "uniform", "priority") else walk
        pending_sql = ("SELECT n.pair FROM queue_pending n JOIN queue_pairs q ON q.pair = n.pair "
                       "WHERE n.task = ? AND n.annotator = ? AND q.stream = ?")
        args: list[str | int] = [p.task.name, p.annotator, stream]
        if stream == "regular" and p.prioritised:
            pending_sql += " AND q.uniform = ?"
            args.append(int(walk == "uniform"))
        for (pair,) in self.db.execute(pending_sql + f" ORDER BY n.rowid LIMIT {_PENDING_LOOK}", args).fetchall():
            state = self._state(p, pair)
            if state == _HELD:
                continue
            self._write("DELETE FROM queue_pending WHERE task = ? AND annotator = ? AND pair = ?",
                        [p.task.name, p.annotator, pair])
            if state == _OK:
                return pair
        row = self.db.execute("SELECT level, key, pair FROM queue_cursors WHERE task = ? AND annotator = ? "
                              "AND walk = ?", [p.task.name, p.annotator, walk]).fetchone()
        position, start, chosen = (tuple(row) if row else None), row, None
        while (found := self._successor(p, walk, position)) is not None:
            position = found
            state = self._state(p, found[2])
            if state == _OK:
                chosen = found[2]
                break
            if state == _HELD:
                self._write("INSERT OR IGNORE INTO queue_pending (task, annotator, pair) VALUES (?, ?, ?)",
                            [p.task.name, p.annotator, found[2]])
        if position is not None and position != (tuple(start) if start else None):
            self._write(
                "INSERT INTO queue_cursors (task, annotator, walk, level, key, pair) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (task, annotator, walk) DO UPDATE SET level = excluded.level, key = excluded.key, "
                "pair = excluded.pair", [p.task.name, p.annotator, walk, *position])
        return chosen

    # -- choosing ----------------------------------------------------------------------------
    def _own_claim(self, p: _Pick) -> int | None:
        """The annotator's own claimed pair still open to them (they come back to it first)."""
        for (pair,) in self.db.execute("SELECT pair FROM claims WHERE task = ? AND annotator = ? ORDER BY rowid",
                                       [p.task.name, p.annotator]).fetchall():
            if pair in p.exclude:
                continue
            state = self._state(p, pair)
            if state == _OK:
                return pair
            self._write("DELETE FROM claims WHERE pair = ? AND annotator = ?", [pair, p.annotator])
            if state == _HELD:
                self._write("INSERT OR IGNORE INTO queue_pending (task, annotator, pair) VALUES (?, ?, ?)",
                            [p.task.name, p.annotator, pair])
        return None

    def _choose(self, task: Task, annotator: str, exclude: set[int], now_iso: str) -> tuple[int | None, _Pick]:
        t = _task_row(self.db, task.name)
        wanted_calibration = t["calibration"] if t else task_calibration(task.settings)
        open_regular, gold_pairs, calibration_pairs, prioritised, share = self._queue_counts(task)
        if calibration_pairs < wanted_calibration and t is not None:
            if self._planned is not None:
                raise _PickUnderLock  # the choice of calibration pairs is read and written at once
            calibration_pairs += _top_up_calibration(self.db, t)
        served = self._annotator_counts(task.name, annotator)
        for taken in exclude:
            row = self.db.execute("SELECT stream, uniform FROM queue_pairs WHERE pair = ?", [taken]).fetchone()
            if row and not self.db.execute("SELECT 1 FROM labels WHERE pair = ? AND annotator = ? LIMIT 1",
                                           [taken, annotator]).fetchone():
                served[row[0]] += 1
                served["uniform"] += int(row[0] == "regular" and bool(row[1]))
        p = _Pick(task=task, annotator=annotator, mask=annotator_mask(task.seed, annotator), now_iso=now_iso,
                  exclude=exclude, open_regular=open_regular, gold_pairs=gold_pairs,
                  calibration_pairs=calibration_pairs, prioritised=bool(prioritised), uniform_share=share,
                  served=served)
        return self._pick(p, calibration_pairs, gold_pairs, share), p

    def _pick(self, p: _Pick, calibration_pairs: int, gold_pairs: int, share: float) -> int | None:
        served, task = p.served, p.task
        pair = self._own_claim(p)
        if pair is not None:
            return pair
        if served["calibration"] < calibration_pairs and (pair := self._walk(p, "calibration")) is not None:
            return pair
        total, gold = served["regular"] + served["gold"], served["gold"]
        rate = task.attention_rate
        if rate > 0 and gold < gold_pairs and gold + 1 <= rate * (total + 1) + 1e-9:
            if (pair := self._walk(p, "gold")) is not None:
                return pair
        if not p.prioritised:
            walks = ["regular"]
        elif served["uniform"] + 1 <= share * (served["regular"] + 1) + 1e-9:
            walks = ["uniform", "priority"]
        else:
            walks = ["priority", "uniform"]
        for walk in walks:
            if (pair := self._walk(p, walk)) is not None:
                return pair
        return self._skipped_pair(p)

    def _skipped_pair(self, p: _Pick) -> int | None:
        """Pairs the annotator skipped come back last, the longest ago skipped first."""
        if not self._has_skips():
            return None
        for (pair,) in self.db.execute(
                "SELECT pair FROM skips WHERE task = ? AND annotator = ? ORDER BY skipped_at, pair",
                [p.task.name, p.annotator]).fetchall():
            if self._state(p, pair, skipped_ok=True) == _OK:
                return pair
        return None

    # -- public API ------------------------------------------------------------------------
    def next_pair(
        self,
        task: Task,
        annotator: str,
        *,
        exclude: set[int] | frozenset[int] = frozenset(),
        claim_for: timedelta = DEFAULT_CLAIM,
        now: datetime | None = None,
    ) -> Pair | None:
        """Claim and return the next pair for ``annotator``, or None when nothing is open.

        ``exclude`` holds pairs already on their way to the annotator (the pair on screen
        when the UI prefetches the one after it); they are neither returned nor re-claimed.
        One short write transaction whose cost does not grow with the task.
        """
        now = now or datetime.now(timezone.utc)
        now_iso, expires_iso = _now_iso(now), _now_iso(now + claim_for)  # computed before the lock is taken
        with self._lock:
            # The choice is read before the write lock is taken (its few writes kept aside), then,
            # under the lock, the chosen pair is checked again and claimed: the lock is held for
            # a handful of statements, whatever the walk read. A pair taken meanwhile: choose again.
            # Nested in a caller's transaction, or at the end of the queue, or while the task's
            # calibration pairs are still to be chosen: the whole choice under the lock.
            for _ in range(3) if not self.db.conn.in_transaction else ():
                plan = self.plan_claim(task, annotator, exclude=exclude, claim_for=claim_for, now=now)
                if plan is None:
                    break
                with self.atomic():
                    claimed = self.claim_planned(plan)
                if claimed is not None:
                    return claimed
            with self.atomic():
                pid, _ = self._choose(task, annotator, set(exclude), now_iso)
                if pid is None:
                    return None
                self._insert_claim(pid, annotator, task.name, expires_iso)
            return self._claimed_pair(pid)

    def plan_claim(self, task: Task, annotator: str, *, exclude: set[int] | frozenset[int] = frozenset(),
                   claim_for: timedelta = DEFAULT_CLAIM, now: datetime | None = None) -> PlannedClaim | None:
        """Read which pair :meth:`next_pair` would claim, without the write lock (no write is
        made); :meth:`claim_planned` claims it inside a write transaction. None when the choice
        must be made under the lock (nothing open, or the task's calibration pairs to choose)."""
        now = now or datetime.now(timezone.utc)
        with self._lock:
            self._planned = []
            try:
                pid, p = self._choose(task, annotator, set(exclude), _now_iso(now))
            except _PickUnderLock:
                return None
            finally:
                planned, self._planned = self._planned, None
        return PlannedClaim(pid, p, planned, _now_iso(now + claim_for)) if pid is not None else None

    def claim_planned(self, plan: PlannedClaim) -> Pair | None:
        """Inside a write transaction: the pair of ``plan`` checked again and claimed, with the
        plan's bookkeeping written; None when someone took the pair meanwhile (it is looked at
        again first next time)."""
        p, pid = plan.pick, plan.pair
        for sql, group in itertools.groupby(plan.writes, key=lambda write: write[0]):
            self.db.conn.executemany(sql, [args for _, args in group])
        state = self._state(p, pid, skipped_ok=True)
        if state == _OK:
            self._insert_claim(pid, p.annotator, p.task.name, plan.expires_at)
            return self._claimed_pair(pid)
        if state == _HELD:
            self._write("INSERT OR IGNORE INTO queue_pending (task, annotator, pair) VALUES (?, ?, ?)",
                        [p.task.name, p.annotator, pid])
        return None

    def _claimed_pair(self, pid: int) -> Pair:
        # The claimed pair's content is read after the commit (inside a caller's
        # transaction when nested): the claim keeps it this annotator's.
        found = self.db.execute("SELECT * FROM pairs WHERE id = ?", [pid])
        names = [d[0] for d in found.description]
        return rows.pair_from_row(dict(zip(names, found.fetchone())))

    _planned: list | None = None  # a pick's writes, kept for the claim's transaction (next_pair)

    def _write(self, sql: str, args: list) -> None:
        """A write of a pick: now, or kept aside while the pick is read outside the write lock."""
        if self._planned is not None:
            self._planned.append((sql, args))
        else:
            self.db.execute(sql, args)

    def _insert_claim(self, pair: int, annotator: str, task: str, expires_at: str) -> None:
        self.db.execute(
            "INSERT INTO claims (pair, annotator, task, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (pair, annotator) DO UPDATE SET expires_at = excluded.expires_at",
            [pair, annotator, task, expires_at],
        )

    def claim_pair(
        self,
        task: Task,
        annotator: str,
        pair: int,
        *,
        claim_for: timedelta = DEFAULT_CLAIM,
        now: datetime | None = None,
    ) -> bool:
        """Claim one given pair for ``annotator`` (a jump to it), if it is open to them.

        False when it is not: labelled by them already, done, or taken by ``overlap`` others
        (labels and unexpired claims). A skipped pair may be jumped to.
        """
        now = now or datetime.now(timezone.utc)
        now_iso = _now_iso(now)
        p = _Pick(task=task, annotator=annotator, mask=0, now_iso=now_iso, exclude=set(), open_regular=0,
                  gold_pairs=0, calibration_pairs=0, prioritised=False, uniform_share=0.0, served={})
        with self.atomic():
            if self._state(p, pair, skipped_ok=True) != _OK:
                return False
            self._insert_claim(pair, annotator, task.name, _now_iso(now + claim_for))
        return True

    def release_claim(self, pair: int, annotator: str) -> None:
        """Drop an annotator's claim on a pair. When they have not labelled it, the pair
        goes back to the front of their queue (and is open to others meanwhile)."""
        with self.atomic():
            self._release([(pair, annotator)])

    def _release(self, claims: list[tuple[int, str]]) -> None:
        for pair, annotator in claims:
            task = self.db.execute("SELECT task FROM claims WHERE pair = ? AND annotator = ?",
                                   [pair, annotator]).fetchone()
            if task is None:
                continue
            self.db.execute("DELETE FROM claims WHERE pair = ? AND annotator = ?", [pair, annotator])
            if not self.db.execute("SELECT 1 FROM labels WHERE pair = ? AND annotator = ? LIMIT 1",
                                   [pair, annotator]).fetchone():
                self.db.execute("INSERT OR IGNORE INTO queue_pending (task, annotator, pair) VALUES (?, ?, ?)",
                                [task[0], annotator, pair])

    def release_claims(self, task: str | None = None, *, annotator: str | None = None,
                       pair: int | None = None, expired_only: bool = False,
                       now: datetime | None = None) -> int:
        """Release the claims matching every filter given; returns how many.

        Unlabelled released pairs go back to the front of their claimant's queue.
        """
        where, args = [], []
        for column, value in (("task", task), ("annotator", annotator), ("pair", pair)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if expired_only:
            where.append("expires_at <= ?")
            args.append(_now_iso(now))
        sql = "SELECT pair, annotator FROM claims" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY rowid"
        with self.atomic():
            found = [tuple(r) for r in self.db.execute(sql, args).fetchall()]
            self._release(found)
        return len(found)

    def renew_claims(self, task: str, annotator: str, claim_for: timedelta = DEFAULT_CLAIM,
                     now: datetime | None = None) -> int:
        """Extend the annotator's claims in a task (a live session keeps its pairs)."""
        now = now or datetime.now(timezone.utc)
        with self.atomic():
            return self.db.execute("UPDATE claims SET expires_at = ? WHERE task = ? AND annotator = ?",
                                   [_now_iso(now + claim_for), task, annotator]).rowcount

    def claims(self, task: str) -> list[dict]:
        """Every claim of a task: pair, annotator, expires_at."""
        return self.query(
            "SELECT pair, annotator, expires_at FROM claims WHERE task = ? ORDER BY pair, annotator",
            [task],
        )

    def claim_details(self, task: str | None = None, annotator: str | None = None,
                      now: datetime | None = None) -> list[dict]:
        """Claims with their pair's external id and whether they have expired."""
        where, args = ["1"], [_now_iso(now)]
        if task is not None:
            where.append("c.task = ?")
            args.append(task)
        if annotator is not None:
            where.append("c.annotator = ?")
            args.append(annotator)
        return [
            {**r, "expired": bool(r["expired"])}
            for r in self.query(
                "SELECT c.task, c.pair, p.pair_id, c.annotator, c.expires_at, c.expires_at <= ? AS expired "
                "FROM claims c JOIN pairs p ON p.id = c.pair WHERE " + " AND ".join(where)
                + " ORDER BY c.task, c.annotator, c.expires_at",
                args,
            )
        ]

    def queue_progress(self, task: Task, annotator: str, now: datetime | None = None) -> QueueProgress:
        """How many pairs the annotator has labelled and how many are theirs in all.

        ``assigned`` counts the calibration pairs, the ordinary pairs labelled or still
        waiting for labels (pairs others hold right now included), and the attention checks
        expected among them at the task's rate. Read from stored counts: no scan.
        """
        with self._lock:
            open_regular, gold_pairs, calibration_pairs, _, _ = self._queue_counts(task)
            me = self._annotator_counts(task.name, annotator)
        calibration_total = calibration_pairs  # chosen at the first pick; until then among the ordinary
        done = me["calibration"] + me["gold"] + me["regular"]
        regular_total = me["regular"] + max(0, open_regular - me["open_mine"])
        rate = task.attention_rate
        gold_total = 0
        if rate > 0 and gold_pairs:
            gold_total = math.floor(rate * regular_total / (1 - rate) + 1e-9) if rate < 1 else 0
            gold_total = min(gold_pairs, max(gold_total, me["gold"]))
        return QueueProgress(done=done, assigned=regular_total + gold_total + calibration_total)

    def labelled_pair_ids(self, task: str, annotator: str) -> list[int]:
        """Pairs the annotator has labelled, in the order they first labelled them."""
        return [
            r["pair"]
            for r in self.query(
                "SELECT pair, MIN(id) AS first FROM labels WHERE task = ? AND annotator = ? "
                "GROUP BY pair ORDER BY first",
                [task, annotator],
            )
        ]

    def attention_score(self, task: str, annotator: str) -> AttentionScore:
        """The annotator's current answers on gold pairs against the expected choice."""
        found = self.query(
            "SELECT l.choice, p.gold FROM current_labels l JOIN pairs p ON p.id = l.pair "
            "WHERE l.task = ? AND l.annotator = ? AND p.gold IS NOT NULL",
            [task, annotator],
        )
        correct = sum(1 for r in found if r["choice"] == r["gold"])
        reason = "" if found else "no attention-check pair answered yet"
        return AttentionScore(answered=len(found), correct=correct, reason=reason)
