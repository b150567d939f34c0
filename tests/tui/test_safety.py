"""Responses are data: markup, escape sequences and control characters are never acted on."""

from __future__ import annotations

import io

from rich.console import Console

from annotator.store import Pair
from annotator.tui.app import create_app
from annotator.tui.screens.pair import PairScreen

from .conftest import make_task

HOSTILE = (
    "[bold red]not bold[/] [link=https://evil.example]click me[/link] :warning:\n"
    "\x1b[31mRED\x1b[0m \x1b]8;;https://evil.example\x07osc link\x1b]8;;\x07 "
    "\x1b]0;stolen title\x07 \x1b[2J cleared?\n"
    "overwrite\rHIDDEN bell\x07 back\x08space nul\x00 csi\x9b31m rtl\u202eevil"
)


def hostile_task(store):
    task = make_task(store, n_pairs=0)
    store.insert_pairs([Pair(task=task.name, pair_id="evil", prompt="[b]prompt[/b] \x1b[5mblink",
                             response_a=HOSTILE, response_b="```\n" + HOSTILE + "\n```",
                             model_a="[red]m[/red]", model_b="x", content_hash="e")])
    return task


def terminal_output(app) -> str:
    """What the real driver would write for the current screen."""
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      width=app.size.width, legacy_windows=False)
    update = app.screen._compositor.render_full_update()
    return update.render_segments(console)


async def test_hostile_text_is_shown_literally(store, settings):
    task = hostile_task(store)
    app = create_app(store, task, "ann[bold]", settings)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.screen
        assert isinstance(screen, PairScreen)
        for mode in ("markdown", "raw"):
            if mode == "raw":
                await pilot.press("m")
            for pane in (screen.left, screen.right):
                shown = "\n".join(pane.view.plain_lines())
                assert "[bold red]not bold[/]" in shown
                assert "[link=https://evil.example]click me[/link]" in shown
                assert "␛[31mRED␛[0m" in shown
                assert "␛]8;;https://evil.example␇osc link" in shown
                assert "overwrite␍HIDDEN" in shown and "bell␇" in shown and "back␈space" in shown
                assert "⟨U+009B⟩" in shown and "⟨U+202E⟩" in shown
        await pilot.press("d")  # the diff view too
        assert "␛[31mRED" in "\n".join(screen.left.view.plain_lines())
        prompt = "\n".join(screen.query_one("#prompt-text").plain_lines())
        assert "[b]prompt[/b] ␛[5mblink" in prompt
        assert "ann[bold]" in str(screen.query_one("#annotator-name").render())

        out = terminal_output(app)
        # Only Textual's own sequences reach the terminal: no OSC (hyperlinks, titles),
        # no bell, no clear-screen, no carriage return, no 8-bit CSI from the data.
        assert "\x1b]" not in out
        assert "\x07" not in out and "\x08" not in out and "\x00" not in out
        assert "\x1b[2J" not in out and "\r" not in out and "\x9b" not in out
        assert "\x1b[31mRED" not in out
        assert "stolen title" in out  # shown as text, after a visible ␛]0;
        assert "␛]0;stolen title␇" in out
