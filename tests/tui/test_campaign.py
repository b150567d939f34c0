"""The app in a campaign: a busy database, a name in use, a failing prefetch, exit codes."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

from click.testing import CliRunner

import annotator.store.base as base
from annotator.cli import annotate as annotate_cli, main
from annotator.store import WriterIdentity
from annotator.tui.app import create_app
from annotator.tui.config import Settings, claim_duration
from annotator.tui.screens.pair import PairScreen

from .conftest import make_task

WIDE = (160, 45)


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_passing_lock_is_waited_out_and_the_label_saved(store, settings, monkeypatch):
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = app.screen.pair
        real, refusals = store.add_label, []

        def locked_twice(label):
            if len(refusals) < 2:
                refusals.append(1)
                raise sqlite3.OperationalError("database is locked")
            return real(label)

        monkeypatch.setattr(store, "add_label", locked_twice)
        await pilot.press("1", "enter")
        assert [lb.pair for lb in store.current_labels("t")] == [first.id]
        assert app.screen.pair.id != first.id
        assert not any("locked" in m or "Not saved" in m for m in messages(app))


async def test_a_database_busy_too_long_says_not_saved_and_keeps_the_answer(store, settings, monkeypatch):
    make_task(store)
    monkeypatch.setattr(base, "BUSY_TIMEOUT_MS", 50)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = app.screen.pair

        def locked(label):
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(store, "add_label", locked)
        await pilot.press("1", "enter")
        assert app.screen.pair.id == first.id and app.screen.answer.choice is not None
        assert store.current_labels("t") == []
        shown = " ".join(messages(app))
        assert "stayed busy" in shown and "database is locked" not in shown
        assert store.claims("t")  # the pair on screen is still this annotator's


async def test_a_failing_prefetch_never_ends_the_app(store, settings, monkeypatch):
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        def broken():
            raise RuntimeError("prefetch exploded")

        monkeypatch.setattr(app.session, "upcoming", broken)
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.press("1", "enter")
        assert isinstance(app.screen, PairScreen) and app.return_code is None
    assert len(store.current_labels("t", "ann")) == 3


async def test_a_name_in_use_is_refused_in_the_app(store, settings):
    make_task(store)
    store.acquire_writer("t", "ann", WriterIdentity.here())  # alive: this process
    named = create_app(store, "t", "ann", settings)
    async with named.run_test(size=WIDE):
        pass
    assert named.return_code == 3  # exits non-zero, nothing claimed
    assert store.claims("t") == []
    asked = create_app(store, "t", None, settings)
    async with asked.run_test(size=WIDE) as pilot:
        asked.screen.query_one("#name-input").value = ""
        await pilot.press(*"ann", "enter")
        assert not isinstance(asked.screen, PairScreen)  # asked again
        assert any("already labelling" in m for m in messages(asked))
        asked.screen.query_one("#name-input").value = ""
        await pilot.press(*"bob", "enter")
        assert isinstance(asked.screen, PairScreen)


def test_annotate_exits_non_zero_after_a_crash(tmp_path, monkeypatch):
    class Crashed:
        return_code = 1

        def run(self):
            return None

    monkeypatch.setattr(annotate_cli, "build_app", lambda *args: Crashed())
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "annotate"])
    assert result.exit_code == 1


def test_claim_duration_prefers_the_task():
    task = SimpleNamespace(settings={"claim_minutes": 3})
    assert claim_duration(task, Settings(claim_minutes=20)).total_seconds() == 180
    assert claim_duration(SimpleNamespace(settings={}), Settings(claim_minutes=20)).total_seconds() == 1200
    assert Settings().claim_minutes == 10
