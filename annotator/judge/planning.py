"""Planning a judge run: what to call, what the cache already holds, what it may cost.

``prepare()`` turns (task, judge, options) into the run and the list of calls still to make:
calls already finished in this run are skipped, calls finished in any run (same cache key)
are copied without a request (``copy_cached``), and calls of this run whose request is
identical to another's (a prompt-level scorer on pairs that share an instruction, a response
scorer on a baseline response shared by several pairs) are made once: the others are
*shared* (``copy_shared`` stores the one answer in each of their slots, not counted again). ``estimate()`` says what a run would do
before spending anything; ``Budget`` keeps ``--max-cost`` by reserving the worst case of
every call in flight. ``RunReport.count`` is the one place a judgment is counted as scored
or unscored. Writes nothing but the run and the cached copies; makes no request.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from annotator.store.models import JudgeRun, Judgment, Pair, Task, is_failed, unscored_kind
from annotator.store.protocol import JudgeStore

from .calls import CacheKeys, Call, Price, apply_parse, request_params, tally_failure
from .config import GUIDANCE_DIRECTIONS, JudgeConfig, shipped_templates_dir
from .fewshot import judge_examples
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
from .transport import MAX_ANSWER_BYTES


class RunError(RuntimeError):
    """A run that cannot start; the message says why and what to do."""


class Progress(Protocol):
    """What a run shows as it goes. It may also have ``note(text)``: told at once, once per
    kind, what the runner did against what the server said (a capped Retry-After, ...)."""

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
    timeout: float | None = None  # seconds per request in total (connect, send, the whole answer); default: the judge's
    max_answer_bytes: int = MAX_ANSWER_BYTES  # a larger answer body is not read: a failed call
    retry_base_s: float = 1.0  # first backoff delay when the server gives no Retry-After
    retry_cap_s: float = 60.0  # the longest wait between attempts, whatever Retry-After asks
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
    # failed calls by kind ("HTTP 500", "timeout", "malformed answer", ...): count and one
    # example message each
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    distinct: int = 0  # distinct requests among the planned calls (one per instruction for a prompt scorer)
    shared: int = 0  # judgments copied from an identical call of this run: no request, not counted again
    not_started: int = 0  # left for a later run (budget reached or interrupted)
    skipped: Counter = field(default_factory=Counter)  # reason -> planned calls left out
    spent: float = 0.0  # USD spent this time (known prices only)
    cost_unknown: bool = False  # no price known for the model
    without_cost: int = 0  # answers whose cost is unknown though the price is (usage figures missing or refused)
    stopped: str = ""  # why the run stopped early, if it did
    elapsed_s: float = 0.0
    batch_id: str = ""
    # what the runner did against what the server said, one line each (a capped Retry-After,
    # an answer stored cut, usage figures refused), with how often
    notes: Counter = field(default_factory=Counter)

    def count(self, judgment: Judgment) -> None:
        """Count one judgment made this time (called, or copied from the cache): the one
        place the runner decides what is scored (a verdict or a score) and under which reason
        an unscored judgment is counted."""
        if judgment.cost is None and not judgment.failed:
            self.without_cost += 1
        if judgment.scored:
            self.scored += 1
            return
        self.unscored[unscored_kind(judgment.unscored_reason, judgment.status)] += 1
        if judgment.failed:
            tally_failure(self.failures, judgment.unscored_reason)

    def note(self, text: str) -> None:
        self.notes[text] += 1

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["unscored"] = dict(self.unscored)
        data["skipped"] = dict(self.skipped)
        data["notes"] = dict(self.notes)
        return data


@dataclass(repr=False)
class Prepared:
    """A planned run: the run, its settings and the calls still to make."""

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
    shared: list[Call] = field(default_factory=list)  # identical to a call in ``calls``: copied after it
    # ``prepare_first``: the first call to make, planned ahead of the rest, and what plans the
    # rest (``plan_rest``, run while that call is out)
    first: Call | None = None
    rest: Callable[[], None] | None = None

    def plan_rest(self) -> None:
        """Plan the calls after ``first`` (``prepare_first``); nothing when all are planned."""
        rest, self.rest = self.rest, None
        if rest is not None:
            rest()

    def __repr__(self) -> str:
        # Short: asyncio.run() formats the main task's result (as Python 3.11 restores the
        # SIGINT handler), and the default repr of every call's pair and messages took a
        # tenth of a second at the end of a 2,000-call run.
        return (f"Prepared(run={self.run.name!r}, task={self.task.name!r}, model={self.model!r}, "
                f"calls={len(self.calls)}, cached={len(self.cached)}, shared={len(self.shared)})")


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


@dataclass
class _Settings:
    """What a run is made with, checked: everything its fingerprint holds, and more."""

    model: str
    kind: str
    template: Any
    factor: Any
    guidance: dict[str, str]
    guide: str  # the guidance and few-shot text added to the prompt
    params: dict[str, Any]
    template_version: str
    fingerprint: dict[str, Any]
    price: Price


def _settings(task: Task, judge: JudgeConfig, options: RunOptions, endpoint_url: str) -> _Settings:
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
    # a factor-measuring template, or a pointwise judge that scores each response (a lab's own
    # extractor wording): its scores become the factor's values
    scores_responses = judge.pointwise and judge.scope == "response"
    if measures_a_factor(template) or (options.factor and scores_responses):
        if not options.factor:
            raise RunError(f"judge {judge.name} measures one factor: name it with --factor KEY "
                           f"(e.g. {', '.join(f.key for f in task.factors) or 'coherence'})")
        try:
            factor = factor_definition(task, options.factor)
        except KeyError as e:
            raise RunError(str(e.args[0])) from e
    elif options.factor:
        raise RunError(f"judge {judge.name} does not measure factors; use --judge factor-compare with --factor, "
                       "or a pointwise judge of scope \"response\" (its score per response is the factor's value)")
    try:
        guide = guidance_text(load_template(shipped_templates_dir() / "factor-guidance.txt"), task, guidance)
    except KeyError as e:
        raise RunError(str(e.args[0])) from e
    examples = options.examples or judge_examples(judge)  # a promoted judge's own examples
    if examples:
        guide = f"{guide}\n\n{examples}" if guide else examples
    params = request_params(judge.temperature, judge.max_tokens, judge.logprobs, judge.top_logprobs)
    template_version = template.version(judge.template_version)
    fingerprint = {
        "model": model, "endpoint": endpoint_url, "template": judge.template,
        "template_version": template_version, "parser": judge.parser, "params": params,
        "guidance": guidance,
        **({"factor": factor.key} if factor else {}),
        **({"scope": judge.scope} if judge.pointwise else {}),
        **({"examples": hashlib.sha256(examples.encode("utf-8")).hexdigest()[:12]} if examples else {}),
    }
    if options.price is not None:
        price = Price(*options.price)
    elif options.model and options.model != judge.model:
        price = Price(None, None)  # the judge's price is for its own model
    else:
        price = Price(judge.price_input, judge.price_output)
    kind = options.kind or ("factor" if factor else "pointwise" if judge.pointwise else "llm")
    return _Settings(model, kind, template, factor, guidance, guide, params, template_version, fingerprint, price)


def _the_run(store: JudgeStore, task: Task, judge: JudgeConfig, options: RunOptions, s: _Settings,
             endpoint_url: str) -> tuple[JudgeRun, bool]:
    """The run to add to (its settings must match) or to make; and whether it is stored."""
    run_name = options.run_name or default_run_name(judge, options)
    run = store.get_run(task.name, run_name)
    run_exists = run is not None
    fresh = JudgeRun(task=task.name, name=run_name, kind=s.kind, model=s.model, endpoint=endpoint_url,
                     template=judge.template, template_version=prompt_version(s.template_version, s.guide))
    if run is None:
        run = fresh
    elif not run.params.get("batch") and not store.has_judgments(run.stored_id):
        # A run that never answered (a refused key, a wrong URL or model) holds nothing to keep
        # consistent with: it takes this run's settings instead of blocking its own name.
        fresh.id, fresh.created_at = run.id, run.created_at
        run = fresh
    else:
        if run.kind != s.kind:
            raise RunError(f"run {run_name!r} of task {task.name} is a {run.kind} run; pass --name for a new run")
        old = _fingerprint(run)
        differs = sorted(k for k in s.fingerprint if old.get(k) != s.fingerprint[k])
        if differs:
            raise RunError(
                f"run {run_name!r} of task {task.name} was made with a different "
                f"{', '.join(differs)}; pass --name NEW_NAME to start another run"
            )
    run.params = {
        **run.params,
        "judge": judge.as_params(),
        "fingerprint": s.fingerprint,
        "guidance": s.guidance,
        "price": {"input": s.price.input, "output": s.price.output},
        **({"factor": s.factor.key} if s.factor else {}),
        **options.params,
    }
    return run, run_exists


def _pairs(store: JudgeStore, task: Task, judge: JudgeConfig, options: RunOptions, template: Any) -> list[Pair]:
    """The pairs the run judges (within --limit and the chosen ids), checked for what the
    template needs."""
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
    return pairs


def _iter_calls(task: Task, judge: JudgeConfig, options: RunOptions, s: _Settings, pairs: list[Pair],
                endpoint_url: str, skipped: Counter) -> Iterator[Call]:
    """Every call of the run (pair x target x order x sample) with its cache key, in order;
    the planned calls left out are counted in ``skipped`` by reason."""
    orders = ("AB", "BA") if (options.orders or ("both" if judge.both_orders else "AB")) == "both" else ("AB",)
    if judge.pointwise:
        orders = ("AB",)  # one text at a time: nothing to swap
    samples = options.samples or judge.samples
    source_needed = needs_source(s.template) or "source" in judge.targets
    keys = CacheKeys(endpoint_url, s.model, s.params)
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
                messages = render(s.template, task, pair, order, s.guide, s.factor, target=target, extra=extra)
                for sample in range(samples):
                    key = keys(messages, sample)
                    yield Call(pair, order, sample, messages, key, target)


def _plan_calls(task: Task, judge: JudgeConfig, options: RunOptions, s: _Settings, pairs: list[Pair],
                endpoint_url: str) -> tuple[list[Call], Counter]:
    """Every call of the run with its cache key, and the planned calls left out, by reason."""
    skipped: Counter = Counter()
    return list(_iter_calls(task, judge, options, s, pairs, endpoint_url, skipped)), skipped


def _done(slots: dict, call: Call) -> bool:
    """Finished earlier in this run (same request, not failed)."""
    found = slots.get(call.slot)
    return bool(found and found[0] == call.cache_key and not is_failed(found[1]))


def _plan(store: JudgeStore, prep: Prepared, s: _Settings, pairs: list[Pair], slots: dict,
          in_flight: str | None = None) -> None:
    """Fill ``prep`` with every call of the run: the ones still to make, the shared ones, the
    cache hits and the report's counts. ``in_flight``: the cache key of a call already being
    made (``prepare_first``), not looked up in the cache (its own answer may be stored by now)."""
    planned, skipped = _plan_calls(prep.task, prep.judge, prep.options, s, pairs, prep.endpoint_url)
    prep.run.params["planned"] = len(planned)  # so `judge show` can tell what an interrupted run still lacks
    report = prep.report
    report.planned, report.skipped, report.distinct = len(planned), skipped, len({c.cache_key for c in planned})
    todo, shared, keys = [], [], set()
    for call in planned:
        if _done(slots, call):
            report.already_done += 1
        elif call.cache_key in keys:
            shared.append(call)  # the same request as an earlier call of this run: made once
        else:
            keys.add(call.cache_key)
            todo.append(call)
    prep.calls, prep.shared = todo, shared
    prep.cached = store.judgments_by_cache_keys(c.cache_key for c in todo if c.cache_key != in_flight)


def _start(store: JudgeStore, task_name: str, judge: JudgeConfig, options: RunOptions, endpoint_url: str):
    task = store.require_task(task_name)
    s = _settings(task, judge, options, endpoint_url)
    run, run_exists = _the_run(store, task, judge, options, s, endpoint_url)
    pairs = _pairs(store, task, judge, options, s.template)
    slots = store.judgment_slots(run.stored_id) if run_exists else {}
    prep = Prepared(task, judge, options, run, run_exists, s.model, endpoint_url, s.params, s.price, [], {},
                    RunReport(run=run.name, run_id=run.id))
    return prep, s, pairs, slots


def prepare(store: JudgeStore, task_name: str, judge: JudgeConfig, options: RunOptions, endpoint_url: str) -> Prepared:
    """The run (not yet written when new) and the calls still to make. Writes nothing."""
    prep, s, pairs, slots = _start(store, task_name, judge, options, endpoint_url)
    _plan(store, prep, s, pairs, slots)
    return prep


def prepare_first(store: JudgeStore, task_name: str, judge: JudgeConfig, options: RunOptions, endpoint_url: str,
                  *, look_ahead: int = 20) -> Prepared:
    """Like ``prepare``, but planned only as far as the first call to make (``prep.first``:
    not finished in this run, not in the cache), so that the runner sends it at once and
    plans the rest (``prep.plan_rest()``) while it is out. When none of the first
    ``look_ahead`` planned calls is to be made (a resumed or cached run), everything is
    planned here, as ``prepare`` does. Writes nothing."""
    prep, s, pairs, slots = _start(store, task_name, judge, options, endpoint_url)
    skipped: Counter = Counter()
    for n, call in enumerate(_iter_calls(prep.task, judge, options, s, pairs, endpoint_url, skipped)):
        if n >= look_ahead:
            break
        if _done(slots, call) or store.judgments_by_cache_keys([call.cache_key]):
            continue
        prep.first, prep.calls = call, [call]
        prep.rest = functools.partial(_plan, store, prep, s, pairs, slots, in_flight=call.cache_key)
        return prep
    _plan(store, prep, s, pairs, slots)
    return prep


def estimate(prep: Prepared) -> dict[str, Any]:
    """What a run would do, before spending anything: calls, tokens and cost (upper end: the
    prompt at ~4 characters a token, the full max_tokens out), and the worst case that
    ``--max-cost`` reserves (the prompt at one token per byte)."""
    to_send = [c for c in prep.calls if c.cache_key not in prep.cached]
    prompt_tokens = sum(c.estimated_prompt_tokens for c in to_send)
    completion_tokens = prep.judge.max_tokens * len(to_send)
    cost = prep.price.cost(prompt_tokens, completion_tokens)
    batch_cost = None if cost is None else cost * prep.judge.batch_factor
    worst = prep.price.cost(sum(c.max_prompt_tokens for c in to_send), completion_tokens)
    return {
        "run": prep.report.run, "task": prep.task.name, "model": prep.model, "endpoint": prep.endpoint_url,
        "planned": prep.report.planned, "already_done": prep.report.already_done,
        "from_cache": len(prep.calls) - len(to_send), "calls": len(to_send), "shared": len(prep.shared),
        "estimated_prompt_tokens": prompt_tokens, "max_completion_tokens": completion_tokens,
        "estimated_cost": cost, "estimated_batch_cost": batch_cost, "worst_case_cost": worst,
        "cost_note": "" if cost is not None else f"no price known for model {prep.model} (pass --price IN,OUT)",
    }


def ensure_run(store: JudgeStore, prep: Prepared) -> None:
    if prep.run_exists:
        store.update_run(prep.run)
    else:
        prep.run = store.get_or_create_run(prep.run)
        prep.run_exists = True
    prep.report.run_id = prep.run.id


def copy_cached(store: JudgeStore, prep: Prepared, progress: Progress) -> list[Call]:
    """Store the calls whose answer another run already has; return the calls left to make."""
    ensure_run(store, prep)
    copies, rest = [], []
    for call in prep.calls:
        hit = prep.cached.get(call.cache_key)
        if hit is None:
            rest.append(call)
            continue
        copies.append(_copy(prep, call, hit))
    if copies:
        store.save_judgments(copies)
        prep.report.from_cache = len(copies)
        for copy in copies:
            prep.report.count(copy)
    return rest


def _copy(prep: Prepared, call: Call, hit: Judgment) -> Judgment:
    """A finished judgment with the same cache key, stored in ``call``'s slot."""
    copy = Judgment(
        run=prep.run.stored_id, pair=call.pair.stored_id, order=call.order, sample=call.sample, target=call.target,
        verdict=hit.verdict, p_a=hit.p_a, score=hit.score, unscored_reason=hit.unscored_reason,
        messages=call.messages, raw_output=hit.raw_output, explanation=hit.explanation,
        top_logprobs=hit.top_logprobs, prompt_tokens=hit.prompt_tokens, completion_tokens=hit.completion_tokens,
        latency_s=hit.latency_s, cost=hit.cost, cache_key=call.cache_key,
    )
    refusal_field = hit.unscored_reason == "refusal" and not hit.raw_output.strip()
    if not refusal_field:  # a cache hit is never a failed call
        # the cache holds the model's answer; reading it is this run's parser's job
        top = [tuple(t) for t in hit.top_logprobs] or None
        apply_parse(copy, prep.judge.parser, top, keep_p_a=top is None)
    return copy


