"""An annotator's long day (issue 13): moving through the work, reading long responses,
keys that never surprise. Each flow through the pilot, asserting on the screen and the rows."""

from __future__ import annotations

from textual import events

from annotator.store import Label, Pair
from annotator.tui.app import create_app
from annotator.tui.screens.help import HelpScreen, bindings_table
from annotator.tui.screens.pair import PairScreen
from annotator.tui.widgets.label.choice_bar import ChoiceBar
from annotator.tui.widgets.label.rationale import RationaleInput
from annotator.tui.widgets.status.progress import QueueProgress

from .conftest import make_task

WIDE = (160, 45)


def screen_of(app) -> PairScreen:
    assert isinstance(app.screen, PairScreen)
    return app.screen


def progress_text(app) -> str:
    return str(app.screen.query_one(QueueProgress).render())


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space", ":": "colon", "#": "number_sign"}.get(ch, ch) for ch in text])


# -- moving through the work ----------------------------------------------------------------
async def test_skip_is_stored_and_the_pair_comes_back_last(store, settings):
    task = make_task(store, n_pairs=4)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        skipped = screen_of(app).pair
        await pilot.press("x")
        assert store.skipped_pairs("t", "ann") == [skipped.id]
        assert screen_of(app).pair.id != skipped.id
        seen = []
        while (pair := screen_of(app).pair) is not None:
            seen.append(pair.id)
            await pilot.press("1", "enter")
    assert seen[-1] == skipped.id and len(seen) == 4
    assert {lb.pair for lb in store.current_labels("t", "ann")} == {p.id for p in store.pairs("t")}


async def test_skipping_the_last_open_pair_says_so(store, settings):
    task = make_task(store, n_pairs=1)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        only = screen_of(app).pair
        await pilot.press("x")
        assert screen_of(app).pair.id == only.id
        assert any("last one left" in n.message for n in app._notifications)
        # Revisiting a saved label: skip does nothing and says why.
        await pilot.press("1", "enter", "u", "x")
        assert screen_of(app).pair.id == only.id and len(store.current_labels("t")) == 1


async def test_flag_with_a_reason_is_stored_shown_and_withdrawn(store, settings):
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        pair = screen_of(app).pair
        await pilot.press("exclamation_mark", "enter")
        assert type(app.screen).__name__ == "FlagScreen"  # an empty reason is refused
        await type_text(pilot, "prompt cut off")
        await pilot.press("enter")
        [flag] = store.flags("t")
        assert (flag.pair, flag.annotator, flag.reason) == (pair.id, "ann", "prompt cut off")
        assert "⚑ flagged" in progress_text(app)
        assert store.current_labels("t") == []  # flagging does not label or move on
        assert screen_of(app).pair.id == pair.id
        await pilot.press("exclamation_mark")
        assert app.screen.query_one("#flag-reason").value == "prompt cut off"
        app.screen.query_one("#flag-reason").value = ""
        await pilot.press("enter")
        assert store.flags("t") == [] and "flagged" not in progress_text(app)
        assert len(store.flags("t", include_cleared=True)) == 1


async def test_jump_by_position_and_by_id(store, settings):
    task = make_task(store, n_pairs=6)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        first = screen_of(app).pair
        await pilot.press("1", "enter", "2", "enter")
        history = screen_of(app).session.history
        assert "3 / 6" in progress_text(app)
        await pilot.press("colon")
        await type_text(pilot, "1")
        await pilot.press("enter")
        assert screen_of(app).pair.id == first.id and "1 / 6" in progress_text(app)
        assert app.screen.query_one(ChoiceBar).choice == "A"  # its saved answer
        # By id: an unlabelled pair further down the queue is claimed and shown.
        labelled = {store.get_pair(pid).pair_id for pid in history}
        target = next(p for p in store.pairs("t") if p.pair_id not in labelled
                      and p.id != screen_of(app).session.fresh.id)
        await pilot.press("colon")
        await type_text(pilot, target.pair_id)
        await pilot.press("enter")
        assert screen_of(app).pair.id == target.id and target.pair_id in progress_text(app)
        assert target.id in {c["pair"] for c in store.claims("t") if c["annotator"] == "ann"}
        await pilot.press("2", "enter")
        assert store.current_label(target.id, "ann").choice in ("A", "B")
        # A position not reached yet is refused with the reason.
        await pilot.press("colon")
        await type_text(pilot, "#6")
        await pilot.press("enter")
        assert any("not reached yet" in n.message for n in app._notifications)


async def test_jump_to_a_pair_taken_by_others_is_refused(store, settings):
    task = make_task(store, n_pairs=3, overlap=1)
    taken = store.get_pair_by_external_id("t", "p2")
    store.add_label(Label(pair=taken.id, annotator="bob", choice="A"))
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        before = screen_of(app).pair
        await pilot.press("colon")
        await type_text(pilot, "p2")
        await pilot.press("enter")
        assert screen_of(app).pair.id == before.id
        assert any("not open to you" in n.message for n in app._notifications)
        await pilot.press("colon")
        await type_text(pilot, "nope")
        await pilot.press("enter")
        assert any("No pair with the id 'nope'" in n.message for n in app._notifications)


