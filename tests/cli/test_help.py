"""`--help` runs for every command and every option has help (that every command has help,
and the same help for a shared option everywhere: tests/test_docs.py)."""

import click
from click.testing import CliRunner

from annotator.cli import main


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_help_runs_for_every_command():
    runner = CliRunner()
    for path, _ in _commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_every_option_has_help():
    missing = []
    for path, cmd in [((), main), *_commands(main)]:
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.help and param.name not in ("version",):
                missing.append(f"{' '.join(path)} --{param.name}")
    assert missing == []
