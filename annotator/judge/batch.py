"""OpenAI Batch API mode: write the request file, upload it, create a batch, poll, collect.

Resumable: the batch id is stored in the run's params as soon as the batch exists, so a run
interrupted while waiting picks up the same batch next time (``--batch`` again) instead of
submitting the requests twice. Each request's ``custom_id`` names its slot (pair, order,
sample) and the start of its cache key; results whose request no longer matches the plan
are ignored.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from annotator.store.models import unscored_kind, utc_now
from annotator.store.protocol import JudgeStore

from .calls import Call, Price, error_judgment, judgment_from_completion
from .credentials import Endpoint
from .runner import FINISHED, NoProgress, Prepared, Progress, RunError, RunReport, _ensure_run, copy_cached, make_client

CHAT_URL = "/v1/chat/completions"


def custom_id(call: Call) -> str:
    target = f"-{call.target}" if call.target else ""
    return f"{call.pair.id}-{call.order}-{call.sample}{target}-{call.cache_key[:16]}"


def write_requests(path: Path, calls: list[Call], model: str, params: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for call in calls:
            body = {"model": model, "messages": call.messages, **params}
            line = {"custom_id": custom_id(call), "method": "POST", "url": CHAT_URL, "body": body}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


async def _read_file(client, file_id: str | None) -> list[dict]:
    if not file_id:
        return []
    content = await client.files.content(file_id)
    return [json.loads(line) for line in content.text.splitlines() if line.strip()]


async def _collect(store: JudgeStore, prep: Prepared, client, batch, secrets: tuple[str, ...],
                   report: RunReport) -> None:
    by_id = {custom_id(c): c for c in prep.calls}
    price = Price(prep.price.input, prep.price.output, prep.judge.batch_factor)
    judgments = []
    lines = await _read_file(client, batch.output_file_id) + await _read_file(client, batch.error_file_id)
    for line in lines:
        call = by_id.get(line.get("custom_id", ""))
        if call is None:
            continue
        response = line.get("response") or {}
        error = line.get("error")
        if error or response.get("status_code", 200) >= 400:
            detail = error or (response.get("body") or {}).get("error") or response.get("status_code")
            reason = f"batch: {json.dumps(detail)}"
            for secret in secrets:
                reason = reason.replace(secret, "***")
            judgment = error_judgment(call, prep.run.stored_id, reason, None)
        else:
            judgment = judgment_from_completion(call, prep.run.stored_id, prep.judge.parser, response.get("body") or {},
                                                None, price)
        judgments.append(judgment)
        report.requested += 1
        report.spent += judgment.cost or 0.0
        if judgment.scored:
            report.scored += 1
        else:
            report.unscored[unscored_kind(judgment.unscored_reason, judgment.status)] += 1
    store.save_judgments(judgments)


async def run_batch(store: JudgeStore, prep: Prepared, endpoint: Endpoint, request_dir: Path,
                    progress: Progress | None = None) -> RunReport:
    """Submit (or resume) the run's Batch API job, wait for it and store its results."""
    progress = progress or NoProgress()
    report, options = prep.report, prep.options
    started = time.perf_counter()
    pending = prep.run.params.get("batch")
    calls = prep.calls if pending else copy_cached(store, prep, progress)
    _ensure_run(store, prep)
    client = make_client(endpoint, options.timeout or prep.judge.request_timeout)
    report.cost_unknown = prep.price.input is None
    try:
        if not pending:
            if not calls:
                return report
            if options.max_cost is not None:
                estimated = sum(
                    (Price(prep.price.input, prep.price.output, prep.judge.batch_factor).estimate(c, prep.judge.max_tokens) or 0.0)
                    for c in calls
                )
                if estimated > options.max_cost:
                    raise RunError(
                        f"the batch of {len(calls)} calls is estimated at ${estimated:.4f}, over --max-cost "
                        f"${options.max_cost:.4f}; lower --limit or raise the budget"
                    )
            stamp = utc_now().replace(":", "").replace("-", "")[:15]
            path = request_dir / f"{prep.task.name}-{prep.run.name}-{stamp}.jsonl".replace("/", "_")
            write_requests(path, calls, prep.model, prep.params)
            uploaded = await client.files.create(file=(path.name, path.read_bytes(), "application/jsonl"), purpose="batch")
            batch = await client.batches.create(
                input_file_id=uploaded.id, endpoint=CHAT_URL, completion_window="24h",
                metadata={"annotator_task": prep.task.name[:64], "annotator_run": prep.run.name[:64]},
            )
            pending = {"id": batch.id, "input_file_id": uploaded.id, "request_file": str(path),
                       "requests": len(calls), "submitted_at": utc_now()}
            prep.run.params = {**prep.run.params, "batch": pending}
            store.update_run(prep.run)
        report.batch_id = pending["id"]
        progress.start(pending["requests"], f"{prep.run.name} (batch {pending['id']})")
        shown = 0
        while True:
            batch = await client.batches.retrieve(pending["id"])
            counts = batch.request_counts
            done = (counts.completed + counts.failed) if counts else 0
            for _ in range(max(0, done - shown)):
                progress.advance(failed=False, cost=None)
            shown = max(shown, done)
            if batch.status in FINISHED:
                break
            await asyncio.sleep(options.poll_interval_s)
        progress.stop()
        await _collect(store, prep, client, batch, endpoint.secrets, report)
        if batch.status != "completed":
            report.stopped = f"batch {batch.id} ended {batch.status}"
        params = dict(prep.run.params)
        params.pop("batch", None)
        params["batches"] = [*params.get("batches", []), {**pending, "status": batch.status}]
        prep.run.params = params
        store.update_run(prep.run)
    finally:
        progress.stop()
        report.elapsed_s = time.perf_counter() - started
        await client.close()
    return report
