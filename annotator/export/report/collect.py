"""Everything the report shows, gathered from the engines the command line uses.

The report computes no statistic of its own: each block is the very dict a command prints
with ``--json`` for the same task and options:

* ``counts``: ``annotator tasks show --json`` (``Store.task_counts``);
* ``agreement``: ``annotator stats agreement --json`` (``analysis.report.task_agreement_report``);
* ``judges``: ``annotator stats judges --json`` (``analysis.judge_human.task_judge_human_report``);
* ``leaderboard``: ``annotator stats leaderboard --by domain --json`` (``analysis.leaderboard``).

What no command reports is read from the store as it is: pairs per domain and how many
annotators each has (``coverage``), and the current labels of the most disputed pairs with
their rationales.
"""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from annotator.analysis.defaults import (
    DEFAULT_BOTH_BAD,
    DEFAULT_BT_RESAMPLES,
    DEFAULT_FACTOR_SOURCE,
    DEFAULT_ORDER_RULE,
    DEFAULT_REFERENCE,
    DISPUTED_LIMIT,
    ORDER_RULES,
)


@dataclass
class ReportOptions:
    """The options of ``annotator report``; each is passed to the engines as the command
    that prints the same block would pass it."""

    order_rule: str = DEFAULT_ORDER_RULE
    include_incomplete: bool = False
    gold: str = "auto"  # `stats judges --gold`
    seed: int = 0
    agreement_resamples: int | None = None  # `stats agreement --bootstrap` (None: its default)
    judge_resamples: int | None = None  # `stats judges --bootstrap` (None: its default, the agreement's rule)
    leaderboard_bootstrap: int = DEFAULT_BT_RESAMPLES  # `stats leaderboard --bootstrap`
    disputed: int = DISPUTED_LIMIT  # `stats agreement --disputed`
    factor_source: str = DEFAULT_FACTOR_SOURCE  # `stats judges --factor-source`
    reference: str = DEFAULT_REFERENCE  # `stats agreement / judges --reference`
    both_bad: str = DEFAULT_BOTH_BAD  # `stats agreement / judges / leaderboard --both-bad`
    leaderboard_jobs: int = 1  # `stats leaderboard --jobs`: processes for its fits (the figures do not depend on it)

    def __post_init__(self) -> None:
        if self.order_rule not in ORDER_RULES:
            raise ValueError(f"order rule must be one of {', '.join(ORDER_RULES)}, got {self.order_rule!r}")

    def commands(self, task: str) -> dict[str, str]:
        """The command lines whose ``--json`` gives each block of the report."""
        rule = f" --order-rule {self.order_rule} --both-bad {self.both_bad}"
        incomplete = " --include-incomplete" if self.include_incomplete else ""
        return {
            "agreement": f"annotator stats agreement --task {task} "
                         + (f"--bootstrap {self.agreement_resamples} " if self.agreement_resamples is not None else "")
                         + f"--seed {self.seed} --disputed {self.disputed} --reference {self.reference}{rule} --json",
            "judges": f"annotator stats judges --task {task} "
                      + (f"--bootstrap {self.judge_resamples} " if self.judge_resamples is not None else "")
                      + f"--seed {self.seed} "
                      f"--gold {self.gold} --factor-source {self.factor_source} "
                      f"--reference {self.reference}{rule}{incomplete} --json",
            "leaderboard": f"annotator stats leaderboard --task {task} --by domain --bootstrap "
                           f"{self.leaderboard_bootstrap} --seed {self.seed}{rule}{incomplete} --json",
        }


@dataclass
class ReportData:
    task: str
    title: str
    overlap: int
    factors: list[str]
    generated_at: str
    options: ReportOptions
    counts: dict[str, Any]
    coverage: list[dict[str, Any]]
    agreement: dict[str, Any]
    judges: dict[str, Any]
    leaderboard: dict[str, Any]
    disputed_labels: dict[int, list[dict[str, Any]]]
    training: dict[str, dict[str, Any]] = field(default_factory=dict)  # annotator -> latest training score
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each step
    engine_cpu_seconds: dict[str, float] = field(default_factory=dict)  # CPU time of each engine

    @cached_property
    def agreement_report(self):
        """``agreement`` read back typed (``AgreementReport``), once: the sections read attributes."""
        from annotator.analysis.report import AgreementReport

        return AgreementReport.from_json(self.agreement)


