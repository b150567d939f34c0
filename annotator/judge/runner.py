"""The online runner: make a prepared run's calls, as fast as the HTTP client allows.

``run_online()`` makes the calls that ``planning.prepare()`` left (after copying the cached
ones) with a concurrency limit over one aiohttp session (``transport.py``); retries with
backoff on 408/409/429/5xx, timeouts and connection errors; keeps ``--max-cost``
(``planning.Budget``); writes judgments on a worker thread as they arrive, so a
run interrupted at any point resumes where it stopped. Verdicts are stored in canonical
order. What stops a run at once, before it stores anything for the calls not made: the
server refusing the credentials (401, 403), any other client error (400, 404, 422, ...)
before a call has succeeded (a wrong path, an unknown model or parameter: every call would
fail the same way), nothing listening at the endpoint before it ever answered.

Also here: re-parsing a run's stored outputs, and the offline baselines.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import time
from collections import Counter
from collections.abc import Iterator

from annotator.store.models import JudgeRun, Judgment
from annotator.store.protocol import JudgeStore

from . import baselines
from .calls import Call, MalformedAnswer, apply_parse, error_judgment, judgment_from_completion, messages_json
from .config import JudgeConfig
from .credentials import Endpoint
from .planning import (  # noqa: F401  (re-exported: the runner's public names)
    Budget,
    NoProgress,
    Prepared,
    Progress,
    RunError,
    RunOptions,
    RunReport,
    copy_cached,
    copy_shared,
    default_run_name,
    ensure_run,
    estimate,
    prepare,
    prepare_first,
)
from .transport import REFUSED, RETRYABLE, AnswerTooLarge, Transport, retry_delay, server_message, unreachable

PROBE_TURNS = 10  # event-loop turns given to the first request before the rest is planned


class JudgmentWriter:
    """Writes judgments on a worker thread as they arrive, so the event loop keeps serving
    responses while SQLite writes. One write at a time, of at least ``batch`` judgments or of
    whatever waited ``seconds`` (a batch per transaction: each commit rewrites the pages it
    touched, so row-sized writes cost more); once fewer than a batch are still to come
    (``expected``), each as it arrives, so little is left to write when the run ends. After every
    ``checkpoint_every`` rows the same thread copies the write-ahead log into the database (a
    PASSIVE checkpoint), and once more with the first of the last writes when a batch of rows
    or more waits for it (the last calls are still out), none after: closing the database at
    the end copies only the last batch's rows (closing just after a checkpoint took a third
    of the time it took with up to ``checkpoint_every`` rows left: 4-9 ms against 16-28)."""

    def __init__(self, store: JudgeStore, batch: int = 100, seconds: float = 2.0, checkpoint_every: int = 500):
        self.store, self.batch, self.seconds, self.checkpoint_every = store, batch, seconds, checkpoint_every
        self.buffer: list[Judgment] = []
        self.since = 0.0  # when the oldest judgment in the buffer arrived
        self.pending: asyncio.Future | None = None  # the write under way, as the loop sees it
        self.thread_future: concurrent.futures.Future | None = None  # the same, as any thread sees it
        self.unchecked = 0  # rows written since the last checkpoint
        self.ended = False  # the last writes have begun (one checkpoint then, none after)
        self.error: BaseException | None = None
        self.expected: int | None = None  # judgments the run will hand over, once known
        self.added = 0
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="judgment-writer")

    def add(self, judgment: Judgment) -> None:
        if self.error is not None:
            raise self.error  # a write that failed (disk full, database locked) stops the run here
        if not self.buffer:
            self.since = time.monotonic()
        self.buffer.append(judgment)
        self.added += 1
        if self.pending is None and self._due():
            self._start()

    def _ending(self) -> bool:
        """Fewer than a batch still to come: the last judgments of the run."""
        return self.expected is not None and self.expected - self.added < self.batch

    def _due(self) -> bool:
        if not self.buffer:
            return False
        if len(self.buffer) >= self.batch or self._ending():  # at the end no batch will fill: none waits
            return True
        return time.monotonic() - self.since >= self.seconds

    def _start(self) -> None:
        batch, self.buffer = self.buffer, []
        if not self._ending():
            when = "due"  # after every checkpoint_every rows
        elif not self.ended:  # the first of the last writes: what the run wrote so far, while the last calls are out
            self.ended, when = True, "now"
        else:  # none among the last writes: closing the store makes the one that is left
            when = "no"
        self.thread_future = self.executor.submit(self._write, batch, when)
        self.pending = asyncio.wrap_future(self.thread_future)
        self.pending.add_done_callback(self._written)

    def _write(self, batch: list[Judgment], when: str = "due") -> None:
        """Write a batch; checkpoint after it when ``due`` (every ``checkpoint_every`` rows),
        ``now`` (at least a batch of rows unchecked: a smaller run leaves its few rows to the
        close) or ``no``."""
        self.store.save_judgments(batch)
        self.unchecked += len(batch)
        if self.unchecked >= (self.batch if when == "now" else self.checkpoint_every) and when != "no":
            self.unchecked = 0
            checkpoint = getattr(self.store, "checkpoint", None)
            if checkpoint is not None:
                checkpoint()

    def _written(self, future: asyncio.Future) -> None:
        self.pending = None
        if future.cancelled():
            return
        if future.exception() is not None:
            self.error = self.error or future.exception()
        elif self._due():
            self._start()

    async def close(self) -> None:
        """Wait for the write under way, then write what is left (also when cancelled)."""
        while self.pending is not None:
            await asyncio.shield(self.pending)
            await asyncio.sleep(0)  # its done-callback (which may start the next write) runs first
        self.executor.shutdown(wait=False)
        if self.error is not None:
            raise self.error
        if self.buffer:
            batch, self.buffer = self.buffer, []
            self.store.save_judgments(batch)

    def finish_blocking(self) -> None:
        """Interrupted again while closing: wait for the write under way, write the rest here."""
        if self.thread_future is not None:
            concurrent.futures.wait([self.thread_future])
        self.executor.shutdown(wait=True)
        if self.buffer:
            batch, self.buffer = self.buffer, []
            self.store.save_judgments(batch)


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class _Stop(Exception):
    """Every further call would fail as this one did: the run stops (the message says why,
    the advice what to check)."""

    def __init__(self, message: str, advice: str):
        super().__init__(message)
        self.advice = advice


async def run_online(store: JudgeStore, prep: Prepared, endpoint: Endpoint, progress: Progress | None = None) -> RunReport:
    """Make the calls of a prepared run; returns what happened. Safe to interrupt."""
    import aiohttp

    progress = progress or NoProgress()
    report, judge, options = prep.report, prep.judge, prep.options
    started = time.perf_counter()
    if prep.run.params.get("batch"):
        raise RunError(
            f"run {prep.run.name!r} has a Batch API job in progress "
            f"({prep.run.params['batch']['id']}): rerun with --batch to collect it"
        )
    probe = prep.first  # planned ahead of the rest (prepare_first): sent before they are planned
    if probe is None:
        calls = copy_cached(store, prep, progress)
        if not calls:
            copy_shared(store, prep)
            report.elapsed_s = time.perf_counter() - started
            return report
    else:
        ensure_run(store, prep)  # its id goes into every judgment
    timeout = options.timeout or judge.request_timeout
    transport = Transport(endpoint, concurrency=options.concurrency, timeout=timeout,
                          max_answer_bytes=options.max_answer_bytes)
    writer = JudgmentWriter(store)
    budget = Budget(options.max_cost)
    # The body's fixed part serialised once; each call adds its messages.
    head = json.dumps({"model": prep.model, **prep.params}, ensure_ascii=False)[:-1].encode("utf-8")
    report.cost_unknown = prep.price.input is None
    run_id, parser, max_tokens, price = prep.run.stored_id, judge.parser, judge.max_tokens, prep.price
    secrets = endpoint.secrets
    stop: list[_Stop] = []  # why the run stopped: nothing else would succeed
    held: list[Judgment] | None = None  # judgments made before the progress started (see below)
    # Until the server has answered once, an unreachable endpoint ends the run at once
    # (retrying a refused connection for a minute only hides a wrong --base-url); after
    # that, a refused connection is a server restarting and is retried like any other.
    reached = False
    succeeded = False
    notes: list[str] = []  # what the runner did against what the server said (see RunReport.notes)
    told: set[str] = set()
    looked = 0  # notes[:looked] were looked at
    tell = getattr(progress, "note", None)  # a progress display that can say it, says it at once

    def tell_new_notes() -> None:
        nonlocal looked
        for note in notes[looked:]:
            if note not in told:
                told.add(note)
                if tell is not None:
                    tell(note)
        looked = len(notes)

    async def attempt(call: Call, body: bytes, number: int) -> Judgment | float:
        """One request: the judgment, or the seconds to wait before the next attempt."""
        nonlocal reached, succeeded
        t0 = time.perf_counter()
        report.requests_sent += 1
        last = number >= judge.max_retries
        try:
            answer = await transport.post(body)
        except TimeoutError:
            if not last:
                return retry_delay({}, number, options.retry_base_s, options.retry_cap_s, 0.5 + random.random() / 2)[0]
            return error_judgment(call, run_id, f"timeout: no whole answer within {timeout:g} s", time.perf_counter() - t0)
        except AnswerTooLarge as error:
            reached = True
            return error_judgment(call, run_id, f"answer too large: {error}", time.perf_counter() - t0)
        except (aiohttp.ClientError, OSError) as error:  # the connection
            why = "" if reached else unreachable(error)
            if why:
                raise _Stop(f"cannot reach {endpoint.url}: {why}",
                            "Is the server running, and is --base-url right? Run the same command again "
                            "once the server is up.") from None
            if not last:
                return retry_delay({}, number, options.retry_base_s, options.retry_cap_s, 0.5 + random.random() / 2)[0]
            message = _scrub(f"{type(error).__name__}: {error}", secrets)
            return error_judgment(call, run_id, f"connection error: {message}", time.perf_counter() - t0)
        reached = True
        latency = time.perf_counter() - t0
        status = answer.status
        if status < 300:
            try:
                judgment = judgment_from_completion(call, run_id, parser, json.loads(answer.body), latency, price,
                                                    max_tokens, notes)
            except MalformedAnswer as error:
                return error_judgment(call, run_id, f"malformed answer: {error}", latency)
            except ValueError as error:  # not JSON (or not UTF-8)
                return error_judgment(call, run_id, f"not JSON: {str(error)[:200]}", latency)
            succeeded = True
            return judgment
        message = _scrub(server_message(answer), secrets)
        if status in REFUSED:
            raise _Stop(f"the server at {endpoint.url} refused the credentials (HTTP {status}: {message})",
                        f"Check the API key (${judge.api_key_env} or [api_keys] in the config file) and "
                        "--base-url, then run the same command again.")
        if status in RETRYABLE or status >= 500:
            if not last:
                delay, note = retry_delay(answer.headers, number, options.retry_base_s, options.retry_cap_s,
                                          0.5 + random.random() / 2)
                if note:
                    notes.append(note)
                return delay
            return error_judgment(call, run_id, f"HTTP {status}: {message}", latency)
        if not succeeded:
            raise _Stop(f"the server at {endpoint.url} answered HTTP {status} to the first call: {message}",
                        "Check --base-url (it ends before /chat/completions, e.g. http://localhost:8000/v1), "
                        "--model and the judge's parameters, then run the same command again.")
        return error_judgment(call, run_id, f"HTTP {status}: {message}", latency)

    async def one(call: Call) -> None:
        if stop:
            report.not_started += 1
            return
        worst = price.worst_case(call, max_tokens)
        if not budget.reserve(worst):
            report.not_started += 1
            return
        body = head + b', "messages": ' + messages_json(call.messages) + b"}"
        judgment = None
        try:
            for number in range(judge.max_retries + 1):
                outcome = await attempt(call, body, number)
                if len(notes) > looked:
                    tell_new_notes()
                if isinstance(outcome, Judgment):
                    judgment = outcome
                    break
                await asyncio.sleep(outcome)
                if stop:  # another call found that nothing will succeed
                    break
        except _Stop as why:
            if not stop:
                stop.append(why)
        if judgment is None:
            budget.settle(worst, None, answered=False)
            report.not_started += 1
            return
        budget.settle(worst, judgment.cost, answered=not judgment.failed)
        report.requested += 1
        report.count(judgment)
        writer.add(judgment)
        if held is None:
            progress.advance(failed=not judgment.scored, cost=judgment.cost)
        else:  # the first call answered before the rest was planned and the progress started
            held.append(judgment)

    async def worker(calls: Iterator[Call]) -> None:
        for call in calls:  # shared by every worker: each call taken once, in the planned order
            await one(call)

    try:
        # The first call alone: a refused key or a wrong endpoint shows at once, after one
        # request, instead of after a whole wave of them. While it is out, the rest of the
        # run is planned (prompts, cache keys, cache look-ups) and the progress bar started.
        if probe is None:
            progress.start(len(calls), prep.run.name)
            writer.expected = len(calls)
            await one(calls[0])
            rest = calls[1:]
        else:
            held = []
            first = asyncio.ensure_future(one(probe))
            try:
                # A few turns of the event loop first: on a nearby server they connect and send
                # the first request (~5 turns) before the planning thread takes the interpreter
                # lock, which the loop would otherwise wait for at every step (up to 5 ms each).
                for _ in range(PROBE_TURNS):
                    if first.done():
                        break
                    await asyncio.sleep(0)
                await asyncio.to_thread(prep.plan_rest)
                rest = [c for c in copy_cached(store, prep, progress) if c.slot != probe.slot]
                progress.start(len(rest) + 1, prep.run.name)
                writer.expected = len(rest) + 1
                for judgment in held:
                    progress.advance(failed=not judgment.scored, cost=judgment.cost)
            finally:
                held = None
                await first
        # --concurrency workers, each making one call after another (not a task per call
        # waiting on a semaphore: the first wave goes out without waiting for thousands of
        # tasks to be made and parked, and each call costs less CPU on the event loop)
        pending = iter(rest)
        await asyncio.gather(*(worker(pending) for _ in range(min(max(1, options.concurrency), len(rest)))))
    finally:
        closing = asyncio.ensure_future(transport.close())  # the connections close while the last rows are written
        try:
            await writer.close()
        except asyncio.CancelledError:  # interrupted again while closing: write synchronously
            writer.finish_blocking()
            raise
        progress.stop()
        for note in notes:
            report.note(note)
        report.spent = budget.spent
        report.elapsed_s = time.perf_counter() - started
        if budget.exhausted:
            report.stopped = f"budget of ${options.max_cost:.4f} reached"
        await closing
    copy_shared(store, prep)  # the answers of identical calls (one per instruction for a prompt scorer)
    if stop:
        done = report.from_cache + report.requested
        raise RunError(
            f"{stop[0]}; stopped after {report.requests_sent} request(s), {report.not_started} call(s) not made, "
            "nothing stored for them" + (f" ({done} judgment(s) saved)" if done else "") + ". " + stop[0].advice
        )
    return report


# -- re-parsing and baselines ----------------------------------------------------------------
def reparse(store: JudgeStore, run: JudgeRun, parser: str) -> Counter:
    """Parse every stored raw output of a run again (no model calls), with the stored
    first-token logprobs for the soft verdict (judgments stored before logprobs were kept
    keep their P(A)); failed calls stay failed. Returns the verdicts / reasons after
    re-parsing."""
    outcome: Counter = Counter()
    changed = []
    for judgment in store.judgments(run.stored_id):
        if judgment.failed:
            outcome["error"] += 1
            continue
        if judgment.unscored_reason == "refusal" and not judgment.raw_output.strip():
            outcome["refusal"] += 1
            continue
        top = [tuple(t) for t in judgment.top_logprobs] or None
        apply_parse(judgment, parser, top, keep_p_a=top is None)
        outcome[judgment.verdict or ("scored" if judgment.score is not None else judgment.unscored_reason)] += 1
        changed.append(judgment)
    store.save_judgments(changed)
    params = dict(run.params)
    params.setdefault("judge", {})["parser"] = parser
    run.params = params
    store.update_run(run)
    return outcome


def run_baseline(store: JudgeStore, task_name: str, judge: JudgeConfig, run_name: str | None = None,
                 limit: int | None = None) -> RunReport:
    """An offline baseline over a task's pairs (order AB, one sample, no cost)."""
    task = store.require_task(task_name)
    started = time.perf_counter()
    rule = baselines.BASELINES[judge.baseline]
    name = run_name or judge.name
    existing = store.get_run(task.name, name)
    if existing is not None and existing.kind != "baseline":
        raise RunError(f"run {name!r} of task {task.name} is a {existing.kind} run; pass --name")
    run = store.get_or_create_run(JudgeRun(
        task=task.name, name=name, kind="baseline", template=judge.baseline,
        params={"baseline": judge.baseline, "seed": judge.seed},
    ))
    pairs = list(store.pairs(task.name))
    if limit is not None:
        pairs = pairs[:limit]
    judgments = []
    for pair in pairs:
        verdict = rule(pair, judge.seed)
        judgments.append(Judgment(run=run.stored_id, pair=pair.stored_id, order="AB", sample=0, verdict=verdict,
                                  cost=0.0, raw_output=verdict))
    store.save_judgments(judgments)
    return RunReport(run=name, run_id=run.id, planned=len(pairs), requested=0, scored=len(pairs),
                     elapsed_s=time.perf_counter() - started)
