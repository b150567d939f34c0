"""At 80 columns (a pipe, a file, a small terminal) a table never cuts a number or a name:
too wide, it is stacked, row by row, with a note."""

from __future__ import annotations

import json

from click.testing import CliRunner
from rich.table import Table

from annotator.cli import main
from annotator.cli.tables import print_table
from annotator.text.console import SafeConsole

LONG = "averyveryverylongannotatorname"


def run(db, *args, columns: int = 80):
    return CliRunner().invoke(main, ["--db", str(db), *map(str, args)], env={"COLUMNS": str(columns)})


def test_a_wide_table_is_stacked_whole():
    table = Table("model", *[f"column {i}" for i in range(12)], title="Wide")
    table.add_row("cirrus-8b", *[f"{8000 + i}.123" for i in range(12)])
    console = SafeConsole(width=80, record=True)
    print_table(console, table)
    out = console.export_text()
    assert all(f"{8000 + i}.123" in out for i in range(12)) and "…" not in out
    assert "stacked" in out
    narrow = Table("a", "b")
    narrow.add_row("1", "2")
    console = SafeConsole(width=80, record=True)
    print_table(console, narrow)
    assert "stacked" not in console.export_text()


def test_annotators_list_and_leaderboard_at_80_columns(tmp_path):
    db = tmp_path / "a.db"
    assert run(db, "tasks", "add", "demo").exit_code == 0
    assert run(db, "annotators", "add", LONG).exit_code == 0
    out = run(db, "annotators", "list").output
    assert LONG in out and "…" not in out
    run_name = "longest-judge-with-a-rather-long-run-name-for-the-table"
    assert run(db, "judge", "run", "--judge", "longest", "--task", "demo", "--run", run_name).exit_code == 0
    board = json.loads(run(db, "stats", "leaderboard", "--json").output)
    for columns in (80, 60):  # the table by domain is 80 columns wide: at 60 it is stacked
        out = run(db, "stats", "leaderboard", "--by", "domain", columns=columns).output
        assert "…" not in out and ("stacked" in out) == (columns == 60)
        for row in board["rows"]:
            assert f"{row['win_rate']:.1f}" in out and f"{row['bt_rating']:.0f}" in out