async def test_search_labelled_pairs_and_open_one(store, settings):
    task = make_task(store, n_pairs=5)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        labelled = []
        for _ in range(3):
            labelled.append(screen_of(app).pair)
            await pilot.press("1", "enter")
        wanted = labelled[1]
        await pilot.press("slash")
        await type_text(pilot, f"number {wanted.pair_id[1:]}?")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one("#search-results").option_count == 1
        assert "1 labelled pair found" in str(app.screen.query_one("#search-count").render())
        await pilot.press("enter")
        assert screen_of(app).pair.id == wanted.id and "2 / 5" in progress_text(app)
        # Unlabelled pairs are not searched.
        await pilot.press("slash")
        await type_text(pilot, "number")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one("#search-results").option_count == 3
        await pilot.press("escape")
        assert isinstance(app.screen, PairScreen)


async def test_source_document_beside_the_responses(store, settings):
    task = make_task(store, source="The source document says: water boils at 100 °C.")
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        screen = screen_of(app)
        assert not screen.source_pane.display
        await pilot.press("s")
        pane = screen.source_pane
        assert pane.display and pane.region.y == screen.left.region.y  # beside, not above
        assert "water boils at 100 °C." in " ".join(pane.view.plain_lines())
        assert app.focused is pane.view  # scrolled with the arrow keys from here
        await pilot.press("s")
        assert not pane.display and app.focused is screen.left.view
    no_source = make_task(store, "u")
    app = create_app(store, no_source, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("s")
        assert not screen_of(app).source_pane.display


async def test_name_is_asked_once_and_never_prefilled(store, settings, monkeypatch):
    monkeypatch.setattr("annotator.tui.app.os_account", lambda: "unix-login")
    monkeypatch.setattr("getpass.getuser", lambda: "unix-login")
    task = make_task(store)
    app = create_app(store, task, None, settings)
    async with app.run_test(size=WIDE) as pilot:
        assert app.screen.query_one("#name-input").value == ""  # not the OS account
        await type_text(pilot, "zoe")
        await pilot.press("tab", "space", "enter")  # remembering is asked for
        assert isinstance(app.screen, PairScreen)
    assert store.remembered_annotator("unix-login") == "zoe"
    app = create_app(store, task, None, settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("enter")  # offered: Enter continues as zoe
        assert isinstance(app.screen, PairScreen) and app.annotator == "zoe"
        assert "zoe" in str(app.screen.query_one("#annotator-name").render())
        await pilot.press("1", "enter")
    assert [lb.annotator for lb in store.current_labels("t")] == ["zoe"]
    # A browser session may be anyone: it asks every time.
    app = create_app(store, task, None, settings, origin="web")
    async with app.run_test(size=WIDE):
        assert not isinstance(app.screen, PairScreen)


# -- reading long responses -----------------------------------------------------------------
def _one_pair(store, response_a: str, response_b: str = "Short answer.", name: str = "t") -> None:
    make_task(store, name, n_pairs=0)
    store.insert_pairs([Pair(task=name, pair_id="x1", prompt="Q?", response_a=response_a,
                             response_b=response_b, content_hash="x1")])


def _pane_showing(screen, part: str):
    return screen.left if screen.left.part == part else screen.right


async def test_latex_shown_as_unicode_and_raw_shows_the_source(store, settings):
    _one_pair(store, r"The roots of $x^2 - 1 = 0$ are $\pm 1$; also \(\alpha \leq \frac{1}{2}\).")
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        pane = _pane_showing(screen_of(app), "A")
        text = " ".join(pane.view.plain_lines())
        assert "The roots of x² - 1 = 0 are ± 1; also α ≤ ½." in text and "$" not in text
        await pilot.press("m")
        raw = " ".join(pane.view.plain_lines())
        assert r"$x^2 - 1 = 0$" in raw and r"\(\alpha \leq \frac{1}{2}\)" in raw


TABLE = """| model | note |
|---|---|
| alpha | averyveryverylongidentifierthatcannotbebrokenanywhereatallreally |
"""


async def test_table_cells_wrap_instead_of_an_ellipsis(store, settings):
    _one_pair(store, TABLE)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(120, 35)):
        lines = _pane_showing(screen_of(app), "A").view.plain_lines()
        assert not any("…" in line for line in lines)
        joined = "".join(line.strip().split("  ")[-1] for line in lines if "very" in line or "really" in line
                         or "anywhere" in line)
        assert "averyveryverylongidentifierthatcannotbebrokenanywhereatallreally" in joined.replace(" ", "")


CODE = "Before the code.\n\n```python\nx = 1  # " + "a long comment " * 12 + "END\n```\n\nAfter the code."


async def test_long_code_lines_scroll_sideways_inside_their_block(store, settings):
    _one_pair(store, CODE)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(120, 35)) as pilot:
        view = _pane_showing(screen_of(app), "A").view
        width = view.line_width
        code = next(i for i, line in enumerate(view.plain_lines()) if line.strip().startswith("x = 1"))
        assert view._lines[code].cell_length > width  # not wrapped
        assert view.plain_lines()[0].startswith("Before the code.")
        assert view.render_line(code).text.rstrip().endswith("›")  # more to the right
        await pilot.press(*["l"] * 30)
        assert view.code_x > 0 and view.scroll_x == 0
        assert view.render_line(code).text.startswith("‹") and "END" in view.render_line(code).text
        assert view.render_line(0).text.startswith("Before the code.")  # the prose stays put


