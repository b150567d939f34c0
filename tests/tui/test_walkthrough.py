"""What trying issue 20 as a new user found in the labelling app (each failed before its fix)."""

from __future__ import annotations

from annotator.tui.app import create_app

from .conftest import make_task


async def test_a_restored_pane_is_drawn_again_at_its_own_width(store, settings):
    """z, then z again: the pane kept the lines drawn for the whole screen, each cut with "›"
    (no resize reaches it on restore)."""
    task = make_task(store, n_pairs=2)
    pairs = list(store.pairs(task.name))
    long_words = " ".join(f"word{i}" for i in range(400))
    for pair in pairs:
        pair.response_a = pair.response_b = long_words
        store.update_pair(pair)
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=(142, 44)) as pilot:
        view = app.screen.left.view
        narrow = view.line_width
        await pilot.press("z")
        assert view.line_width > narrow and max(len(line) for line in view.plain_lines()) > narrow
        await pilot.press("J", "J")  # read on, then restore
        await pilot.press("z")
        await pilot.pause()
        assert view.line_width == narrow
        assert max(len(line) for line in view.plain_lines()) <= narrow
        assert not any(view.render_line(y).text.rstrip().endswith(view.MORE) for y in range(5))
        await pilot.press("1", "enter")
    assert [(r["task"], r["annotator"]) for r in store.query("SELECT task, annotator FROM current_labels")] == \
        [(task.name, "ann")]


async def test_the_rationale_hint_is_whole_at_80_columns(store, settings):
    """At 80 columns the hint under the rationale box was cut before "Esc leaves the box"."""
    task = make_task(store, factors=("helpfulness",))
    app = create_app(store, task, "ann", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "r")
        hint = app.screen.query_one("#factor-question")
        drawn = str(hint.render())
        assert "Esc leaves the box" in drawn and len(drawn) <= hint.size.width
        await pilot.press(*"ok", "enter")
    rows = store.query("SELECT annotator, choice, rationale FROM current_labels")
    assert [(r["annotator"], r["rationale"]) for r in rows] == [("ann", "ok")]
