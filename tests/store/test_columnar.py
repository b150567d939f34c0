"""Store.arrow: a query's rows as Arrow columns, the same through the ADBC driver and sqlite3."""

import pyarrow as pa
import pytest

from annotator.store import Store, columnar


def _file_store(tmp_path, rows):
    store = Store.open(tmp_path / "a.db")
    with store.atomic() as db:
        db.execute("CREATE TABLE t (n INTEGER, s TEXT, x REAL)")
        db.conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    return store


ROWS = [(1, None, 0.5), (2, "b", None), (3, "ç\x00é", 2.0), (None, "d", 1.0)]


def test_the_rows_in_order_with_their_types_and_parameters(tmp_path):
    store = _file_store(tmp_path, ROWS)
    table = store.arrow("SELECT n, s, x FROM t WHERE rowid >= ? ORDER BY rowid", [1])
    assert table.column_names == ["n", "s", "x"]
    assert table.schema.types == [pa.int64(), pa.string(), pa.float64()]
    assert table.to_pylist() == [dict(zip("nsx", r)) for r in ROWS]


def test_sqlite3_gives_the_same_table(tmp_path):
    store = _file_store(tmp_path, ROWS)
    sql = "SELECT n, s, x FROM t ORDER BY rowid"
    with store._lock:
        fallback = columnar._read_with_sqlite3(store.db.conn, sql, [])
    assert fallback.equals(store.arrow(sql))


def test_a_column_null_on_the_first_rows_and_text_later_is_text(tmp_path, monkeypatch):
    """The driver fixes a column's type from its first batch: a batch shorter than the result
    that changes type falls back to sqlite3, with the same rows."""
    rows = [(i, None if i < 3000 else "late", None) for i in range(5000)]
    store = _file_store(tmp_path, rows)
    monkeypatch.setattr(columnar, "_BATCH_ROWS", 1024)
    table = store.arrow("SELECT n, s FROM t ORDER BY n")
    assert table.schema.types == [pa.int64(), pa.string()]
    assert table.column("s").null_count == 3000
    assert table.column("s")[4999].as_py() == "late"


def test_schema_types_a_column_null_everywhere_and_renames(tmp_path):
    store = _file_store(tmp_path, [(1, None, None), (2, None, None)])
    schema = pa.schema([("id", pa.int64()), ("text", pa.string())])
    table = store.arrow("SELECT n, s FROM t", schema=schema)
    assert table.schema.equals(schema)
    assert table.column("text").to_pylist() == [None, None]
    with pytest.raises(ValueError, match="schema has 2 columns, the query 3"):
        store.arrow("SELECT n, s, x FROM t", schema=schema)


def test_no_rows_and_an_in_memory_database(tmp_path):
    store = _file_store(tmp_path, [])
    assert store.arrow("SELECT n, s FROM t").num_rows == 0
    memory = Store.memory()
    memory.db.execute("CREATE TABLE t (n INTEGER, s TEXT)")
    memory.db.execute("INSERT INTO t VALUES (1, 'a')")
    assert memory.arrow("SELECT n, s FROM t").to_pylist() == [{"n": 1, "s": "a"}]
    empty = memory.arrow("SELECT n, s FROM t WHERE n > 5")
    assert empty.column_names == ["n", "s"] and empty.num_rows == 0


def test_it_sees_what_the_store_committed(tmp_path):
    store = _file_store(tmp_path, ROWS)
    with store.atomic() as db:
        db.execute("INSERT INTO t VALUES (9, 'new', 9.0)")
    assert store.arrow("SELECT COUNT(*) AS k FROM t").column("k")[0].as_py() == 5


def test_one_connection_for_every_read_and_each_read_sees_new_commits(tmp_path, monkeypatch):
    """An export reads a page of texts at a time: one ADBC connection serves every read of a
    store (not one per read), and each read sees what was committed before it began."""
    import adbc_driver_manager

    opened = []
    real = adbc_driver_manager.AdbcConnection

    def counting(*args, **kwargs):
        opened.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(adbc_driver_manager, "AdbcConnection", counting)
    store = _file_store(tmp_path, ROWS)
    for k in range(3):
        assert store.arrow("SELECT COUNT(*) AS k FROM t").column("k")[0].as_py() == 4 + k
        with store.atomic() as db:  # the reads hold no lock: the store can still write
            db.execute("INSERT INTO t VALUES (?, 'new', 9.0)", [10 + k])
    assert len(opened) == 1
    store.close()
    assert "_adbc" not in store.__dict__


def test_the_dbapi_module_is_not_imported(tmp_path):
    """The driver's DB-API module imports pyarrow.dataset and pandas: the low-level API does not."""
    import subprocess
    import sys

    _file_store(tmp_path, ROWS).close()
    code = ("import sys; from annotator.store import Store; s = Store.open(sys.argv[1]); "
            "assert s.arrow('SELECT n FROM t WHERE n > ?', [1]).num_rows == 2; "
            "print(sorted(m for m in ('adbc_driver_manager.dbapi', 'adbc_driver_sqlite.dbapi', 'pyarrow.dataset') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "a.db")], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork: POSIX only")
def test_a_forked_process_reads_through_a_connection_of_its_own(tmp_path):
    """``annotator report --jobs`` forks: the child never uses (nor closes) the connection it
    inherited, and opens its own; the parent's keeps working."""
    import multiprocessing

    store = _file_store(tmp_path, ROWS)
    assert store.arrow("SELECT COUNT(*) FROM t").column(0)[0].as_py() == 4
    inherited = store._adbc_reader().connection
    _FORKED["store"] = store  # as the report shares its store: inherited at the fork, not pickled
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            assert pool.apply(_child_read) == (4, False)
    finally:
        _FORKED.clear()
    assert store._adbc_reader().connection is inherited
    assert store.arrow("SELECT COUNT(*) FROM t").column(0)[0].as_py() == 4


_FORKED: dict = {}


def _child_read():
    store = _FORKED["store"]
    reader = store._adbc_reader()
    forgotten = reader.connection is None
    n = store.arrow("SELECT COUNT(*) FROM t").column(0)[0].as_py()
    return n, not forgotten
