"""Whose labels these are: the name on screen, a remembered name offered (never assumed),
``--annotator`` for one run; the home screen of tasks."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest

from annotator.tui.app import create_app
from annotator.tui.screens.annotator_name import AnnotatorNameScreen, ContinueAsScreen
from annotator.tui.screens.pair import PairScreen
from annotator.tui.screens.tasks import TaskPickerScreen
from annotator.tui.widgets.label.choice_bar import ChoiceBar

from .conftest import make_task

WIDE = (160, 45)
LONG_NAME = "alexandra-the-annotator"


@pytest.fixture
def login(monkeypatch):
    monkeypatch.setattr("annotator.tui.app.os_account", lambda: "unix-login")


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch.isalnum() else {"-": "minus", " ": "space"}[ch])


async def test_a_command_line_name_is_for_that_run_only(store, settings, login):
    """alice (remembered), then --annotator carol once, then annotate: alice is offered,
    and nothing is stored as carol by someone who believed they were alice."""
    task = make_task(store)
    app = create_app(store, task, None, settings)
    async with app.run_test(size=WIDE) as pilot:
        assert isinstance(app.screen, AnnotatorNameScreen)
        await _type(pilot, "alice")
        await pilot.press("tab", "space", "enter")  # tick "remember", then Enter
        assert isinstance(app.screen, PairScreen)
        await pilot.press("1", "enter")
    assert store.remembered_annotator("unix-login") == "alice"
    app = create_app(store, task, "carol", settings)  # annotate --annotator carol
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("1", "enter")
    assert store.remembered_annotator("unix-login") == "alice"
    app = create_app(store, task, None, settings)  # annotate
    async with app.run_test(size=WIDE) as pilot:
        assert isinstance(app.screen, ContinueAsScreen)  # offered, not assumed
        assert "alice" in str(app.screen.query_one("#name-offer").render())
        await pilot.press("1", "enter")  # keys of the pair screen do nothing here
        assert isinstance(app.screen, PairScreen) and app.annotator == "alice"
        await pilot.press("1", "enter")
    assert sorted(lb.annotator for lb in store.current_labels("t")) == ["alice", "alice", "carol"]


async def test_someone_else_changes_the_offered_name(store, settings, login):
    task = make_task(store)
    store.remember_annotator("unix-login", "alice")
    app = create_app(store, task, None, settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("c")
        assert isinstance(app.screen, AnnotatorNameScreen)
        assert app.screen.query_one("#name-input").value == ""
        await _type(pilot, "bob")
        await pilot.press("enter")  # not ticked: bob for this run only
        assert isinstance(app.screen, PairScreen) and app.annotator == "bob"
        await pilot.press("1", "enter")
    assert [lb.annotator for lb in store.current_labels("t")] == ["bob"]
    assert store.remembered_annotator("unix-login") == "alice"


async def test_remember_flag_remembers_the_command_line_name(store, settings, login):
    task = make_task(store)
    app = create_app(store, task, "dora", settings, remember=True)
    async with app.run_test(size=WIDE):
        pass
    assert store.remembered_annotator("unix-login") == "dora"


@pytest.mark.parametrize("width", [80, 120, 142, 200])
async def test_the_name_is_on_screen_at_every_width(store, settings, width):
    task = make_task(store)
    task.title = "A very long task title " * 8
    store.save_task(task, replace=True)
    app = create_app(store, "t", LONG_NAME, settings)
    async with app.run_test(size=(width, 30)) as pilot:
        name = app.screen.query_one("#annotator-name")
        assert str(name.render()) == LONG_NAME
        assert name.region.x >= 0 and name.region.right <= width and name.region.width >= len(LONG_NAME)
        title = app.screen.query_one("#task-title")
        assert title.region.x >= name.region.right  # the title gives way, after the name
        shown = app.screen.pair.pair_id
        await pilot.press("1", "enter")
        # The save is confirmed with the name it was stored under.
        assert str(name.render()) == f"✓ {shown} saved as {LONG_NAME}"
        assert name.region.right <= width


# -- the home screen ----------------------------------------------------------------------------
async def test_home_screen_lists_the_tasks_to_label_and_starts_the_chosen_one(store, settings, login):
    make_task(store, "t", n_pairs=3)
    make_task(store, "u", n_pairs=4)
    make_task(store, "empty", n_pairs=0)
    app = create_app(store, None, "ann", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, TaskPickerScreen)
        await pilot.press("enter")  # the first task
        assert isinstance(app.screen, PairScreen) and app.label_task.name == "t"
        await pilot.press("1", "enter")
    app = create_app(store, None, None, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await _type(pilot, "ann")
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, TaskPickerScreen)
        rows = [str(screen.query_one("#task-list").get_option_at_index(i).prompt) for i in range(2)]
        assert "Task t (t)" in rows[0] and "you labelled 1 · 2 waiting for you · 3 pairs" in rows[0]
        assert "Task u (u)" in rows[1] and "you labelled 0 · 4 waiting" in rows[1]  # no pairs: not offered
        await pilot.press("down", "enter")
        assert isinstance(app.screen, PairScreen) and app.label_task.name == "u"
        await pilot.press("1", "enter")
    assert [lb.pair for lb in store.current_labels("u", "ann")]


async def test_home_screen_q_quits(store, settings):
    make_task(store, "t")
    make_task(store, "u")
    app = create_app(store, None, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        assert isinstance(app.screen, TaskPickerScreen)
        await pilot.press("q")
    assert app.return_code in (None, 0) and store.claims("t") == store.claims("u") == []


def test_unknown_task_lists_each_known_task_once(tmp_path):
    from click.testing import CliRunner

    from annotator.cli import main

    db = str(tmp_path / "a.db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "tasks", "add", "demo"]).exit_code == 0
    result = runner.invoke(main, ["--db", db, "annotate", "--task", "nope", "--annotator", "ann"])
    assert result.exit_code != 0
    known = result.output.split("known:")[1]
    assert known.count("demo") == 1


# -- a save while another process holds the database ---------------------------------------------
@contextlib.contextmanager
def _write_lock_held(path):
    """Another program holds the database's write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def _until(condition) -> None:
    """Let the event loop run (a blocked save keeps waiting meanwhile) until ``condition()``
    holds: not a fixed time, which a loaded machine could spend before a key reached the
    screen. The bound only stops a hang (20 s, under the 30 s busy timeout)."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.05)


async def test_a_save_waiting_for_the_lock_shows_it_and_keeps_the_screen_alive(tmp_path, settings):
    from annotator.store import Store

    path = tmp_path / "locked.db"
    store = Store.open(path)
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = app.screen.pair
        await pilot.press("1")
        with _write_lock_held(path):
            saving = asyncio.ensure_future(pilot.press("enter"))
            name = app.screen.query_one("#annotator-name")
            await _until(lambda: "waiting for the database" in str(name.render()))
            assert "waiting for the database" in str(name.render()) and "ann" in str(name.render())
            assert not saving.done()
            choosing = asyncio.ensure_future(pilot.press("2"))  # meant for the next pair
            await asyncio.sleep(0.3)
        await saving
        await choosing
        await pilot.pause()
        assert app.screen.pair.id != first.id
        assert str(name.render()).startswith("✓")
        from annotator.store.orders import to_shown
        [label] = store.current_labels("t")
        assert (label.pair, label.annotator) == (first.id, "ann")
        assert to_shown(label.choice, label.shown_order) == "A"  # the 1 pressed before Enter, not the 2
        assert app.screen.query_one(ChoiceBar).choice == "B"  # the 2 waited for the next pair
    store.close()


@pytest.mark.parametrize("width", [120, 142])
async def test_a_long_name_beside_the_progress_never_cuts_it(store, settings, width):
    """At 120 columns a long name's save confirmation cut the progress to "0:01 on this pai":
    the progress takes its short form instead, whole, and the name stays whole."""
    make_task(store)
    name = "a-rather-long-annotator-name"
    app = create_app(store, "t", name, settings)
    async with app.run_test(size=(width, 30)) as pilot:
        screen = app.screen
        shown = screen.pair.pair_id
        await pilot.press("1", "enter")
        label = screen.query_one("#annotator-name")
        assert str(label.render()) == f"✓ {shown} saved as {name}"
        progress = screen.query_one("#progress")
        drawn = str(progress.render())
        assert progress.region.right <= width and progress.region.width >= len(drawn)
        assert drawn.endswith("left") and "…" not in drawn
    assert [r["annotator"] for r in store.query("SELECT annotator FROM current_labels")] == [name]


async def test_the_wait_for_the_database_fits_the_top_bar_at_80_columns(tmp_path, settings):
    """At 80 columns the long "waiting" line pushed the progress off the screen and was cut: it
    takes the longest form that fits, whole, with the progress whole beside it."""
    from annotator.store import Store

    path = tmp_path / "locked.db"
    store = Store.open(path)
    make_task(store)
    app = create_app(store, "t", "alice", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        with _write_lock_held(path):
            saving = asyncio.ensure_future(pilot.press("enter"))
            name = app.screen.query_one("#annotator-name")
            # until the screen says it waits and the top bar has been laid out again for that text
            await _until(lambda: str(name.render()).startswith("⏳") and name.region.width > len("alice"))
            drawn = str(name.render())
            assert drawn.startswith("⏳ saving as alice: waiting")
            assert name.region.right <= 80 and name.region.width >= len(drawn)
            progress = app.screen.query_one("#progress")
            assert progress.region.right <= 80 and progress.region.width >= len(str(progress.render()))
        await saving
    store.close()
