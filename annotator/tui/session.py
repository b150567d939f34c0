"""One annotator's labelling session: which pair is on screen, going back, saving.

Plain Python over the store (no Textual), so the pair screen stays about display and the
flow can be reasoned about on its own:

* ``history`` is every pair the annotator has labelled, in the order first labelled.
* ``position`` is an index into ``history`` while revisiting (after ``u``), or None when
  the annotator is on a fresh pair (``fresh``, claimed from the queue).
* :meth:`save` appends a label revision (only when the answer changed) and moves on: to the
  next pair of the history when revisiting, else to the pair claimed ahead. It is two steps,
  so that a screen can show the next pair while the label is written: :meth:`start_save`
  (on the screen's thread: checks the answer and, when the next pair is already known, moves
  on at once, with no database work; with ``wait=False`` it never waits for a claim ahead
  running in a thread: it says so, and the screen calls it again in a thread) and
  :meth:`write` (in a thread: one short write transaction on the session's own connection, retried while the database is busy; it also
  claims the next pair when none was claimed ahead). When the write fails, the session moves
  back to the pair whose label it was (:attr:`Saving.answer` is the answer to put back on
  screen): a label is never dropped and never lands on another pair.
* :meth:`skip` stores a skip and moves on; the queue serves skipped pairs last. Like a save,
  it is two steps (:meth:`start_skip` on the screen's thread, then :meth:`write` in a
  thread): the pair claimed ahead is shown at once, and a skip that cannot be written brings
  the skipped pair back.
* :meth:`jump` goes to a pair by its id or to a position: ``3`` is the third pair the
  annotator labelled, the current fresh pair is ``len(history) + 1``. A jump to a pair not
  labelled yet claims it (a write): call it in a thread.
* :meth:`flag` and :meth:`clear_flag` write a flag (in a thread, say).
* :meth:`search_older` searches the labelled pairs newest first, one bounded batch of the
  history per call (:meth:`search` runs them all): the first hits cost the same at any
  length of the history.
* Every write (label, skip, claim of a jump, flag; the ranking screen's rankings and claims,
  through :meth:`write_checked`) goes through the session's own connection,
  in one transaction that first checks the session still holds the annotator's name, so
  nothing is written under a name this session lost. A screen runs them one at a time, in
  the order of the keys. :meth:`close` waits for the writes on their way
  (:meth:`begin_write` / :meth:`run_write`; a save or skip counts from :meth:`start_save` /
  :meth:`start_skip` until :meth:`write` ends).
* One annotator name, one writer: a session holds the writer lease of its (task, annotator)
  (:mod:`annotator.store.leases`) from start to :meth:`close`; a second session with the
  same name is refused (:class:`~annotator.store.WriterBusy`). A heartbeat thread renews the
  lease and the session's claims while it runs; :meth:`close` releases both, and the pairs
  it held come back first when the annotator returns.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from dataclasses import dataclass, field

from annotator.store import (
    Flag,
    Label,
    Pair,
    QueueProgress,
    SearchHit,
    Store,
    Task,
    WriterIdentity,
    is_busy,
    retry_busy,
)
from annotator.store.orders import presentation_order


@dataclass
class Answer:
    """What the annotator has entered for the pair on screen, in canonical terms."""

    choice: str | None = None
    factors: dict[str, str] = field(default_factory=dict)
    confidence: int | None = None
    rationale: str = ""

    @classmethod
    def from_label(cls, label: Label) -> Answer:
        return cls(label.choice, dict(label.factors), label.confidence, label.rationale)

    def same_as(self, label: Label | None) -> bool:
        return label is not None and (
            self.choice, self.factors, self.confidence, self.rationale.strip()
        ) == (label.choice, label.factors, label.confidence, label.rationale.strip())


class MissingAnswer(ValueError):
    """The task requires a part of the label that is not filled in (``part`` says which)."""

    def __init__(self, part: str, message: str):
        super().__init__(message)
        self.part = part


class ClaimInProgress(RuntimeError):
    """A claim ahead is being made (in a thread) and :meth:`LabelSession.start_save` was asked
    not to wait for it: call it again off the screen's thread."""


