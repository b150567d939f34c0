"""Every step that writes (skip, flag, the claim of a jump) runs its database work off the
screen's thread, on the session's own connection, as the save does: the screen keeps going
while the write is on its way, keys wait for it and then act in order, a write that fails
is shown and not lost, every row carries the session's annotator, and quitting waits."""

from __future__ import annotations

import asyncio
import threading

import pytest
from textual import events

from annotator.tui.app import create_app
from annotator.tui.screens.pair import PairScreen
from annotator.tui.session import Answer

from .conftest import make_task, messages, reading, session_on, settle, wait_until, wait_while_saving

WIDE = (160, 45)


def break_(store, name: str):
    """Make ``store.name`` fail as a broken disk would; returns the real one."""
    real = getattr(store, name)

    def broken(*args, **kwargs):
        raise RuntimeError("disk I/O error")

    setattr(store, name, broken)
    return real


def hold(store, name: str, threads: list[bool], started: threading.Event, release: threading.Event):
    """Replace ``store.name`` by a version that notes its thread and waits for ``release``."""
    real = getattr(store, name)

    def held(*args, **kwargs):
        threads.append(threading.current_thread() is threading.main_thread())
        started.set()
        assert release.wait(60)
        return real(*args, **kwargs)

    setattr(store, name, held)


async def test_a_skip_slow_to_begin_shows_the_next_pair_and_keys_wait(file_store, settings):
    """The skip's write begins late (its thread starts after the test looked): the next pair
    is on screen meanwhile, a key pressed meanwhile waits for the write, then acts on the next
    pair; the skip is stored for this annotator, in a thread, never on the screen's."""
    async with reading(file_store, settings, 5) as (app, pilot, screen, first, writes):
        following = app.session._upcoming
        begin, started, release = threading.Event(), threading.Event(), threading.Event()
        threads: list[bool] = []
        holds = writes.holds_writer

        def late(*args):  # the write's first statement: held until the test has looked
            assert begin.wait(60)
            return holds(*args)

        writes.holds_writer = late
        for store in {file_store, writes}:  # (the old code skipped through the screen's store)
            hold(store, "skip_pair", threads, started, release)
        app._driver.send_message(events.Key("x", "x"))
        try:
            await wait_while_saving(lambda: screen.pair is not None and screen.pair.id != first.id,
                                    "the next pair on screen before the skip is written")
            assert not started.is_set()  # the write had not begun
            begin.set()
            await wait_while_saving(started.is_set, "the skip's write started")
            assert screen._saving and file_store.skipped_pairs("t", "ann") == []
            app._driver.send_message(events.Key("2", "2"))  # pressed while the skip is written
            for _ in range(50):
                await asyncio.sleep(0)
            assert screen.answer.choice is None  # the key waits for the write
        finally:
            begin.set()
            release.set()
        await wait_while_saving(lambda: not screen._saving, "the skip written")
        await settle(pilot)
        assert threads == [False]
        assert file_store.skipped_pairs("t", "ann") == [first.id]
        assert screen.pair.id == following.id and screen.answer.choice is not None  # the key acted here
        assert first.id not in {c["pair"] for c in file_store.claims("t")}  # its claim given up
        assert any("comes back at the end" in m for m in messages(app))


async def test_a_skip_that_cannot_be_written_brings_the_pair_back(file_store, settings):
    async with reading(file_store, settings, 4) as (app, pilot, screen, first, writes):
        real = break_(writes, "skip_pair")
        await pilot.press("2", "x")
        assert isinstance(app.screen, PairScreen) and screen.pair.id == first.id  # back on the pair
        assert screen.answer.choice is not None  # with what was entered
        shown = " ".join(messages(app))
        assert "disk I/O error" in shown and "press x to try again" in shown
        assert file_store.skipped_pairs("t", "ann") == [] and app.session.fresh.id == first.id
        writes.skip_pair = real
        await pilot.press("x")
        assert file_store.skipped_pairs("t", "ann") == [first.id] and screen.pair.id != first.id