class FramesOnce:
    """The store, with its task-wide frames read once and handed out as copies.

    The three engines each load the same labels, pairs and judgments; through this wrapper
    the database is read once per frame and each engine gets its own deep copy (so no engine
    sees another's changes), which is what makes a 100,000-pair report fast. Every other
    method goes to the store unchanged.
    """

    FRAMES = ("labels_frame", "pairs_frame", "judgments_frame")

    def __init__(self, store):
        self._store = store
        self._frames: dict[tuple, Any] = {}

    def __getattr__(self, name: str):
        found = getattr(self._store, name)
        if name not in self.FRAMES:
            return found

        def once(*args, **kwargs):
            key = (name, args, tuple(sorted(kwargs.items())))
            if key not in self._frames:
                self._frames[key] = found(*args, **kwargs)
            return self._frames[key].copy(deep=True)

        return once


ENGINES = ("agreement", "judges", "leaderboard")


def run_engine(store, task: str, name: str, options: ReportOptions) -> dict[str, Any]:
    """One engine's JSON for ``task``, called as the command that prints it calls it."""
    if name == "agreement":
        from annotator.analysis.report import task_agreement_report

        return task_agreement_report(store, task, resamples=options.agreement_resamples, seed=options.seed,
                                     disputed=options.disputed, order_rule=options.order_rule,
                                     reference=options.reference, both_bad=options.both_bad).to_json()
    if name == "judges":
        from annotator.analysis.judge_human import task_judge_human_report

        return task_judge_human_report(store, task, order_rule=options.order_rule,
                                       include_incomplete=options.include_incomplete, gold=options.gold,
                                       resamples=options.judge_resamples, seed=options.seed,
                                       factor_source=options.factor_source, reference=options.reference,
                                       both_bad=options.both_bad).to_json()
    from annotator.analysis.leaderboard import task_leaderboard

    return task_leaderboard(store, task, order_rule=options.order_rule, include_incomplete=options.include_incomplete,
                            by_domain=True, bootstrap=options.leaderboard_bootstrap, seed=options.seed,
                            both_bad=options.both_bad, jobs=options.leaderboard_jobs).to_json()


# What a forked worker inherits: the parent's store wrapper with the frames already read.
_SHARED: dict[str, Any] = {}


def _worker_start(path: str) -> None:
    """In a forked worker: keep the frames, read anything else through a connection of its own
    (an SQLite connection is never used across a fork; the inherited one is kept, unused)."""
    from annotator.store import Store

    shared = _SHARED["store"]
    _SHARED["inherited"] = shared._store
    shared._store = Store.open(path, migrate=False)


def _timed_engine(store, task: str, name: str, options: ReportOptions) -> tuple[dict[str, Any], float, float]:
    """The engine's JSON, its wall seconds and the CPU seconds of this process meanwhile.

    BLAS runs on one thread: the engines make many small BLAS calls (optimiser steps, small
    products) where extra BLAS threads only wait and spin, and the engines already run side
    by side (at 100,000 pairs this halves the leaderboard's CPU time; benchmarks/report_bench.py).
    """
    import scipy.linalg  # noqa: F401  (loads scipy's own BLAS now, so that the limit below covers it too)
    from threadpoolctl import threadpool_limits

    start, cpu = time.perf_counter(), time.process_time() + _children_cpu()
    with threadpool_limits(limits=1, user_api="blas"):
        result = run_engine(store, task, name, options)
    return result, time.perf_counter() - start, time.process_time() + _children_cpu() - cpu


def _children_cpu() -> float:
    """CPU seconds of this process's finished worker processes (the leaderboard's fit workers)."""
    try:
        import resource
    except ImportError:  # not on POSIX: no fit workers either (they need fork)
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _worker_run(task: str, name: str, options: ReportOptions) -> tuple[dict[str, Any], float, float]:
    return _timed_engine(_SHARED["store"], task, name, options)


