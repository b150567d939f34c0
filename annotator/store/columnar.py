"""Query results as Arrow tables, read column by column in C.

The statistics and the exports read hundreds of thousands of rows. Python's ``sqlite3`` hands
back one tuple per row and one Python object per cell; turning those into columns costs more
than the query. ``Store.arrow`` reads through the ADBC SQLite driver instead
(``adbc-driver-sqlite``, Apache Arrow's database connectivity): SQLite's rows go straight into
Arrow arrays, without a Python object per cell. It is the one place SQL becomes columns; the
engines build pandas frames or write files from its tables. Each store keeps one read-only
connection for all its reads (an export reads its texts a page at a time), opened on the first
read, closed with the store and never used across a fork. (``PRAGMA mmap_size`` would save a
third of the system time of reading the texts, but every page mapped counts in the process's
resident memory: an export of 100,000 pairs would show 780 MB instead of 320.)

The driver infers each column's type from the first batch of rows, so the whole result is read
as one batch (``_BATCH_ROWS``); a result longer than that, whose types change past the first
batch, is read again through ``sqlite3`` (``_read_with_sqlite3``), as is an in-memory database
(another connection cannot see it). ``schema`` fixes the types when the rows cannot (a column
that is NULL on every row).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .base import StoreBase

if TYPE_CHECKING:
    import pyarrow as pa

# Rows the driver reads before it fixes the column types: more than any task holds, so the
# types come from every row of the result.
_BATCH_ROWS = 1 << 24
# sqlite3 fallback: rows fetched per page
_PAGE_ROWS = 50_000


class ColumnarStore(StoreBase):
    """``Store.arrow``: a query's rows as a ``pyarrow.Table``."""

    def arrow(self, sql: str, params: Sequence[Any] = (), *, schema: pa.Schema | None = None) -> pa.Table:
        """The rows of ``sql`` (``?`` parameters) as an Arrow table, one column per selected
        name, in the query's order. ``schema`` (optional) casts the columns to these types
        and names; it must list the selected columns in order."""
        table = self._adbc_reader().read(sql, list(params))
        if table is None:
            with self._lock:
                table = _read_with_sqlite3(self.db.conn, sql, list(params))
        if schema is not None:
            table = _conform(table, schema)
        return table

    def arrow_frame(self, sql: str, params: Sequence[Any] = ()):
        """The rows of ``sql`` as a pandas DataFrame read through ``arrow`` (``frame_from_arrow``:
        the dtypes ``StoreBase.frame`` gives the same rows, without a Python tuple per row)."""
        return frame_from_arrow(self.arrow(sql, params))

    def _adbc_reader(self) -> _AdbcReader:
        """This store's ADBC connection, opened on the first read and kept for the next ones
        (an export reads a page of texts at a time: one connection, not one per page)."""
        reader = self.__dict__.get("_adbc")
        if reader is None:
            with self._lock:
                reader = self.__dict__.get("_adbc")
                if reader is None:
                    reader = self.__dict__["_adbc"] = _AdbcReader(self.path)
        return reader

    def close(self) -> None:
        reader = self.__dict__.pop("_adbc", None)
        if reader is not None:
            reader.close()
        super().close()


class _AdbcReader:
    """One read-only ADBC connection to a database file, used by one read at a time.

    The low-level ``adbc_driver_manager`` API (database, connection, statement; the result
    handed to pyarrow through the Arrow C stream interface): its DB-API module would import
    pandas and ``pyarrow.dataset`` on every command that reads columns. The connection is in
    autocommit mode, so each read sees what was committed when it began. None as the path
    (an in-memory database, which another connection cannot see) or a missing driver: every
    read returns None and the caller reads through ``sqlite3``."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.database = self.connection = None
        self.broken = path is None
        _READERS.add(self)

    def _connect(self):
        import adbc_driver_manager
        import adbc_driver_sqlite

        uri = "file:" + quote(str(self.path)) + "?mode=ro"
        database = adbc_driver_sqlite.connect(uri)
        try:
            self.connection = adbc_driver_manager.AdbcConnection(database)
        except BaseException:
            database.close()
            raise
        self.database = database

    def read(self, sql: str, params: list) -> pa.Table | None:
        """The rows through the ADBC driver, or None when it cannot read them (driver missing,
        types that change past the first batch): the caller falls back to ``sqlite3``."""
        if self.broken:
            return None
        try:
            import adbc_driver_manager
            import pyarrow as pa
        except ImportError:  # pragma: no cover - a dependency; kept for a broken install
            self.broken = True
            return None
        with self.lock:
            try:
                if self.connection is None:
                    self._connect()
                with adbc_driver_manager.AdbcStatement(self.connection) as statement:
                    statement.set_options(**{"adbc.sqlite.query.batch_rows": str(_BATCH_ROWS)})
                    statement.set_sql_query(sql)
                    if params:
                        statement.bind(pa.record_batch([[p] for p in params], names=[str(i) for i in range(len(params))]))
                    handle, _ = statement.execute_query()
                    # read to the end inside the statement: its read transaction ends with it
                    return pa.RecordBatchReader._import_from_c(handle.address).read_all()
            except (OSError, adbc_driver_manager.Error, pa.ArrowException):
                return None

    def close(self) -> None:
        with self.lock:
            for handle in (self.connection, self.database):
                if handle is not None:
                    handle.close()
            self.connection = self.database = None


# Every reader, so that a forked process (``annotator report --jobs``) never uses the connection
# it inherited: SQLite's handles must not cross a fork. The child keeps them, unused and
# unclosed, and opens its own on its first read.
_READERS: weakref.WeakSet[_AdbcReader] = weakref.WeakSet()
_INHERITED: list = []


def _forget_inherited_connections() -> None:
    for reader in list(_READERS):
        if reader.connection is not None:
            _INHERITED.append((reader.connection, reader.database))
        reader.connection = reader.database = None
        reader.lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_connections)


def frame_from_arrow(table: pa.Table):
    """``table`` as a pandas DataFrame with the dtypes ``pd.DataFrame.from_records`` gives the
    same rows read through ``sqlite3``: a column NULL on every row (or a table without rows)
    is ``object`` holding None, not the float NaN of a typed Arrow column (the driver types
    an all-NULL column as integers)."""
    import pyarrow as pa

    n = table.num_rows
    for i, column in enumerate(table.columns):
        if column.null_count == n and column.type != pa.null():
            table = table.set_column(i, table.field(i).name, pa.nulls(n))
    return table.to_pandas()


def _read_with_sqlite3(conn, sql: str, params: list) -> pa.Table:
    """The same rows through Python's ``sqlite3``: a page of tuples at a time, each page's
    columns handed to Arrow (which infers the types)."""
    import pyarrow as pa

    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    batches = []
    while page := cursor.fetchmany(_PAGE_ROWS):
        columns = list(zip(*page))
        batches.append(pa.table({f"c{i}": pa.array(column) for i, column in enumerate(columns)}))
    if not batches:
        return pa.table({f"c{i}": pa.array([], type=pa.null()) for i in range(len(names))}).rename_columns(names)
    # pages may infer different types (a page of NULLs): unify them as Arrow promotes types
    table = pa.concat_tables(batches, promote_options="permissive")
    return table.rename_columns(names)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s names and types (a NULL-only column takes its type)."""
    if table.num_columns != len(schema):
        raise ValueError(f"schema has {len(schema)} columns, the query {table.num_columns}")
    table = table.rename_columns(schema.names)
    if table.schema.equals(schema):
        return table
    return table.cast(schema)
