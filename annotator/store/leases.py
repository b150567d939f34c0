"""One annotator name, one writer: a lease per task and annotator name.

A labelling session (the terminal app, or one browser tab of ``annotator serve``) takes the
lease for its (task, annotator) before it shows a pair, renews it while it runs
(:meth:`renew_writer`, every few seconds) and gives it back when it ends. A second session
with the same name is refused while the lease is live (:class:`WriterBusy` says who holds
it), so two sessions never receive the same pair and never write revisions over each other.

A lease that was not renewed in time (its process was killed or the machine slept) expires;
a lease whose process is gone on this same machine is free at once. A session whose lease
was taken over (it had expired) finds out at its next save (:meth:`holds_writer`) and saves
nothing more.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .base import StoreBase

DEFAULT_LEASE = timedelta(seconds=30)


class WriterBusy(Exception):
    """Another live session labels this task under this annotator name."""

    def __init__(self, task: str, annotator: str, holder: dict):
        self.task, self.annotator, self.holder = task, annotator, holder
        super().__init__(
            f"{annotator!r} is already labelling task {task!r} in another session "
            f"(process {holder['pid']} on {holder['host']}, since {holder['started_at'][:19]}). "
            "Close that session first; a session that ended without quitting frees the name "
            f"within {int(DEFAULT_LEASE.total_seconds())} seconds."
        )


@dataclass(frozen=True)
class WriterIdentity:
    """Who holds a lease: a unique token, the process id and the host name."""

    holder: str
    pid: int
    host: str

    @classmethod
    def here(cls) -> WriterIdentity:
        pid, host = os.getpid(), socket.gethostname()
        return cls(holder=f"{host}:{pid}:{os.urandom(6).hex()}", pid=pid, host=host)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


class LeaseStore(StoreBase):
    def acquire_writer(self, task: str, annotator: str, me: WriterIdentity, *,
                       lease: timedelta = DEFAULT_LEASE, now: datetime | None = None) -> None:
        """Take the lease of (task, annotator) for ``me``, or raise :class:`WriterBusy`."""
        now = now or datetime.now(timezone.utc)
        with self.atomic():
            row = self.db.execute(
                "SELECT holder, pid, host, started_at, expires_at FROM writer_leases WHERE task = ? AND annotator = ?",
                [task, annotator]).fetchone()
            if row is not None and row[0] != me.holder:
                holder = dict(zip(("holder", "pid", "host", "started_at", "expires_at"), row))
                stale = holder["expires_at"] <= _iso(now) or (
                    holder["host"] == me.host and process_gone(holder["pid"]))
                if not stale:
                    raise WriterBusy(task, annotator, holder)
            self.db.execute(
                "INSERT INTO writer_leases (task, annotator, holder, pid, host, started_at, beat_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task, annotator) DO UPDATE SET "
                "holder = excluded.holder, pid = excluded.pid, host = excluded.host, "
                "started_at = excluded.started_at, beat_at = excluded.beat_at, expires_at = excluded.expires_at",
                [task, annotator, me.holder, me.pid, me.host, _iso(now), _iso(now), _iso(now + lease)])

    def renew_writer(self, task: str, annotator: str, me: WriterIdentity, *,
                     lease: timedelta = DEFAULT_LEASE, now: datetime | None = None) -> bool:
        """Extend ``me``'s lease; False when it is no longer ``me``'s (taken over).

        Then checkpoints the write-ahead log (:meth:`~StoreBase.checkpoint`): the heartbeat
        does it, off the save path, so that a save rarely waits for one."""
        now = now or datetime.now(timezone.utc)
        with self.atomic():
            renewed = self.db.execute(
                "UPDATE writer_leases SET beat_at = ?, expires_at = ? WHERE task = ? AND annotator = ? AND holder = ?",
                [_iso(now), _iso(now + lease), task, annotator, me.holder]).rowcount == 1
        if renewed:
            self.checkpoint()
        return renewed

    def holds_writer(self, task: str, annotator: str, me: WriterIdentity) -> bool:
        """Whether ``me`` holds the lease (checked inside each save's transaction)."""
        return self.db.execute(
            "SELECT 1 FROM writer_leases WHERE task = ? AND annotator = ? AND holder = ?",
            [task, annotator, me.holder]).fetchone() is not None

    def release_writer(self, task: str, annotator: str, me: WriterIdentity | None = None) -> int:
        """Give the lease back (``me``'s only, or whoever holds it when ``me`` is None)."""
        with self.atomic():
            sql, args = "DELETE FROM writer_leases WHERE task = ? AND annotator = ?", [task, annotator]
            if me is not None:
                sql += " AND holder = ?"
                args.append(me.holder)
            return self.db.execute(sql, args).rowcount

    def live_writer(self, task: str, annotator: str) -> dict | None:
        """The lease of (task, annotator) a new session would be refused by: live, and not
        held by a process already gone from this machine (that lease is free at once)."""
        host = socket.gethostname()
        return next((w for w in self.writers(task) if w["annotator"] == annotator and w["live"]
                     and not (w["host"] == host and process_gone(w["pid"]))), None)

    def writers(self, task: str | None = None, now: datetime | None = None) -> list[dict]:
        """Live and expired leases: task, annotator, pid, host, started_at, beat_at, expires_at, live."""
        now_iso = _iso(now or datetime.now(timezone.utc))
        sql = ("SELECT task, annotator, pid, host, started_at, beat_at, expires_at, expires_at > ? AS live "
               "FROM writer_leases")
        args: list = [now_iso]
        if task is not None:
            sql += " WHERE task = ?"
            args.append(task)
        return [{**r, "live": bool(r["live"])} for r in self.query(sql + " ORDER BY task, annotator", args)]
