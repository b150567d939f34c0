"""One test per private internal of Textual, Rich, textual-serve and sqlite-utils that the code
relies on (listed in annotator/tui/private_api.py, annotator/text/private_api.py and
annotator/web/private_api.py): each fails when an upgrade removes the internal or changes
what the code expects of it. CI runs them at the lowest allowed versions too."""

from __future__ import annotations

import inspect

import pytest

# -- Textual (annotator/tui/private_api.py) ------------------------------------------------------


def test_textual_ansi_sequences_hold_escape_then_digit():
    from annotator.tui.app import _OPTION_DIGITS
    from annotator.tui.private_api import ANSI_SEQUENCES_KEYS

    assert isinstance(ANSI_SEQUENCES_KEYS, dict)
    # macOS Option+0..9 arrive as Escape + digit: the table names them, the app reads them back
    assert sorted(_OPTION_DIGITS.values()) == sorted("1234567890") and _OPTION_DIGITS["¡"] == "1"


def test_textual_character_to_key():
    from annotator.tui.private_api import character_to_key

    assert character_to_key("!") == "exclamation_mark"
    assert character_to_key("?") == "question_mark"


async def test_textual_check_bindings_runs_a_binding():
    from textual.app import App
    from textual.binding import Binding

    from annotator.tui.private_api import check_bindings

    class Probe(App):
        BINDINGS = [Binding("x", "hit", "Hit")]
        hits = 0

        def action_hit(self) -> None:
            self.hits += 1

    app = Probe()
    async with app.run_test():
        assert await check_bindings(app, "x") is True and app.hits == 1
        assert await check_bindings(app, "y") is False and app.hits == 1
    assert list(inspect.signature(App._check_bindings).parameters) == ["self", "key", "priority"]


async def test_textual_modal_binding_chain_holds_the_bindings_in_force():
    from textual.app import App
    from textual.binding import Binding

    from annotator.tui.private_api import modal_binding_chain

    class Probe(App):
        BINDINGS = [Binding("x", "bell", "Bell")]

    app = Probe()
    async with app.run_test():
        chain = modal_binding_chain(app.screen)
        assert any("x" in bindings.key_to_bindings for _node, bindings in chain)


async def test_textual_footer_key_and_bindings_ready():
    from textual.app import App, ComposeResult
    from textual.widgets import Footer

    from annotator.tui.private_api import FooterKey, footer_bindings_ready

    params = inspect.signature(FooterKey).parameters
    assert list(params)[:4] == ["key", "key_display", "description", "action"]
    assert {"disabled", "tooltip", "classes"} <= set(params)

    class Probe(App):
        def compose(self) -> ComposeResult:
            yield Footer()

    app = Probe()
    async with app.run_test() as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        assert footer_bindings_ready(footer) is True
        assert app.query(FooterKey)  # the footer still builds its keys from FooterKey


def test_textual_input_handlers_that_the_rationale_box_overrides():
    from textual.widgets import Input

    from annotator.tui.private_api import INPUT_HANDLERS
    from annotator.tui.widgets.label.rationale import RationaleInput

    for name in INPUT_HANDLERS:
        base = getattr(Input, name, None)
        assert callable(base), f"textual.widgets.Input.{name} is gone"
        assert getattr(RationaleInput, name) is not base  # overridden, and it calls Input's
        assert list(inspect.signature(base).parameters) == ["self", "event"]


# -- Rich and sqlite-utils (annotator/text/private_api.py) ------------------------------------


def test_rich_render_buffer_is_where_console_output_is_made():
    from rich.console import Console

    from annotator.text.console import SafeConsole
    from annotator.text.private_api import CONSOLE_RENDER_HOOK

    assert callable(getattr(Console, CONSOLE_RENDER_HOOK))
    assert CONSOLE_RENDER_HOOK in vars(SafeConsole)
    # What SafeConsole's override is for: a text segment's escape sequence made inert
    console = SafeConsole(width=40, force_terminal=False)
    with console.capture() as captured:
        console.print("a\x1b[2Jb \x1b]8;;x\x07d", markup=False)
    assert "\x1b" not in captured.get() and "\x07" not in captured.get()


def test_rich_console_width_fixed_from_columns_at_creation(monkeypatch):
    from rich.console import Console

    from annotator.text.console import SafeConsole

    monkeypatch.setenv("COLUMNS", "77")
    assert Console()._width == 77  # what Rich fixes when the console is made
    console = SafeConsole()
    assert console._width is None and console.width == 77
    monkeypatch.setenv("COLUMNS", "200")
    assert console.width == 200 and SafeConsole(width=50).width == 50


def test_rich_style_meta():
    from rich.style import Style

    from annotator.text.private_api import style_has_meta

    assert style_has_meta(Style(bold=True)) is False
    with_meta = Style.from_meta({"wide": (1, 2)})
    assert style_has_meta(with_meta) is True and with_meta.meta == {"wide": (1, 2)}


def test_sqlite_utils_migrations_defined_in_order():
    from annotator.store.sqlite import Migrations
    from annotator.text.private_api import defined_migrations

    probe = Migrations("probe")

    @probe()
    def m001_first(db):
        pass

    @probe()
    def m002_second(db):
        pass

    assert [m.name for m in defined_migrations(probe)] == ["m001_first", "m002_second"]
    from annotator.store.schema import latest_version, migrations

    assert latest_version() == defined_migrations(migrations)[-1].name


# -- textual-serve (annotator/web/private_api.py) ---------------------------------------------


def test_textual_serve_make_app_is_what_serve_runs():
    from annotator.web.private_api import MAKE_APP_HOOK, Server
    from annotator.web.server import AnnotatorServer

    assert inspect.iscoroutinefunction(getattr(Server, MAKE_APP_HOOK))
    assert f"self.{MAKE_APP_HOOK}()" in inspect.getsource(Server.serve)
    assert MAKE_APP_HOOK in vars(AnnotatorServer)


def test_textual_serve_to_int():
    from annotator.web.private_api import to_int

    assert (to_int("120", 80), to_int("wide", 80), to_int("", 24)) == (120, 80, 24)


def test_textual_serve_app_service():
    from annotator.web.private_api import APP_SERVICE_METHODS, AppService

    assert "write_bytes" in inspect.signature(AppService).parameters
    for name in APP_SERVICE_METHODS:
        assert callable(getattr(AppService, name, None)), f"AppService.{name} is gone"


@pytest.mark.parametrize("module", ["annotator.tui.private_api", "annotator.text.private_api",
                                    "annotator.web.private_api"])
def test_each_module_lists_what_it_exports(module):
    import importlib

    mod = importlib.import_module(module)
    assert mod.__doc__ and all(hasattr(mod, name) for name in getattr(mod, "__all__", ()))
