"""The docs and the command line agree (after sqlite-utils' tests/test_docs.py): every command
and every option (old spellings too) appears in README.md or docs/*.md, every command the docs
show exists with the options they give it, every command has help, and each shared option
(annotator/cli/options.py) has the same help text in every command that takes it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from annotator.cli import main
from annotator.cli.options import SHARED_HELP, AliasedOption

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEXT = "\n".join(path.read_text(encoding="utf-8") for path in DOCS)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


COMMANDS = list(_commands(main))
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not isinstance(cmd, click.Group)]


def _mentioned(word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", TEXT) is not None


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in COMMANDS])
def test_command_is_documented(path):
    # `annotator judge show`, or the short form in a list (`judge show`)
    assert re.search(rf"(annotator |`){re.escape(path)}(?![\w-])", TEXT), f"`annotator {path}` is in no doc"


def test_every_option_is_documented():
    missing = sorted({f"{' '.join(path)} {opt}" for path, cmd in [((), main), *LEAVES] for p in cmd.params
                      for opt in [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])]
                      if opt.startswith("--") and opt != "--help" and not _mentioned(opt)})
    assert missing == []


def test_every_command_has_help():
    missing = [" ".join(path) for path, cmd in COMMANDS if not (cmd.help or "").strip()]
    assert missing == []


def test_shared_options_have_one_help_text():
    seen: dict[str, set[str]] = {}
    wrong = []
    for path, cmd in LEAVES:
        for p in cmd.params:
            if isinstance(p, click.Option) and p.opts[0] in SHARED_HELP:
                seen.setdefault(p.opts[0], set()).add(p.help or "")
                if p.help not in SHARED_HELP[p.opts[0]]:
                    wrong.append(f"{' '.join(path)} {p.opts[0]}: {p.help!r}")
    assert wrong == []
    assert set(seen) == set(SHARED_HELP)  # every shared option is used


def test_old_spellings_are_documented_as_such():
    aliases = {a for _, cmd in LEAVES for p in cmd.params if isinstance(p, AliasedOption) for a in p.aliases}
    assert aliases == {"--judge", "--disagreements", "--name"}
    for alias in aliases:
        assert re.search(rf"`{alias}[^`]*`[^.]*(old spelling|earlier versions)|(old spelling|earlier versions)[^.]*`{alias}",
                         TEXT, re.S | re.I), alias


def _shown_commands():
    """``annotator ...`` command lines in the docs: in code blocks (one per line, with ``\\``
    continuations) and in inline code."""
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split("#")[0].strip()
                m = re.search(r"(?:^|[\s;&|(])annotator (.*)$", line)
                if m and not line.startswith(("python", "pip")):
                    yield doc.name, m.group(1)
        for span in re.findall(r"`annotator ([^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
            yield doc.name, span


def test_shown_commands_exist_with_their_options():
    wrong = []
    for doc, line in _shown_commands():
        try:
            words = shlex.split(line.replace("\\|", "|"))
        except ValueError:
            words = line.split()
        if words[:1] == ["--db"]:  # the global option comes before the command
            words = words[2:]
        cmd: click.Command = main
        for word in words:
            if word.startswith("-") or not isinstance(cmd, click.Group):
                break
            if word not in cmd.commands:
                wrong.append(f"{doc}: annotator {line} ({word!r} is no command)")
                break
            cmd = cmd.commands[word]
        known = {o for p in cmd.params for o in [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])]}
        known |= {"--help", "-h", "--db", "--version"}
        for word in words:
            opt = re.sub(r"[=\[\]].*$", "", word.lstrip("["))
            if opt.startswith("--") and opt not in known:
                wrong.append(f"{doc}: annotator {line} ({opt} is no option of it)")
    assert wrong == []
