"""`annotator --help` answers without importing the commands' modules or the store (issue 22:
it took 10x `python -c "import sqlite3"`, half of it sqlite-utils importing numpy), and
lists the same commands with the same help as the commands themselves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from annotator.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from click.testing import CliRunner
from annotator.cli import main
lazy = CliRunner().invoke(main, ["--help"], terminal_width=COLUMNS).output
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("numpy", "sqlite_utils", "pandas", "textual")
               or m in ("annotator.store", "annotator.cli.export", "annotator.cli.stats"))
main.commands  # every area registered, as when a command runs
loaded = CliRunner().invoke(main, ["--help"], terminal_width=COLUMNS).output
print(heavy)
print(lazy == loaded)
print(lazy)
"""


def _probe(columns: int) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.replace("COLUMNS", str(columns))], capture_output=True,
                          text=True, cwd=ROOT, check=True)
    return done.stdout.splitlines()


def test_help_imports_no_command_module_nor_the_store():
    heavy, same, *_ = _probe(80)
    assert heavy == "[]"
    assert same == "True"


def test_help_lists_every_command_as_the_commands_describe_themselves():
    commands = main.commands
    assert sorted(COMMANDS) == sorted(commands)
    for name, command in commands.items():
        assert COMMANDS[name] == command.get_short_help_str(10_000), name
    for columns in (60, 120, 200):
        assert _probe(columns)[1] == "True"


ATTRIBUTION = """
import importlib, json
import click
from annotator.cli import AREAS

def names(cmd):
    return {k: names(v) for k, v in sorted(cmd.commands.items())} if isinstance(cmd, click.Group) else None

group, made_by, before = click.Group("x"), {}, {}
for area in AREAS:
    importlib.import_module(f"annotator.cli.{area}").register(group)
    now = {k: names(v) for k, v in group.commands.items()}
    for name in now:
        if name not in before or before[name] != now[name]:
            made_by.setdefault(name, []).append(area)
    before = now
print(json.dumps(made_by))
"""


def test_a_command_loads_only_its_areas_and_they_make_all_of_it():
    import json

    from annotator.cli import AREAS, COMMAND_AREAS

    done = subprocess.run([sys.executable, "-c", ATTRIBUTION], capture_output=True, text=True, cwd=ROOT, check=True)
    made_by = json.loads(done.stdout)  # command -> the areas that add to it, in a fresh interpreter
    for name, areas in COMMAND_AREAS.items():
        assert list(areas) == made_by[name], name
    assert set(COMMANDS) - set(COMMAND_AREAS) == {"stats", "factors"}  # several areas add to these: all load
    assert all(set(areas) <= set(AREAS) for areas in COMMAND_AREAS.values())


def test_judge_run_imports_neither_the_statistics_commands_nor_the_screens():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom annotator.cli import main\n"
            "CliRunner().invoke(main, ['judge', 'run', '--help'])\n"
            "print(sorted(m for m in sys.modules if m in ('annotator.cli.export', 'annotator.cli.report', "
            "'annotator.cli.annotate', 'annotator.cli.dashboard', 'annotator.cli.judges_report', 'textual')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
