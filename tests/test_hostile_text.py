"""No text from a file acts on a terminal: a hostile corpus (CSI, OSC 0/2/8/52, C1 controls,
bidi overrides, Unicode tag characters, NUL, Rich markup) in every text the tool shows (task
titles, factor names and definitions, guidelines, annotator names, judge run names, prompts,
responses, rationales), pushed through every command and every screen of the app. No escape
byte may leave the process, and in a real terminal only colour sequences may."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Factor, JudgeRun, Judgment, Label, Pair, Store, Task

HOSTILE = ("\x1b[2J\x1b[H"                              # CSI: clear the screen, cursor home
           "\x1b]0;owned-title\x07"                     # OSC 0: window title
           "\x1b]2;owned-title\x1b\\"                   # OSC 2
           "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\"  # OSC 8: hyperlink
           "\x1b]52;c;aGVsbG8=\x07"                     # OSC 52: set the clipboard
           "\x9b31m\x9d0;c1\x9c"                        # C1 CSI, OSC, ST
           "\u202eevil\u202c\u2066x\u2069"              # bidi override and isolate
           "\U000e0041\U000e0042"                       # tag characters
           "\x00\x07\x08"                               # NUL, BEL, BS
           "[link=http://evil.example]markup[/link][bold red]")

# Characters that must never leave the process: ESC, C1, BEL, BS, NUL, bidi controls, tags.
FORBIDDEN = re.compile("[\x00\x07\x08\x1b\x80-\x9f\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")
TASK, ODD_TASK = "hostile", "odd"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile") / "h.db"
    store = Store.open(db)
    factor = Factor(key="tone", name="Tone " + HOSTILE, definition="Defined as " + HOSTILE,
                    question="Which is " + HOSTILE, custom=True)
    store.save_task(Task(name=TASK, title="Title " + HOSTILE, guidelines="# Guide " + HOSTILE + "\n\nBody " + HOSTILE,
                         factors=[factor], overlap=2))
    store.save_task(Task(name=ODD_TASK, title="Odd " + HOSTILE))
    pairs = [Pair(task=TASK, pair_id=f"p{i}" + HOSTILE, prompt="Prompt " + HOSTILE, response_a="A " + HOSTILE,
                  response_b="B " + HOSTILE * 2, model_a="model-a" + HOSTILE, model_b="model-b" + HOSTILE,
                  domain="domain" + HOSTILE, content_hash=f"h{i}") for i in range(4)]
    pairs.append(Pair(task=ODD_TASK, pair_id="o1", prompt="p", response_a="a", response_b="b", content_hash="o"))
    store.insert_pairs(pairs)
    ids = [p.id for p in store.pairs(TASK)]
    for n, annotator in enumerate(("ann1" + HOSTILE, "ann2" + HOSTILE, "plain")):
        for i, pair in enumerate(ids[:3]):
            store.add_label(Label(pair=pair, annotator=annotator, choice=("A", "B", "tie")[(i + n) % 3],
                                  shown_order="AB", factors={"tone": "A"}, confidence=3,
                                  rationale="Because " + HOSTILE, seconds=12.0))
    run = store.get_or_create_run(JudgeRun(task=TASK, name="judge" + HOSTILE, kind="imported",
                                           model="model" + HOSTILE, params={"note": HOSTILE}))
    store.save_judgments(Judgment(run=run.id, pair=pair, order="AB", verdict="A", raw_output="raw " + HOSTILE,
                                  unscored_reason="") for pair in ids)
    store.close()
    return db


RUN = "judge" + HOSTILE
COMMANDS = [
    ["tasks", "list"], ["tasks", "list", "--json"], ["tasks", "show", TASK], ["tasks", "show", TASK, "--json"],
    ["tasks", "show", ODD_TASK], ["tasks", "show", HOSTILE],
    ["annotators", "list"], ["annotators", "list", "--json"], ["annotators", "disable", "ann1" + HOSTILE],
    ["annotators", "reset-code", HOSTILE], ["annotators", "enable", HOSTILE], ["annotators", "add", HOSTILE],
    ["judge", "list"], ["judge", "list", "--json"], ["judge", "show", RUN, "--task", TASK],
    ["judge", "show", RUN, "--task", TASK, "--judgments"], ["judge", "show", RUN, "--task", TASK, "--json"],
    ["judge", "show", HOSTILE, "--task", TASK], ["judge", "judges"], ["judge", "judges", "--json"],
    ["judge", "run", "--judge", "longest", "--task", TASK], ["judge", "run", "--judge", HOSTILE, "--task", TASK],
    ["stats", "agreement", "--task", TASK], ["stats", "agreement", "--task", TASK, "--json"],
    ["stats", "agreement", "--task", HOSTILE],
    ["stats", "judges", "--task", TASK], ["stats", "judges", "--task", TASK, "--json"],
    ["stats", "leaderboard", "--task", TASK], ["stats", "leaderboard", "--task", TASK, "--json"],
    ["factors", "extract", "--task", TASK], ["factors", "extract", "--task", TASK, "--json"],
    ["export", "gold", "--task", TASK, "--out", "-"], ["export", "gold", "--task", TASK, "--json", "--out", "-"],
    ["doctor"], ["doctor", "--json"], ["init"],
    ["claims", "list", "--task", TASK], ["claims", "list", "--task", TASK, "--json"],
    ["claims", "list", "--task", TASK, "--annotator", HOSTILE], ["claims", "release", "--task", TASK, "--all"],
    ["claims", "release", "--task", TASK, "--annotator", HOSTILE],
    ["judge", "jury", RUN, RUN, "--task", TASK], ["judge", "jury", HOSTILE, "--task", TASK],
    ["judge", "route", "--task", TASK, "--base-url", "http://127.0.0.1:9/v1"],
    ["stats", "scores", "--task", TASK], ["stats", "scores", "--task", TASK, "--run", HOSTILE],
    ["stats", "factors", "--task", TASK], ["stats", "factors", "--task", TASK, "--json"],
    ["tasks", "prioritise", "--task", TASK, "--by", "judge-uncertain", "--judge", RUN],
    ["experiment", "guide", "--task", TASK, "--judge", HOSTILE],
    ["factors", "facts", "p0" + HOSTILE, "--task", TASK], ["factors", "facts", HOSTILE, "--task", TASK],
    ["export", "labels", "--task", TASK, "--out", "-", "--names"], ["export", "labels", "--task", TASK, "--out", "l.csv",
                                                                    "--format", "csv"],
    ["export", "judgments", "--task", TASK, "--out", "-"], ["export", "soft-labels", "--task", TASK, "--out", "-",
                                                            "--names"],
    ["progress", "--task", TASK], ["progress", "--task", TASK, "--json"],
    ["pack", "--annotator", "ann1" + HOSTILE, "--task", TASK, "--out", "pack.db"], ["merge", "pack.db"],
    ["merge", "missing" + HOSTILE + ".db"], ["backup", "copy.db"],
    ["report", "--task", TASK, "--out", "r.html", "--bootstrap", "20"], ["report", "--task", TASK, "--json", "--out",
                                                                          "r2.html", "--bootstrap", "20"],
    ["stats", "agreement", "--task", TASK, "--exclude", "ann1" + HOSTILE], ["stats", "judges", "--task", TASK,
                                                                             "--disagreements", RUN],
    # a run named by hostile text that does not exist: the refusal quotes it inertly
    ["judge", "delete", HOSTILE, "--task", TASK, "--yes"], ["judge", "rename", HOSTILE, "new" + HOSTILE, "--task", TASK],
    ["judge", "calibrate", "--run", HOSTILE, "--task", TASK], ["judge", "calibrate", "--run", RUN, "--task", TASK],
    ["stats", "dataset", "--task", TASK, "--by", "domain"], ["stats", "dataset", "--task", TASK, "--reference", HOSTILE],
    ["stats", "mentions", "--task", TASK], ["stats", "mentions", "--task", TASK, "--json"],
    ["generate", "--task", TASK, "--model", HOSTILE, "--base-url", "http://127.0.0.1:9/v1"],
    ["experiment", "improve", "--task", TASK, "--model", HOSTILE, "--base-url", "http://127.0.0.1:9/v1"],
]
# Commands that start the app or a server: their text is the app's, checked screen by screen below.
NOT_RUN_HERE = {"annotate", "serve", "adjudicate", "dashboard"}


def _leaf_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name))


def test_tasks_add_of_a_hostile_task_file(tmp_path):
    """TOML escapes can put any character in a title or a factor: the import's report stays inert."""
    folder = tmp_path / "t"
    folder.mkdir()
    escaped = HOSTILE.encode("unicode_escape").decode().replace("\\x", "\\u00").replace('"', '\\"')
    (folder / "task.toml").write_text(
        f'[task]\nname = "t"\ntitle = "{escaped}"\nfactors = ["tone"]\n[[task.custom_factor]]\nkey = "tone"\n'
        f'name = "{escaped}"\ndefinition = "{escaped}"\nquestion = "{escaped}"\n'
        '[data]\npath = "p.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
        '[labels]\nannotator_from = "who"\nlabel = "l"\nmap = { "1" = "A" }\n')
    import json

    (folder / "p.jsonl").write_text(json.dumps({"p": HOSTILE, "a": "x", "b": "y", "who": HOSTILE, "l": 1}) + "\n")
    for args in (["tasks", "add", str(folder)], ["tasks", "add", str(folder), "--json"], ["tasks", "list"]):
        result = CliRunner().invoke(main, ["--db", str(tmp_path / "a.db"), *args])
        assert result.exit_code == 0, result.output
        found = FORBIDDEN.findall(result.output)
        assert not found, f"{sorted(set(found))!r} in the output of {args}:\n{result.output[:2000]!r}"