def run_engines(store: FramesOnce, task: str, options: ReportOptions,
                jobs: int) -> dict[str, tuple[dict, float, float]]:
    """The three engines' JSON, wall and CPU seconds: one after the other, or with ``jobs`` > 1 in forked
    worker processes that share the frames read once here (an in-memory database, or a
    platform without fork, runs them one after the other)."""
    import multiprocessing

    path = store.path
    if jobs <= 1 or path is None or "fork" not in multiprocessing.get_all_start_methods():
        return {name: _timed_engine(store, task, name, options) for name in ENGINES}
    try:
        return _forked(store, task, options, jobs, path)
    except (BrokenProcessPool, OSError, sqlite3.Error):
        # a worker could not start or open the database (a read-only file system, a process
        # limit): the same engines, one after the other, in this process
        return {name: _timed_engine(store, task, name, options) for name in ENGINES}


def _forked(store: FramesOnce, task: str, options: ReportOptions, jobs: int, path) -> dict[str, tuple]:
    import multiprocessing

    store.labels_frame(task, lean=True)  # what every engine reads (analysis.agents, analysis.report)
    store.judgments_frame(task, lean=True)
    store.pairs_frame(task)
    _SHARED["store"] = store
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(ENGINES)), mp_context=multiprocessing.get_context("fork"),
                                 initializer=_worker_start, initargs=(str(path),)) as pool:
            # the leaderboard first: the longest engine, it starts at once rather than after
            # another engine when there are fewer workers than engines
            futures = {name: pool.submit(_worker_run, task, name, options)
                       for name in sorted(ENGINES, key=lambda name: name != "leaderboard")}
            return {name: futures[name].result() for name in ENGINES}
    finally:
        _SHARED.clear()


def default_jobs() -> int:
    """Worker processes for the engines: one per engine, at most the CPUs this process may use."""
    import os

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(len(ENGINES), cpus))


def collect(store, task: str, options: ReportOptions | None = None, jobs: int = 1) -> ReportData:
    """Run the engines for ``task`` and gather their outputs (``KeyError`` for an unknown task).

    ``jobs``: worker processes for the three engines (1: one after the other, in this process).
    """
    options = options or ReportOptions()
    store = FramesOnce(store)
    found = store.get_task(task)
    if found is None:
        raise KeyError(task)
    seconds: dict[str, float] = {}

    def timed(name: str, fn):
        start = time.perf_counter()
        result = fn()
        seconds[name] = time.perf_counter() - start
        return result

    counts = timed("counts", lambda: store.task_counts(task))
    coverage = timed("coverage", lambda: store.coverage_by_domain(task))
    engines = timed("engines", lambda: run_engines(store, task, options, jobs))
    cpu_seconds = {}
    for name, (_, took, cpu) in engines.items():
        seconds[name] = took
        cpu_seconds[name] = cpu
    agreement, judges, board = (engines[name][0] for name in ENGINES)
    disputed = [p["pair"] for p in agreement["pairs"]["most_disputed"]]
    labels: dict[int, list[dict[str, Any]]] = {p: [] for p in disputed}
    for label in timed("disputed", lambda: store.labels_of_pairs(disputed)):
        labels[label.pair].append({
            "annotator": label.annotator, "choice": label.choice, "shown_order": label.shown_order,
            "confidence": label.confidence, "rationale": label.rationale, "factors": dict(label.factors),
            "seconds": label.seconds, "revision": label.revision,
        })
    from annotator.tasks.training import training_summary

    training = timed("training", lambda: training_summary(store, found))
    return ReportData(
        task=task, title=found.title, overlap=found.overlap, factors=[f.key for f in found.factors],
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), options=options,
        counts=counts, coverage=coverage, agreement=agreement, judges=judges, leaderboard=board,
        disputed_labels=labels, training=training, seconds=seconds, engine_cpu_seconds=cpu_seconds,
    )
