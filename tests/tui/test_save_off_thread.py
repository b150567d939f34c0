"""The save's database work runs off the screen's thread, on the session's own connection:
the next pair is on screen while the label is written, and a failed write never loses or
misplaces a label."""

from __future__ import annotations

import asyncio
import threading

from textual import events

from annotator.store.orders import to_canonical, to_shown
from annotator.tui.app import create_app
from annotator.tui.screens.pair import PairScreen

from .conftest import make_task, messages, reading_first_pair, session_on, settle, wait_until, wait_while_saving

WIDE = (160, 45)


async def test_the_next_pair_is_on_screen_while_the_label_is_written(file_store, settings):
    make_task(file_store, n_pairs=4)
    app = create_app(file_store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        screen, first, writes = await reading_first_pair(app, pilot)
        assert writes is not file_store  # a connection of its own
        written, release = [], threading.Event()
        real = writes.add_label

        def slow_write(label):
            written.append(threading.current_thread() is threading.main_thread())
            assert release.wait(60)  # holds the write transaction open
            return real(label)

        writes.add_label = slow_write
        await pilot.press("1")
        app._driver.send_message(events.Key("enter", None))
        # The save holds the app's queue until its write ends: wait without pilot.pause().
        await wait_while_saving(lambda: screen.pair is not None and screen.pair.id != first.id,
                                "the next pair on screen while the label is written")
        await wait_while_saving(lambda: written, "the write started")
        assert written == [False]  # in a thread, never the screen's
        assert screen._saving and file_store.current_labels("t") == []  # not in the database yet
        # The screen's reads go through another connection: the write's lock holds none of them.
        assert screen.session.where().index == 2
        release.set()
        await wait_until(pilot, lambda: not screen._saving, "the write finished")
        await settle(pilot)
        [label] = file_store.current_labels("t")
        assert (label.pair, label.annotator) == (first.id, "ann")
        assert "saved as" in str(screen.query_one("#annotator-name").render())



async def test_a_write_slow_to_begin_keeps_the_next_pair_on_screen_and_the_keys_waiting(file_store, settings):
    """The write's thread may begin late (a loaded machine): the next pair is on screen all the
    while, and a key pressed while the label is written waits for the write, then acts on the
    next pair. The test looks for the write before it has begun (always, not by chance), so it
    must wait without asking the app's queue, which the save holds until its write ends."""
    make_task(file_store, n_pairs=4)
    app = create_app(file_store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        screen, first, writes = await reading_first_pair(app, pilot)
        begin, started, release = threading.Event(), threading.Event(), threading.Event()
        holds, add = writes.holds_writer, writes.add_label

        def late_transaction(*args):  # the write's first statement, held until the test looks
            assert begin.wait(60)
            return holds(*args)

        def slow_write(label):
            started.set()
            assert release.wait(60)  # holds the write transaction open
            return add(label)

        writes.holds_writer, writes.add_label = late_transaction, slow_write
        looks: list[bool] = []

        def write_started() -> bool:
            looks.append(started.is_set())
            if len(looks) == 1:
                begin.set()  # the first look found the write not begun: now it may begin
            return len(looks) > 1 and started.is_set()

        await pilot.press("1")
        app._driver.send_message(events.Key("enter", None))
        try:
            await wait_while_saving(lambda: screen.pair is not None and screen.pair.id != first.id,
                                    "the next pair on screen before the write begins")
            second = screen.pair
            await wait_while_saving(write_started, "the write started")
            assert looks[0] is False and screen._saving
            app._driver.send_message(events.Key("2", "2"))  # pressed while the label is written
            for _ in range(50):
                await asyncio.sleep(0)
            assert screen.answer.choice is None  # the key waits for the write
            assert file_store.current_labels("t") == []
        finally:
            begin.set()
            release.set()
        await wait_while_saving(lambda: not screen._saving, "the write finished")
        await settle(pilot)
        [label] = file_store.current_labels("t")
        assert (label.pair, label.annotator, to_shown(label.choice, label.shown_order)) == (first.id, "ann", "A")
        assert screen.pair.id == second.id  # the waiting key acted on the next pair
        assert screen.answer.choice == to_canonical("B", screen.order)


class LookedAtTooEarly:
    """The session's claim lock, as a look made just before a claim ahead took it sees it."""

    def __init__(self, lock):
        self.lock = lock

    def locked(self) -> bool:
        return False

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self.lock.acquire(blocking, timeout)

    def release(self) -> None:
        self.lock.release()

    def __enter__(self):
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)


async def test_enter_while_a_claim_ahead_holds_the_lock_never_stops_the_screen(file_store, settings):
    """A claim ahead (in a thread) may take the session's claim lock at any moment, and hold
    it while the database is busy (up to 30 s): Enter then waits for it off the screen's
    thread, and the app keeps running (here: the test itself, on the app's event loop, is the
    one that lets the claim go)."""
    make_task(file_store, n_pairs=4)
    app = create_app(file_store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        screen, first, _ = await reading_first_pair(app, pilot)
        session = app.session
        session._claiming = LookedAtTooEarly(session._claiming)
        held, let_go, released = threading.Event(), threading.Event(), []

        def claim_ahead():  # a claim ahead waiting for a busy database
            with session._claiming:
                held.set()
                released.append(let_go.wait(60))  # False: nobody on the event loop let it go (a bound, not a speed)

        holder = threading.Thread(target=claim_ahead)
        holder.start()
        try:
            assert await asyncio.to_thread(held.wait, 60)
            await pilot.press("1")
            app._driver.send_message(events.Key("enter", None))
            await wait_while_saving(lambda: screen._saving, "the save began")
        finally:
            let_go.set()
            await asyncio.to_thread(holder.join)
        assert released == [True]  # the event loop ran while the claim held the lock
        await wait_while_saving(lambda: not screen._saving, "the write finished")
        await settle(pilot)
        [label] = file_store.current_labels("t")
        assert (label.pair, label.annotator) == (first.id, "ann")
        assert screen.pair is not None and screen.pair.id != first.id

async def test_a_failed_write_says_so_and_brings_the_pair_back_with_its_answer(file_store, settings):
    make_task(file_store, n_pairs=4)
    app = create_app(file_store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        screen, first, writes = await reading_first_pair(app, pilot)
        following = app.session._upcoming
        real = writes.add_label

        def broken(label):
            raise RuntimeError("disk I/O error")

        writes.add_label = broken
        await pilot.press("2", "r", *"because", "enter")
        assert isinstance(screen, PairScreen) and screen.pair.id == first.id  # back on the pair
        assert screen.answer.choice is not None and screen.answer.rationale == "because"  # kept
        assert screen.rationale.value == "because"
        shown = " ".join(messages(app))
        assert "Not saved" in " ".join(str(n.title) for n in app._notifications)
        assert "disk I/O error" in shown and "still on screen" in shown
        assert file_store.current_labels("t") == []
        assert app.session.history == [] and app.session.fresh.id == first.id
        # Retried: Enter again writes it, to the same pair, under the same name.
        writes.add_label = real
        await pilot.press("enter")
        [label] = file_store.current_labels("t")
        assert (label.pair, label.annotator, label.rationale) == (first.id, "ann", "because")
        assert to_shown(label.choice, label.shown_order) == "B"
        assert screen.pair.id == following.id  # and on to the pair claimed ahead
        assert app.session.history == [first.id]


async def test_a_fast_typists_labels_all_land_in_order(file_store, settings):
    make_task(file_store, n_pairs=8)
    app = create_app(file_store, "t", "ann", settings)
    keys = ["1", "2", "1", "3", "2", "1"]
    async with app.run_test(size=WIDE) as pilot:
        screen = app.screen
        writes = app.session.writes
        real = writes.add_label

        def slow(label):  # every write takes a while: keys arrive while writes are on their way
            threading.Event().wait(0.05)
            return real(label)

        writes.add_label = slow
        for key in keys:  # no pause between the keys
            app._driver.send_message(events.Key(key, key))
            app._driver.send_message(events.Key("enter", None))
        await wait_until(pilot, lambda: len(app.session.history) == len(keys) and not screen._saving,
                         "every label saved")
        await settle(pilot)
        labels = sorted(file_store.current_labels("t"), key=lambda lb: lb.id)
        assert [lb.pair for lb in labels] == app.session.history  # one label per pair, in order
        assert len(set(app.session.history)) == len(keys)
        assert {lb.annotator for lb in labels} == {"ann"} and all(lb.revision == 1 for lb in labels)
        side = {"1": "A", "2": "B", "3": "tie"}
        assert [to_shown(lb.choice, lb.shown_order) for lb in labels] == [side[k] for k in keys]
        assert screen.pair is not None and screen.pair.id not in app.session.history
        assert not messages(app) or not any("Not saved" in m for m in messages(app))


def test_a_save_is_one_write_transaction_with_the_next_claim_ahead(file_store):
    from annotator.tui.session import Answer

    session = session_on(file_store, 6)
    try:
        first = session.start()
        second = session.upcoming()  # claimed ahead while the first pair is read
        begun: list[str] = []
        session.writes.db.conn.set_trace_callback(
            lambda sql: begun.append(sql) if sql.startswith("BEGIN") else None)
        session.save(Answer(choice="A"), "AB", 3.0)
        third = session.upcoming()  # the next claim ahead: made by the save's own transaction
        session.writes.db.conn.set_trace_callback(None)
        assert begun == ["BEGIN IMMEDIATE"]
        assert session.current.id == second.id and third is not None
        assert len({first.id, second.id, third.id}) == 3
        claims = {c["pair"] for c in file_store.claims("t") if c["annotator"] == "ann"}
        assert claims == {second.id, third.id}
        [label] = file_store.current_labels("t")
        assert (label.pair, label.annotator) == (first.id, "ann")
    finally:
        session.close()