class ClaimNeeded(RuntimeError):
    """A jump asked not to write (``claim=False``) goes to a pair it must claim first: call
    :meth:`LabelSession.jump_to_pair` with ``pair`` off the screen's thread."""

    def __init__(self, pair: Pair):
        super().__init__(f"pair {pair.pair_id!r} must be claimed first")
        self.pair = pair


class SessionTakenOver(RuntimeError):
    """This session lost its writer lease (it was not renewed in time and another session
    with the same name took it): it must not save anything more."""


HEARTBEAT_SECONDS = 10.0
CLOSE_WAIT_SECONDS = 90.0  # close() waits this long at most for writes on their way
SEARCH_BATCH = 500  # labelled pairs read per step of a search (newest first)


# What a failed write was, in the annotator's words: (the thing written, how to try again).
_FAILED = {
    "label": ("the label", "Your answer is still on screen: press Enter to try again."),
    "ranking": ("the ranking", "Your ranking is still on screen: press Enter to try again."),
    "skip": ("the skip", "The pair is still on screen: press x to try again."),
    "flag": ("the flag", "Your reason is still in the box: press Enter to try again."),
    "claim": ("the claim of the pair", "Try again."),
}


def save_failure(error: Exception, what: str = "label") -> str:
    """What the annotator reads when a write failed (nothing of it was written): ``what`` is
    ``label``, ``ranking``, ``skip``, ``flag`` or ``claim``."""
    thing, again = _FAILED[what]
    if isinstance(error, SessionTakenOver):
        return f"{error}. Nothing was written; quit with q."
    if is_busy(error):
        return f"The database stayed busy for 30 seconds (another program is writing to it). {again}"
    return f"The database refused {thing} ({error}). {again}"


@dataclass(frozen=True)
class Position:
    """Where an annotator is, shown as ``index / total`` in the terminal and in the browser
    (the same app: one computation, ``LabelSession.where``).

    ``index``: the place of the pair on screen in the annotator's own sequence (1 = the first
    pair they labelled; a fresh pair comes after every pair they labelled; with no pair on
    screen, the number labelled). ``total``: their pairs in all: the pairs they labelled plus
    those still open to them now (``Store.queue_progress``: pairs still short of the overlap
    that they have not labelled, attention checks expected among them included; it shrinks
    as others complete pairs), never under ``index``. ``done``: the pairs they labelled.
    """

    index: int
    total: int
    done: int


class JumpRefused(ValueError):
    """A jump that cannot be made; the message says why, in the annotator's words."""


@dataclass
class Saving:
    """One save on its way to the database (:meth:`LabelSession.start_save`).

    ``moved``: the session already shows the next pair (it was known: the next pair of the
    history, or the pair claimed ahead); else :meth:`LabelSession.write` claims it and moves on.
    """

    pair: Pair
    answer: Answer
    label: Label | None  # None: the answer equals the saved label (nothing to write)
    fresh: bool
    needs_next: bool  # the write claims the next pair
    moved: bool
    undo: tuple  # (position, fresh, history length, upcoming): where the session was
    skip: bool = False  # a skip of the fresh pair (:meth:`LabelSession.start_skip`), not a label


