"""Opening a database and the transaction helper every write goes through."""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from . import schema
from .sqlite import Database

DEFAULT_DB = Path("db") / "annotator.db"
BUSY_TIMEOUT_MS = 30_000
# SQLite copies the write-ahead log back into the database (a checkpoint, with its fsyncs) in
# the connection whose commit takes the log past this many pages: a save that happens to do so
# waits for it. Long-lived sessions checkpoint in their heartbeat instead
# (StoreBase.checkpoint, called by LeaseStore.renew_writer); this larger threshold (about 40 MB
# of log; SQLite's default is 1,000 pages) is the backstop for everyone else.
WAL_AUTOCHECKPOINT_PAGES = 10_000


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database path: ``--db``, else ``$ANNOTATOR_DB``, else ``db/annotator.db``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("ANNOTATOR_DB")
    if env:
        return Path(env)
    return DEFAULT_DB


class SchemaError(RuntimeError):
    """The database cannot be used by this version: written by a newer one, or older and
    read-only (so it cannot be upgraded). The message says which, by name and version."""


def connect_readonly(path: str | os.PathLike) -> Database:
    """Open an existing database for reading only, on a read-only file or file system.

    ``mode=ro`` first (it sees other processes' writes, but a WAL database needs its
    ``-shm`` file, which a read-only folder cannot hold), then ``immutable=1``: read-only
    media, where nobody can be writing either.
    """
    from urllib.parse import quote

    uri = "file:" + quote(str(Path(path).resolve()))
    last: sqlite3.Error | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        conn = sqlite3.connect(uri + query, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as e:
            conn.close()
            last = e
            continue
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return db
    assert last is not None  # both modes were tried and refused
    raise last


def _cannot_write(error: sqlite3.Error) -> bool:
    text = str(error)
    return "readonly" in text or "read-only" in text or "unable to open" in text


def connect(path: str | os.PathLike) -> Database:
    """Open (creating if needed) a SQLite database with the project's pragmas.

    WAL journal (readers never block the writer), foreign keys on, a busy timeout so two
    annotators on one file wait for each other instead of failing. The connection may be
    used from worker threads; the store serialises transactions with a lock.
    """
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = Database(conn)
    if path != ":memory:":
        _use_wal(db)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return db


def _use_wal(db: Database) -> None:
    """Switch the file to WAL. SQLite answers "locked" at once, without waiting out the busy
    timeout, while another connection switches the same new file: retry until the timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def is_busy(error: BaseException) -> bool:
    """Whether SQLite refused because another connection holds a lock (worth retrying)."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def retry_busy(action, *args, timeout_s: float | None = None, **kwargs):
    """Run ``action`` (a whole write in its own transaction), again while SQLite answers
    "database is locked" / "busy", with a growing pause, until ``timeout_s`` has passed.

    SQLite's own busy handler waits for a lock inside one statement; a few refusals come at
    once instead (a read transaction that must become a write, recovery of the write-ahead
    log): those are retried here, so they never reach a person.
    """
    deadline = time.monotonic() + (BUSY_TIMEOUT_MS / 1000 if timeout_s is None else timeout_s)
    delay = 0.005
    while True:
        try:
            return action(*args, **kwargs)
        except sqlite3.OperationalError as e:
            if not is_busy(e) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def begin_immediate(db: Database, timeout_s: float | None = None) -> None:
    """Start a write transaction, waiting for the write lock in short, jittered steps.

    SQLite's own busy handler sleeps in steps growing to 100 ms, so under many writers an
    unlucky one waits far longer than the lock is held. Here the lock is asked for without
    SQLite's wait, then again after 0.2 ms, 0.4 ms ... at most 10 ms (jittered, so waiters
    do not move in step), until the busy timeout; then the connection's own timeout is back.
    """
    deadline = time.monotonic() + (BUSY_TIMEOUT_MS / 1000 if timeout_s is None else timeout_s)
    delay = 0.0002
    db.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if not is_busy(e) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.01)
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


