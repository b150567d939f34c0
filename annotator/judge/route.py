"""``judge route``: the judges a task routes its domains to ([task.routing] in task.toml), each
run on its domains' pairs, and the routed agent that reports them as one.

``plan_routes`` says which judge judges which pairs (and which pairs no route covers);
``run_routes`` runs them in turn through the runner (cache, budget, resume), the budget
shared: each judge gets what the ones before it left; ``define_composite`` stores a jury's or
a routed agent's definition (a run without judgments, recomputed from its members at every
report).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.store import JudgeRun
from annotator.store.protocol import JudgeStore

from .config import JudgeConfig, JudgeConfigError, load_judge
from .credentials import Endpoint, resolve_endpoint
from .planning import Progress, RunError, RunOptions, default_run_name, estimate, prepare
from .runner import run_baseline
from .steps import run_judge


@dataclass
class RouteStep:
    judge: JudgeConfig
    options: RunOptions
    run_name: str
    pair_ids: frozenset[int]


@dataclass
class RoutePlan:
    task: str
    routing: dict[str, str]
    steps: list[RouteStep] = field(default_factory=list)
    routes: dict[str, str] = field(default_factory=dict)  # domain -> run name
    unrouted: int = 0  # pairs in a domain without a route (and no "*" route)


def define_composite(store: JudgeStore, task: str, name: str, kind: str, params: dict) -> JudgeRun:
    """Store (or update) a composite judge's definition (kind "jury" or "routed") as a run
    without judgments; RunError when the name is taken by a run of another kind."""
    existing = store.get_run(task, name)
    if existing is not None and existing.kind != kind:
        raise RunError(f"run {name!r} of task {task} is a {existing.kind} run; choose another --run")
    run = existing or store.get_or_create_run(JudgeRun(task=task, name=name, kind=kind, params=params))
    if existing is not None:
        run.params = params
        store.update_run(run)
    return run


def plan_routes(store: JudgeStore, task: str, *, model: str | None = None, concurrency: int = 16) -> RoutePlan:
    """Which judge judges which pairs of ``task``; RunError when the task routes nothing or
    names a judge that does not exist."""
    routing = store.require_task(task).settings.get("routing") or {}
    if not routing:
        raise RunError(f"task {task} routes no domain: add a [task.routing] table to its task.toml "
                       '(e.g. math = "mt-bench-pair-ref", "*" = "worldalignment") and `annotator tasks add DIR --update`')
    plan = RoutePlan(task=task, routing=dict(routing))
    by_judge: dict[str, set[int]] = {}
    for pair in store.pairs(task):
        judge_name = routing.get(pair.domain, routing.get("*"))
        if judge_name:
            by_judge.setdefault(judge_name, set()).add(pair.stored_id)
        else:
            plan.unrouted += 1
    for judge_name, ids in by_judge.items():
        try:
            judge = load_judge(judge_name)
        except JudgeConfigError as e:
            raise RunError(str(e)) from e
        options = RunOptions(model=model, concurrency=concurrency, pair_ids=frozenset(ids))
        run_name = judge.name if judge.kind == "baseline" else default_run_name(judge, options)
        for domain, target in routing.items():
            if target == judge_name:
                plan.routes[domain] = run_name
        plan.steps.append(RouteStep(judge, options, run_name, frozenset(ids)))
    return plan


async def run_routes(store: JudgeStore, plan: RoutePlan, *, base_url: str | None, max_cost: float | None, dry_run: bool,
                     batch_dir: Path | None, progress: Callable[[], Progress | None], name: str) -> list[dict[str, Any]]:
    """Run (or, ``dry_run``, estimate) each step of ``plan``; store the routed agent ``name``
    unless it is a dry run. One entry per judge: its run, pairs and report (or estimate)."""
    outcome: list[dict[str, Any]] = []
    endpoint: Endpoint | None = None
    spent = 0.0
    for step in plan.steps:
        judge, options = step.judge, step.options
        entry = {"judge": judge.name, "run": step.run_name, "pairs": len(step.pair_ids)}
        if judge.kind == "baseline":
            if not dry_run:
                run_baseline(store, plan.task, judge)  # free and offline: every pair
            outcome.append({**entry, "calls": 0})
            continue
        if endpoint is None:
            endpoint = resolve_endpoint(base_url, judge.base_url, judge.api_key_env, require_key=not dry_run)
        options.max_cost = None if max_cost is None else max(max_cost - spent, 0.0)
        if dry_run:
            found = estimate(prepare(store, plan.task, judge, options, endpoint.url))
            outcome.append({**entry, "calls": found["calls"], "estimated_cost": found["estimated_cost"]})
            continue
        _, report = await run_judge(store, plan.task, judge, options, endpoint, progress=progress(), batch_dir=batch_dir)
        spent += report.spent
        outcome.append({**entry, **report.as_dict()})
    if not dry_run:
        define_composite(store, plan.task, name, "routed", {"routes": plan.routes, "routing": plan.routing})
    return outcome
