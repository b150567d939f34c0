"""Smaller things of the terminal: the footer's last cell, maths, the source key, the
maximised pane, the rationale box's footer, and the blind adjudication screen."""

from __future__ import annotations

import pytest
from rich.console import Console
from textual.widgets._footer import FooterKey

from annotator.store import Label, Pair, Task
from annotator.text.latex import latex_to_unicode
from annotator.tui.adjudicate_app import create_adjudication_app
from annotator.tui.app import create_app
from annotator.tui.widgets.adjudicate.pair_detail import PairDetail
from annotator.tui.widgets.status.footer import KeysFooter

from .conftest import make_task


def as_text(renderable) -> str:
    console = Console(width=100, color_system=None)
    with console.capture() as out:
        console.print(renderable)
    return out.get()


@pytest.mark.parametrize(("source", "expected"), [
    (r"\boxed{42}", "⟦42⟧"),
    (r"\boxed{\frac{1}{2}}", "⟦½⟧"),
    (r"c^2 = a^2 + b^2 - 2ab\cos C", "c² = a² + b² - 2ab cos C"),
    (r"\sin\theta", "sin θ"),
    (r"\sin^2 x + \cos^2 x = 1", "sin² x + cos² x = 1"),
    (r"\log(x)", "log(x)"),
])
def test_boxed_answers_and_function_names(source, expected):
    assert latex_to_unicode(source) == expected


@pytest.mark.parametrize("width", [80, 100, 130])
async def test_footer_shows_only_whole_keys_before_the_help_key(store, settings, width):
    make_task(store, factors=("receptiveness", "helpfulness"))
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(width, 30)) as pilot:
        for keys in ((), ("f",), ("escape", "d")):  # the checklist's keys overflow the footer
            await pilot.press(*keys)
            await pilot.pause()
            footer = app.screen.query_one(KeysFooter)
            keys_shown = list(footer.query(FooterKey))
            [help_key] = [k for k in keys_shown if k.has_class("-command-palette")]
            assert help_key.region.right == width  # no column of the keys behind it shows through
            others = [k for k in keys_shown if k is not help_key]
            assert others and all(k.region.right <= help_key.region.x for k in others)


async def test_source_key_on_a_pair_without_source_says_so(store, settings):
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        assert any("no source document" in str(n.message) for n in app._notifications)
        assert not app.screen.source_pane.display


async def test_maximised_pane_says_which_response(store, settings):
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("z")
        assert screen.maximized is screen.left
        assert "Response A" in str(screen.left.border_title)
        await pilot.press("z")
        assert screen.maximized is None and str(screen.left.border_title).strip() == "A"


async def test_rationale_footer_does_not_offer_search(store, settings):
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(240, 40)) as pilot:
        def shown():
            return {k.description for k in app.screen.query_one(KeysFooter).query(FooterKey)}
        assert "Search" in shown()
        await pilot.press("r")
        await pilot.pause()
        assert "Search" not in shown()


async def test_adjudication_is_blind_rendered_and_votes_come_first(store, settings):
    store.save_task(Task(name="d", title="Disputes"))
    store.insert_pairs([Pair(task="d", pair_id="p1", prompt="Which?", response_a="**bold** answer $\\frac{1}{2}$",
                             response_b="plain", model_a="secret-model-a", model_b="secret-model-b",
                             content_hash="1")])
    pair = store.get_pair_by_external_id("d", "p1").id
    store.add_labels([Label(pair=pair, annotator="ann0", choice="A", shown_order="AB", rationale="A is right"),
                      Label(pair=pair, annotator="ann1", choice="B", shown_order="AB", rationale="B is right")])
    app = create_adjudication_app(store, "d", "judy", settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        detail = app.screen.query_one(PairDetail)
        a = detail.query_one("#adj-response-a")
        assert "secret-model" not in str(a.border_title)
        shown = as_text(a.content)
        assert "bold answer ½" in " ".join(shown.split()) and "**" not in shown
        votes = detail.query_one("#adj-votes")
        assert votes.region.y < a.region.y and votes.region.bottom <= 40  # above the fold
        assert "A is right" in as_text(votes.content)