def test_every_command_is_in_the_hostile_run():
    covered = {"tasks add"} | {" ".join(args[:2]) if args[0] in ("tasks", "annotators", "judge", "stats", "factors", "export",
                                                                 "claims", "experiment")
               else args[0] for args in COMMANDS}
    missing = set(_leaf_commands(main)) - covered - NOT_RUN_HERE
    assert not missing, f"commands not pushed through the hostile corpus: {sorted(missing)}"


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a)[:40].encode("ascii", "backslashreplace").decode())
def test_no_escape_byte_leaves_a_command(hostile_db, args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # commands that write files (export) write them here
    result = CliRunner().invoke(main, ["--db", str(hostile_db), *args])
    assert "Traceback" not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    found = FORBIDDEN.findall(result.output)
    assert not found, f"{sorted(set(found))!r} in the output of {args}:\n{result.output[:2000]!r}"


SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("args", [c for c in COMMANDS if "--json" not in c and c[0] in ("tasks", "judge", "stats",
                                                                                          "annotators")][:12],
                         ids=lambda a: " ".join(a)[:40].encode("ascii", "backslashreplace").decode())
def test_in_a_real_terminal_only_colours_are_sent(hostile_db, args, monkeypatch, tmp_path):
    """With a colour terminal, Rich sends styles; nothing else (no OSC 8 link from markup in data)."""
    from annotator.cli import context

    monkeypatch.chdir(tmp_path)
    for console in (context.console, context.err_console):
        monkeypatch.setattr(console, "_force_terminal", True)
        monkeypatch.setattr(console, "_color_system", console._detect_color_system() or
                            __import__("rich.console").console.COLOR_SYSTEMS["truecolor"])
    result = CliRunner().invoke(main, ["--db", str(hostile_db), *args])
    leftover = SGR.sub("", result.output)
    found = FORBIDDEN.findall(leftover)
    assert not found, f"{sorted(set(found))!r} outside colour sequences in {args}:\n{result.output[:2000]!r}"
    assert "evil.example" not in result.output or "[link=http://evil.example]" in result.output


# -- the app ---------------------------------------------------------------------------------
async def _screen_text(app) -> str:
    """What the screen shows, as the SVG Textual exports (the cells' characters)."""
    return app.export_screenshot()


def _check(svg: str, where: str) -> None:
    found = FORBIDDEN.findall(svg)
    assert not found, f"{sorted(set(found))!r} drawn on the {where}"
    for entity in re.findall(r"&#x?([0-9a-fA-F]+);", svg):
        value = int(entity, 16) if re.fullmatch(r"[0-9a-fA-F]+", entity) and not entity.isdigit() else int(entity)
        assert not FORBIDDEN.match(chr(value)), f"U+{value:04X} drawn on the {where}"


async def test_no_escape_reaches_any_screen_of_the_app(hostile_db):
    from annotator.tui.app import create_app
    from annotator.tui.config import Settings

    store = Store.open(hostile_db)
    try:
        app = create_app(store, TASK, "plain", Settings())
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            _check(await _screen_text(app), "pair screen (a fresh pair)")
            await pilot.press("u")  # revisit a labelled pair: its rationale is shown
            await pilot.pause()
            _check(await _screen_text(app), "pair screen (revisiting, with the rationale)")
            await pilot.press("g")
            await pilot.pause()
            _check(await _screen_text(app), "guidelines screen")
            await pilot.press("g")
            await pilot.press("question_mark")
            await pilot.pause()
            _check(await _screen_text(app), "help screen")
            await pilot.press("question_mark")
            await pilot.press("f")
            await pilot.press("i")
            await pilot.pause()
            _check(await _screen_text(app), "factor definition screen")
        app = create_app(store, TASK, "ann1" + HOSTILE, Settings())  # a name imported with the labels
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            _check(await _screen_text(app), "pair screen of an annotator with a hostile name")
            await pilot.press("u")
            await pilot.pause()
            _check(await _screen_text(app), "pair screen of that annotator, revisiting")
    finally:
        store.close()
