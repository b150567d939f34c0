"""Flows found awkward when labelling in a real terminal, each pinned by the pilot."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Static

from annotator.tui.app import create_app
from annotator.tui.screens.pair import PairScreen
from annotator.tui.widgets.label.choice_bar import ChoiceBar
from annotator.tui.widgets.label.confidence import ConfidenceSelect
from annotator.tui.widgets.label.factor_checklist import FactorChecklist
from annotator.tui.widgets.label.rationale import join_lines

from .conftest import make_task, wait_until

WIDE = (160, 45)


def hint(app) -> str:
    return str(app.screen.query_one("#factor-question", Static).render())


def test_join_lines():
    assert join_lines(" one\ntwo  \r\n\n three ") == "one two three"
    assert join_lines("\n\n") == ""


async def test_multi_line_paste_keeps_every_line(store, settings):
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("r", *"ok:")
        box = app.screen.query_one("#rationale", Input)
        box.post_message(events.Paste("first line\nsecond 2 line\n\nlast u q"))
        await pilot.pause()
        assert box.value == "ok:first line second 2 line last u q"
        await pilot.press("escape", "1", "enter")
        [label] = store.current_labels("t", "ann")
        assert label.rationale == "ok:first line second 2 line last u q"


async def test_missing_choice_leaves_the_rationale_box(store, settings):
    """Enter in the rationale box without a choice: the choice keys must then work."""
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = app.screen.pair
        box = app.screen.query_one("#rationale", Input)
        await pilot.press("r", *"why")
        await wait_until(pilot, lambda: box.value == "why", "the rationale typed")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.focused, Input), "the focus leaves the box")
        assert store.current_labels("t") == []
        await pilot.press("2", "enter")
        await wait_until(pilot, lambda: store.current_labels("t", "ann"), "the label saved")
        [label] = store.current_labels("t", "ann")
        assert label.pair == first.id and label.rationale == "why"
        await wait_until(pilot, lambda: app.screen.pair != first, "the next pair")
        assert app.screen.query_one("#rationale", Input).value == ""  # the next pair's box


async def test_a_fast_typist_loses_no_key_after_r_or_escape(store, settings):
    """Keys that reach the app before the one before them is handled (a fast typist, a loaded
    machine): ``r`` moves the focus as it arrives, so the next keys land in the box, and
    Escape moves it out as it arrives, so the next key is a command again."""
    make_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = app.screen.pair
        box = app.screen.query_one("#rationale", Input)
        for key in ("r", "w", "h", "y", "escape", "2"):
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await wait_until(pilot, lambda: box.value == "why" and app.screen.query_one(ChoiceBar).choice == "B",
                         "the keys typed after r in the box, 2 choosing B after Escape", seconds=20)
        await pilot.press("enter")
        await wait_until(pilot, lambda: store.current_labels("t", "ann"), "the label saved")
        [label] = store.current_labels("t", "ann")
        assert (label.pair, label.rationale) == (first.id, "why")


async def test_required_parts_one_clear_message_each(store, settings):
    make_task(store, factors=("receptiveness", "fluency"), allow_tie=False,
              required=["factors", "confidence", "rationale"])
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        screen: PairScreen = app.screen

        def messages() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await pilot.press("3", "enter")  # no tie in this task: nothing chosen
        assert messages() == ["Choose first: 1 = A better, 2 = B better."]
        await pilot.press("1", "enter")
        assert messages() == ["Answer every factor (missing: Receptiveness, Fluency). "
                              "Answer with a / e / b / n, then Enter."]
        assert isinstance(app.focused, FactorChecklist)
        await pilot.press("a", "enter")
        assert len(messages()) == 1 and "missing: Fluency" in messages()[0]
        assert screen.query_one(FactorChecklist).cursor == 1  # on the unanswered factor
        await pilot.press("n", "enter")
        assert messages() == ["This task asks for your confidence: press 1 (unsure) to 5 (sure), "
                              "then Enter."]
        assert isinstance(app.focused, ConfidenceSelect)
        await pilot.press("5", "enter")
        assert messages() == ["This task asks for a rationale: type it in the box, then Enter."]
        assert isinstance(app.focused, Input)
        await pilot.press(*"1 u q", "enter")
        [label] = store.current_labels("t", "ann")
        assert label.confidence == 5 and label.rationale == "1 u q"
        assert set(label.factors) == {"receptiveness", "fluency"}


async def test_factor_hint_follows_the_focus(store, settings):
    make_task(store, factors=("receptiveness", "fluency"), required=["factors"])
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        assert hint(app) == "f to answer the factor checklist (required)"
        await pilot.press("f")
        assert hint(app).startswith("Receptiveness: a = A shows more")
        await pilot.press("escape")
        assert hint(app) == "f to answer the factor checklist (required)"
    make_task(store, "opt", factors=("fluency",))
    app = create_app(store, "opt", "ann", settings)
    async with app.run_test(size=WIDE):
        assert hint(app) == "f to answer the factor checklist (optional)"


async def test_quit_releases_every_claim_and_resumes_on_the_same_pair(store, settings):
    make_task(store, n_pairs=4)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        on_screen = app.screen.pair
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(store.claims("t")) == 2  # the pair on screen and the one pre-rendered
    assert store.claims("t") == []  # free for others at once
    assert store.writers("t") == []  # the name is free too
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE):
        assert app.screen.pair.id == on_screen.id  # resumes on the same pair


async def test_finished_screen_checks_again(store, settings):
    make_task(store, n_pairs=1)
    taken = store.next_pair(store.get_task("t"), "bea")  # bea labels it right now, elsewhere
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        assert app.screen.pair is None
        finished = str(app.screen.query_one("#finished", Static).render())
        assert "check again" in finished and "review your last labels" not in finished
        store.release_claim(taken.id, "bea")  # bea gives the pair up
        await pilot.press("enter")
        assert app.screen.pair is not None and app.screen.pair.id == taken.id
        await pilot.press("1", "enter")
        assert [label.pair for label in store.current_labels("t", "ann")] == [taken.id]
        finished = str(app.screen.query_one("#finished", Static).render())
        assert "review your last labels" in finished


async def test_short_terminal_gives_the_responses_room(store, settings):
    make_task(store, factors=("receptiveness", "helpfulness", "fluency", "coherence"))
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        checklist = app.screen.query_one(FactorChecklist)
        assert checklist.size.height == 1
        left_height = app.screen.left.size.height
        await pilot.press("f")
        await pilot.pause()
        assert checklist.size.height == 4
        await pilot.press("down", "down", "a", "escape")
        await pilot.pause()
        assert checklist.size.height == 1 and app.screen.left.size.height == left_height
        assert checklist.scroll_offset.y == checklist.cursor == 3
        progress = str(app.screen.query_one("#progress").render())
        shown = app.screen.pair.pair_id  # whichever pair the seeded queue serves first
        assert progress.lstrip().startswith(f"{shown} · 1/6 · ") and "left" in progress
