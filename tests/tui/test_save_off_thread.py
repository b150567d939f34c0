"""The save's database work runs off the screen's thread, on the session's own connection:
the next pair is on screen while the label is written, and a failed write never loses or
misplaces a label."""

from __future__ import annotations

import threading

import pytest
from textual import events

from annotator.store import Store
from annotator.store.orders import to_shown
from annotator.tui.app import create_app
from annotator.tui.screens.pair import PairScreen

from .conftest import make_task, settle, wait_until

WIDE = (160, 45)


@pytest.fixture
def file_store(tmp_path):
    s = Store.open(tmp_path / "labels.db")
    yield s
    s.close()


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def reading_first_pair(app, pilot):
    """The annotator reads the first pair: the pair after it is claimed (and pre-rendered)
    meanwhile. Returns the screen, the pair and the session's writing store."""
    await app.workers.wait_for_complete()
    await settle(pilot)
    assert app.session.upcoming_known()
    return app.screen, app.screen.pair, app.session.writes


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
        await wait_until(pilot, lambda: screen.pair is not None and screen.pair.id != first.id,
                         "the next pair on screen while the label is written")
        await wait_until(pilot, lambda: written, "the write started")
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
    from datetime import timedelta

    from annotator.tui.session import Answer, LabelSession

    make_task(file_store, n_pairs=6)
    session = LabelSession(file_store, file_store.get_task("t"), "ann", claim_for=timedelta(minutes=5),
                           heartbeat=None)
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
