"""``Store.pages_written_once``: a bulk write uses the rollback journal when nobody else has
the database open (each new page written once, not to the log and again at the checkpoint),
and the database is in WAL mode again afterwards, whatever happened."""

from __future__ import annotations

import sqlite3

import pytest

from annotator.store import Store, Task
from tests.conftest import make_pairs


def _journal(store: Store) -> str:
    return store.db.execute("PRAGMA journal_mode").fetchone()[0]


def test_alone_the_write_uses_the_rollback_journal_then_wal_again(tmp_path):
    store = Store.open(tmp_path / "a.db")
    store.save_task(Task(name="t"))
    with store.pages_written_once() as journal:
        assert journal == "delete" and _journal(store) == "delete"
        store.insert_pairs(make_pairs("t", 5))
    assert _journal(store) == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    other = sqlite3.connect(tmp_path / "a.db")
    assert other.execute("SELECT COUNT(*) FROM pairs").fetchone()[0] == 5
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    store.close()


def test_a_failed_write_is_rolled_back_and_wal_is_back(tmp_path):
    store = Store.open(tmp_path / "a.db")
    store.save_task(Task(name="t"))
    with pytest.raises(RuntimeError), store.pages_written_once(), store.atomic():
        store.insert_pairs(make_pairs("t", 5))
        raise RuntimeError("refused")
    assert _journal(store) == "wal"
    assert store.pair_count("t") == 0
    store.close()


def test_with_another_connection_open_nothing_changes_and_nothing_waits(tmp_path):
    store = Store.open(tmp_path / "a.db")
    store.save_task(Task(name="t"))
    reader = Store.open(tmp_path / "a.db")  # an annotator's session, say
    assert reader.pair_count("t") == 0
    with store.pages_written_once() as journal:
        assert journal == "wal" and _journal(store) == "wal"
        store.insert_pairs(make_pairs("t", 3))
        assert reader.pair_count("t") == 3
    assert _journal(store) == "wal"
    reader.close()
    store.close()


def test_in_memory_or_inside_a_transaction_nothing_changes(tmp_path):
    memory = Store.memory()
    with memory.pages_written_once() as journal:
        assert journal == "wal"
    memory.close()
    store = Store.open(tmp_path / "a.db")
    with store.atomic(), store.pages_written_once() as journal:
        assert journal == "wal" and _journal(store) == "wal"
    store.close()
