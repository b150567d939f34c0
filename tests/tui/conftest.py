"""Fixtures for the annotation app: tasks built directly through the store."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from annotator.store import Factor, Pair, Store, Task
from annotator.tasks.profile import PROFILE_FACTORS
from annotator.tui.config import Settings


async def wait_until(pilot, condition, what: str, seconds: float = 60.0) -> None:
    """Let the app run until ``condition()`` holds (an explicit condition, never a fixed sleep).

    ``pilot.press`` waits for the app to look idle, which a loaded machine fools (a process
    starved of CPU looks idle); waiting for what the test needs does not. The bound is only
    there so a broken app fails instead of hanging: generous, never a speed requirement.
    """
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {seconds:.0f} s: {what}")
        await pilot.pause(0.01)



async def wait_while_saving(condition, what: str, seconds: float = 60.0) -> None:
    """Let the app run until ``condition()`` holds, while a save's write is held open.

    A save keeps the app's message queue until its write ends (keys pressed meanwhile wait
    for the write, then act on the next pair), so ``pilot.pause()``, which waits for that
    queue, would wait for the write that the test holds: this yields to the event loop only.
    """
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {seconds:.0f} s: {what}")
        await asyncio.sleep(0.005)


async def settle(pilot, rounds: int = 50) -> None:
    """Run the app until no widget of the screen has a message waiting, twice in a row.

    One ``pilot.pause()`` lets every widget handle what was queued when it began; a key's
    effects travel on (from the focused widget up to the screen, then to the app's bindings,
    then the messages those post), so pause until the queues stay empty. The rounds bound
    the effort (an app with a timer never stays empty for long), never a duration.
    """
    app = pilot.app
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        # A save in flight (its write runs in a thread, the next pair already on screen) is
        # not settled: its label and confirmation are still on their way (bounded as wait_until).
        deadline = time.monotonic() + 60
        while getattr(app.screen, "_saving", False) and time.monotonic() < deadline:
            await pilot.pause(0.005)
        nodes = (app, *app.screen.walk_children(with_self=True))
        quiet = quiet + 1 if all(node.message_queue_size == 0 for node in nodes) else 0
        if quiet == 2:
            return


@pytest.fixture(autouse=True)
def _press_settles(monkeypatch):
    """Every ``pilot.press`` in these tests returns once the keys' effects have settled.

    Textual's ``press`` waits until the process *looks* idle (CPU time against wall time),
    which a loaded machine fools: the test then asserts on a state still on its way.
    """
    from textual.pilot import Pilot

    press = Pilot.press

    async def press_and_settle(self, *keys: str) -> None:
        await press(self, *keys)
        await settle(self)

    monkeypatch.setattr(Pilot, "press", press_and_settle)


def make_task(
    store: Store,
    name: str = "t",
    *,
    n_pairs: int = 6,
    factors: tuple[str, ...] = (),
    allow_tie: bool = True,
    overlap: int = 1,
    attention_rate: float = 0.0,
    gold: dict[int, str] | None = None,
    required: list[str] | None = None,
    seed: int = 7,
    source: str = "",
    show_model_names: bool = False,
) -> Task:
    """A task with ``n_pairs`` short pairs ``p0..``; ``gold`` maps pair index to its gold choice."""
    task = Task(
        name=name,
        title=f"Task {name}",
        guidelines="# Guidelines\n\nPick the response that answers the question better.",
        allow_tie=allow_tie,
        overlap=overlap,
        factors=[PROFILE_FACTORS[k] for k in factors],
        required=required or [],
        attention_rate=attention_rate,
        seed=seed,
        show_model_names=show_model_names,
    )
    store.save_task(task)
    gold = gold or {}
    store.insert_pairs(
        Pair(
            task=name,
            pair_id=f"p{i}",
            prompt=f"Question number {i}?",
            response_a=f"Answer A{i}: the first response.",
            response_b=f"Answer B{i}: the second response.",
            model_a="model-alpha",
            model_b="model-beta",
            source=source,
            gold=gold.get(i),
            content_hash=f"h{i}",
        )
        for i in range(n_pairs)
    )
    return task


@pytest.fixture
def file_store(tmp_path):
    """A store on a database file: a session then writes through a connection of its own."""
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


def session_on(store: Store, n_pairs: int, **task):
    """A labelling session as "ann" (no app, no heartbeat) on a new task "t" of ``n_pairs``."""
    from datetime import timedelta

    from annotator.tui.session import LabelSession

    make_task(store, n_pairs=n_pairs, **task)
    return LabelSession(store, store.get_task("t"), "ann", claim_for=timedelta(minutes=5), heartbeat=None)


@contextlib.asynccontextmanager
async def reading(store: Store, settings: Settings, n_pairs: int, size=(160, 45)):
    """A task of ``n_pairs`` labelled as "ann" by the app (headless), the first pair read:
    yields the app, the pilot, the screen, the first pair and the session's writing store."""
    from annotator.tui.app import create_app

    make_task(store, n_pairs=n_pairs)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=size) as pilot:
        screen, first, writes = await reading_first_pair(app, pilot)
        yield app, pilot, screen, first, writes


@pytest.fixture
def store():
    s = Store.memory()
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Settings that ignore the user's own config file."""
    monkeypatch.setenv("ANNOTATOR_CONFIG", str(tmp_path / "no-config.toml"))
    return Settings()


@pytest.fixture
def custom_factor():
    return Factor(key="tone", name="Tone", definition="How polite the response is.",
                  question="Which response is politer?", custom=True)
