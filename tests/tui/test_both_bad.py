"""The "both bad" key: offered only by a task whose `choices` list it; the row says both_bad."""

from __future__ import annotations

from rich.console import Console

from annotator.store import Label, Pair, Task
from annotator.store.models import TaskSettings
from annotator.tui import keymap
from annotator.tui.adjudicate_app import create_adjudication_app
from annotator.tui.app import create_app
from annotator.tui.screens.help import HelpScreen, bindings_table
from annotator.tui.screens.pair import PairScreen
from annotator.tui.widgets.label.choice_bar import ChoiceBar

from .conftest import make_task

WIDE = (160, 45)
BOTH_BAD = TaskSettings(choices=["A", "B", "tie", "both_bad"])


def _footer_descriptions(app) -> set[str]:
    return {b.binding.description for b in app.screen.active_bindings.values() if b.enabled and b.binding.show}


async def test_the_both_bad_key_saves_both_bad_where_the_task_offers_it(store, settings):
    task = make_task(store)
    task.settings = BOTH_BAD
    store.save_task(task, replace=True)
    app = create_app(store, task, "ann", settings, clock=lambda: 0.0)
    async with app.run_test(size=WIDE) as pilot:
        assert isinstance(app.screen, PairScreen)
        first = app.screen.pair
        assert "Both bad" in _footer_descriptions(app)
        await pilot.press("4")
        assert app.screen.query_one(ChoiceBar).choice == "both_bad"
        console = Console(width=120, record=True)
        console.print(app.screen.query_one(ChoiceBar).render())
        assert "4  Both bad" in console.export_text()
        await pilot.press("enter")
        rows = store.query("SELECT pair, choice, revision FROM labels WHERE task = 't' AND annotator = 'ann'")
        assert rows == [{"pair": first.id, "choice": "both_bad", "revision": 1}]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and "choose_both_bad" not in app.screen.hidden


async def test_a_task_without_it_neither_shows_nor_takes_the_key(store, settings):
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        assert "Both bad" not in _footer_descriptions(app)
        await pilot.press("4", "enter")
        assert store.current_labels("t") == []
        assert app.screen.query_one(ChoiceBar).choice is None
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and "choose_both_bad" in app.screen.hidden


def test_the_help_lists_both_bad_only_where_offered():
    def text(hidden):
        console = Console(width=200, record=True)
        console.print(bindings_table({}, lambda key: key, hidden))
        return console.export_text()

    plain = Task(name="plain")
    offered = Task(name="offered", settings=BOTH_BAD)
    assert "choose_both_bad" in text(keymap.unoffered_choices(offered))
    assert "choose_both_bad" not in text(keymap.unoffered_choices(plain)) and "choose_tie" in text(
        keymap.unoffered_choices(plain))
    assert "choose_tie" not in text(keymap.unoffered_choices(Task(name="no-tie", allow_tie=False)))


async def test_an_adjudicator_settles_a_pair_as_both_bad(store, settings):
    store.save_task(Task(name="d", settings=BOTH_BAD))
    store.insert_pairs(Pair(task="d", pair_id=f"p{i}", prompt="q", response_a="a", response_b="b",
                            content_hash=str(i)) for i in range(2))
    ids = [p.stored_id for p in store.pairs("d")]
    store.add_labels([Label(pair=ids[0], annotator="ann0", choice="A"),
                      Label(pair=ids[0], annotator="ann1", choice="both_bad")])
    app = create_adjudication_app(store, "d", "judy", settings)
    async with app.run_test(size=WIDE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Final: both bad" in _footer_descriptions(app)
        await pilot.press("4", "r", "s")
        [settled] = store.current_adjudications("d").values()
        assert (settled.pair, settled.choice) == (ids[0], "both_bad")


async def test_the_adjudication_screen_refuses_both_bad_where_not_offered(store, settings):
    store.save_task(Task(name="d"))
    store.insert_pairs(Pair(task="d", pair_id=f"p{i}", prompt="q", response_a="a", response_b="b",
                            content_hash=str(i)) for i in range(2))
    ids = [p.stored_id for p in store.pairs("d")]
    store.add_labels([Label(pair=ids[0], annotator="ann0", choice="A"), Label(pair=ids[0], annotator="ann1", choice="B")])
    app = create_adjudication_app(store, "d", "judy", settings)
    async with app.run_test(size=WIDE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Final: both bad" not in _footer_descriptions(app)
        await pilot.press("4", "r", "s")
        assert store.current_adjudications("d") == {}
