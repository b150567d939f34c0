"""Who labels which pair next: overlap, per-annotator order, claims, attention checks.

The rules (all seeded by the task's ``seed``, so a queue is reproducible):

* Each ordinary pair is labelled by ``task.overlap`` different annotators. A pair is open
  to an annotator while fewer than ``overlap`` others have labelled it or hold an unexpired
  claim on it; an annotator never gets a pair they labelled already.
* Every annotator walks the open pairs in their own order: pairs sorted by a hash of
  (seed, annotator, pair id), so two annotators rarely start on the same pair. Pairs the
  annotator skipped (``skips.py``) come after all the others, the longest ago skipped first.
* Serving a pair *claims* it (table ``claims``) until ``expires_at``. A claim keeps
  concurrent annotators on one database from over-assigning a pair; an annotator who quits
  and comes back is served their own claimed pair first. Claims are taken inside
  ``BEGIN IMMEDIATE`` so two processes cannot both take the last open slot.
* Attention checks: when ``task.attention_rate > 0``, pairs with a ``gold`` answer are kept
  out of the ordinary pool and mixed into each annotator's queue so that they make up
  ``attention_rate`` of the labels (the next item is a gold pair whenever that keeps the
  share of gold items at or under the rate). Gold pairs are served to every annotator
  (overlap does not apply) and are not marked on screen. Accuracy on them is derived from
  the labels (:meth:`AssignmentStore.attention_score`). With a rate of 0, gold pairs are
  ordinary pairs.
* Position: :func:`presentation_order` says, per annotator and pair, whether A or B is
  shown first (left); the label records it as ``shown_order``.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from . import rows
from .models import Pair, Task

DEFAULT_CLAIM = timedelta(hours=1)


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def queue_rank(seed: int, annotator: str, pair_id: str) -> bytes:
    """Sort key of a pair in an annotator's queue (stable across runs and machines)."""
    return _digest("queue", seed, annotator, pair_id)


def presentation_order(seed: int, annotator: str, pair_id: str) -> str:
    """``"AB"`` or ``"BA"``: the seeded order in which ``annotator`` is shown the pair."""
    return "AB" if _digest("order", seed, annotator, pair_id)[0] & 1 == 0 else "BA"


def to_canonical(shown: str, order: str) -> str:
    """Map an answer given on screen (``"A"`` = left, ``"B"`` = right) to canonical A/B.

    ``"tie"``, ``"equal"`` and ``"na"`` are the same in both frames.
    """
    if order == "BA" and shown in ("A", "B"):
        return "B" if shown == "A" else "A"
    return shown


def to_shown(canonical: str, order: str) -> str:
    """The inverse of :func:`to_canonical` (the swap is its own inverse)."""
    return to_canonical(canonical, order)


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


@dataclass
class _QueueState:
    task: Task
    mine: set[int]  # pairs this annotator labelled
    my_claims: list[int]  # open pairs this annotator holds a claim on, in queue order
    regular_open: list[int]  # open ordinary pairs, in queue order
    gold_open: list[int]  # gold pairs not yet labelled by the annotator, in queue order
    gold_pool: set[int]
    done_gold: int


def _now_iso(now: datetime | None) -> str:
    return (now or datetime.now(timezone.utc)).isoformat(timespec="microseconds")


