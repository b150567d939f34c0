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
