"""The ranking screen writes as the pair screen does: the claims of an item and each ranking
in a thread, on the session's own connection, in a transaction made only while the session
holds the annotator's name; keys pressed meanwhile wait, then act in order; quitting and a
hang-up wait for a write on its way; a write that fails leaves the ranking as entered."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from textual import events

from annotator.store import Store
from annotator.tasks import import_task_dir
from annotator.tui.app import create_app
from annotator.tui.screens.ranking import RankingScreen
from tests.ranking.taskdir import ranked_task

from .conftest import settle, wait_until, wait_while_saving


def top(app) -> str:
    return str(app.screen.query_one("#ranking-top").render())


def hold(store, name: str, threads: list[bool], started: threading.Event, release: threading.Event):
    """Replace ``store.name`` by a version that notes whether it runs on the screen's thread
    and, off it, waits for ``release`` (on it, it goes on: waiting would hang the app)."""
    real = getattr(store, name)

    def held(*args, **kwargs):
        main = threading.current_thread() is threading.main_thread()
        threads.append(main)
        started.set()
        if not main:
            assert release.wait(60)
        return real(*args, **kwargs)

    setattr(store, name, held)


def rankings(store) -> list[dict]:
    return store.query("SELECT item, annotator, tiers, confidence, rationale FROM rankings ORDER BY id")


def claimed(store, annotator: str = "alice") -> set[int]:
    return {c["pair"] for c in store.claims("ranked") if c["annotator"] == annotator}


def item_pairs(store, item: int) -> set[int]:
    return set(store.ranking_pair_ids(item).values())


def send(app, *keys: str) -> None:
    """Keys as a terminal sends them (without waiting for the app, as pilot.press does)."""
    for key in keys:
        app._driver.send_message(events.Key(key, key if len(key) == 1 else None))


async def on_first_item(app, pilot) -> RankingScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, RankingScreen) and app.screen.item is not None,
                     "the ranking screen")
    await settle(pilot)
    return app.screen


@contextlib.asynccontextmanager
async def ranking_as_alice(tmp_path, store, settings, sizes=(3, 3)):
    """A ranked task of items of ``sizes`` responses, ranked by "alice" on the app (headless):
    yields the app, the pilot, the screen and its first item."""
    import_task_dir(store, ranked_task(tmp_path / "t", sizes=sizes))
    app = create_app(store, "ranked", "alice", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_first_item(app, pilot)
        yield app, pilot, screen, screen.item


def hold_save(app) -> tuple[threading.Event, threading.Event]:
    """The session's ranking writes wait for the second event; the first says one started."""
    started, release = threading.Event(), threading.Event()
    hold(app.session.writes, "save_ranking", [], started, release)
    return started, release


async def test_a_ranking_is_written_in_a_thread_and_keys_wait_for_it(tmp_path, file_store, settings):
    async with ranking_as_alice(tmp_path, file_store, settings, (3, 3, 3)) as (app, pilot, screen, first):
        started, release = threading.Event(), threading.Event()
        threads: list[bool] = []
        for store in {file_store, app.session.writes}:  # (the old screen wrote through its own store)
            hold(store, "save_ranking", threads, started, release)
        await pilot.press("1", "2", "3")
        send(app, "enter")
        try:
            await wait_while_saving(started.is_set, "the ranking's write started")
            assert getattr(screen, "_saving", False) and rankings(file_store) == []
            send(app, "2", "1")  # pressed while the ranking is written
            for _ in range(50):
                await asyncio.sleep(0)
            assert screen.item.id == first.id and screen.tiers == [[1], [2], [3]]  # the keys wait
            await wait_while_saving(lambda: "⏳ saving: waiting for the database" in top(app), "the wait said")
            assert top(app).startswith(" alice ")  # the name first, still
        finally:
            release.set()
        await wait_while_saving(lambda: not screen._saving and screen.item.id != first.id, "the next item")
        await settle(pilot)
        assert threads == [False]  # written off the screen's thread
        assert screen.tiers == [[2], [1]]  # the keys acted on the next item
        [row] = rankings(file_store)
        assert (row["item"], row["annotator"]) == (first.id, "alice")
        assert len(file_store.current_labels("ranked", "alice")) == 3
        # The saved item's claims given up; the next item's pairs all claimed, in the same write.
        assert not claimed(file_store) & item_pairs(file_store, first.id)
        assert item_pairs(file_store, screen.item.id) <= claimed(file_store)