class StoreBase:
    """Holds the injected ``sqlite_utils.Database``; nothing else in the project runs SQL."""

    def __init__(self, db: Database, *, readonly: bool = False):
        self.db = db
        self.readonly = readonly  # opened read-only: the file or its file system cannot be written
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: str | os.PathLike, *, migrate: bool = True):
        """Open (creating if needed) and migrate. An existing database that cannot be written
        (read-only file or file system) is opened read-only: reading commands work, and the
        first write fails with SQLite's "attempt to write a readonly database"."""
        try:
            store = cls(connect(path))
        except sqlite3.OperationalError as e:
            if str(path) == ":memory:" or not _cannot_write(e) or not Path(path).is_file():
                raise
            store = cls(connect_readonly(path), readonly=True)
        if migrate:
            store.migrate()
        else:
            store.check_schema()
        return store

    @classmethod
    def memory(cls):
        store = cls(connect(":memory:"))
        store.migrate()
        return store

    def check_schema(self) -> None:
        """Refuse a database written by a newer version of annotator (its schema names
        migrations this version does not know): reading it could misread, writing it could
        damage it."""
        unknown = schema.unknown_migrations(self.db)
        if unknown:
            raise SchemaError(
                f"{self.path or ':memory:'} was written by a newer version of annotator (schema {unknown[-1]}; this version "
                f"knows up to {schema.latest_version()}): upgrade annotator to open it")

    def check_writable(self) -> None:
        """Take the write lock and let it go, so a read-only or busy database is found before
        anyone starts working (SQLite's error propagates: "readonly", "locked")."""
        if self.readonly:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("ROLLBACK")

    def migrate(self) -> list[str]:
        """Apply pending migrations; returns the names applied."""
        with self._lock:
            self.check_schema()
            if not schema.migrations.pending(self.db):
                return []
            if self.readonly:
                raise SchemaError(
                    f"{self.path or ':memory:'} has an older schema ({self.schema_version or 'empty'}; this version needs "
                    f"{schema.latest_version()}) and cannot be upgraded here: the file or its file system is "
                    "read-only (run `annotator init` where it can be written)")
            # Another process may be migrating the same new file right now: take SQLite's
            # write lock first (atomic() begins IMMEDIATE, waiting out the busy timeout), then
            # look again at what is pending, so each migration is applied once. The
            # migrations nest as savepoints.
            with self.atomic():
                pending = [m.name for m in schema.migrations.pending(self.db)]
                if pending:
                    schema.migrations.apply(self.db)
            return pending

    @property
    def path(self) -> Path | None:
        """The database file, or None for an in-memory database."""
        found = [r["file"] for r in self.query("PRAGMA database_list") if r["name"] == "main"]
        return Path(found[0]) if found and found[0] else None

    @property
    def schema_version(self) -> str:
        return schema.schema_version(self.db)

    def pending_migrations(self) -> list[str]:
        return [m.name for m in schema.migrations.pending(self.db)]

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction (a savepoint when nested); rolled back whole on any exception.

        The outer transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock at once
        (waiting out the busy timeout while another process writes), where a deferred ``BEGIN``
        that reads and then writes fails at once with "database is locked" if another
        process wrote in between.
        """
        with self._lock:
            if self.db.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            begin_immediate(self.db)
            try:
                yield self.db
            except BaseException:
                self.db.conn.rollback()
                raise
            try:
                self.db.execute("COMMIT")
            except BaseException:
                self.db.conn.rollback()
                raise

    def upsert_objects(self, table: str, values, to_row, pk: tuple[str, ...]) -> int:
        """Insert or replace dataclass objects (``to_row`` makes their rows), keyed by ``pk``,
        in one transaction; objects without a ``created_at`` get the current time."""
        from .models import utc_now

        now = utc_now()
        records = []
        for value in values:
            value.created_at = value.created_at or now
            records.append(to_row(value))
        with self.atomic():
            self.db.table(table).upsert_all(records, pk=pk)
        return len(records)

    @contextlib.contextmanager
    def pages_written_once(self) -> Iterator[str]:
        """A bulk write (an import) that writes each new page once, when nobody else has the
        database open: the journal becomes SQLite's rollback journal (``DELETE``) while it runs,
        and write-ahead logging (WAL) again after, even on failure. Yields the journal used:
        ``"delete"``, or ``"wal"`` when the database is in memory or read-only, the caller is
        inside a transaction, or another connection (a process, or this store's column reader)
        has the file open; then nothing changes.

        Under WAL every page goes to the log, and again into the database at the checkpoint
        (for 100,000 pairs, 450 MB written twice: about 0.7 s of CPU, a fifth of the import).
        A rollback journal keeps only the old content of the pages a write changes; new pages
        at the end of the file need none. The switch is asked for without waiting (SQLite
        grants it only to the one connection open); a process that opens the database while
        the write runs waits for it, up to the busy timeout, as for any write lock."""
        mode = "wal"
        if not self.readonly and self.path is not None:
            with self._lock:
                if not self.db.conn.in_transaction:
                    self.db.execute("PRAGMA busy_timeout=0")
                    try:
                        mode = str(self.db.execute("PRAGMA journal_mode=DELETE").fetchone()[0]).lower()
                    except sqlite3.OperationalError as e:
                        if not is_busy(e):
                            raise
                    finally:
                        self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            yield mode
        finally:
            if mode != "wal":
                with self._lock:
                    _use_wal(self.db)

    def checkpoint(self) -> None:
        """Copy the write-ahead log's committed pages into the database file, without
        waiting for anyone (SQLite's PASSIVE mode: pages a reader still needs stay in the log
        for a later checkpoint). Called off the save path (the session's heartbeat), so that
        saves rarely pay for a checkpoint (see ``WAL_AUTOCHECKPOINT_PAGES``)."""
        if self.readonly:
            return
        with self._lock:
            if self.db.conn.in_transaction:
                return
            try:
                self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.OperationalError as e:
                if not is_busy(e):
                    raise

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[dict]:
        with self._lock:
            return list(self.db.query(sql, params))

    def frame(self, sql: str, params: tuple | list | dict = ()):
        """The rows of a query as a pandas DataFrame, built from tuples (no dict per row:
        the reports read hundreds of thousands of rows)."""
        import pandas as pd

        with self._lock:
            cursor = self.db.execute(sql, params)
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)

    def integrity_problems(self) -> list[str]:
        """SQLite's integrity and foreign-key checks; an empty list means healthy."""
        problems = []
        with self._lock:
            rows = self.db.execute("PRAGMA integrity_check").fetchall()
            problems += [r[0] for r in rows if r[0] != "ok"]
            for table, rowid, parent, _ in self.db.execute("PRAGMA foreign_key_check").fetchall():
                problems.append(f"{table} row {rowid} points to a missing {parent} row")
        return problems

    def close(self) -> None:
        """Close the connection once no other thread is inside a store call."""
        with self._lock:
            self.db.close()
