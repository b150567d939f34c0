"""The runner's critical path: the first request goes out before the rest of the run is
planned, judgments are written as they arrive (one write at a time, off the event loop), and
nothing slow is done that a bare client does not do (no task importers, a short repr)."""

import asyncio
import subprocess
import sys
import threading
import time

import pytest

from annotator.judge import RunOptions, load_judge, prepare, run_online
from annotator.judge.credentials import Endpoint
from annotator.judge.planning import prepare_first
from annotator.judge.runner import JudgmentWriter
from annotator.store import Judgment
from tests.judge.sample_pairs import N_PAIRS

ALL = 2 * N_PAIRS


def _plan_view(prep):
    report = prep.report
    return ([(c.slot, c.cache_key, c.messages) for c in prep.calls], sorted(prep.cached), [c.slot for c in prep.shared],
            report.planned, report.distinct, report.already_done, dict(report.skipped), prep.run.params.get("planned"))


def test_prepare_first_then_the_rest_plans_what_prepare_plans(db_store, server):
    judge, options = load_judge("mt-bench-pair"), RunOptions(model="content")
    full = prepare(db_store, "demo", judge, options, server.url)
    lazy = prepare_first(db_store, "demo", judge, options, server.url)
    assert lazy.calls == [lazy.first] and lazy.first.slot == full.calls[0].slot
    assert lazy.first.messages == full.calls[0].messages and lazy.first.cache_key == full.calls[0].cache_key
    lazy.plan_rest()
    assert _plan_view(lazy) == _plan_view(full)
    lazy.plan_rest()  # planned once
    assert _plan_view(lazy) == _plan_view(full)


def test_prepare_first_passes_over_finished_and_cached_calls(cli, db_store, server):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", "--limit", "2")
    judge = load_judge("mt-bench-pair")
    resumed = prepare_first(db_store, "demo", judge, RunOptions(model="content"), server.url)
    assert resumed.first.pair.pair_id == "p2" and resumed.first.order == "AB"  # p0 and p1 are done
    resumed.plan_rest()
    assert resumed.report.already_done == 4 and len(resumed.calls) == ALL - 4
    # under another name every call of the first two pairs is in the cache: the first call to make is p2's
    other = prepare_first(db_store, "demo", judge, RunOptions(model="content", run_name="again"), server.url)
    assert other.first.pair.pair_id == "p2"
    # everything cached within the look-ahead: planned whole at once, as prepare() does
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content")
    cached = prepare_first(db_store, "demo", judge, RunOptions(model="content", run_name="again"), server.url)
    assert cached.first is None and cached.rest is None
    assert _plan_view(cached) == _plan_view(prepare(db_store, "demo", judge, RunOptions(model="content", run_name="again"),
                                                    server.url))


def test_the_first_request_goes_out_before_the_rest_is_planned(db_store, server):
    prep = prepare_first(db_store, "demo", load_judge("mt-bench-pair"), RunOptions(model="content;delay=0.2"),
                         server.url)
    plan_rest, seen = prep.rest, []

    def later():  # the rest is planned only once the server holds the first request
        deadline = time.monotonic() + 60  # a bound against a hang only
        while not server.chat_requests and time.monotonic() < deadline:
            time.sleep(0.005)
        seen.append(len(server.chat_requests))
        plan_rest()

    prep.rest = later
    report = asyncio.run(run_online(db_store, prep, Endpoint(server.url, "sk-test")))
    assert seen == [1]
    assert report.requested == ALL and report.scored == ALL and len(server.chat_requests) == ALL
    assert len(db_store.judgments(prep.run.stored_id)) == ALL


class Recorder:
    def __init__(self):
        self.events = []

    def start(self, total, description):
        self.events.append(("start", total))

    def advance(self, *, failed, cost):
        self.events.append("advance")

    def stop(self):
        self.events.append("stop")


def test_a_first_answer_before_the_rest_is_planned_is_shown_once_the_progress_starts(db_store, server):
    prep = prepare_first(db_store, "demo", load_judge("mt-bench-pair"), RunOptions(model="content"), server.url)
    plan_rest = prep.rest

    def later():  # the first call's answer is in before the rest is planned
        deadline = time.monotonic() + 60  # a bound against a hang only
        while not server.chat_requests and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.3)  # the server answers at once
        plan_rest()

    prep.rest = later
    progress = Recorder()
    report = asyncio.run(run_online(db_store, prep, Endpoint(server.url, "sk-test"), progress))
    assert report.scored == ALL
    assert progress.events == [("start", ALL)] + ["advance"] * ALL + ["stop"]


def test_a_refused_key_still_stops_after_one_request(cli, server):
    result = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content;delay=0.05",
                 env={"OPENAI_API_KEY": "sk-wrong-key"}, code=1)
    assert "refused the credentials" in result.stderr and "stopped after 1 request(s)" in result.stderr
    assert len(server.chat_requests) == 1