def copy_shared(store: JudgeStore, prep: Prepared) -> None:
    """Store, in the slot of each shared call, the answer its identical call got (once that
    call is finished); a shared call whose twin failed or was not made stays for the next run."""
    if not prep.shared:
        return
    hits = store.judgments_by_cache_keys(c.cache_key for c in prep.shared)
    copies = [_copy(prep, c, hits[c.cache_key]) for c in prep.shared if c.cache_key in hits]
    for copy in copies:
        copy.cost = 0.0  # no request: the one request's cost is on its own judgment
    if copies:
        store.save_judgments(copies)
    prep.report.shared += len(copies)
    prep.shared = [c for c in prep.shared if c.cache_key not in hits]


class Budget:
    """``--max-cost``: what was charged so far plus the worst case of every call in flight
    stays within ``limit``, so a run never spends past it. A call's worst case is its prompt
    at one token per byte and the full ``max_tokens`` out (``Price.worst_case``); the runner
    refuses usage figures above that (``calls.check_usage``), so no answer costs more than
    was reserved for it, and an answer whose usage was refused is charged its worst case."""

    def __init__(self, limit: float | None):
        self.limit = limit
        self.spent = 0.0  # the known cost of the answers (what is billed and stored)
        self.charged = 0.0  # what counts against the limit: spent, plus worst cases for refused usage
        self.reserved = 0.0
        self.exhausted = False

    def reserve(self, worst_case: float | None) -> bool:
        if self.limit is None:
            return True
        if self.exhausted or self.charged + self.reserved + (worst_case or 0.0) > self.limit:
            self.exhausted = True
            return False
        self.reserved += worst_case or 0.0
        return True

    def settle(self, worst_case: float | None, cost: float | None, *, answered: bool = True) -> None:
        """Release a call's reservation and charge what it cost; an answer without a known
        cost (its usage figures refused) is charged its worst case."""
        if self.limit is not None:
            self.reserved -= worst_case or 0.0
        self.spent += cost or 0.0
        if cost is not None:
            self.charged += cost
        elif answered:
            self.charged += worst_case or 0.0
