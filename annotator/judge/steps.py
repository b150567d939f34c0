"""One judge run as a step of a longer procedure (PROFILE extraction, an experiment): plan
it, then make its calls online or through the Batch API, with the runner's cache, cost
accounting and resume."""

from __future__ import annotations

from pathlib import Path

from annotator.store.protocol import JudgeStore

from .config import JudgeConfig
from .credentials import Endpoint
from .planning import Prepared, Progress, RunOptions, RunReport, prepare, prepare_first
from .runner import run_online


async def run_judge(store: JudgeStore, task: str, judge: JudgeConfig, options: RunOptions, endpoint: Endpoint, *,
                    progress: Progress | None = None, batch_dir: Path | None = None) -> tuple[Prepared, RunReport]:
    """Prepare and run one judge over a task; ``batch_dir`` set: through the Batch API (a
    batch still in progress leaves ``report.batch_id`` set and the run unfinished)."""
    if batch_dir is not None:
        from .batch import run_batch

        prep = prepare(store, task, judge, options, endpoint.url)
        report = await run_batch(store, prep, endpoint, batch_dir, progress)
    else:
        # planned as far as the first call: the runner sends it, then plans the rest
        prep = prepare_first(store, task, judge, options, endpoint.url)
        report = await run_online(store, prep, endpoint, progress)
    return prep, report


def reparse_named(store, task: str, judge: JudgeConfig, options: RunOptions):
    """Parse a run's stored outputs again with ``judge``'s parser (no model call); the run is
    ``options.run_name`` or the name ``judge run`` gives it. Returns (run, outcome)."""
    from .planning import RunError, default_run_name
    from .runner import reparse

    name = options.run_name or default_run_name(judge, options)
    run = store.get_run(task, name)
    if run is None:
        raise RunError(f"no run named {name!r} on task {task}")
    return run, reparse(store, run, judge.parser)


def find_run(store, run: str, task: str | None):
    """A run by id or name (``task`` when several tasks have a run of that name); RunError
    with the near names when there is none."""
    from .planning import RunError

    found = store.get_run_by_id(int(run)) if run.isdigit() else None
    if found is None:
        matches = [r for r in store.runs(task) if r.name == run]
        if len(matches) > 1:
            raise RunError(f"several tasks have a run named {run!r} ({', '.join(r.task for r in matches)}): pass --task")
        found = matches[0] if matches else None
    if found is None:
        close = sorted({r.name for r in store.runs(task) if r.name.startswith(run) or run in r.name})
        hint = f"; did you mean {', '.join(close)}?" if close else " (see `annotator judge list`)"
        raise RunError(f"no judge run {run!r}" + (f" on task {task}" if task else "") + hint)
    return found


def composites_naming(store, run) -> list:
    """The juries and routed agents of the run's task that name it as a member or route."""
    out = []
    for other in store.runs(run.task):
        if other.kind == "jury" and run.name in other.params.get("members", []):
            out.append(other)
        elif other.kind == "routed" and run.name in other.params.get("routes", {}).values():
            out.append(other)
    return out


def rename_run(store, run, new_name: str) -> list[str]:
    """Rename a run and the references to it in its task's juries and routed agents; returns
    the names of those updated. RunError when the task already has a run of that name."""
    from .planning import RunError

    new_name = new_name.strip()
    if not new_name:
        raise RunError("the new name is empty")
    if store.get_run(run.task, new_name) is not None:
        raise RunError(f"task {run.task} already has a run named {new_name!r}")
    updated = []
    for other in composites_naming(store, run):
        params = dict(other.params)
        if other.kind == "jury":
            params["members"] = [new_name if m == run.name else m for m in params.get("members", [])]
        else:
            params["routes"] = {d: new_name if r == run.name else r for d, r in params.get("routes", {}).items()}
        other.params = params
        store.update_run(other)
        updated.append(other.name)
    store.rename_run(run.id, new_name)
    return updated
