"""``annotator judge jury`` and ``annotator judge route``: several judge runs reported as
one agent (``annotator.analysis.jury``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from annotator.analysis.defaults import JURY_RULES as RULES
from annotator.store import JudgeRun
from annotator.text.sanitize import sanitize_line

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json
from .options import json_option, run_option, task_option


def _define(store, task: str, name: str, kind: str, params: dict) -> JudgeRun:
    """Store (or update) a composite judge's definition as a run without judgments."""
    from annotator.judge import RunError
    from annotator.judge.route import define_composite

    try:
        return define_composite(store, task, name, kind, params)
    except RunError as e:
        fail(str(e))


@click.command("jury")
@click.argument("members", nargs=-1, required=True)
@task_option("task")
@click.option("--rule", type=click.Choice(RULES), default="majority", show_default=True,
              help="majority: the verdict most member runs gave in each order (a split vote is a tie); "
                   "mean-p: the mean P(A) of the members (a hard verdict counts as 1, 0 or 0.5).")
@run_option("name", "Name of the jury's run (default: jury:RULE(member,member,...)).", aliases=("--name",))
@json_option
@pass_cli
def jury_cmd(cli: CliContext, members: tuple[str, ...], task: str | None, rule: str, name: str | None,
             as_json: bool) -> None:
    """Combine judge runs (MEMBERS: run names) into a jury reported as one agent by `stats`.

    The jury is computed from its members' judgments each time a report is made, so it
    follows them as they grow; it makes no model call.
    """
    store = cli.open_store()
    task = pick_task(store, task)
    known = {r.name: r for r in store.runs(task)}
    for member in members:
        if member not in known:
            fail(f"no judge run {member!r} on task {task} (see `annotator judge list --task {task}`)")
        if known[member].kind in ("factor", "pointwise"):
            fail(f"run {member!r} is a {known[member].kind} run, not a judge of preference")
    if len(set(members)) < 2:
        fail("a jury needs at least two different member runs")
    from annotator.analysis.jury import jury_name

    name = name or jury_name(rule, members)
    run = _define(store, task, name, "jury", {"rule": rule, "members": list(members)})
    if as_json:
        print_json({"task": task, "name": run.name, "kind": "jury", "rule": rule, "members": list(members)})
        return
    console.print(f"jury {sanitize_line(run.name)} on task {sanitize_line(task)}: rule {rule}, "
                  f"{len(members)} members; `annotator stats judges` reports it as one agent.",
                  markup=False, soft_wrap=True)


@click.command("route")
@task_option("task")
@run_option("name", "Name of the routed agent's run.", aliases=("--name",), default="routed", show_default=True)
@click.option("--base-url", default=None, help="OpenAI-compatible server for every routed judge.")
@click.option("--model", default=None, help="Model to call instead of each judge's own.")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 1000), help="Requests in flight at once.")
@click.option("--max-cost", type=float, default=None, help="Stop starting new calls once this many USD would be exceeded (over all judges).")
@click.option("--batch", is_flag=True, help="Use the OpenAI Batch API; rerun to collect.")
@click.option("--dry-run", is_flag=True, help="Show which judge judges which pairs, and the estimated cost; send nothing.")
@json_option
@pass_cli
def route_cmd(cli: CliContext, task: str | None, name: str, base_url: str | None, model: str | None,
              concurrency: int, max_cost: float | None, batch: bool, dry_run: bool, as_json: bool) -> None:
    """Run the judges the task routes its domains to ([task.routing] in task.toml, e.g. math
    and code to a reference-guided judge, the rest to worldalignment), each on its domains'
    pairs, and report them as one agent (NAME)."""
    from annotator.judge import MissingCredentials, RunError
    from annotator.judge.route import plan_routes, run_routes

    from .judge import RichProgress

    store = cli.open_store()
    task = pick_task(store, task)
    try:
        plan = plan_routes(store, task, model=model, concurrency=concurrency)
        batch_dir = Path(cli.db_path).resolve().parent / "batches" if batch else None
        outcome = asyncio.run(run_routes(store, plan, base_url=base_url, max_cost=max_cost, dry_run=dry_run,
                                         batch_dir=batch_dir, progress=lambda: None if as_json else RichProgress(),
                                         name=name))
    except (RunError, MissingCredentials) as e:
        fail(str(e))
    except KeyboardInterrupt:
        err_console.print("interrupted: finished judgments are saved; run the same command again to resume.")
        raise SystemExit(130) from None
    routes, unrouted = plan.routes, plan.unrouted
    result = {"task": task, "name": name, "routes": routes, "unrouted_pairs": unrouted, "runs": outcome,
              "dry_run": dry_run}
    if as_json:
        print_json(result)
        return
    for entry in outcome:
        line = f"{sanitize_line(entry['run'])}: {entry['pairs']:,} pair(s)"
        if dry_run:
            cost = entry.get("estimated_cost")
            line += f", {entry['calls']:,} calls, estimated {'unknown' if cost is None else f'${cost:.4f}'}"
        else:
            line += f", {entry.get('scored', entry['pairs']):,} scored"
        console.print(line, markup=False, soft_wrap=True)
    if unrouted:
        console.print(f"{unrouted:,} pair(s) are in domains without a route (and no \"*\" route): not judged.",
                      markup=False, soft_wrap=True)
    if not dry_run:
        console.print(f"routed agent {sanitize_line(name)}: " + ", ".join(
            f"{sanitize_line(d)} -> {sanitize_line(r)}" for d, r in routes.items()), markup=False, soft_wrap=True)


def register(group: click.Group) -> None:
    judge = group.commands["judge"]
    judge.add_command(jury_cmd)
    judge.add_command(route_cmd)
