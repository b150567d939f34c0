"""Where an export may go (issues 23 and 20): standard output as it is and never a terminal,
no companion file for it, a lone .meta.json kept, folders created only under the working
folder, and `report` refusing to replace its files without --force as exports do."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotator.cli import main
from tests.export.campaign_data import campaign_database

ROOT = Path(__file__).resolve().parents[2]


def _annotator(args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "annotator", *args], env=env, timeout=120, **kwargs)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_to_a_terminal_is_refused(tmp_path, fmt):
    """A CSV export to tmux ran 86 clipboard writes: raw data never reaches a terminal."""
    db = campaign_database(tmp_path / "c.db")
    master, slave = pty.openpty()
    try:
        done = _annotator(["--db", str(db), "export", "labels", "--format", fmt, "--out", "-"], stdout=slave,
                          stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        os.set_blocking(master, False)
        try:
            shown = os.read(master, 65536).decode(errors="replace")
        except BlockingIOError:
            shown = ""
    finally:
        os.close(slave)
        os.close(master)
    assert done.returncode == 1
    assert "is a terminal" in done.stderr and "Redirect it" in done.stderr
    assert "HYPERLINK" not in shown and "label_id" not in shown


def test_standard_output_redirected_to_a_file_is_appended_to_without_a_companion(tmp_path):
    """`>>` keeps what the file held; no --force needed; no /dev/stdout.meta.json."""
    db = campaign_database(tmp_path / "c.db")
    out = tmp_path / "all.jsonl"
    out.write_text("KEEP\n")
    stray = Path("/dev/stdout.meta.json")
    existed = stray.exists()
    for extra in ([], ["--force"]):
        with out.open("ab") as f:
            done = _annotator(["--db", str(db), "export", "judgments", "--out", "-", *extra], stdout=f,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "standard output" in done.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "KEEP" and len(lines) == 1 + 2 * 3  # two exports of 3 judgments appended
    assert not stray.exists() or existed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.jsonl", "c.db"]
    # /dev/stdout names the same stream
    with out.open("wb") as f:
        done = _annotator(["--db", str(db), "export", "judgments", "--out", "/dev/stdout"], stdout=f,
                          stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr and len(out.read_text().splitlines()) == 3


def test_a_pipe_gets_the_bytes_as_they_are(tmp_path):
    db = campaign_database(tmp_path / "c.db")
    done = _annotator(["--db", str(db), "export", "judgments", "--format", "csv", "--out", "-"],
                      capture_output=True, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith(b"task,run,") and b"'=2+2" in done.stdout


def test_a_lone_meta_file_is_not_replaced_without_force(campaign_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    meta = tmp_path / "g.csv.meta.json"
    meta.write_text("mine\n")
    refused = CliRunner().invoke(main, ["--db", campaign_db, "export", "gold", "--format", "csv", "--out", "g.csv"])
    assert refused.exit_code == 1 and "g.csv.meta.json exists already" in refused.output
    assert meta.read_text() == "mine\n" and not (tmp_path / "g.csv").exists()
    forced = CliRunner().invoke(main, ["--db", campaign_db, "export", "gold", "--format", "csv", "--out", "g.csv",
                                       "--force"])
    assert forced.exit_code == 0, forced.output
    assert meta.read_text() != "mine\n" and (tmp_path / "g.csv").exists()


def test_missing_folders_are_created_only_under_the_working_folder(campaign_db, tmp_path, monkeypatch):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(work)
    typo = elsewhere / "typo" / "deeper" / "g.csv"
    refused = CliRunner().invoke(main, ["--db", campaign_db, "export", "gold", "--out", str(typo)])
    assert refused.exit_code == 1 and "does not exist" in refused.output and "create it first" in refused.output
    assert not (elsewhere / "typo").exists()
    made = CliRunner().invoke(main, ["--db", campaign_db, "export", "gold", "--out", "a/b/g.jsonl"])
    assert made.exit_code == 0, made.output
    assert (work / "a" / "b" / "g.jsonl").exists()
    inside = CliRunner().invoke(main, ["--db", campaign_db, "export", "gold", "--out", str(elsewhere / "g.jsonl")])
    assert inside.exit_code == 0, inside.output  # an existing folder anywhere is fine


def test_report_refuses_to_replace_its_files_without_force(campaign_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    html = tmp_path / "r.html"
    html.write_text("mine")
    args = ["--db", campaign_db, "report", "--task", "c", "--out", "r.html", "--bootstrap", "0", "--jobs", "1"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "r.html exists already" in refused.output
    assert html.read_text() == "mine"
    (tmp_path / "s.md").write_text("mine")  # the Markdown twin counts too
    twin = CliRunner().invoke(main, [*args[:6], "s.html", *args[7:]])
    assert twin.exit_code == 1 and "s.md exists already" in twin.output
    typo = CliRunner().invoke(main, [*args[:6], str(tmp_path.parent / "nope" / "r.html"), *args[7:]])
    assert typo.exit_code == 1 and "does not exist" in typo.output
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert html.read_text() != "mine"