class SlowStore:
    """Records each write; the first one waits until released, as a busy disk would."""

    def __init__(self, fail: bool = False):
        self.batches, self.checkpoints, self.fail = [], 0, fail
        self.release = threading.Event()
        self.writing = threading.Event()

    def save_judgments(self, judgments):
        self.writing.set()
        if not self.batches:
            self.release.wait(60)  # the test releases it: the bound only stops a hang
        if self.fail:
            raise OSError("disk full")
        self.batches.append([j.pair for j in judgments])
        return len(judgments)

    def checkpoint(self):
        self.checkpoints += 1


def _judgment(i: int) -> Judgment:
    return Judgment(run=1, pair=i, order="AB", sample=0, verdict="A")


def test_writer_writes_one_batch_at_a_time_each_judgment_once():
    store = SlowStore()

    async def go():
        writer = JudgmentWriter(store, batch=2, checkpoint_every=3)
        writer.add(_judgment(0))
        writer.add(_judgment(1))  # a batch: written on the worker thread
        await asyncio.to_thread(store.writing.wait, 60)
        for i in range(2, 5):  # arrive while that write is under way: the next write takes them all
            writer.add(_judgment(i))
        assert store.batches == []
        store.release.set()
        while len(store.batches) < 2:
            await asyncio.sleep(0.01)
        writer.add(_judgment(5))  # not a batch yet: written when the run ends
        await writer.close()

    asyncio.run(go())
    assert store.batches == [[0, 1], [2, 3, 4], [5]]
    assert store.checkpoints == 1  # after 5 rows written on the worker thread, every 3


def test_writer_writes_what_waited_long_enough():
    store = SlowStore()
    store.release.set()

    async def go():
        writer = JudgmentWriter(store, batch=100, seconds=0.0)
        writer.add(_judgment(0))  # waited long enough (0 s): written without a batch
        await asyncio.to_thread(store.writing.wait, 60)
        await writer.close()

    asyncio.run(go())
    assert store.batches == [[0]]


def test_writer_writes_the_last_judgments_of_a_run_as_they_arrive():
    store = SlowStore()
    store.release.set()

    async def go():
        writer = JudgmentWriter(store, batch=3, checkpoint_every=1)
        writer.expected = 7
        for i in range(7):  # a batch of 3, then once fewer than a batch are to come, what is there
            writer.add(_judgment(i))
            while writer.pending is not None:
                await asyncio.sleep(0.005)
        assert writer.buffer == []
        await writer.close()

    asyncio.run(go())
    assert store.batches == [[0, 1, 2], [3, 4], [5], [6]]
    assert store.checkpoints == 1  # none among the last writes: closing the store makes that one


def test_writer_checkpoints_once_as_the_last_writes_begin():
    """The bulk of the log is copied while the last calls are out, not by the close."""
    store = SlowStore()
    store.release.set()
    at = []
    store.checkpoint = lambda: at.append(sum(map(len, store.batches)))

    async def go(expected):
        writer = JudgmentWriter(store, batch=3, checkpoint_every=100)
        writer.expected = expected
        for i in range(expected):
            writer.add(_judgment(i))
            while writer.pending is not None:
                await asyncio.sleep(0.005)
        await writer.close()

    asyncio.run(go(10))
    assert store.batches == [[0, 1, 2], [3, 4, 5], [6, 7], [8], [9]]
    assert at == [8]  # with the first of the last writes (fewer than a batch to come), none after
    store.batches.clear()
    asyncio.run(go(2))  # a run smaller than a batch: its rows are left to the close
    assert store.batches == [[0], [1]] and at == [8]


def test_a_failed_write_stops_the_run():
    store = SlowStore(fail=True)
    store.release.set()

    async def go():
        writer = JudgmentWriter(store, batch=1)
        writer.add(_judgment(0))
        with pytest.raises(OSError, match="disk full"):
            for i in range(1, 1000):
                writer.add(_judgment(i))
                await asyncio.sleep(0.01)
        with pytest.raises(OSError):
            await writer.close()

    asyncio.run(go())


def test_a_prepared_run_has_a_short_repr(db_store, server):
    """asyncio.run() formats its main task's result as Python 3.11 restores the SIGINT handler."""
    prep = prepare(db_store, "demo", load_judge("mt-bench-pair"), RunOptions(model="content"), server.url)
    text = repr(prep)
    assert len(text) < 200 and f"calls={ALL}" in text and "mt-bench-pair@content" in text


