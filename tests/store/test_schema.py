"""The schema comes from migrations: fresh and old databases end at the latest version."""

import sqlite3

from annotator.store import Store, connect, schema


def test_fresh_database_is_at_latest_schema(tmp_path):
    store = Store.open(tmp_path / "a.db")
    assert store.schema_version == schema.latest_version()
    assert store.pending_migrations() == []
    assert {"tasks", "pairs", "labels", "judge_runs", "judgments", "factor_values", "claims"} <= set(
        store.db.table_names()
    )


def test_open_twice_applies_nothing_and_keeps_data(tmp_path):
    path = tmp_path / "a.db"
    store = Store.open(path)
    store.db.execute("INSERT INTO tasks (name, created_at) VALUES ('kept', 'now')")
    store.db.conn.commit()
    store.close()
    again = Store.open(path)
    assert again.migrate() == []
    assert again.get_task("kept") is not None


def test_old_database_is_upgraded_with_data_kept(tmp_path):
    """A database stopped before the newest migration is brought up to date on open."""
    path = tmp_path / "old.db"
    db = connect(path)
    first = schema.migrations._migrations[0].name
    later = [m.name for m in schema.migrations._migrations[1:]]
    if later:
        schema.migrations.apply(db, stop_before=later[0])
    else:
        schema.migrations.apply(db)
    db.execute("INSERT INTO tasks (name, created_at) VALUES ('old', 'then')")
    db.conn.commit()
    db.close()
    store = Store.open(path)
    assert store.schema_version == schema.latest_version()
    assert first in [m.name for m in schema.migrations.applied(store.db)]
    assert store.get_task("old").name == "old"


def test_pragmas_wal_foreign_keys_busy_timeout(tmp_path):
    store = Store.open(tmp_path / "a.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_foreign_keys_are_enforced(store):
    try:
        store.db.execute(
            "INSERT INTO pairs (task, pair_id, prompt, response_a, response_b, content_hash, created_at) "
            "VALUES ('missing', '1', 'p', 'a', 'b', 'h', 'now')"
        )
    except sqlite3.IntegrityError as e:
        assert "FOREIGN KEY" in str(e)
    else:
        raise AssertionError("a pair of a missing task was accepted")


def test_integrity_problems_empty_on_healthy_db(filled_store):
    assert filled_store.integrity_problems() == []


def test_nothing_opens_a_database_at_import_time(tmp_path, monkeypatch):
    """Importing every module must not create db/annotator.db."""
    import importlib
    import pkgutil

    import annotator

    monkeypatch.chdir(tmp_path)
    for mod in pkgutil.walk_packages(annotator.__path__, "annotator."):
        if mod.name.startswith("annotator.tui") or mod.name == "annotator.__main__":
            continue
        importlib.import_module(mod.name)
    assert not (tmp_path / "db").exists()


def test_m003_marks_old_error_rows_failed_but_not_imported_verdicts(tmp_path):
    """Before m003 a failed call was a reason starting with "error: "; an imported verdict
    column may hold the same text and is no failed call."""
    path = tmp_path / "old.db"
    db = connect(path)
    schema.migrations.apply(db, stop_before="m003_judgment_status")
    db.execute("INSERT INTO tasks (name, created_at) VALUES ('t', 'then')")
    db.execute("INSERT INTO pairs (id, task, pair_id, prompt, response_a, response_b, content_hash, created_at) "
               "VALUES (1, 't', 'p1', 'q', 'a', 'b', 'h', 'then')")
    db.execute("INSERT INTO judge_runs (id, task, name, kind, created_at) VALUES (1, 't', 'gpt', 'llm', 'then'), "
               "(2, 't', 'file', 'imported', 'then')")
    for run, order, verdict, reason in ((1, "AB", None, "error: APITimeoutError: timed out"), (1, "BA", None, "refusal"),
                                        (2, "AB", None, "error: rate limited"), (2, "BA", "A", "")):
        db.execute('INSERT INTO judgments (run, pair, "order", verdict, unscored_reason, created_at) '
                   "VALUES (?, 1, ?, ?, ?, 'then')", [run, order, verdict, reason])
    db.conn.commit()
    db.close()
    store = Store.open(path)
    status = {(j.run, j.order): (j.status, j.failed) for run in (1, 2) for j in store.judgments(run)}
    assert status == {(1, "AB"): ("failed", True), (1, "BA"): ("done", False),
                      (2, "AB"): ("done", False), (2, "BA"): ("done", False)}