async def test_skips_and_labels_typed_fast_land_in_order(file_store, settings):
    make_task(file_store, n_pairs=8)
    app = create_app(file_store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        screen = app.screen
        writes = app.session.writes
        order: list[tuple[str, int]] = []
        add, skip = writes.add_label, writes.skip_pair

        def slow_add(label):
            threading.Event().wait(0.03)
            order.append(("label", label.pair))
            return add(label)

        def slow_skip(task, annotator, pair, **kwargs):
            threading.Event().wait(0.03)
            order.append(("skip", pair))
            return skip(task, annotator, pair, **kwargs)

        writes.add_label, writes.skip_pair = slow_add, slow_skip
        for keys in (["x"], ["1", "enter"], ["x"], ["2", "enter"], ["x"]):
            for key in keys:  # no pause between the keys
                app._driver.send_message(events.Key(key, key))
        await wait_until(pilot, lambda: len(order) == 5 and not screen._saving, "every write done")
        await settle(pilot)
        assert [kind for kind, _ in order] == ["skip", "label", "skip", "label", "skip"]
        assert len({pair for _, pair in order}) == 5  # each on the pair on screen at its key
        skipped = [pair for kind, pair in order if kind == "skip"]
        assert sorted(file_store.skipped_pairs("t", "ann")) == sorted(skipped)
        labels = sorted(file_store.current_labels("t"), key=lambda lb: lb.id)
        assert [lb.pair for lb in labels] == [pair for kind, pair in order if kind == "label"]
        assert {lb.annotator for lb in labels} == {"ann"} and app.session.history == [lb.pair for lb in labels]


async def test_a_flag_is_written_in_a_thread_and_keys_wait_for_it(file_store, settings):
    async with reading(file_store, settings, 4) as (app, pilot, screen, first, writes):
        started, release = threading.Event(), threading.Event()
        threads: list[bool] = []
        for store in {file_store, writes}:
            hold(store, "flag_pair", threads, started, release)
        await pilot.press("exclamation_mark", *"cut", "space", *"off")
        app._driver.send_message(events.Key("enter", None))
        try:
            await wait_while_saving(started.is_set, "the flag's write started")
            assert isinstance(app.screen, PairScreen) and screen._saving
            assert screen.query_one("#progress").flag == "cut off"  # shown at once
            app._driver.send_message(events.Key("x", "x"))  # pressed while the flag is written
            for _ in range(50):
                await asyncio.sleep(0)
            assert screen.pair.id == first.id and file_store.skipped_pairs("t", "ann") == []
        finally:
            release.set()
        await wait_while_saving(lambda: file_store.skipped_pairs("t", "ann"), "the waiting skip done")
        await settle(pilot)
        assert threads == [False]
        [flag] = file_store.flags("t")
        assert (flag.pair, flag.annotator, flag.reason) == (first.id, "ann", "cut off")  # on the flagged pair
        assert file_store.skipped_pairs("t", "ann") == [first.id] and screen.pair.id != first.id


async def test_a_flag_that_cannot_be_written_opens_again_with_its_reason(file_store, settings):
    async with reading(file_store, settings, 3) as (app, pilot, screen, first, writes):
        real = break_(writes, "flag_pair")
        await pilot.press("exclamation_mark", *"dup", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "FlagScreen"  # the dialog again
        assert app.screen.query_one("#flag-reason").value == "dup"  # with what was typed
        assert "disk I/O error" in str(app.screen.query_one("#flag-error").render())
        assert file_store.flags("t") == [] and "flagged" not in str(screen.query_one("#progress").render())
        writes.flag_pair = real
        await pilot.press("enter")
        [flag] = file_store.flags("t")
        assert (flag.pair, flag.annotator, flag.reason) == (first.id, "ann", "dup")
        assert isinstance(app.screen, PairScreen) and screen.query_one("#progress").flag == "dup"


async def test_a_jump_claims_its_pair_in_a_thread(file_store, settings):
    async with reading(file_store, settings, 6) as (app, pilot, screen, first, writes):
        ahead = app.session._upcoming
        target = next(p for p in file_store.pairs("t") if p.id not in (first.id, ahead.id))
        started, release = threading.Event(), threading.Event()
        threads: list[bool] = []
        for store in {file_store, writes}:
            hold(store, "claim_pair", threads, started, release)
        await pilot.press("colon", *target.pair_id)
        app._driver.send_message(events.Key("enter", None))
        try:
            await wait_while_saving(started.is_set, "the claim started")
            assert screen._saving and screen.pair.id == first.id
        finally:
            release.set()
        await wait_while_saving(lambda: screen.pair.id == target.id and not screen._saving, "the jump done")
        await settle(pilot)
        assert threads == [False]
        assert target.id in {c["pair"] for c in file_store.claims("t") if c["annotator"] == "ann"}
        # Jumping to the pair claimed ahead: it is not shown twice.
        await pilot.press("colon", *ahead.pair_id, "enter")
        assert screen.pair.id == ahead.id
        await pilot.press("1", "enter")
        assert screen.pair is not None and screen.pair.id != ahead.id


async def test_quitting_right_after_a_skip_waits_for_it(file_store, settings):
    async with reading(file_store, settings, 4) as (app, pilot, screen, first, writes):
        started, release = threading.Event(), threading.Event()
        hold(writes, "skip_pair", [], started, release)
        app._driver.send_message(events.Key("x", "x"))
        app._driver.send_message(events.Key("q", "q"))  # right after
        await wait_while_saving(started.is_set, "the skip's write started")
        assert app.is_running
        release.set()
        await wait_while_saving(lambda: not app.is_running, "the app quit")
    assert file_store.skipped_pairs("t", "ann") == [first.id]
    assert file_store.claims("t") == [] and file_store.writers("t") == []


def test_close_waits_for_a_write_on_its_way(file_store):
    """A hang-up closes the session at once (not through the app's queue): a skip whose
    thread has not written yet lands first, then the claims and the name are given back."""
    session = session_on(file_store, 4)
    first = session.start()
    session.upcoming()
    skipping = session.start_skip()  # on the screen's thread; its write not started yet
    closed = threading.Event()
    closer = threading.Thread(target=lambda: (session.close(), closed.set()))
    closer.start()
    assert not closed.wait(0.3)  # close waits for the skip
    writer = threading.Thread(target=session.write, args=(skipping,))
    writer.start()
    writer.join(60)
    closer.join(60)
    assert closed.is_set()
    assert file_store.skipped_pairs("t", "ann") == [first.id]
    assert file_store.claims("t") == [] and file_store.writers("t") == []


def test_a_session_that_lost_its_name_writes_no_flag_and_no_claim(file_store):
    session = session_on(file_store, 4)
    try:
        first = session.start()
        file_store.release_writer("t", "ann", session.identity)
        with pytest.raises(RuntimeError, match="no longer holds the name"):
            session.flag("broken")
        with pytest.raises(RuntimeError, match="no longer holds the name"):
            session.jump("p3" if first.pair_id != "p3" else "p2")
        with pytest.raises(RuntimeError, match="no longer holds the name"):
            session.save(Answer(choice="A"), "AB", 1.0)
        assert file_store.flags("t") == [] and file_store.current_labels("t") == []
    finally:
        session.close()


def test_no_step_scans_a_table(file_store):
    """Every statement the pair screen's steps run (start, claim ahead, save, skip, back, go to
    a position or an id, flag, withdraw, the progress line, search) finds its rows through an
    index: none reads a whole table, so no step gets slower as a task grows (the flag's
    statements scanned every flag before ``m014_flags_by_pair``)."""
    session = session_on(file_store, 12, overlap=2)
    statements: list[str] = []
    try:
        for store in (session.store, session.writes):
            store.db.conn.set_trace_callback(statements.append)
        first = session.start()
        session.upcoming()
        session.where()
        session.saved_label(first)
        session.save(Answer(choice="A"), "AB", 1.0)
        session.upcoming()
        session.skip()
        session.upcoming()
        session.go_back()
        session.where()
        session.current_flag()
        session.jump("#2")
        session.jump(next(p.pair_id for p in file_store.pairs("t") if p.id not in session.history
                          and p.id != session.fresh.id))
        session.flag("the prompt is cut off")
        session.current_flag()
        session.clear_flag()
        session.search("Question")
    finally:
        for store in (session.store, session.writes):
            store.db.conn.set_trace_callback(None)
        session.close()
    scans = set()
    for sql in statements:
        if sql.lstrip().split(None, 1)[0].upper() not in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
            continue
        for *_, detail in file_store.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall():
            if detail.startswith("SCAN") and "sqlite_master" not in detail:
                scans.add(f"{detail}: {sql[:120]}")
    assert len(statements) > 20 and not scans, sorted(scans)


def test_the_median_pace_is_kept_as_labels_come(file_store):
    """The top bar's median seconds per pair, after every save, without sorting them again:
    first labels of 3.0, 1.0, 10.0 and 2.0 seconds (a revision does not count again)."""
    session = session_on(file_store, 6)
    try:
        session.start()
        assert session.median_seconds() is None
        for seconds, expected in ((3.0, 3.0), (1.0, 2.0), (10.0, 3.0), (2.0, 2.5)):
            session.save(Answer(choice="A"), "AB", seconds)
            assert session.median_seconds() == expected
        session.go_back()
        session.save(Answer(choice="B"), "AB", 99.0)  # a revision
        assert session.median_seconds() == 2.5
    finally:
        session.close()