async def test_diff_aligned_by_content_with_change_keys_and_scroll_together(store, settings):
    common = "\n".join(f"Shared line {i}." for i in range(30))
    a = "Intro only in A.\nMore of A's intro.\nAnd more.\n" + common + "\nA ends here."
    b = common + "\nB ends differently."
    _one_pair(store, a, b)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = screen_of(app)
        assert not screen.check_action("next_change", ())  # the diff view's keys only
        await pilot.press("d")
        pane_a, pane_b = _pane_showing(screen, "A").view, _pane_showing(screen, "B").view
        lines_a, lines_b = pane_a.plain_lines(), pane_b.plain_lines()
        assert len(lines_a) == len(lines_b)
        row = lines_a.index("Shared line 0.")
        assert lines_b[row] == "Shared line 0." and lines_b[0] == ""  # B padded level with A
        assert lines_a.index("Shared line 29.") == lines_b.index("Shared line 29.")
        # Change 1 (A's intro) is at the top already: ] goes on to change 2 (the endings).
        await pilot.press("right_square_bracket")
        assert "change 2 of 2" in str(screen.left.border_subtitle)
        assert pane_a.scroll_y == pane_b.scroll_y > 0
        top = round(pane_a.scroll_y)
        assert "A ends here." in lines_a[top:top + pane_a.scrollable_content_region.height]
        await pilot.press("left_square_bracket")
        assert "change 1 of 2" in str(screen.left.border_subtitle) and pane_a.scroll_y == 0
        pane_a.scroll_to(y=5, animate=False, immediate=True)
        await pilot.pause()
        assert pane_b.scroll_y == 5  # together
        await pilot.press("t")
        pane_a.scroll_to(y=2, animate=False, immediate=True)
        await pilot.pause()
        assert pane_b.scroll_y == 5  # apart


# -- keys that never surprise ---------------------------------------------------------------
async def test_tab_never_enters_the_rationale_box(store, settings):
    task = make_task(store, factors=("receptiveness",))
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        rationale = app.screen.query_one(RationaleInput)
        for _ in range(8):
            await pilot.press("tab")
            assert app.focused is not rationale
        await pilot.press("escape", "2")  # command keys still act
        assert app.screen.query_one(ChoiceBar).choice == "B" and rationale.value == ""
        await pilot.press("r")
        assert app.focused is rationale
        assert "Typing the rationale" in str(app.screen.query_one("#factor-question").render())
        await pilot.press("1", "x")
        assert rationale.value == "1x" and app.screen.query_one(ChoiceBar).choice == "B"
        await pilot.press("escape")
        assert app.focused is not rationale
        await pilot.press("tab", "tab", "tab")
        assert app.focused is not rationale
        await pilot.press("enter")
    [label] = store.current_labels("t")
    assert label.rationale == "1x"


async def test_escape_then_a_key_merged_by_the_terminal(store, settings):
    task = make_task(store)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        rationale = app.screen.query_one(RationaleInput)
        await pilot.press("r", "o", "k")
        # tmux sends Escape and a quick "x" as Alt+x: the box is left, then x skips the pair.
        first = screen_of(app).pair
        app._driver.send_message(events.Key("alt+x", "x"))
        await pilot.pause()
        assert app.focused is not rationale and rationale.value == ""  # skipped: a new pair
        assert store.skipped_pairs("t", "ann") == [first.id]
        # Escape then 1 arrives as "¡" (Textual's reading of ESC 1): choose A.
        app._driver.send_message(events.Key("inverted_exclamation_mark", "¡"))
        await pilot.pause()
        assert app.screen.query_one(ChoiceBar).choice == "A"
        # Inside the box "¡" is text the annotator sees, not a command.
        await pilot.press("r")
        app._driver.send_message(events.Key("inverted_exclamation_mark", "¡"))
        await pilot.pause()
        assert rationale.value == "¡"


async def test_every_key_reachable_at_80x24(store, settings):
    task = make_task(store, factors=("receptiveness", "helpfulness"))
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        footer_keys = [k for k in app.screen.query("FooterKey") if k.key == "question_mark"]
        [help_key] = footer_keys
        assert help_key.region.right <= 80 and help_key.region.y == 23  # on screen, bottom row
        assert "all keys" in str(help_key.render())
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


def test_help_lists_the_new_keys_and_escape_time():
    table = bindings_table({}, lambda key: key)
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    for words in ("Skip", "Flag", "Go to", "Search", "Next change", "Prev change", "Scroll together",
                  "Leave the box", "Code blocks right"):
        assert words in text, words
    from annotator.tui.screens import help as help_screen

    assert "escape-time" in help_screen.ESCAPE_TIME_HINT