def test_the_judge_commands_import_no_task_importers():
    code = ("import sys, annotator.cli.judge, annotator.judge.steps, annotator.judge.runner, annotator.judge.templates; "
            "print(sorted(m for m in sys.modules if m.startswith('annotator.tasks')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("key", ["sk-test", "sk-wrong-key"])
def test_judge_run_closes_the_database_however_it_ends(cli, db_path, server, key):
    """Closed by the command (its write-ahead log copied in and removed), not left to the exit."""
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
        env={"OPENAI_API_KEY": key}, code=0 if key == "sk-test" else 1)
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_the_http_client_is_imported_on_a_thread_while_the_command_reads_the_database():
    code = ("import sys, time; from annotator.cli.judge import _import_soon; assert 'aiohttp' not in sys.modules; "
            "_import_soon('aiohttp'); _import_soon('no_such_module_here'); deadline = time.monotonic() + 120\n"
            "while 'aiohttp.client' not in sys.modules and time.monotonic() < deadline: time.sleep(0.01)\n"
            "time.sleep(0.2); print(sorted(m for m in ('aiohttp', 'aiohttp.client') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['aiohttp', 'aiohttp.client']"
    assert done.stderr == ""  # a module that cannot be imported says nothing here (its user says it)


@pytest.fixture
def collector_restored():
    import gc

    enabled = gc.isenabled()
    yield gc
    gc.unfreeze()  # what `judge run` froze is this test process's, not a command's
    gc.enable() if enabled else gc.disable()


@pytest.mark.parametrize("as_json", [False, True])
def test_judge_run_pauses_the_collector_until_the_calls_are_under_way(cli, server, monkeypatch, as_json,
                                                                      collector_restored):
    gc = collector_restored
    from annotator.judge import transport

    seen = []
    post = transport.Transport.post

    async def recording(self, body):
        seen.append(gc.isenabled())
        return await post(self, body)

    monkeypatch.setattr(transport.Transport, "post", recording)
    frozen_before = gc.get_freeze_count()
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
        *(["--json"] if as_json else []))
    assert seen[0] is False  # the first request: paused since the command started
    assert seen[1:] == [True] * (ALL - 1)  # the rest: collected as usual, what existed before frozen
    assert gc.isenabled() and gc.get_freeze_count() > frozen_before


@pytest.mark.parametrize("code, args", [
    (0, ("--judge", "longest")),  # an offline baseline, no calls: resumed at once
    (0, ("--judge", "mt-bench-pair", "--model", "content", "--dry-run")),
    (1, ("--judge", "no-such-judge")),  # fails: resumed as the command ends
    (1, ("--judge", "mt-bench-pair", "--model", "content", "--base-url", "http://127.0.0.1:9/v1")),  # nothing there
])
def test_judge_run_leaves_the_collector_on_however_it_ends(cli, code, args, collector_restored):
    gc = collector_restored
    cli("judge", "run", *args, code=code, env={"OPENAI_API_KEY": "sk-test"})
    assert gc.isenabled()


def test_judge_run_with_every_call_cached_leaves_the_collector_on(cli, server, collector_restored):
    gc = collector_restored
    for name in ("first", "again"):  # the second run copies every answer from the cache: no progress, no calls
        cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", "--name", name)
        assert gc.isenabled()
    assert len(server.chat_requests) == ALL


def test_the_first_request_is_sent_before_the_planning_thread_starts(db_store):
    """The planning thread would hold the interpreter lock while the event loop connects and
    sends the first request: on a loopback server the request is out before it starts (a race
    without the loop's head start: tried five times)."""
    import socket

    from annotator.judge.planning import RunError

    judge = load_judge("mt-bench-pair")
    seen = []
    for _ in range(5):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        prep = prepare_first(db_store, "demo", judge, RunOptions(model="content", run_name=f"r{len(seen)}"), url)
        plan_rest = prep.rest

        def later(listener=listener, plan_rest=plan_rest):  # what the server has when the planning starts
            listener.setblocking(False)
            try:
                conn, _ = listener.accept()
                seen.append(conn.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)[:26])
            except BlockingIOError:  # not connected, or nothing sent yet
                seen.append(None)
                listener.settimeout(10)
                conn, _ = listener.accept()
            conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                         b"Connection: close\r\n\r\n{}")
            conn.close()
            plan_rest()

        prep.rest = later
        try:
            with pytest.raises(RunError, match="refused the credentials"):
                asyncio.run(asyncio.wait_for(run_online(db_store, prep, Endpoint(url, "sk-test")), 10))
        finally:
            listener.close()
    assert seen == [b"POST /v1/chat/completions "] * 5


def test_concurrency_workers_make_the_calls_in_order(db_store, server, monkeypatch):
    """--concurrency workers take the calls in the planned order (not a task per call parked
    on a semaphore); never more requests in flight than the limit, and the limit reached."""
    from annotator.judge import transport

    tasks = []
    post = transport.Transport.post

    async def counting(self, body):
        tasks.append(sum(t.get_coro().__qualname__.startswith("run_online") for t in asyncio.all_tasks()))
        return await post(self, body)

    monkeypatch.setattr(transport.Transport, "post", counting)
    judge = load_judge("mt-bench-pair")
    prep = prepare(db_store, "demo", judge, RunOptions(model="content;delay=0.05", concurrency=3), server.url)
    report = asyncio.run(run_online(db_store, prep, Endpoint(server.url, "sk-test")))
    assert report.scored == ALL and server.max_in_flight == 3
    assert max(tasks) == 3 + 1  # the workers and the run itself, whatever the number of calls (here ALL)
    one_by_one = prepare(db_store, "demo", judge, RunOptions(model="content", concurrency=1, run_name="serial"),
                         server.url)
    server.chat_requests.clear()
    asyncio.run(run_online(db_store, one_by_one, Endpoint(server.url, "sk-test")))
    assert [r["messages"] for r in server.chat_requests] == [c.messages for c in one_by_one.calls]
