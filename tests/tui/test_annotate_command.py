"""Wiring of `annotator annotate` / `serve`, without click's runner."""

from __future__ import annotations

import importlib.util

import pytest

from annotator.cli import main
from annotator.cli.annotate import build_app
from annotator.cli.context import CliContext
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from annotator.tui.screens.pair import PairScreen

from .conftest import make_task


@pytest.fixture
def db_path(tmp_path, settings):
    path = tmp_path / "labels.db"
    store = Store.open(path)
    make_task(store, "t")
    store.close()
    return path


def test_commands_registered_with_help():
    for name in ("annotate", "serve"):
        command = main.commands[name]
        assert command.help and command.help.strip()
        assert all(p.help for p in command.params if p.name != "help")


def test_main_runs_the_app(db_path, monkeypatch):
    started = []
    monkeypatch.setattr(AnnotatorApp, "run", lambda self, *a, **k: started.append(self))
    main.main(["--db", str(db_path), "annotate", "--task", "t", "--annotator", "ann"],
              standalone_mode=False)
    [app] = started
    assert app.label_task.name == "t" and app.annotator == "ann" and app.origin == "tui"


async def test_built_app_labels_into_the_file(db_path):
    app = build_app(CliContext(db_option=str(db_path)), None, "ann")  # the only task
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, PairScreen)
        await pilot.press("2", "enter")
    app.store.close()
    reopened = Store.open(db_path)
    [label] = reopened.current_labels("t", "ann")
    assert label.choice == {"AB": "B", "BA": "A"}[label.shown_order]
    reopened.close()


def test_bad_input_exits_non_zero(db_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        build_app(CliContext(db_option=str(db_path)), "missing", "ann")
    assert exc.value.code == 1
    assert "missing" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_app(CliContext(db_option=str(db_path)), "t", "bad\x1bname")
    store = Store.open(db_path)
    make_task(store, "u")
    store.close()
    app = build_app(CliContext(db_option=str(db_path)), None, "ann")  # two tasks: the home screen
    assert app.label_task is None
    app.store.close()


def test_bad_config_exits_non_zero(db_path, tmp_path, monkeypatch, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('[keymap]\nno_such_binding = "x"\n', encoding="utf-8")
    monkeypatch.setenv("ANNOTATOR_CONFIG", str(config))
    with pytest.raises(SystemExit):
        build_app(CliContext(db_option=str(db_path)), "t", "ann")
    assert "unknown binding id 'no_such_binding'" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("annotator.tasks.bundled") is None,
                    reason="the bundled demo task has not landed yet")
async def test_fresh_database_loads_the_demo(tmp_path, settings):
    app = build_app(CliContext(db_option=str(tmp_path / "new.db")), None, "ann")
    assert app.label_task.name == "demo"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1", "enter")
    assert len(app.store.current_labels("demo", "ann")) == 1
