"""One judge run as a step of a longer procedure (PROFILE extraction, an experiment): plan
it, then make its calls online or through the Batch API, with the runner's cache, cost
accounting and resume."""

from __future__ import annotations

from pathlib import Path

from annotator.store.protocol import JudgeStore

from .config import JudgeConfig
from .credentials import Endpoint
from .runner import Prepared, Progress, RunOptions, RunReport, prepare, run_online


async def run_judge(store: JudgeStore, task: str, judge: JudgeConfig, options: RunOptions, endpoint: Endpoint, *,
                    progress: Progress | None = None, batch_dir: Path | None = None) -> tuple[Prepared, RunReport]:
    """Prepare and run one judge over a task; ``batch_dir`` set: through the Batch API (a
    batch still in progress leaves ``report.batch_id`` set and the run unfinished)."""
    prep = prepare(store, task, judge, options, endpoint.url)
    if batch_dir is not None:
        from .batch import run_batch

        report = await run_batch(store, prep, endpoint, batch_dir, progress)
    else:
        report = await run_online(store, prep, endpoint, progress)
    return prep, report