class AssignmentStore:
    # -- queue state -----------------------------------------------------------------------
    def _queue_state(self, task: Task, annotator: str, now_iso: str) -> _QueueState:
        pairs = self.query("SELECT id, pair_id, gold FROM pairs WHERE task = ?", [task.name])
        labellers: dict[int, set[str]] = {}
        for r in self.query("SELECT DISTINCT pair, annotator FROM labels WHERE task = ?", [task.name]):
            labellers.setdefault(r["pair"], set()).add(r["annotator"])
        claimants: dict[int, set[str]] = {}
        my_claimed: set[int] = set()
        for r in self.query(
            "SELECT pair, annotator, expires_at FROM claims WHERE task = ?", [task.name]
        ):
            if r["annotator"] == annotator:
                my_claimed.add(r["pair"])
            elif r["expires_at"] > now_iso and r["annotator"] not in labellers.get(r["pair"], ()):
                claimants.setdefault(r["pair"], set()).add(r["annotator"])

        attention = task.attention_rate > 0
        rank = {p["id"]: queue_rank(task.seed, annotator, p["pair_id"]) for p in pairs}
        gold_pool = {p["id"] for p in pairs if attention and p["gold"] is not None}
        mine = {pid for pid, who in labellers.items() if annotator in who}

        def is_open(pid: int) -> bool:
            if pid in mine:
                return False
            if pid in gold_pool:
                return True
            taken = len(labellers.get(pid, ())) + len(claimants.get(pid, ()))
            return taken < task.overlap

        # Pairs the annotator skipped come last, the longest ago skipped first (``skips.py``).
        skipped = {pid: i for i, pid in enumerate(self.skipped_pairs(task.name, annotator))}
        ordered = sorted(rank, key=lambda pid: (pid in skipped, skipped.get(pid, 0), rank[pid]))
        return _QueueState(
            task=task,
            mine=mine,
            my_claims=[pid for pid in ordered if pid in my_claimed and is_open(pid)],
            regular_open=[pid for pid in ordered if pid not in gold_pool and is_open(pid)],
            gold_open=[pid for pid in ordered if pid in gold_pool and pid not in mine],
            gold_pool=gold_pool,
            done_gold=len(mine & gold_pool),
        )

    def _pick(self, state: _QueueState, exclude: set[int]) -> int | None:
        for pid in state.my_claims:
            if pid not in exclude:
                return pid
        regular = [pid for pid in state.regular_open if pid not in exclude]
        gold = [pid for pid in state.gold_open if pid not in exclude]
        # Items already on their way to this annotator (excluded ones) count as served.
        served = len(state.mine) + len(exclude)
        served_gold = state.done_gold + len(exclude & state.gold_pool)
        rate = state.task.attention_rate
        if gold and served_gold + 1 <= rate * (served + 1) + 1e-9:
            return gold[0]
        return regular[0] if regular else None

    @contextlib.contextmanager
    def _immediate(self) -> Iterator[None]:
        """A write transaction taken up front, so a read-then-claim cannot race another process."""
        with self._lock:
            if self.db.conn.in_transaction:
                with self.atomic():
                    yield
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _insert_claim(self, pair: int, annotator: str, task: str, expires_at: str) -> None:
        self.db.execute(
            "INSERT INTO claims (pair, annotator, task, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (pair, annotator) DO UPDATE SET expires_at = excluded.expires_at",
            [pair, annotator, task, expires_at],
        )

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
        """
        now = now or datetime.now(timezone.utc)
        now_iso = _now_iso(now)
        with self._immediate():
            state = self._queue_state(task, annotator, now_iso)
            pid = self._pick(state, set(exclude))
            if pid is None:
                return None
            self._insert_claim(pid, annotator, task.name, _now_iso(now + claim_for))
            found = self.db.execute("SELECT * FROM pairs WHERE id = ?", [pid])
            names = [d[0] for d in found.description]
            return rows.pair_from_row(dict(zip(names, found.fetchone())))

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

        False when it is not: labelled by them already, or taken by ``overlap`` others.
        """
        now = now or datetime.now(timezone.utc)
        with self._immediate():
            state = self._queue_state(task, annotator, _now_iso(now))
            if pair not in state.regular_open and pair not in state.gold_open and pair not in state.my_claims:
                return False
            self._insert_claim(pair, annotator, task.name, _now_iso(now + claim_for))
        return True

    def release_claim(self, pair: int, annotator: str) -> None:
        """Drop an annotator's claim on a pair (after labelling it)."""
        with self.atomic():
            self.db.execute("DELETE FROM claims WHERE pair = ? AND annotator = ?", [pair, annotator])

    def claims(self, task: str) -> list[dict]:
        """Every claim of a task: pair, annotator, expires_at."""
        return self.query(
            "SELECT pair, annotator, expires_at FROM claims WHERE task = ? ORDER BY pair, annotator",
            [task],
        )

    def queue_progress(self, task: Task, annotator: str, now: datetime | None = None) -> QueueProgress:
        """How many pairs the annotator has labelled and how many are theirs in all.

        ``assigned`` counts the open ordinary pairs (claimed ones included) and the
        attention checks expected among them at the task's rate.
        """
        state = self._queue_state(task, annotator, _now_iso(now))
        done = len(state.mine)
        regular_total = done - state.done_gold + len(state.regular_open)
        rate = task.attention_rate
        gold_total = 0
        if rate > 0 and state.gold_pool:
            gold_total = math.floor(rate * regular_total / (1 - rate) + 1e-9) if rate < 1 else 0
            gold_total = min(len(state.gold_pool), max(gold_total, state.done_gold))
        return QueueProgress(done=done, assigned=regular_total + gold_total)

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
