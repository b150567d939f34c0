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

from annotator.store.models import utc_now
from annotator.store.protocol import JudgeStore

from .calls import Call, MalformedAnswer, Price, error_judgment, judgment_from_completion
from .credentials import Endpoint, url_secrets
from .planning import NoProgress, Prepared, Progress, RunError, RunReport, copy_cached, ensure_run

FINISHED = ("completed", "failed", "expired", "cancelled")

CHAT_URL = "/v1/chat/completions"


def make_client(endpoint: Endpoint, timeout: float):
    """The official client with retries off, on its aiohttp transport when it can be (a URL
    holding credentials needs the default one: aiohttp refuses them next to the key)."""
    import openai

    http_client = None
    try:
        if not url_secrets(endpoint.base_url):
            http_client = openai.DefaultAioHttpClient(timeout=timeout)
    except RuntimeError:  # the aiohttp extra is missing: the default transport
        http_client = None
    return openai.AsyncOpenAI(api_key=endpoint.api_key, base_url=endpoint.base_url, timeout=timeout,
                              max_retries=0, http_client=http_client)


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
    notes: list[str] = []
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
            try:
                judgment = judgment_from_completion(call, prep.run.stored_id, prep.judge.parser, response.get("body") or {},
                                                    None, price, prep.judge.max_tokens, notes)
            except MalformedAnswer as error:
                judgment = error_judgment(call, prep.run.stored_id, f"malformed answer: {error}", None)
        judgments.append(judgment)
        report.requested += 1
        report.spent += judgment.cost or 0.0
        report.count(judgment)
    for note in notes:
        report.note(note)
    store.save_judgments(judgments)


async def run_batch(store: JudgeStore, prep: Prepared, endpoint: Endpoint, request_dir: Path,
                    progress: Progress | None = None) -> RunReport:
    """Submit (or resume) the run's Batch API job, wait for it and store its results."""
    import openai

    try:
        return await _run_batch(store, prep, endpoint, request_dir, progress)
    except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
        raise RunError(f"the server at {endpoint.url} refused the credentials ({type(e).__name__}, status "
                       f"{e.status_code}); check the API key (${prep.judge.api_key_env}) and --base-url, then run "
                       "the same command again") from None


async def _run_batch(store: JudgeStore, prep: Prepared, endpoint: Endpoint, request_dir: Path,
                     progress: Progress | None = None) -> RunReport:
    progress = progress or NoProgress()
    report, options = prep.report, prep.options
    started = time.perf_counter()
    pending = prep.run.params.get("batch")
    calls = prep.calls if pending else copy_cached(store, prep, progress)
    ensure_run(store, prep)
    client = make_client(endpoint, options.timeout or prep.judge.request_timeout)
    report.cost_unknown = prep.price.input is None
    try:
        if not pending:
            if not calls:
                return report
            if options.max_cost is not None:
                batch_price = Price(prep.price.input, prep.price.output, prep.judge.batch_factor)
                worst = sum((batch_price.worst_case(c, prep.judge.max_tokens) or 0.0) for c in calls)
                if worst > options.max_cost:
                    raise RunError(
                        f"the batch of {len(calls)} calls may cost up to ${worst:.4f} (the worst case), over --max-cost "
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
