"""One annotator name, one writer: leases in the store, sessions in one and several processes."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from annotator.store import Pair, Store, Task, WriterBusy, WriterIdentity
from annotator.tui.session import Answer, LabelSession, SessionTakenOver

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=10)


def make_task(store, n=6, overlap=1):
    task = Task(name="t", overlap=overlap, seed=1)
    store.save_task(task)
    store.insert_pairs(Pair(task="t", pair_id=f"p{i}", prompt="q", response_a="a", response_b="b",
                            content_hash=f"h{i}") for i in range(n))
    return task


def dead_pid() -> int:
    """The id of a process that has ended on this machine."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_holder_is_refused_while_the_lease_lives(store):
    make_task(store)
    first, second = WriterIdentity.here(), WriterIdentity.here()
    store.acquire_writer("t", "ann", first, now=T0)
    with pytest.raises(WriterBusy) as refused:
        store.acquire_writer("t", "ann", second, now=T0 + timedelta(seconds=10))
    assert "already labelling task 't'" in str(refused.value)
    store.acquire_writer("t", "bob", second, now=T0)  # another name is another writer
    store.acquire_writer("t", "ann", first, now=T0)  # the holder may take it again
    # Not renewed for longer than the lease: the second session takes it over ...
    store.acquire_writer("t", "ann", second, now=T0 + timedelta(minutes=5))
    assert not store.holds_writer("t", "ann", first)
    assert not store.renew_writer("t", "ann", first)  # ... and the first learns it at its next beat
    assert store.renew_writer("t", "ann", second)


def test_a_lease_of_a_process_gone_from_this_machine_is_free_at_once(store):
    make_task(store)
    me = WriterIdentity.here()
    ghost = WriterIdentity(holder="ghost", pid=dead_pid(), host=me.host)
    store.acquire_writer("t", "ann", ghost, now=datetime.now(timezone.utc))
    store.acquire_writer("t", "ann", me)  # no WriterBusy: the holder's process has ended
    assert store.holds_writer("t", "ann", me)
    assert [w["annotator"] for w in store.writers("t")] == ["ann"]
    assert store.release_writer("t", "ann", ghost) == 0 and store.release_writer("t", "ann", me) == 1


def test_two_sessions_with_one_name_never_share_a_pair(store):
    task = make_task(store, n=4)
    first = LabelSession(store, task, "ann", claim_for=MINUTE, heartbeat=None)
    with pytest.raises(WriterBusy):
        LabelSession(store, task, "ann", claim_for=MINUTE, heartbeat=None)
    first.start()
    first.close()
    second = LabelSession(store, task, "ann", claim_for=MINUTE, heartbeat=None)  # free after close
    assert second.start() is not None
    second.close()


def test_a_session_that_lost_its_name_saves_nothing(store):
    task = make_task(store, n=4)
    session = LabelSession(store, task, "ann", claim_for=MINUTE, heartbeat=None)
    pair = session.start()
    store.release_writer("t", "ann")  # a researcher frees the name (claims release --annotator)
    with pytest.raises(SessionTakenOver):
        session.save(Answer(choice="A"), "AB", 1.0)
    assert store.current_label(pair.id, "ann") is None  # "Not saved" means not saved
    assert session.current.id == pair.id


def test_heartbeat_renews_lease_and_claims(store):
    task = make_task(store, n=2)
    session = LabelSession(store, task, "ann", claim_for=timedelta(seconds=1), heartbeat=0.05)
    session.start()
    first = store.claims("t")[0]["expires_at"]
    import time

    deadline = time.monotonic() + 60  # waits for the renewal; the bound only stops a hang
    while store.claims("t")[0]["expires_at"] == first and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.claims("t")[0]["expires_at"] > first
    session.close()
    assert store.claims("t") == [] and store.writers("t") == []


def _hold(path, ready, done):
    store = Store.open(path)
    task = store.get_task("t")
    session = LabelSession(store, task, "ann", claim_for=MINUTE, heartbeat=None)
    session.start()
    ready.set()
    done.wait(300)  # the test sets it: the bound only stops a hang
    session.close()
    store.close()


def test_a_second_process_with_the_same_name_is_refused(tmp_path):
    path = tmp_path / "two.db"
    store = Store.open(path)
    task = make_task(store)
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(path), ready, done))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(WriterBusy) as refused:
            LabelSession(store, task, "ann", claim_for=MINUTE, heartbeat=None)
        assert str(holder.pid) in str(refused.value)
        other = LabelSession(store, task, "bob", claim_for=MINUTE, heartbeat=None)
        held = {c["pair"] for c in store.claims("t") if c["annotator"] == "ann"}
        assert other.start().id not in held
        other.close()
    finally:
        done.set()
        holder.join(60)
    assert holder.exitcode == 0
    assert LabelSession(store, task, "ann", claim_for=MINUTE, heartbeat=None).start() is not None
    store.close()


