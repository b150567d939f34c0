"""Running a judge over a task's pairs: planning, the cache, the online runner, baselines.

``prepare()`` turns (task, judge, options) into the run and the list of calls still to make:
calls already finished in this run are skipped, calls finished in any run (same cache key)
are copied without a request. ``run_online()`` makes the rest through ``AsyncOpenAI`` with a
concurrency limit, retries with backoff on 408/409/429/5xx, timeouts and connection errors,
a budget, and writes judgments as they arrive, so a run interrupted at any point resumes
where it stopped. Verdicts are stored in canonical order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from annotator.store.models import JudgeRun, Judgment, Pair, Task, is_failed, unscored_kind
from annotator.store.protocol import JudgeStore

from . import baselines
from .calls import Call, Price, apply_parse, cache_key, error_judgment, judgment_from_completion, request_params
from .config import GUIDANCE_DIRECTIONS, JudgeConfig, shipped_templates_dir
from .credentials import Endpoint, url_secrets
from .templates import (
    factor_definition,
    guidance_text,
    load_template,
    measures_a_factor,
    needs_reference,
    needs_source,
    render,
    uses,
)

FINISHED = ("completed", "failed", "expired", "cancelled")


class RunError(RuntimeError):
    """A run that cannot start; the message says why and what to do."""


class Progress(Protocol):
    def start(self, total: int, description: str) -> None: ...
    def advance(self, *, failed: bool, cost: float | None) -> None: ...
    def stop(self) -> None: ...


class NoProgress:
    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, *, failed: bool, cost: float | None) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class RunOptions:
    run_name: str | None = None  # default: the judge's name (+ @model, + guidance)
    model: str | None = None  # overrides the judge's model
    concurrency: int = 16
    samples: int | None = None  # overrides the judge's samples
    orders: str | None = None  # "both" | "AB"; default from the judge's both_orders
    max_cost: float | None = None  # USD; stop starting new calls beyond it
    limit: int | None = None  # only the first N pairs of the task
    guidance: dict[str, str] = field(default_factory=dict)  # added to the judge's guidance
    factor: str | None = None  # the factor a factor-measuring judge (factor-compare) measures
    price: tuple[float, float] | None = None  # USD per million tokens, in / out
    timeout: float | None = None  # seconds per request; default from the judge
    retry_base_s: float = 1.0  # first backoff delay when the server gives no Retry-After
    retry_cap_s: float = 60.0
    poll_interval_s: float = 30.0  # Batch API mode
    pair_ids: frozenset[int] | None = None  # only these pairs (database ids); None: all
    # Few-shot examples, already rendered (``annotator.judge.fewshot``): added after any
    # guidance; part of the run's identity (its digest is in the fingerprint).
    examples: str = ""
    # Further placeholder values per (pair, target), e.g. a response's atomic facts; a call
    # whose values are None is not planned (nothing to ask about).
    values: Callable[[Pair, str], dict[str, str] | None] | None = None
    kind: str | None = None  # the run's kind (default: "llm", "pointwise" or "factor")
    params: dict[str, Any] = field(default_factory=dict)  # stored in the run's params


@dataclass
class RunReport:
    run: str = ""
    run_id: int | None = None
    planned: int = 0  # calls the run consists of (within --limit)
    already_done: int = 0  # finished earlier in this run
    from_cache: int = 0  # copied from another run with the same cache key
    requested: int = 0  # calls sent (or submitted in a batch) this time
    requests_sent: int = 0  # HTTP requests including retries
    scored: int = 0  # of the judgments made this time: from the cache and called
    unscored: Counter = field(default_factory=Counter)  # reason -> count (this time, likewise)
    not_started: int = 0  # left for a later run (budget reached or interrupted)
    skipped: Counter = field(default_factory=Counter)  # reason -> planned calls left out
    spent: float = 0.0  # USD spent this time (known prices only)
    cost_unknown: bool = False
    stopped: str = ""  # why the run stopped early, if it did
    elapsed_s: float = 0.0
    batch_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["unscored"] = dict(self.unscored)
        data["skipped"] = dict(self.skipped)
        return data


@dataclass
class Prepared:
    task: Task
    judge: JudgeConfig
    options: RunOptions
    run: JudgeRun
    run_exists: bool
    model: str
    endpoint_url: str
    params: dict[str, Any]
    price: Price
    calls: list[Call]  # still to make
    cached: dict[str, Judgment]  # cache key -> finished judgment from another run
    report: RunReport


# -- planning --------------------------------------------------------------------------------
def default_run_name(judge: JudgeConfig, options: RunOptions) -> str:
    name = judge.name
    if options.factor:
        name += f":{options.factor}"
    if options.model and options.model != judge.model:
        name += f"@{options.model}"
    if options.guidance:
        name += "+" + ",".join(f"{k}={v}" for k, v in sorted(options.guidance.items()))
    return name


def prompt_version(template_version: str, added: str) -> str:
    """The version of the prompt a new run records: the template's, plus a digest of any
    guidance or few-shot text added to it (so that reports can tell prompt versions of one
    judge apart)."""
    if not added:
        return template_version
    return f"{template_version}+added:{hashlib.sha256(added.encode('utf-8')).hexdigest()[:12]}"


def _fingerprint(run: JudgeRun) -> dict[str, Any]:
    return run.params.get("fingerprint", {})


def prepare(store: JudgeStore, task_name: str, judge: JudgeConfig, options: RunOptions, endpoint_url: str) -> Prepared:
    """The run (not yet written when new) and the calls still to make. Writes nothing."""
    task = store.require_task(task_name)
    if judge.kind != "llm":
        raise RunError(f"{judge.name} is a {judge.kind} judge: use run_baseline")
    for key, direction in options.guidance.items():
        if direction not in GUIDANCE_DIRECTIONS:
            raise RunError(f"guidance {key}={direction}: the direction must be one of {', '.join(GUIDANCE_DIRECTIONS)}")
    model = options.model or judge.model
    if not model:
        raise RunError(f"judge {judge.name} names no model: pass --model")
    guidance = {**judge.guidance, **options.guidance}
    template = load_template(judge.template_path)
    factor = None
    if measures_a_factor(template):
        if not options.factor:
            raise RunError(f"judge {judge.name} measures one factor: name it with --factor KEY "
                           f"(e.g. {', '.join(f.key for f in task.factors) or 'coherence'})")
        try:
            factor = factor_definition(task, options.factor)
        except KeyError as e:
            raise RunError(str(e.args[0])) from e
    elif options.factor:
        raise RunError(f"judge {judge.name} does not measure factors; use --judge factor-compare with --factor")
    kind = options.kind or ("factor" if factor else "pointwise" if judge.pointwise else "llm")
    try:
        guide = guidance_text(load_template(shipped_templates_dir() / "factor-guidance.txt"), task, guidance)
    except KeyError as e:
        raise RunError(str(e.args[0])) from e
    if options.examples:
        guide = f"{guide}\n\n{options.examples}" if guide else options.examples
    params = request_params(judge.temperature, judge.max_tokens, judge.logprobs, judge.top_logprobs)
    template_version = template.version(judge.template_version)
    fingerprint = {
        "model": model, "endpoint": endpoint_url, "template": judge.template,
        "template_version": template_version, "parser": judge.parser, "params": params,
        "guidance": guidance,
        **({"factor": factor.key} if factor else {}),
        **({"scope": judge.scope} if judge.pointwise else {}),
        **({"examples": hashlib.sha256(options.examples.encode("utf-8")).hexdigest()[:12]} if options.examples else {}),
    }
    if options.price is not None:
        price = Price(*options.price)
    elif options.model and options.model != judge.model:
        price = Price(None, None)  # the judge's price is for its own model
    else:
        price = Price(judge.price_input, judge.price_output)
    run_name = options.run_name or default_run_name(judge, options)
    run = store.get_run(task.name, run_name)
    run_exists = run is not None
    if run is not None:
        if run.kind != kind:
            raise RunError(f"run {run_name!r} of task {task.name} is a {run.kind} run; pass --name for a new run")
        old = _fingerprint(run)
        differs = sorted(k for k in fingerprint if old.get(k) != fingerprint[k])
        if differs:
            raise RunError(
                f"run {run_name!r} of task {task.name} was made with a different "
                f"{', '.join(differs)}; pass --name NEW_NAME to start another run"
            )
    else:
        run = JudgeRun(task=task.name, name=run_name, kind=kind, model=model, endpoint=endpoint_url,
                       template=judge.template, template_version=prompt_version(template_version, guide))
    run.params = {
        **run.params,
        "judge": judge.as_params(),
        "fingerprint": fingerprint,
        "guidance": guidance,
        "price": {"input": price.input, "output": price.output},
        **({"factor": factor.key} if factor else {}),
        **options.params,
    }

    orders = ("AB", "BA") if (options.orders or ("both" if judge.both_orders else "AB")) == "both" else ("AB",)
    if judge.pointwise:
        orders = ("AB",)  # one text at a time: nothing to swap
    samples = options.samples or judge.samples
    pairs = list(store.pairs(task.name))
    if options.pair_ids is not None:
        pairs = [p for p in pairs if p.id in options.pair_ids]
    if options.limit is not None:
        pairs = pairs[: options.limit]
    if needs_reference(template):
        missing = [p.pair_id for p in pairs if not p.reference.strip()]
        if missing:
            raise RunError(
                f"judge {judge.name} compares with a reference answer ({{reference}}), but {len(missing)} of "
                f"{len(pairs)} pairs have none (e.g. {missing[0]}): map one with [data] reference in task.toml, "
                "or route only the domains that have references to this judge ([task.routing])"
            )
    if options.values is None and (uses(template, "facts") or uses(template, "source_facts")):
        raise RunError(f"judge {judge.name} labels atomic facts: run it through "
                       "`annotator factors extract --extractor profile`, which gives it the facts")
    planned = []
    skipped: Counter = Counter()
    source_needed = needs_source(template) or "source" in judge.targets
    for pair in pairs:
        if source_needed and not pair.source.strip():
            skipped["no source document"] += len(judge.targets)
            continue
        for target in judge.targets:
            extra = options.values(pair, target) if options.values else None
            if options.values and extra is None:
                skipped["nothing to ask about (e.g. no atomic facts)"] += 1
                continue
            for order in orders:
                messages = render(template, task, pair, order, guide, factor, target=target, extra=extra)
                for sample in range(samples):
                    key = cache_key(endpoint_url, model, params, messages, sample)
                    planned.append(Call(pair, order, sample, messages, key, target))

    run.params["planned"] = len(planned)  # so `judge show` can tell what an interrupted run still lacks
    report = RunReport(run=run_name, run_id=run.id, planned=len(planned), skipped=skipped)
    slots = store.judgment_slots(run.stored_id) if run_exists else {}
    todo = []
    for call in planned:
        found = slots.get(call.slot)
        if found and found[0] == call.cache_key and not is_failed(found[1]):
            report.already_done += 1
        else:
            todo.append(call)
    cached = store.judgments_by_cache_keys(c.cache_key for c in todo)
    return Prepared(task, judge, options, run, run_exists, model, endpoint_url, params, price,
                    todo, cached, report)


def estimate(prep: Prepared) -> dict[str, Any]:
    """What a run would do, before spending anything: calls, tokens and cost (upper end)."""
    to_send = [c for c in prep.calls if c.cache_key not in prep.cached]
    prompt_tokens = sum(c.estimated_prompt_tokens for c in to_send)
    completion_tokens = prep.judge.max_tokens * len(to_send)
    cost = prep.price.cost(prompt_tokens, completion_tokens)
    batch_cost = None if cost is None else cost * prep.judge.batch_factor
    return {
        "run": prep.report.run, "task": prep.task.name, "model": prep.model, "endpoint": prep.endpoint_url,
        "planned": prep.report.planned, "already_done": prep.report.already_done,
        "from_cache": len(prep.calls) - len(to_send), "calls": len(to_send),
        "estimated_prompt_tokens": prompt_tokens, "max_completion_tokens": completion_tokens,
        "estimated_cost": cost, "estimated_batch_cost": batch_cost,
        "cost_note": "" if cost is not None else f"no price known for model {prep.model} (pass --price IN,OUT)",
    }


def _ensure_run(store: JudgeStore, prep: Prepared) -> None:
    if prep.run_exists:
        store.update_run(prep.run)
    else:
        prep.run = store.get_or_create_run(prep.run)
        prep.run_exists = True
    prep.report.run_id = prep.run.id


def copy_cached(store: JudgeStore, prep: Prepared, progress: Progress) -> list[Call]:
    """Store the calls whose answer another run already has; return the calls left to make."""
    _ensure_run(store, prep)
    copies, rest = [], []
    for call in prep.calls:
        hit = prep.cached.get(call.cache_key)
        if hit is None:
            rest.append(call)
            continue
        copies.append(Judgment(
            run=prep.run.stored_id, pair=call.pair.stored_id, order=call.order, sample=call.sample, target=call.target,
            verdict=hit.verdict, p_a=hit.p_a, score=hit.score, unscored_reason=hit.unscored_reason,
            messages=call.messages, raw_output=hit.raw_output, explanation=hit.explanation,
            top_logprobs=hit.top_logprobs, prompt_tokens=hit.prompt_tokens, completion_tokens=hit.completion_tokens,
            latency_s=hit.latency_s, cost=hit.cost, cache_key=call.cache_key,
        ))
        refusal_field = hit.unscored_reason == "refusal" and not hit.raw_output.strip()
        if not refusal_field:  # a cache hit is never a failed call
            # the cache holds the model's answer; reading it is this run's parser's job
            top = [tuple(t) for t in hit.top_logprobs] or None
            apply_parse(copies[-1], prep.judge.parser, top, keep_p_a=top is None)
    if copies:
        store.save_judgments(copies)
        prep.report.from_cache = len(copies)
        for copy in copies:
            if copy.verdict is not None:
                prep.report.scored += 1
            else:
                prep.report.unscored[copy.unscored_reason.split(":")[0]] += 1
    return rest


# -- the online runner -----------------------------------------------------------------------
class JudgmentWriter:
    """Buffers judgments and writes them in small transactions (every 100 or every second)
    on a worker thread, so the event loop keeps serving responses while SQLite writes."""

    def __init__(self, store: JudgeStore, every: int = 100, seconds: float = 1.0):
        self.store, self.every, self.seconds = store, every, seconds
        self.buffer: list[Judgment] = []
        self.last = time.monotonic()
        self.pending: list[asyncio.Future] = []

    def add(self, judgment: Judgment) -> None:
        self.buffer.append(judgment)
        if len(self.buffer) >= self.every or time.monotonic() - self.last >= self.seconds:
            batch, self.buffer, self.last = self.buffer, [], time.monotonic()
            loop = asyncio.get_running_loop()
            self.pending.append(loop.run_in_executor(None, self.store.save_judgments, batch))

    async def close(self) -> None:
        """Wait for the writes under way, then write what is left (also when cancelled)."""
        pending, self.pending = self.pending, []
        if pending:
            await asyncio.shield(asyncio.gather(*pending))
        if self.buffer:
            self.store.save_judgments(self.buffer)
            self.buffer = []


class Budget:
    """Spend so far plus the estimate of calls in flight must stay within ``limit``."""

    def __init__(self, limit: float | None):
        self.limit, self.spent, self.reserved = limit, 0.0, 0.0
        self.exhausted = False

    def reserve(self, estimate: float | None) -> bool:
        if self.limit is None:
            return True
        if self.exhausted or self.spent + self.reserved + (estimate or 0.0) > self.limit:
            self.exhausted = True
            return False
        self.reserved += estimate or 0.0
        return True

    def settle(self, estimate: float | None, cost: float | None) -> None:
        if self.limit is not None:
            self.reserved -= estimate or 0.0
        self.spent += cost or 0.0


def _retryable(error: Exception) -> bool:
    import openai

    if isinstance(error, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in (408, 409, 429) or error.status_code >= 500
    return False


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) / divisor
            except ValueError:
                return None
    return None


def _unreachable(error: BaseException) -> str:
    """Why nothing answers at the endpoint, when ``error`` says so ("" otherwise).

    The client reports a refused connection as a connect timeout (the aiohttp transport)
    or a connection error: the cause chain holds the ``ConnectionRefusedError`` (or the
    failed name look-up) that tells the two apart from a slow server.
    """
    import socket

    seen = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused: nothing is listening there"
        if isinstance(cause, socket.gaierror):
            return "the host name could not be resolved"
        cause = cause.__cause__ or cause.__context__
    return ""


def _describe(error: Exception, secrets: tuple[str, ...]) -> str:
    text = f"{type(error).__name__}: {error}"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def make_client(endpoint: Endpoint, timeout: float):
    """The official client with retries off (the runner retries, counting and budgeting them).

    It uses the client's aiohttp transport when aiohttp is installed (it is, through
    textual-serve): at 50 requests in flight it costs far less CPU per request than the
    default transport's connection pool.
    """
    import openai

    http_client = None
    try:
        # aiohttp refuses a URL holding credentials next to the Authorization header; the
        # default transport takes them (a server behind HTTP basic authentication).
        if not url_secrets(endpoint.base_url):
            http_client = openai.DefaultAioHttpClient(timeout=timeout)
    except RuntimeError:  # the aiohttp extra is missing: the default transport
        http_client = None
    return openai.AsyncOpenAI(api_key=endpoint.api_key, base_url=endpoint.base_url, timeout=timeout,
                              max_retries=0, http_client=http_client)


async def run_online(store: JudgeStore, prep: Prepared, endpoint: Endpoint,
                     progress: Progress | None = None) -> RunReport:
    """Make the calls of a prepared run; returns what happened. Safe to interrupt."""
    import openai

    progress = progress or NoProgress()
    report, judge, options = prep.report, prep.judge, prep.options
    started = time.perf_counter()
    if prep.run.params.get("batch"):
        raise RunError(
            f"run {prep.run.name!r} has a Batch API job in progress "
            f"({prep.run.params['batch']['id']}): rerun with --batch to collect it"
        )
    calls = copy_cached(store, prep, progress)
    if not calls:
        report.elapsed_s = time.perf_counter() - started
        return report
    client = make_client(endpoint, options.timeout or judge.request_timeout)
    semaphore = asyncio.Semaphore(max(1, options.concurrency))
    writer = JudgmentWriter(store)
    budget = Budget(options.max_cost)
    body_base = {"model": prep.model, **prep.params}

    def call_body(call: Call) -> bytes:
        return json.dumps({**body_base, "messages": call.messages}, ensure_ascii=False).encode("utf-8")
    report.cost_unknown = prep.price.input is None
    run_id = prep.run.stored_id
    secrets = endpoint.secrets
    refused: list[str] = []  # the server refused the credentials: nothing else will succeed
    # Until the server has answered once, an unreachable endpoint ends the run at once
    # (retrying a refused connection for a minute only hides a wrong --base-url); after
    # that, a refused connection is a server restarting and is retried like any other.
    reached = False
    unreachable = ""

    async def one(call: Call) -> None:
        nonlocal reached, unreachable
        async with semaphore:
            if unreachable or refused:
                report.not_started += bool(refused)
                return
            estimate = prep.price.estimate(call, judge.max_tokens)
            if not budget.reserve(estimate):
                report.not_started += 1
                return
            judgment = None
            t0 = time.perf_counter()
            for attempt in range(judge.max_retries + 1):
                t0 = time.perf_counter()
                report.requests_sent += 1
                try:
                    # The client's documented generic POST with the JSON body serialised once
                    # (`content=`, openai >= 2.16): it skips the typed parameter transform and
                    # the copies of the body that dominate the CPU time per request at high
                    # concurrency. `cast_to=bytes` returns the raw body whichever HTTP library
                    # the client is built on (httpx before openai 3, httpx2 since).
                    body = await client.post(
                        "/chat/completions", cast_to=bytes, content=call_body(call),
                        options={"headers": {"Content-Type": "application/json"}},
                    )
                    reached = True
                    completion = json.loads(body)
                    judgment = judgment_from_completion(
                        call, run_id, judge.parser, completion, time.perf_counter() - t0, prep.price
                    )
                    break
                except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
                    # Every other call would be refused the same way: stop, store nothing for it.
                    refused.append(_describe(error, secrets))
                    budget.settle(estimate, 0.0)
                    report.not_started += 1
                    return
                except openai.APIError as error:
                    latency = time.perf_counter() - t0
                    if isinstance(error, openai.APIStatusError):
                        reached = True
                    why = "" if reached else _unreachable(error)
                    if why:
                        unreachable = unreachable or why
                        budget.settle(estimate, None)
                        return
                    if _retryable(error) and attempt < judge.max_retries:
                        delay = _retry_after(error)
                        if delay is None:
                            delay = min(options.retry_cap_s, options.retry_base_s * 2**attempt)
                            delay *= 0.5 + random.random() / 2
                        await asyncio.sleep(delay)
                        continue
                    judgment = error_judgment(call, run_id, _describe(error, secrets), latency)
                    break
                except ValueError as error:  # a 200 whose body is not JSON
                    judgment = error_judgment(call, run_id, f"bad response body: {error}", time.perf_counter() - t0)
                    break
            assert judgment is not None  # the last attempt always ends with a judgment (or returns)
            budget.settle(estimate, judgment.cost)
            report.requested += 1
            if judgment.scored:
                report.scored += 1
            else:
                report.unscored[unscored_kind(judgment.unscored_reason, judgment.status)] += 1
            writer.add(judgment)
            progress.advance(failed=not judgment.scored, cost=judgment.cost)

    progress.start(len(calls), prep.run.name)
    try:
        # The first call alone: a refused key or a wrong endpoint shows at once, after one
        # request, instead of after a whole wave of them.
        await one(calls[0])
        await asyncio.gather(*(one(c) for c in calls[1:]))
    finally:
        try:
            await writer.close()
        except asyncio.CancelledError:  # interrupted again while closing: write synchronously
            for future in writer.pending:
                while not future.done():
                    time.sleep(0.01)
            if writer.buffer:
                store.save_judgments(writer.buffer)
            raise
        progress.stop()
        report.spent = budget.spent
        report.elapsed_s = time.perf_counter() - started
        if budget.exhausted:
            report.stopped = f"budget of ${options.max_cost:.4f} reached"
        await client.close()
    if refused:
        raise RunError(
            f"the server at {endpoint.url} refused the credentials ({refused[0]}); stopped after "
            f"{report.requests_sent} request(s), {report.not_started} call(s) not made, nothing stored for them. "
            f"Check the API key (${judge.api_key_env} or [api_keys] in the config file) and --base-url, "
            "then run the same command again.")
    if unreachable:
        done = report.from_cache + report.requested
        raise RunError(
            f"cannot reach {endpoint.url}: {unreachable}. Is the server running, and is "
            f"--base-url right? No call was answered"
            + (f"; {done} judgment(s) from the cache are saved" if done else "")
            + "; run the same command again once the server is up."
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