class LabelSession:
    def __init__(self, store: Store, task: Task, annotator: str, *, claim_for, origin: str = "tui",
                 heartbeat: float | None = HEARTBEAT_SECONDS):
        self.store = store
        # Writes (labels, claims, the lease) go through a connection of their own, so that a
        # write waiting for the database's lock never holds up the screen's reads (WAL: readers
        # do not wait for the writer). An in-memory database has one connection: shared.
        path = store.path
        self.writes: Store = type(store).open(path, migrate=False) if path is not None else store
        self.task = task
        self.annotator = annotator
        self.claim_for = claim_for
        self.origin = origin
        self.identity = WriterIdentity.here()
        self.history: list[int] = store.labelled_pair_ids(task.name, annotator)
        self.position: int | None = None
        self.fresh: Pair | None = None
        self._pairs: dict[int, Pair] = {}
        self._labels: dict[int, Label] = {}  # labels written by this session, per pair
        self._upcoming: Pair | None = None
        self._writing: set[int] = set()  # pairs whose label is being written (never claimed again)
        self._claiming = threading.Lock()  # upcoming() runs in a worker thread
        # Held by background work (pre-rendering) while it uses the store; close() takes it
        # so the store is never closed under a running thread.
        self.background = threading.Lock()
        self.closed = False
        self._pending = 0  # writes on their way (close() waits for them)
        self._pending_done = threading.Condition()
        # Kept sorted, so the median shown after every step is read, not sorted again.
        self.seconds: list[float] = sorted(
            label.seconds for label in store.current_labels(task.name, annotator)
            if label.seconds is not None
        )
        # Last: the name is this session's from here on (WriterBusy when another session has it).
        try:
            retry_busy(self.writes.acquire_writer, task.name, annotator, self.identity)
        except BaseException:
            self._close_writes()
            raise
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        if heartbeat:
            self._heartbeat = threading.Thread(target=self._beat, args=(heartbeat,), daemon=True,
                                               name=f"lease {annotator}")
            self._heartbeat.start()

    # -- what is on screen -----------------------------------------------------------------
    def start(self) -> Pair | None:
        self.fresh = self._claim_next()
        return self.current

    @property
    def current(self) -> Pair | None:
        if self.position is not None:
            return self.pair(self.history[self.position])
        return self.fresh

    @property
    def revisiting(self) -> bool:
        return self.position is not None

    def pair(self, pair_id: int) -> Pair:
        if pair_id not in self._pairs:
            self._pairs[pair_id] = self.store.get_pair(pair_id)
        return self._pairs[pair_id]

    def saved_label(self, pair: Pair | None = None) -> Label | None:
        pair = pair or self.current
        if pair is None:
            return None
        found = self._labels.get(pair.id)
        return found if found is not None else self.store.current_label(pair.id, self.annotator)

    def order_for(self, pair: Pair) -> str:
        """The order the pair is shown in: as first labelled, else the seeded order."""
        saved = self.saved_label(pair)
        if saved is not None:
            return saved.shown_order
        return presentation_order(self.task.seed, self.annotator, pair.pair_id)

    def position_of_current(self) -> int | None:
        """Where the pair on screen is in the annotator's sequence (1 = first labelled)."""
        if self.position is not None:
            return self.position + 1
        return len(self.history) + 1 if self.fresh is not None else None

    # -- moving ----------------------------------------------------------------------------
    def can_skip(self) -> bool:
        return self.position is None and self.fresh is not None

    def skip(self) -> Pair | None:
        """Set the fresh pair aside (stored): it comes back after every pair not skipped.

        Returns the pair now on screen, which is the same one when nothing else is left.
        The skip is in the database before this returns (:meth:`start_skip` and :meth:`write`).
        """
        skipping = self.start_skip()
        if skipping is not None:
            self.write(skipping)
        return self.current

    def start_skip(self, *, answer: Answer | None = None, wait: bool = True) -> Saving | None:
        """Begin a skip of the fresh pair: as :meth:`start_save` (the pair claimed ahead, when
        known, is on screen at once; :meth:`write` stores the skip), without a label.
        ``answer``: what was entered on the pair (put back when the skip fails). None when
        there is nothing to skip (no fresh pair, or revisiting)."""
        pair = self.fresh
        if pair is None or self.position is not None:
            return None
        return self._start(pair, answer or Answer(), None, fresh=True, needs_next=True, wait=wait, skip=True)

    def jump(self, target: str, *, claim: bool = True) -> Pair:
        """Go to the pair whose id is ``target``, else to position ``target`` (``#N`` is
        always a position). Raises :class:`JumpRefused` with the reason when it cannot.
        ``claim=False``: raise :class:`ClaimNeeded` rather than claim the pair (a write)."""
        target = target.strip()
        if not target:
            raise JumpRefused("Type a pair id or a position.")
        pair = None if target.startswith("#") else self.store.get_pair_by_external_id(self.task.name, target)
        if pair is not None:
            return self.jump_to_pair(pair, claim=claim)
        number = target.lstrip("#")
        if not number.isdigit():
            raise JumpRefused(f"No pair with the id {target!r} in this task.")
        return self.jump_to_position(int(number))

    def jump_to_position(self, number: int) -> Pair:
        current = len(self.history) + 1
        if 1 <= number <= len(self.history):
            self.position = number - 1
            return self.current
        if number == current and self.fresh is not None:
            self.position = None
            return self.fresh
        if number < 1:
            raise JumpRefused("Positions start at 1.")
        raise JumpRefused(
            f"Position {number} is not reached yet: you are at {current}, and the pairs after it "
            "are served in queue order. Go to a later pair by its id instead."
        )

    def jump_to_pair(self, pair: Pair, *, claim: bool = True) -> Pair:
        if pair.id in self.history:
            self.position = self.history.index(pair.id)
            return self.current
        if self.fresh is not None and pair.id == self.fresh.id:
            self.position = None
            return self.fresh
        if not claim:
            raise ClaimNeeded(pair)
        # A write (the claim): call this in a thread. The claim lock keeps a claim ahead from
        # choosing the pair after the old one meanwhile.
        with self._claiming:
            if not self.write_checked(lambda: self.writes.claim_pair(self.task, self.annotator, pair.id,
                                                                       claim_for=self.claim_for)):
                raise JumpRefused(
                    f"Pair {pair.pair_id!r} is not open to you: enough annotators have labelled it "
                    "or are labelling it now."
                )
            # The pair that was on screen keeps its claim: it is served again next. The pair
            # claimed ahead follows the new one, unless it is the one jumped to.
            self._pairs[pair.id] = pair
            if self._upcoming is not None and self._upcoming.id == pair.id:
                self._upcoming = None
            self.fresh, self.position = pair, None
        return pair

    def search(self, text: str, limit: int = 50) -> list[tuple[int, SearchHit]]:
        """Labelled pairs containing ``text``, each with its position, newest labelled first
        (:meth:`search_older`, batch after batch, until ``limit`` hits or the first label)."""
        hits: list[tuple[int, SearchHit]] = []
        end = None
        while end != 0 and len(hits) < limit:
            found, end = self.search_older(text, end, limit - len(hits))
            hits += found
        return hits

    def search_older(self, text: str, end: int | None = None, limit: int = 50,
                     batch: int = SEARCH_BATCH) -> tuple[list[tuple[int, SearchHit]], int]:
        """One bounded step of a search: the pairs containing ``text`` among the ``batch``
        labelled pairs before position ``end`` + 1 of the history (None: the newest), newest
        first, at most ``limit``, each with its position; and the ``end`` of the next (older)
        batch, 0 when the first label was searched. Reads those pairs only (by their keys),
        never the whole history: a search shows its first hits in the same time at any size."""
        end = len(self.history) if end is None else min(end, len(self.history))
        start = max(0, end - batch)
        ids = self.history[start:end]
        position = {pair_id: start + i + 1 for i, pair_id in enumerate(ids)}
        hits = self.store.search_labelled(self.task.name, self.annotator, text, len(ids), pairs=ids)
        hits.sort(key=lambda hit: position[hit.pair], reverse=True)
        return [(position[hit.pair], hit) for hit in hits[:limit]], start

    # -- flags -----------------------------------------------------------------------------
    def flag(self, reason: str, pair: Pair | None = None) -> Flag | None:
        """Flag ``pair`` (the pair on screen by default) under this session's name (a write:
        in a thread, say)."""
        pair = pair or self.current
        if pair is None:
            return None
        return self.write_checked(self.writes.flag_pair, self.task.name, self.annotator, pair.id, reason)

    def clear_flag(self, pair: Pair | None = None) -> bool:
        """Withdraw this annotator's flag on ``pair`` (the pair on screen by default)."""
        pair = pair or self.current
        return bool(pair) and self.write_checked(self.writes.clear_flag, pair.id, self.annotator)

    def write_checked(self, action, *args):
        """``action(*args)`` in one write transaction on the session's connection, made only
        while this session holds the annotator's name; retried while the database is busy."""
        writes = self.writes

        def write():
            with writes.atomic():
                self._check_writer()
                return action(*args)

        return retry_busy(write)

    def current_flag(self) -> Flag | None:
        pair = self.current
        return self.store.current_flag(pair.id, self.annotator) if pair else None

    def can_go_back(self) -> bool:
        return bool(self.history) and self.position != 0

    def go_back(self) -> Pair | None:
        if not self.can_go_back():
            return None
        self.position = len(self.history) - 1 if self.position is None else self.position - 1
        return self.current

    def upcoming(self) -> Pair | None:
        """The pair that will follow the current one (claimed ahead, for pre-rendering)."""
        if self.position is not None:
            if self.position + 1 < len(self.history):
                return self.pair(self.history[self.position + 1])
            return self.fresh
        if self.fresh is None:
            return None
        with self._claiming:
            fresh = self.fresh
            if fresh is None:
                return None
            if self._upcoming is None:
                self._upcoming = retry_busy(
                    self.writes.next_pair, self.task, self.annotator, exclude={fresh.id, *self._writing},
                    claim_for=self.claim_for)
            return self._upcoming

    def upcoming_known(self) -> bool:
        """Whether the pair after the current one is known without asking the database."""
        if self.position is not None:
            return self.position + 1 < len(self.history) or self.fresh is not None
        return self.fresh is not None and self._upcoming is not None

    def _claim_next(self) -> Pair | None:
        with self._claiming:
            upcoming, self._upcoming = self._upcoming, None
            pair = retry_busy(self.writes.next_pair, self.task, self.annotator, exclude=set(self._writing),
                              claim_for=self.claim_for)
        if pair is not None and upcoming is not None and pair.id == upcoming.id:
            return upcoming
        return pair

    def _beat(self, every: float) -> None:
        """Keep the lease and the claims of this session alive until it closes (a thread)."""
        while not self._stop.wait(every):
            try:
                if not self.writes.renew_writer(self.task.name, self.annotator, self.identity):
                    return  # taken over: the next save says so
                self.writes.renew_claims(self.task.name, self.annotator, self.claim_for)
            except Exception:  # a busy or closed database: try again at the next beat
                continue

    def check(self, answer: Answer) -> None:
        """Raise :class:`MissingAnswer` when the answer lacks something the task requires."""
        if answer.choice is None:
            raise MissingAnswer("choice", "Choose first: 1 = A better, 2 = B better"
                                + (", 3 = tie" if self.task.allow_tie else "")
                                + (", 4 = both bad." if self.task.allows_both_bad else "."))
        if answer.choice not in self.task.label_choices:
            raise MissingAnswer("choice", "This task does not offer that choice.")
        required = set(self.task.required)
        if "factors" in required:
            missing = [f.name for f in self.task.factors if f.key not in answer.factors]
            if missing:
                raise MissingAnswer("factors", f"Answer every factor (missing: {', '.join(missing)}).")
        if "confidence" in required and answer.confidence is None:
            raise MissingAnswer("confidence", "This task asks for your confidence (c, then 1-5).")
        if "rationale" in required and not answer.rationale.strip():
            raise MissingAnswer("rationale", "This task asks for a rationale (r to type it).")

    def save(self, answer: Answer, shown_order: str, seconds: float | None) -> Label | None:
        """Commit the answer (a new revision if it changed), then move to the next pair.

        Returns the saved label, or None when the answer equals the saved one. The label is
        in the database before this returns; when this raises, nothing was saved and the
        session is on the same pair.
        """
        saving = self.start_save(answer, shown_order, seconds)
        return self.write(saving) if saving is not None else None

    def start_save(self, answer: Answer, shown_order: str, seconds: float | None, *,
                   wait: bool = True) -> Saving | None:
        """Check the answer (:class:`MissingAnswer`) and, when the next pair is known, move to it.

        No database work when the next pair is known (the screen shows it at once); then
        :meth:`write` must follow (in a thread, say). None when no pair is on screen.
        ``wait=False`` (the screen's thread): raise :class:`ClaimInProgress`, changing nothing,
        rather than wait while a claim ahead holds the session's claim lock (that claim may
        wait up to 30 s for a busy database).
        """
        pair = self.current
        if pair is None:
            return None
        self.check(answer)
        fresh = self.position is None
        needs_next = fresh or (self.position + 1 >= len(self.history) and self.fresh is None)
        # A fresh pair has no label of this annotator (else it would be in the history); the
        # session holds the name's writer lease, so nobody else adds to its labels meanwhile.
        previous = None if fresh else self.saved_label(pair)
        label = None
        if not answer.same_as(previous):
            label = Label(
                pair=pair.id,
                annotator=self.annotator,
                choice=answer.choice,
                shown_order=shown_order,
                factors=dict(answer.factors),
                confidence=answer.confidence,
                rationale=answer.rationale.strip(),
                seconds=None if seconds is None else round(seconds, 3),
                origin=self.origin,
            )
        return self._start(pair, answer, label, fresh=fresh, needs_next=needs_next, wait=wait)

    def _start(self, pair: Pair, answer: Answer, label: Label | None, *, fresh: bool, needs_next: bool,
               wait: bool, skip: bool = False) -> Saving:
        answer = Answer(answer.choice, dict(answer.factors), answer.confidence, answer.rationale)
        # Taken without waiting when asked: looking first (``locked()``) would leave a gap in
        # which a claim ahead takes the lock, and the screen's thread would wait for it.
        if not self._claiming.acquire(blocking=wait):
            raise ClaimInProgress("a claim ahead is being made")
        try:
            # A fresh pair is followed by the pair claimed ahead, if any; a revisited one by
            # the next of the history (or the fresh pair), unless there is none yet.
            following = self._upcoming if fresh else None
            known = following is not None if fresh else not needs_next
            saving = Saving(pair, answer, label, fresh, needs_next=not known, moved=False,
                            undo=(self.position, self.fresh, len(self.history), self._upcoming), skip=skip)
            self._writing.add(pair.id)
            self.begin_write()  # write() ends it
            if known:
                if fresh:
                    self._upcoming = None
                self._move_on(saving, following)
                saving.moved = True
        finally:
            self._claiming.release()
        return saving

    def _move_on(self, saving: Saving, following: Pair | None) -> None:
        if saving.fresh:
            if not saving.skip:
                self.history.append(saving.pair.id)
                self._pairs[saving.pair.id] = saving.pair
            self.fresh = following
        else:
            self.position += 1
            if self.position >= len(self.history):
                self.position = None
                if following is not None or saving.needs_next:
                    self.fresh = following

    def _move_back(self, saving: Saving) -> None:
        """Undo :meth:`_move_on`: the pair of the failed save is on screen again."""
        position, fresh, length, upcoming = saving.undo
        self.position, self.fresh = position, fresh
        del self.history[length:]
        # A pair claimed meanwhile, ahead of the next one, stays claimed: it is served again soon.
        self._upcoming = upcoming

    def write(self, saving: Saving) -> Label | None:
        """Write a save or a skip (one transaction, retried while the database is busy): the
        label (or the skip), and
        the claim of the next pair when it was not claimed ahead, or else the claim of the
        pair after it (its choice read before the transaction: one write transaction per
        save). Safe to run in a thread.

        Returns the label written (None when nothing changed, and for a skip). On failure the
        session is back on the pair of this save and the error is raised.
        """
        try:
            return self._write(saving)
        finally:
            self.end_write()

    def _write(self, saving: Saving) -> Label | None:
        pair, label, fresh, needs_next = saving.pair, saving.label, saving.fresh, saving.needs_next
        writes, task, annotator = self.writes, self.task, self.annotator
        plan = None

        def transaction():
            if label is not None:
                label.id, label.revision = None, 0
            with writes.atomic():
                self._check_writer()
                if saving.skip:  # stored, and the claim dropped (not put back first in the queue)
                    writes.skip_pair(task.name, annotator, pair.id)
                elif label is not None:
                    writes.add_label(label)
                if fresh and not saving.skip:
                    writes.release_claim(pair.id, annotator)
                if needs_next:
                    # The pair claimed ahead (for pre-rendering) comes first: it is this annotator's claim.
                    return writes.next_pair(task, annotator, claim_for=self.claim_for)
                return writes.claim_planned(plan) if plan is not None else None

        # Moved on to the pair claimed ahead: the claim of the one after it (the next claim
        # ahead) is made now, by this transaction, rather than by one of its own.
        ahead = fresh and saving.moved
        with self._claiming if ahead else contextlib.nullcontext():
            if ahead and self._upcoming is None and self.fresh is not None:
                try:
                    plan = writes.plan_claim(task, annotator, exclude={self.fresh.id, pair.id, *self._writing},
                                             claim_for=self.claim_for)
                except Exception:  # only a head start: the pre-rendering claims it later
                    plan = None
            with contextlib.nullcontext() if ahead else self._claiming:
                try:
                    following = retry_busy(transaction)
                except BaseException:
                    self._writing.discard(pair.id)
                    if saving.moved:
                        self._move_back(saving)
                    raise
                self._writing.discard(pair.id)
                if needs_next:
                    upcoming, self._upcoming = self._upcoming, None
                    if following is not None and upcoming is not None and following.id == upcoming.id:
                        following = upcoming
                    self._move_on(saving, following)
                elif plan is not None and following is not None and self._upcoming is None:
                    self._upcoming = following
        if label is not None:
            self._labels[pair.id] = label
            if fresh and label.seconds is not None:  # the first label of the pair
                bisect.insort(self.seconds, label.seconds)
        return label

    def _check_writer(self) -> None:
        """Inside a write transaction: raise :class:`SessionTakenOver` unless this session
        still holds the annotator's name (nothing is written under a name it lost)."""
        if not self.writes.holds_writer(self.task.name, self.annotator, self.identity):
            raise SessionTakenOver(
                f"this session no longer holds the name {self.annotator!r} (another session took it "
                "after this one stopped renewing it, or a researcher released it): it saves nothing more")

    # -- writes on their way ---------------------------------------------------------------
    def begin_write(self) -> None:
        """Count a write about to start (on the screen's thread, before the thread is
        started): :meth:`close` waits until it ends (:meth:`end_write`, or :meth:`run_write`)."""
        with self._pending_done:
            self._pending += 1

    def end_write(self) -> None:
        with self._pending_done:
            self._pending -= 1
            self._pending_done.notify_all()

    def run_write(self, action, *args):
        """Run ``action(*args)`` (in a thread) as a write counted by :meth:`begin_write`."""
        try:
            return action(*args)
        finally:
            self.end_write()

    @property
    def writes_pending(self) -> int:
        return self._pending

    def close(self) -> None:
        """Wait for background work to finish and refuse any more (before closing the store).

        Gives back the writer lease and every claim of this annotator in the task: the pair
        on screen and the one claimed ahead are free for others at once, and come back first
        when this annotator returns (if still open).
        """
        with self._pending_done:  # the writes on their way land first (each gives up after 30 s busy)
            self._pending_done.wait_for(lambda: self._pending <= 0, timeout=CLOSE_WAIT_SECONDS)
        with self.background:
            if self.closed:
                return
            self.closed = True
            self._stop.set()
            if self._heartbeat is not None:
                self._heartbeat.join()
            with self._claiming:
                self._upcoming = None

            writes = self.writes

            def release():
                with writes.atomic():
                    if writes.holds_writer(self.task.name, self.annotator, self.identity):
                        writes.release_claims(self.task.name, annotator=self.annotator)
                        writes.release_writer(self.task.name, self.annotator, self.identity)

            try:
                retry_busy(release)
            except Exception:  # claims and the lease expire on their own
                pass
            finally:
                self._close_writes()

    def _close_writes(self) -> None:
        if self.writes is not self.store:
            self.writes.close()

    # -- progress --------------------------------------------------------------------------
    def progress(self) -> QueueProgress:
        return self.store.queue_progress(self.task, self.annotator)

    def where(self) -> Position:
        """The one position shown to the annotator (``Position``)."""
        progress = self.progress()
        done = max(progress.done, len(self.history))
        index = self.position_of_current() or done
        return Position(index=index, total=max(progress.assigned, index, done), done=done)

    def median_seconds(self) -> float | None:
        """The median of the annotator's seconds per pair (first labels): read from the sorted
        list, in time independent of how many pairs they labelled."""
        s, n = self.seconds, len(self.seconds)
        if not n:
            return None
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
