"""`annotator --help` answers without importing the commands' modules or the store (issue 22:
it took 10x `python -c "import sqlite3"`, half of it sqlite-utils importing numpy), and
lists the same commands with the same help as the commands themselves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


# Each command (and each sub-command of a group several areas add to) run with `--help` in a
# forked interpreter that has loaded no area: the areas it names give the same help and the
# same command as every area does, and only the command modules expected are imported.
ATTRIBUTION = """
import json, os, sys
import click
from click.testing import CliRunner
from annotator.cli import COMMAND_AREAS, SUBCOMMAND_AREAS, main

def names(cmd):
    return {k: names(v) for k, v in sorted(cmd.commands.items())} if isinstance(cmd, click.Group) else None

cases = [[c] for c in sorted(COMMAND_AREAS)] + [[g, s] for g, subs in sorted(SUBCOMMAND_AREAS.items()) for s in subs]
lazy = {}
for args in cases:
    read, write = os.pipe()
    if os.fork() == 0:
        os.close(read)
        help_text = CliRunner().invoke(main, [*args, "--help"], terminal_width=100).output
        cmd = main._commands.get(args[0])
        for sub in args[1:]:
            cmd = cmd.commands.get(sub) if cmd is not None else None
        cli = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("annotator.cli."))
        with os.fdopen(write, "w") as out:
            json.dump({"help": help_text, "tree": names(cmd) if cmd is not None else "missing", "modules": cli}, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as got:
        lazy[" ".join(args)] = json.load(got)
    os.wait()
full = {}
for args in cases:
    cmd = main.commands[args[0]]
    for sub in args[1:]:
        cmd = cmd.commands[sub]
    full[" ".join(args)] = {"help": CliRunner().invoke(main, [*args, "--help"], terminal_width=100).output,
                            "tree": names(cmd)}
groups = {g: sorted(main.commands[g].commands) for g in SUBCOMMAND_AREAS}
print(json.dumps({"lazy": lazy, "full": full, "groups": groups}))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the probe forks a fresh interpreter per command")
def test_a_command_loads_only_its_areas_and_they_make_all_of_it():
    from annotator.cli import AREAS, COMMAND_AREAS, SUBCOMMAND_AREAS

    assert set(COMMANDS) == set(COMMAND_AREAS)  # every command names its areas: none loads every area
    modules = set(AREAS) | {"judges_report", "leaderboard"}
    assert all(set(areas) <= modules for areas in COMMAND_AREAS.values())
    done = subprocess.run([sys.executable, "-c", ATTRIBUTION], capture_output=True, text=True, cwd=ROOT, check=True)
    found = json.loads(done.stdout)
    for group, subs in found["groups"].items():  # every sub-command of these groups names its areas
        assert sorted(SUBCOMMAND_AREAS[group]) == subs, group
    for case, got in found["lazy"].items():
        assert got["help"] == found["full"][case]["help"], case
        assert got["tree"] == found["full"][case]["tree"], case
    # `stats agreement` imports the agreement's module, not the judges', leaderboard's or factors'
    assert not {"judges_report", "leaderboard", "factors", "scores", "export", "judge"} & set(
        found["lazy"]["stats agreement"]["modules"])
    assert "calibrate" not in found["lazy"]["judge run"]["modules"]
    assert "priority" not in found["lazy"]["tasks add"]["modules"]


def test_judge_run_help_imports_neither_the_statistics_commands_nor_the_screens_nor_the_store():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom annotator.cli import main\n"
            "CliRunner().invoke(main, ['judge', 'run', '--help'])\n"
            "print(sorted(m for m in sys.modules if m in ('annotator.cli.export', 'annotator.cli.report', "
            "'annotator.cli.annotate', 'annotator.cli.dashboard', 'annotator.cli.judges_report', 'textual', "
            "'annotator.cli.calibrate', 'annotator.store', 'sqlite_utils')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
