"""The home screen beyond the basics (tests/tui/test_people.py): a task this name labels in
another session is marked and not started (another task is), and the researcher's
dashboard opens on the tasks too."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone

from annotator.store import WriterIdentity
from annotator.tui.app import create_app
from annotator.tui.dashboard_app import create_dashboard_app
from annotator.tui.screens.dashboard import DashboardScreen
from annotator.tui.screens.pair import PairScreen
from annotator.tui.screens.tasks import TaskPickerScreen

from .conftest import make_task


async def test_a_task_open_in_another_session_is_marked_and_another_task_starts(store, settings):
    make_task(store, "t", n_pairs=3)
    make_task(store, "u", n_pairs=3)
    elsewhere = WriterIdentity(holder="laptop:4242:x", pid=4242, host="another-laptop")
    started = datetime.now(timezone.utc).replace(hour=9, minute=30)
    store.acquire_writer("t", "ann", elsewhere, now=started, lease=timedelta(days=1))  # live till tomorrow
    app = create_app(store, None, "ann", settings, origin="web")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, TaskPickerScreen)
        first = str(screen.query_one("#task-list").get_option_at_index(0).prompt)
        assert "open in another session of yours since 09:30 UTC" in first
        assert screen.query_one("#task-list").highlighted == 1  # the free task is offered first
        await pilot.press("up", "enter")  # the busy one: refused, the home screen stays
        assert isinstance(app.screen, TaskPickerScreen)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "ann is labelling this task in another session (since 09:30 UTC)" in said
        assert "4242" not in said and "another-laptop" not in said and socket.gethostname() not in said
        assert str(os.getpid()) not in said
        await pilot.press("down", "enter")
        assert isinstance(app.screen, PairScreen) and app.label_task.name == "u"
        await pilot.press("1", "enter")
    rows = store.query("SELECT task, annotator, origin FROM current_labels")
    assert [(r["task"], r["annotator"], r["origin"]) for r in rows] == [("u", "ann", "web")]
    # the other session's lease is untouched; this one gave its own back
    assert [(w["task"], w["annotator"]) for w in store.writers()] == [("t", "ann")]


async def test_the_dashboard_opens_on_the_tasks_when_none_is_named(store):
    make_task(store, "t", n_pairs=3)
    make_task(store, "u", n_pairs=4)
    app = create_dashboard_app(store, None, poll_seconds=60, stats_seconds=600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, TaskPickerScreen)
        second = str(screen.query_one("#task-list").get_option_at_index(1).prompt)
        assert "Task u (u)" in second and "0 labels by 0 annotator(s) · 0 of 4 pairs labelled" in second
        await pilot.press("down", "enter")
        assert isinstance(app.screen, DashboardScreen) and app.label_task.name == "u"
