"""Every command skips the interpreter's final garbage collection at exit (issue 22: 0.1-0.2 s
after a large command), and loses nothing by it: standard output, the exit code, a file the
command wrote and the database (closed when the command ends: no write-ahead log left) are
all complete, in a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotator.cli import main
from tests.export.campaign_data import campaign_database

ROOT = Path(__file__).resolve().parents[2]


def _annotator(*args: str, probe: str = "") -> subprocess.CompletedProcess:
    """``annotator ARGS`` in a fresh interpreter; ``probe``: code run first (an exit handler
    registered before the command line's runs after it)."""
    code = f"import sys\n{probe}\nfrom annotator.cli import main\nsys.argv[0] = 'annotator'\nmain()\n"
    env = {k: v for k, v in os.environ.items() if k not in ("ANNOTATOR_DB", "COLUMNS")}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, cwd=ROOT, env=env)


FROZEN = ("import atexit, gc\n"
          "atexit.register(lambda: sys.stderr.write(f'frozen at exit: {gc.get_freeze_count() > 0}\\n'))")


def test_the_final_collection_is_skipped_and_the_output_is_whole(tmp_path):
    db = campaign_database(tmp_path / "c.db")
    done = _annotator("--db", str(db), "stats", "agreement", "--json", "--bootstrap", "50", probe=FROZEN)
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().endswith("frozen at exit: True\n")
    expected = CliRunner().invoke(main, ["--db", str(db), "stats", "agreement", "--json", "--bootstrap", "50"])
    assert json.loads(done.stdout) == json.loads(expected.output)
    assert not Path(f"{db}-wal").exists()  # the store was closed: its write-ahead log copied in


@pytest.mark.parametrize("kind,fmt", [("labels", "csv"), ("gold", "parquet"), ("gold", "jsonl")])
def test_a_written_file_is_complete_and_the_database_closed(tmp_path, kind, fmt):
    db = campaign_database(tmp_path / "c.db")
    out = tmp_path / f"out.{fmt}"
    done = _annotator("--db", str(db), "export", kind, "--format", fmt, "--out", str(out), probe=FROZEN)
    assert done.returncode == 0, done.stderr
    assert b"frozen at exit: True" in done.stderr
    same = tmp_path / f"same.{fmt}"
    assert CliRunner().invoke(main, ["--db", str(db), "export", kind, "--format", fmt,
                                     "--out", str(same)]).exit_code == 0
    assert out.read_bytes() == same.read_bytes() and out.stat().st_size > 0
    assert not Path(f"{db}-wal").exists()


def test_exit_codes_and_errors_are_kept(tmp_path):
    missing = tmp_path / "missing.db"
    done = _annotator("--db", str(missing), "stats", "agreement", probe=FROZEN)
    assert done.returncode == 1
    assert done.stderr.startswith(b"error: the database has no tasks yet") and b"frozen at exit: True" in done.stderr
    usage = _annotator("--db", str(missing), "stats", "agreement", "--bootstrap", "many")
    assert usage.returncode == 2 and b"Error: Invalid value for '--bootstrap'" in usage.stderr
    assert _annotator("--version").stdout.startswith(b"annotator, version ")
