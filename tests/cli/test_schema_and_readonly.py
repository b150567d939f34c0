"""A database from a newer version is refused by name and version; a read-only or busy
database stops `annotate` with a clear error; reading commands work on a read-only file
system."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Store, schema

REPO = Path(__file__).resolve().parents[2]


def run(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), *map(str, args)])


@pytest.fixture
def demo_db(tmp_path):
    db = tmp_path / "a.db"
    assert run(db, "tasks", "add", "demo").exit_code == 0
    store = Store.open(db)
    pair = next(store.pairs("demo"))
    from annotator.store import Label

    store.add_label(Label(pair=pair.id, annotator="ann", choice="A", shown_order="AB"))
    store.close()
    return db


def content(db: Path) -> list[str]:
    """Everything the database holds, as SQL (its bytes move when SQLite checkpoints its WAL)."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def mark_newer(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES "
                 "('annotator', 'm099_from_the_future', '2099-01-01')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("args", [["init"], ["doctor"], ["tasks", "list"], ["stats", "agreement"],
                                  ["annotate", "--annotator", "x"], ["tasks", "add", "demo"]], ids=" ".join)
def test_database_from_a_newer_version_is_refused_by_name_and_version(demo_db, args):
    mark_newer(demo_db)
    before = content(demo_db)
    result = run(demo_db, *args)
    assert result.exit_code == 1, result.output
    assert "written by a newer version of annotator" in result.output
    assert "m099_from_the_future" in result.output and schema.latest_version() in result.output
    assert "up to date" not in result.output
    assert content(demo_db) == before


def test_annotate_on_a_busy_database_says_so_and_exits_non_zero(demo_db, monkeypatch):
    from annotator.store import base

    monkeypatch.setattr(base, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(demo_db)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing, and keeps at it
    try:
        result = run(demo_db, "annotate", "--annotator", "x")
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert f"{demo_db} is busy: another process is writing to it" in result.output
    assert "Traceback" not in result.output


def _readonly_mount_works(tmp_path: Path) -> bool:
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c",
                            f"mount --bind {tmp_path} {tmp_path} && mount -o remount,ro,bind {tmp_path}"],
                           capture_output=True)
    return probe.returncode == 0


def on_readonly_fs(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``annotator ARGS`` with ``folder`` bind-mounted read-only (a private mount namespace)."""
    command = " ".join(["exec", sys.executable, "-m", "annotator", *map(str, args)])
    script = f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} && {command}"
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


@pytest.fixture
def readonly_folder(tmp_path, demo_db):
    if not _readonly_mount_works(tmp_path):
        pytest.skip("no unprivileged mount namespaces here (unshare -rm) to make a read-only file system")
    folder = tmp_path / "ro"
    folder.mkdir()
    source, copy = sqlite3.connect(demo_db), sqlite3.connect(folder / "a.db")
    source.backup(copy)  # the whole database, WAL included, in one file
    source.close()
    copy.close()
    (tmp_path / "out").mkdir()
    return folder


@pytest.mark.parametrize("args", [["tasks", "list", "--json"], ["tasks", "show", "demo"], ["stats", "agreement"],
                                  ["judge", "list"], ["doctor"]], ids=" ".join)
def test_reading_commands_work_on_a_read_only_file_system(readonly_folder, args):
    result = on_readonly_fs(readonly_folder, "--db", readonly_folder / "a.db", *args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    if args[-1] == "--json":
        assert json.loads(result.stdout)[0]["name"] == "demo"


def test_export_reads_a_read_only_file_system_and_writes_elsewhere(readonly_folder, tmp_path):
    out = tmp_path / "out" / "gold.jsonl"
    result = on_readonly_fs(readonly_folder, "--db", readonly_folder / "a.db", "export", "gold", "--out", out)
    assert result.returncode == 0, result.stderr
    assert out.read_text().strip()


@pytest.mark.parametrize("args", [["annotate", "--annotator", "x"], ["tasks", "add", "demo", "--update"],
                                  ["judge", "run", "--judge", "longest"]], ids=" ".join)
def test_writing_commands_on_a_read_only_file_system_say_so(readonly_folder, args):
    before = (readonly_folder / "a.db").read_bytes()
    result = on_readonly_fs(readonly_folder, "--db", readonly_folder / "a.db", *args)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"cannot write to {readonly_folder / 'a.db'}" in result.stderr and "read-only" in result.stderr
    assert "Traceback" not in result.stderr
    assert (readonly_folder / "a.db").read_bytes() == before
