"""The annotator's flows, driven through the pilot, asserting on the rows written."""

from __future__ import annotations

from annotator.store import Label
from annotator.store.orders import presentation_order, to_canonical
from annotator.tui.app import create_app
from annotator.tui.screens.pair import PairScreen
from annotator.tui.widgets.label.choice_bar import ChoiceBar

from .conftest import make_task, wait_until

WIDE = (160, 45)


def pair_screen(app) -> PairScreen:
    assert isinstance(app.screen, PairScreen)
    return app.screen


def shown_pair(app):
    return pair_screen(app).pair


async def test_label_a_pair(store, settings):
    task = make_task(store)
    app = create_app(store, task, "ann", settings, clock=lambda: 0.0)
    async with app.run_test(size=WIDE) as pilot:
        first = shown_pair(app)
        order = presentation_order(task.seed, "ann", first.pair_id)
        left_text = first.response_a if order[0] == "A" else first.response_b
        assert pair_screen(app).left.view.plain_lines()[0] == left_text
        await pilot.press("1", "enter")
        [label] = store.current_labels("t", "ann")
        assert (label.pair, label.choice, label.shown_order) == (first.id, order[0], order)
        assert label.revision == 1 and label.origin == "tui" and label.seconds == 0.0
        assert label.factors == {} and label.confidence is None and label.rationale == ""
        assert shown_pair(app).id != first.id
        claimed = {c["pair"] for c in store.claims("t")}
        assert first.id not in claimed and shown_pair(app).id in claimed


async def test_choice_is_required_before_saving(store, settings):
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = shown_pair(app)
        await pilot.press("enter")
        assert store.current_labels("t") == []
        assert shown_pair(app).id == first.id


async def test_factors_confidence_and_rationale(store, settings, custom_factor):
    task = make_task(store, factors=("receptiveness", "fluency"))
    task.factors.append(custom_factor)
    store.save_task(task, replace=True)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = shown_pair(app)
        order = presentation_order(task.seed, "ann", first.pair_id)
        # f focuses the checklist: receptiveness = A (left), fluency = equal, tone = n/a.
        await pilot.press("f", "a", "e", "n", "escape")
        await pilot.press("c", "4")
        await pilot.press("r", *"clearer", "escape")
        await pilot.press("2", "enter")
        [label] = store.current_labels("t", "ann")
        assert label.choice == to_canonical("B", order)
        assert label.factors == {
            "receptiveness": to_canonical("A", order), "fluency": "equal", "tone": "na",
        }
        assert label.confidence == 4 and label.rationale == "clearer"


async def test_required_factors_block_saving(store, settings):
    task = make_task(store, factors=("receptiveness", "fluency"), required=["factors"])
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("1", "enter")
        assert store.current_labels("t") == []
        # The checklist got the focus; answer both and save.
        await pilot.press("b", "b", "enter")
        [label] = store.current_labels("t")
        assert set(label.factors) == {"receptiveness", "fluency"}


async def test_tie_disallowed(store, settings):
    task = make_task(store, allow_tie=False)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("3", "enter")
        assert store.current_labels("t") == []
        assert app.screen.query_one(ChoiceBar).choice is None
        assert "Tie" not in {b.binding.description for b in app.screen.active_bindings.values()
                             if b.enabled}
        await pilot.press("2", "enter")
        assert [lb.choice in ("A", "B") for lb in store.current_labels("t")] == [True]


async def test_undo_and_change_keeps_history(store, settings):
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = shown_pair(app)
        await pilot.press("1", "enter")
        second = shown_pair(app)
        await pilot.press("u")
        assert shown_pair(app).id == first.id
        assert app.screen.query_one(ChoiceBar).choice == "A"  # the saved answer is back
        await pilot.press("2", "enter")
        # Back on the pair that was waiting, which is still unlabelled.
        assert shown_pair(app).id == second.id
        history = store.label_history(first.id, "ann")
        order = history[0].shown_order
        assert [h.revision for h in history] == [1, 2]
        assert [h.choice for h in history] == [to_canonical("A", order), to_canonical("B", order)]
        assert history[1].shown_order == order
        # Going back and saving without a change writes nothing.
        await pilot.press("u", "enter")
        assert len(store.label_history(first.id, "ann")) == 2
        assert shown_pair(app).id == second.id


async def test_resume_after_quit(store, settings):
    task = make_task(store, n_pairs=5)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("1", "enter", "2", "enter")
        on_screen = shown_pair(app)
        await pilot.press("q")
    labelled = {lb.pair for lb in store.current_labels("t", "ann")}
    assert len(labelled) == 2
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        assert shown_pair(app).id == on_screen.id  # the first unlabelled pair, as left
        assert shown_pair(app).id not in labelled
        await pilot.press("1", "enter", "1", "enter", "1", "enter")
        assert pair_screen(app).pair is None  # all five done
        assert app.screen.query_one("#finished").display
    assert len(store.current_labels("t", "ann")) == 5


async def test_overlap_across_three_annotators(store, settings):
    task = make_task(store, n_pairs=4, overlap=2)
    seen = {}
    for name in ("ann", "bob", "cat"):
        app = create_app(store, task, name, settings)
        async with app.run_test(size=WIDE) as pilot:
            while shown_pair(app) is not None:
                await pilot.press("1", "enter")
        seen[name] = [lb.pair for lb in store.current_labels("t", name)]
    assert all(len(v) == len(set(v)) for v in seen.values())
    counts = {}
    for pairs in seen.values():
        for pid in pairs:
            counts[pid] = counts.get(pid, 0) + 1
    assert sorted(counts.values()) == [2, 2, 2, 2]
    assert sum(len(v) for v in seen.values()) == 8