def _label_until_done(path, annotator, out):
    store = Store.open(path)
    task = store.get_task("t")
    session = LabelSession(store, task, annotator, claim_for=MINUTE, heartbeat=None)
    labelled, errors = 0, 0
    pair = session.start()
    while pair is not None:
        try:
            session.save(Answer(choice="A"), "AB", 0.1)
            labelled += 1
        except Exception:
            errors += 1
            break
        pair = session.current
        if labelled % 3 == 0:
            session.upcoming()  # what the app's prefetch does
    session.close()
    store.close()
    out.put((annotator, labelled, errors))


def test_several_processes_label_one_task_with_overlap(tmp_path):
    """Four processes label a 60-pair task with overlap 2 through the app's own session code."""
    path = tmp_path / "many.db"
    store = Store.open(path)
    make_task(store, n=60, overlap=2)
    store.close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_label_until_done, args=(str(path), f"a{i}", out)) for i in range(4)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert all(errors == 0 for _, _, errors in results)
    store = Store.open(path)
    per_pair = store.query("SELECT pair, COUNT(DISTINCT annotator) AS n, COUNT(*) AS revisions "
                           "FROM labels GROUP BY pair")
    assert len(per_pair) == 60
    assert all(r["n"] == 2 and r["revisions"] == 2 for r in per_pair)  # overlap held, nobody twice
    assert sum(n for _, n, _ in results) == 120
    assert store.claims("t") == [] and store.writers("t") == []
    store.close()


def _save_and_record(path, annotator, go, out):
    """Save an answer per pair as fast as possible; report (pair, choice, confidence) of every save."""
    store = Store.open(path, migrate=False)
    session = LabelSession(store, store.get_task("t"), annotator, claim_for=MINUTE, heartbeat=None)
    saved, errors = [], []
    pair = session.start()
    go.wait()
    n = 0
    while pair is not None:
        choice, confidence = "AB"[n % 2], 1 + (n + len(annotator)) % 5
        try:
            label = session.save(Answer(choice=choice, confidence=confidence), "AB", 0.1)
        except Exception as exc:  # counted: the test asserts there are none
            errors.append(repr(exc))
            break
        saved.append((pair.id, label.choice, label.confidence))
        n += 1
        pair = session.current
        if n % 2:
            session.upcoming()  # the app's prefetch claim, its own write transaction
    session.close()
    store.close()
    out.put((annotator, saved, errors))


def test_many_processes_saving_at_once_lose_and_misattribute_nothing(tmp_path):
    """Eight processes save back to back on one file (the write lock contended all the time):
    every save each one saw succeed is in the database, under its annotator, with its answer,
    once; overlap holds and no claim is left behind."""
    path = tmp_path / "busy.db"
    store = Store.open(path)
    make_task(store, n=40, overlap=3)
    store.close()
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    names = [f"ann{i}" for i in range(8)]
    procs = [ctx.Process(target=_save_and_record, args=(str(path), name, go, out)) for name in names]
    for p in procs:
        p.start()
    go.set()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(60)
    assert [errors for _, _, errors in results] == [[]] * len(names)
    store = Store.open(path)
    for annotator, saved, _ in results:
        stored = [(r["pair"], r["choice"], r["confidence"]) for r in store.query(
            "SELECT pair, choice, confidence FROM labels WHERE annotator = ? ORDER BY id", [annotator])]
        assert stored == saved
    per_pair = store.query("SELECT pair, COUNT(*) AS n, COUNT(DISTINCT annotator) AS people FROM labels GROUP BY pair")
    assert all(r["n"] == r["people"] <= 3 for r in per_pair)
    assert sum(r["n"] for r in per_pair) == 40 * 3  # every slot filled: nothing lost to a claim left over
    assert store.claims("t") == [] and store.writers("t") == []
    store.close()


def test_the_heartbeat_checkpoints_the_log_so_saves_need_not(tmp_path):
    """Connections leave the write-ahead log to grow past SQLite's default 1,000 pages; a
    lease renewal (the session's heartbeat) copies it into the database file: the file read
    alone (``immutable``, ignoring the log) holds what was written."""
    import sqlite3

    from annotator.store.base import WAL_AUTOCHECKPOINT_PAGES

    path = tmp_path / "wal.db"
    store = Store.open(path)
    assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == WAL_AUTOCHECKPOINT_PAGES > 1000
    make_task(store, n=3)
    me = WriterIdentity.here()
    store.acquire_writer("t", "ann", me, now=T0)

    def in_file_alone() -> int:
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]
        except sqlite3.DatabaseError:  # the file alone does not even hold the schema yet
            return -1
        finally:
            conn.close()

    assert in_file_alone() != 3  # still only in the log
    assert store.renew_writer("t", "ann", me, now=T0 + timedelta(seconds=5))
    assert in_file_alone() == 3
    store.close()