async def test_every_claim_is_made_in_a_thread(tmp_path, file_store, settings, monkeypatch):
    """The claims of the first item (at the start) and of the next one (with a save): never on
    the screen's thread."""
    import_task_dir(file_store, ranked_task(tmp_path / "t", sizes=(3, 3, 3)))
    threads: list[tuple[str, bool]] = []
    for name in ("next_pair", "claim_item"):
        real = getattr(Store, name)

        def noted(self, *args, _real=real, _name=name, **kwargs):
            threads.append((_name, threading.current_thread() is threading.main_thread()))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Store, name, noted)
    app = create_app(file_store, "ranked", "alice", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_first_item(app, pilot)
        first = screen.item
        assert item_pairs(file_store, first.id) <= claimed(file_store)
        await pilot.press("1", "2", "3", "enter")
        await wait_until(pilot, lambda: screen.item is not None and screen.item.id != first.id, "the next item")
    assert [name for name, _ in threads] == ["next_pair", "claim_item"] * 2
    assert not any(main for _, main in threads)


async def test_quitting_right_after_a_save_waits_for_it(tmp_path, file_store, settings):
    async with ranking_as_alice(tmp_path, file_store, settings) as (app, pilot, screen, first):
        started, release = hold_save(app)
        await pilot.press("3", "1", "2")
        send(app, "enter", "q")  # q right after Enter
        try:
            await wait_while_saving(started.is_set, "the ranking's write started")
            assert app.is_running
        finally:
            release.set()
        await wait_while_saving(lambda: not app.is_running, "the app quit")
    [row] = rankings(file_store)
    assert (row["item"], row["annotator"]) == (first.id, "alice")
    assert file_store.claims("ranked") == [] and file_store.writers("ranked") == []  # given back after it


async def test_a_hang_up_waits_for_a_ranking_on_its_way(tmp_path, file_store, settings):
    """A hang-up closes the session at once (not through the app's queue): the ranking being
    written lands first, then the claims and the name are given back."""
    async with ranking_as_alice(tmp_path, file_store, settings) as (app, pilot, screen, first):
        started, release = hold_save(app)
        await pilot.press("2", "3", "1")
        send(app, "enter")
        closed = threading.Event()
        try:
            await wait_while_saving(started.is_set, "the ranking's write started")
            closer = threading.Thread(target=lambda: (app.session.close(), closed.set()))
            closer.start()
            assert not closed.wait(0.3)  # close waits for the ranking
        finally:
            release.set()
        closer.join(60)
        assert closed.is_set()
        await wait_while_saving(lambda: not screen._saving, "the write ended")
        [row] = rankings(file_store)
        assert (row["item"], row["annotator"]) == (first.id, "alice")
        assert file_store.claims("ranked") == [] and file_store.writers("ranked") == []


async def test_a_session_that_lost_its_name_claims_nothing(tmp_path, file_store, settings, monkeypatch):
    """The name is taken over between the start of the session and the first item's claims:
    nothing is claimed under it, and the screen says why."""
    import_task_dir(file_store, ranked_task(tmp_path / "t", sizes=(3, 3)))
    monkeypatch.setattr(Store, "holds_writer", lambda self, *args: False)
    app = create_app(file_store, "ranked", "alice", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RankingScreen) and not app.screen.looking,
                         "the ranking screen")
        await settle(pilot)
        assert app.screen.item is None and "no longer holds the name" in top(app)
        assert file_store.claims("ranked") == []


async def test_a_session_that_lost_its_name_saves_no_ranking(tmp_path, file_store, settings):
    async with ranking_as_alice(tmp_path, file_store, settings) as (app, pilot, screen, first):
        file_store.release_writer("ranked", "alice", app.session.identity)  # taken from this session
        await pilot.press("1", "2", "3", "enter")
        assert "no longer holds the name" in top(app) and screen.item.id == first.id
        assert screen.tiers == [[1], [2], [3]]
        assert rankings(file_store) == [] and file_store.current_labels("ranked") == []


async def test_a_ranking_that_cannot_be_written_stays_on_screen(tmp_path, file_store, settings):
    async with ranking_as_alice(tmp_path, file_store, settings) as (app, pilot, screen, first):
        writes = app.session.writes
        real = writes.save_ranking

        def broken(*args, **kwargs):
            raise RuntimeError("disk I/O error")

        writes.save_ranking = broken
        await pilot.press("c", "4", "r", "o", "k", "enter", "3", "equals_sign", "1", "2", "enter")
        shown = top(app)
        assert "disk I/O error" in shown and "Your ranking is still on screen" in shown
        assert screen.item.id == first.id and screen.tiers == [[3, 1], [2]]  # as entered
        assert screen.confidence == 4 and screen.rationale.value == "ok"
        assert rankings(file_store) == [] and file_store.current_labels("ranked") == []
        assert item_pairs(file_store, first.id) <= claimed(file_store)  # still this annotator's
        writes.save_ranking = real
        await pilot.press("enter")  # again
        await wait_until(pilot, lambda: screen.item is not None and screen.item.id != first.id, "the next item")
    [row] = rankings(file_store)
    assert (row["item"], row["confidence"], row["rationale"]) == (first.id, 4, "ok")


async def test_an_item_shows_without_counting_the_task_or_the_history(tmp_path, file_store, settings, monkeypatch):
    """The top bar's "2 / 3" comes from the screen's own history: no count per item (a count
    of the task's items and of the annotator's rankings grows with both)."""
    counted = []
    real = Store.ranked_item_count
    monkeypatch.setattr(Store, "ranked_item_count", lambda self, *args: counted.append(args) or real(self, *args))
    async with ranking_as_alice(tmp_path, file_store, settings, (3, 3, 3)) as (app, pilot, screen, first):
        assert " 1 / 3" in top(app)
        start = len(counted)
        for n in (2, 3):
            await pilot.press("1", "2", "3", "enter")
            await wait_until(pilot, lambda n=n: f" {n} / 3" in top(app), f"item {n} of 3")
        await pilot.press("u")
        assert " 2 / 3 (going back)" in top(app)
        assert len(counted) == start  # none per item
    assert file_store.ranked_item_count("ranked", "alice") == (2, 3)