async def test_position_randomisation_stored(store, settings):
    task = make_task(store, n_pairs=8)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        while (pair := shown_pair(app)) is not None:
            order = presentation_order(task.seed, "ann", pair.pair_id)
            left = pair_screen(app).left.view.plain_lines()[0]
            assert left == (pair.response_a if order == "AB" else pair.response_b)
            await pilot.press("1", "enter")
    labels = store.current_labels("t", "ann")
    orders = {lb.shown_order for lb in labels}
    assert orders == {"AB", "BA"}  # both orders occur over eight pairs with this seed
    for label in labels:
        assert label.choice == label.shown_order[0]  # "left is better" in canonical terms


async def test_attention_checks_scored_and_unmarked(store, settings):
    gold = {0: "A", 1: "B"}
    task = make_task(store, n_pairs=10, attention_rate=0.25, gold=gold)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        while (pair := shown_pair(app)) is not None:
            if pair.gold is not None:
                screen_text = " ".join(
                    str(w.render()) for w in app.screen.query("Static") if w.display
                )
                assert "gold" not in screen_text.lower() and "attention" not in screen_text.lower()
            # Always answer canonical A: right on p0, wrong on p1.
            order = pair_screen(app).order
            await pilot.press("1" if order[0] == "A" else "2", "enter")
    score = store.attention_score("t", "ann")
    assert (score.answered, score.correct, score.accuracy) == (2, 1, 0.5)
    assert len(store.current_labels("t", "ann")) == 10


async def test_narrow_and_wide_layouts(store, settings):
    task = make_task(store)
    for size, side_by_side in (((160, 45), True), ((80, 40), False)):
        app = create_app(store, task, f"ann{size[0]}", settings)
        async with app.run_test(size=size) as pilot:
            screen = pair_screen(app)
            left, right = screen.left.region, screen.right.region
            if side_by_side:
                assert left.y == right.y and right.x >= left.right
                assert screen.has_class("-wide")
            else:
                assert left.x == right.x and right.y >= left.bottom
                assert screen.has_class("-narrow")
            assert screen.left.view.plain_lines()  # rendered at the pane's width
            await pilot.press("2", "enter")
        assert len(store.current_labels("t", f"ann{size[0]}")) == 1


async def test_resize_rerenders_at_new_width(store, settings):
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=(160, 45)) as pilot:
        view = pair_screen(app).left.view
        wide = view.line_width
        await pilot.resize_terminal(100, 45)  # narrow: stacked, so each pane is wider
        # The app re-lays out on a timer after a resize: wait for the new width, not a moment.
        await wait_until(pilot, lambda: view.line_width != wide and view._lines_width == view.line_width,
                         "the pane re-rendered at its new width")
        assert all(s.cell_length == view.line_width for s in view._lines)


async def test_name_prompt_then_label(store, settings):
    task = make_task(store)
    app = create_app(store, task, None, settings)
    async with app.run_test(size=WIDE) as pilot:
        name_input = app.screen.query_one("#name-input")
        name_input.value = ""
        await pilot.press("enter")
        assert not isinstance(app.screen, PairScreen)  # empty name refused
        await pilot.press(*"zoe", "enter")
        assert isinstance(app.screen, PairScreen)
        await pilot.press("1", "enter")
    assert [lb.annotator for lb in store.current_labels("t")] == ["zoe"]


async def test_help_guidelines_and_definition(store, settings):
    task = make_task(store, factors=("receptiveness",))
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape", "g")
        assert type(app.screen).__name__ == "GuidelinesScreen"
        await pilot.press("g", "f", "i")
        assert type(app.screen).__name__ == "FactorDefinitionScreen"
        await pilot.press("escape")
        assert isinstance(app.screen, PairScreen)


async def test_keymap_from_config(store, tmp_path, monkeypatch):
    from annotator.tui.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text('[keymap]\nsave = "ctrl+s"\nchoose_left = "x"\n', encoding="utf-8")
    monkeypatch.setenv("ANNOTATOR_CONFIG", str(config))
    settings = load_settings()
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("x", "enter")
        assert store.current_labels("t") == []
        await pilot.press("ctrl+s")
        [label] = store.current_labels("t")
        assert label.choice == label.shown_order[0]


async def test_auto_advance(store, settings):
    settings.auto_advance = True
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("1", "2")
    assert len(store.current_labels("t")) == 2


async def test_diff_and_raw_modes(store, settings):
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        screen = pair_screen(app)
        await pilot.press("d")
        assert screen.mode == "diff" and "alike" in str(screen.left.border_subtitle)
        await pilot.press("d", "m")
        assert screen.mode == "raw"
        await pilot.press("1", "enter")
        assert screen.mode == "raw"  # the mode stays for the next pair
    assert len(store.current_labels("t")) == 1


async def test_saved_label_survives_a_store_error(store, settings, monkeypatch):
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = shown_pair(app)

        def broken(label: Label):
            raise RuntimeError("disk full")

        monkeypatch.setattr(store, "add_label", broken)
        await pilot.press("1", "enter")
        assert shown_pair(app).id == first.id  # not moved on: nothing was saved
        monkeypatch.undo()
        await pilot.press("enter")
        assert [lb.pair for lb in store.current_labels("t")] == [first.id]
