"""One way to say each option: a judge run is ``--run`` everywhere, the old spellings still
parse (and are named, not advertised, in ``--help``), and every command whose output is
data has ``--json``."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.cli.options import AliasedOption
from tests.cli.test_prioritise import _db, _invoke  # two judge runs (j1, j2), two annotators

#: commands that open an interactive screen or a server: their output is not data
INTERACTIVE = {"annotate", "serve", "dashboard", "adjudicate"}


def _commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


def _opts(cmd: click.Command) -> set[str]:
    return {opt for p in cmd.params for opt in getattr(p, "opts", [])}


def test_every_data_command_has_json():
    missing = [" ".join(path) for path, cmd in _commands(main)
               if " ".join(path) not in INTERACTIVE and "--json" not in _opts(cmd)]
    assert missing == []


def test_a_judge_run_is_chosen_with_run():
    # every option whose metavar is RUN is spelled --run (old spellings only as aliases)
    wrong = []
    for path, cmd in _commands(main):
        for p in cmd.params:
            if isinstance(p, click.Option) and p.metavar == "RUN" and p.opts[0] != "--run":
                wrong.append(f"{' '.join(path)} {p.opts[0]}")
    assert wrong == []
    # `judge run --judge NAME` and `experiment guide --judge NAME` name a judge file, not a run
    run_cmd = main.commands["judge"].commands["run"]
    judge_param = next(p for p in run_cmd.params if "--judge" in getattr(p, "opts", []))
    assert judge_param.name == "judge_name"


@pytest.mark.parametrize("path, old", [
    (("adjudicate",), "--judge"), (("tasks", "prioritise"), "--judge"), (("stats", "leaderboard"), "--judge"),
    (("stats", "judges"), "--disagreements"), (("judge", "run"), "--name"), (("judge", "jury"), "--name"),
    (("judge", "route"), "--name"),
])
def test_old_spellings_are_aliases_named_in_help(path, old):
    cmd = main
    for name in path:
        cmd = cmd.commands[name]
    param = next(p for p in cmd.params if isinstance(p, AliasedOption) and old in p.aliases)
    assert param.opts[0] == "--run"
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=200)
    assert f"Old spelling: {old}." in result.output
    assert f"{old} RUN" not in result.output  # the usage line shows --run only


def test_prioritise_with_run_and_with_the_old_judge_spelling(tmp_path):
    path = _db(tmp_path)
    new = json.loads(_invoke(path, "tasks", "prioritise", "--stratify", "--run", "j1", "--dry-run", "--json").stdout)
    old = json.loads(_invoke(path, "tasks", "prioritise", "--stratify", "--judge", "j1", "--dry-run", "--json").stdout)
    assert new == old and new["first"]


def test_judges_report_disagreements_with_run_or_old_spelling(tmp_path):
    path = _db(tmp_path)
    new = json.loads(_invoke(path, "stats", "judges", "--run", "j2", "--bootstrap", "0", "--json").stdout)
    old = json.loads(_invoke(path, "stats", "judges", "--disagreements", "j2", "--bootstrap", "0", "--json").stdout)
    assert new == old
    assert "j2" in json.dumps(new)


def test_judge_show_by_option_or_argument(tmp_path):
    path = _db(tmp_path)
    by_option = json.loads(_invoke(path, "judge", "show", "--run", "j1", "--json").stdout)
    by_argument = json.loads(_invoke(path, "judge", "show", "j1", "--json").stdout)
    assert by_option == by_argument
    assert "two runs given" in _invoke(path, "judge", "show", "j1", "--run", "j2", code=2).output
    assert "choose a judge run" in _invoke(path, "judge", "show", code=2).output


def test_jury_named_with_run(tmp_path):
    path = _db(tmp_path)
    out = json.loads(_invoke(path, "judge", "jury", "j1", "j2", "--run", "panel", "--json").stdout)
    assert out["name"] == "panel"
    runs = json.loads(_invoke(path, "judge", "list", "--json").stdout)
    assert "panel" in json.dumps(runs)


def test_init_and_account_switches_print_json(tmp_path):
    path = tmp_path / "new.db"
    created = json.loads(_invoke(path, "init", "--json").stdout)
    assert created["created"] is True and created["applied_migrations"] == []
    again = json.loads(_invoke(path, "init", "--json").stdout)
    assert again["created"] is False and again["schema"] == created["schema"]
    _invoke(path, "annotators", "add", "ann", "--json")
    assert json.loads(_invoke(path, "annotators", "disable", "ann", "--json").stdout) == {"name": "ann", "disabled": True}
    assert json.loads(_invoke(path, "annotators", "enable", "ann", "--json").stdout) == {"name": "ann", "disabled": False}
