"""m015: pairs by (task, id) in one index that holds each pair's id and domain.

The reads of a task's pair ids and domains are answered from the index alone (a pair row holds
the texts before ``domain``); every read of a task's pairs still finds them by index."""

from __future__ import annotations

import pytest

from annotator.export.judgments import write_judgments
from annotator.export.labels import write_labels
from annotator.store import JudgeRun, Judgment, Label, Store, Task, connect, schema
from tests.conftest import make_pairs


def _plan(db, sql: str, params=()) -> str:
    return " | ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", list(params)).fetchall())


def _pair_indexes(db) -> set[str]:
    return {r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pairs' AND sql IS NOT NULL")}


def test_old_database_gets_the_covering_index_in_place_of_pairs_task(tmp_path):
    path = tmp_path / "old.db"
    db = connect(path)
    schema.migrations.apply(db, stop_before="m015_pairs_by_task_covering")
    assert _pair_indexes(db) == {"pairs_task"}
    db.execute("INSERT INTO tasks (name, created_at) VALUES ('t', 'then')")
    db.execute("INSERT INTO pairs (task, pair_id, prompt, response_a, response_b, domain, content_hash, created_at) "
               "VALUES ('t', 'p1', 'q', 'a', 'b', 'math', 'h', 'then')")
    db.conn.commit()
    db.close()

    store = Store.open(path)
    assert store.schema_version == schema.latest_version()
    assert _pair_indexes(store.db) == {"pairs_task_ids"}
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [(p.pair_id, p.domain) for p in store.pairs("t")] == [("p1", "math")]
    schema.m015_pairs_by_task_covering(store.db)  # safe to apply again
    assert _pair_indexes(store.db) == {"pairs_task_ids"}
    store.close()


def test_a_new_database_has_the_covering_index_only(store):
    assert _pair_indexes(store.db) == {"pairs_task_ids"}


# Every shape of read of a task's pairs in the store (its SQL as written there): each finds
# them by index; those reading only ids and domains from the index alone.
COVERED = [
    "SELECT id, pair_id, domain FROM pairs WHERE task = ? AND id > ? ORDER BY id LIMIT ?",  # pair_lookup
    "SELECT id, pair_id, domain FROM pairs WHERE task = ?",  # streams._pair_ids_and_domains
    "SELECT id, pair_id AS pair_id, domain AS domain FROM pairs WHERE task = ?",  # labels_frame
    "SELECT id FROM pairs WHERE task = ?",
    "SELECT COUNT(*) AS n FROM pairs WHERE task = ?",
    "SELECT id, pair_id FROM pairs WHERE task = ?",
]
INDEXED = [
    "SELECT id, prompt, response_a FROM pairs WHERE task = ? AND id > ? ORDER BY id LIMIT ?",
    "SELECT * FROM pairs WHERE task = ? ORDER BY id",
    "SELECT id, pair_id, content_hash FROM pairs WHERE task = ?",
    "SELECT id, pair_id, gold FROM pairs WHERE task = ?",
    "SELECT * FROM pairs WHERE task = ? AND pair_id = ?",
    "SELECT id FROM pairs WHERE task = ? AND pair_id = ?",
    "SELECT COUNT(*) AS n FROM pairs WHERE task = ? AND gold IS NOT NULL",
    "SELECT COUNT(*) AS n FROM pairs WHERE task = ? AND source = ''",
    "SELECT model_a, model_b, COUNT(*) AS n FROM pairs WHERE task = ? GROUP BY model_a, model_b",
    "SELECT id AS pair, DENSE_RANK() OVER (ORDER BY prompt) AS instruction FROM pairs WHERE task = ?",
    "SELECT domain, annotators, COUNT(*) AS pairs FROM (SELECT COALESCE(p.domain, '') AS domain, "
    "COUNT(DISTINCT l.annotator) AS annotators FROM pairs p LEFT JOIN labels l ON l.pair = p.id "
    "WHERE p.task = ? GROUP BY p.id) GROUP BY domain, annotators",
    "SELECT v.* FROM factor_values v JOIN pairs p ON p.id = v.pair WHERE p.task = ?",
]


@pytest.mark.parametrize("sql", COVERED)
def test_ids_and_domains_are_read_from_the_index_alone(store, sql):
    params = ["t", 0, 10][: sql.count("?")]
    plan = _plan(store.db, sql, params)
    assert "USING COVERING INDEX pairs_task_ids" in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("sql", INDEXED)
def test_every_read_of_a_tasks_pairs_is_by_index(store, sql):
    params = ["t", "p1", 10][: sql.count("?")]
    plan = _plan(store.db, sql, params)
    assert "SCAN pairs" not in plan and "SCAN p " not in plan and not plan.endswith("SCAN p"), plan
    assert "pairs_task_ids" in plan or "sqlite_autoindex_pairs_1" in plan, plan
    if "ORDER BY id" in sql:  # pages in import order straight from the index, no sort
        assert "TEMP B-TREE" not in plan, plan


def test_the_exports_read_the_pairs_ids_and_domains_from_the_index(tmp_path):
    """Every statement the labels and judgments exports run against ``pairs``, as run:
    none reads a pair's row (its texts) to find its id and domain."""
    store = Store.memory()  # read through sqlite3, so the trace sees every statement
    store.save_task(Task(name="t", title="T", overlap=2))
    store.insert_pairs(make_pairs("t", 6, domain="math"))
    ids = [p.id for p in store.pairs("t")]
    store.add_labels([Label(pair=i, annotator=a, choice="A", shown_order="AB") for i in ids for a in ("ann", "bo")])
    run = store.get_or_create_run(JudgeRun(task="t", name="j", kind="imported"))
    store.save_judgments([Judgment(run=run.id, pair=i, order="AB", verdict="B") for i in ids])
    seen: list[str] = []
    store.db.conn.set_trace_callback(seen.append)
    try:
        write_labels(store, "t", tmp_path / "l.csv", "csv")
        write_judgments(store, "t", tmp_path / "j.jsonl", "jsonl")
    finally:
        store.db.conn.set_trace_callback(None)
    reads = [s for s in seen if "FROM pairs" in s or "JOIN pairs" in s]
    assert reads
    for sql in reads:
        plan = _plan(store.db, sql)
        assert "SCAN pairs" not in plan, (sql, plan)
        if "pair_id, domain FROM pairs WHERE" in sql:
            assert "COVERING INDEX pairs_task_ids" in plan, (sql, plan)
    assert any("pair_id, domain FROM pairs WHERE" in s for s in reads)
    store.close()
