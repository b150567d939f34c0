"""The keys screen (``?``) is built once per content and shown again: opening it a second
time composes nothing (its table is not laid out again), and it is opaque, so no paint blends
the pair screen beneath it."""

from __future__ import annotations

from annotator.tui.app import create_app
from annotator.tui.screens import help as help_screen
from annotator.tui.screens.help import HelpScreen
from annotator.tui.screens.pair import PairScreen

from .conftest import make_task


async def test_the_keys_screen_is_built_once_and_shown_again(store, settings, monkeypatch):
    built = []
    real = help_screen.bindings_table
    monkeypatch.setattr(help_screen, "bindings_table", lambda *args: built.append(args) or real(*args))
    app = create_app(store, make_task(store), "ann", settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        keys = app.screen
        assert isinstance(keys, HelpScreen) and len(built) == 1
        assert keys.styles.background.a == 1  # opaque: nothing beneath is blended into its paint
        scroll = keys.query_one("#help-scroll")
        await pilot.press("pagedown")
        assert scroll.scroll_y > 0
        await pilot.press("escape")
        assert isinstance(app.screen, PairScreen)
        await pilot.press("1", "enter")  # the pair screen goes on meanwhile
        assert len(store.current_labels("t", "ann")) == 1
        await pilot.press("question_mark")
        assert app.screen is keys and len(built) == 1  # the same screen, not built again
        assert scroll.scroll_y == 0  # from the top again
        assert "choose_left" in app.export_screenshot()  # and on screen
        await pilot.press("question_mark")
        assert isinstance(app.screen, PairScreen)
