"""Every judgment of a task's judge runs, one row each.

Columns: ``run`` (name), ``run_id``, ``kind`` (llm, baseline, imported, factor), ``model``,
``pair_id``, ``domain``, ``order`` (the order the pair was presented to the judge: AB, BA,
or unknown for imported verdicts that do not record it),
``sample``, ``verdict`` (canonical; empty when unscored), ``verdict_as_shown`` (in the
judge's own frame: A = the response presented first), ``p_a`` (probability that A is
better, canonical; ``verdict_as_shown`` is empty when the order is unknown), ``unscored_reason``, ``prompt_tokens``, ``completion_tokens``, ``cost``,
``latency_s``, ``raw_output``, ``explanation``, ``created_at``; with ``--messages`` also the
messages sent. Runs that measure a factor (kind ``factor``: their verdict says which
response shows the factor more, not which is better) are left out unless asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotator.store import ORDERS, JudgeRun, Store
from annotator.store.orders import to_shown

from .columns import constant, map_distinct, map_with_order, one_array, pair_lookup
from .options import JudgmentExportOptions
from .output import base_meta, write_export
from .pair_rows import batch_rows
from .tables import Batch, Column


def judgment_columns(messages: bool) -> list[Column]:
    return [
        Column("task"), Column("run"), Column("run_id", "int"), Column("kind"), Column("model"),
        Column("pair_id"), Column("domain"), Column("order"), Column("sample", "int"), Column("verdict"),
        Column("verdict_as_shown"), Column("p_a", "float"), Column("unscored_reason"),
        Column("prompt_tokens", "int"), Column("completion_tokens", "int"), Column("cost", "float"),
        Column("latency_s", "float"), Column("raw_output"), Column("explanation"), Column("created_at"),
        *([Column("messages", "json")] if messages else []),
    ]


def selected_runs(store: Store, task: str, options: JudgmentExportOptions) -> list[JudgeRun]:
    """The runs to export: those named (an unknown name is a LookupError naming the runs),
    else every run judging preference (and the factor runs when asked)."""
    runs = store.runs(task)
    if options.runs:
        by_name = {r.name: r for r in runs}
        unknown = [n for n in options.runs if n not in by_name]
        if unknown:
            raise LookupError(f"no judge run named {unknown[0]!r} on task {task!r} "
                              f"(runs: {', '.join(sorted(by_name)) or 'none'})")
        return [by_name[n] for n in dict.fromkeys(options.runs)]
    return [r for r in runs if options.factor_runs or r.kind != "factor"]


def _as_shown(verdict: str | None, order: str) -> str | None:
    """The verdict in the judge's frame; unknown when the presented order is (``unknown``)."""
    if verdict is None or order not in ORDERS:
        return None
    return to_shown(verdict, order)


def judgment_batches(store: Store, task: str, runs: list[JudgeRun], messages: bool) -> Iterator[Batch]:
    """The rows of :func:`judgment_columns`, a page at a time (one Arrow array per column),
    read as Arrow columns (``Store.judgment_tables``); each run's name, kind and model and
    each pair's id and domain looked up by code and position, ``verdict_as_shown``
    computed once per distinct verdict and order."""
    import numpy as np
    import pyarrow as pa

    by_id = {run.id: run for run in runs}
    pairs = pair_lookup(store, task)
    for page in store.judgment_tables(task, [run_id for run_id in by_id if run_id is not None], messages=messages):
        n = page.num_rows
        verdict, order, run = one_array(page.column("verdict")), one_array(page.column("order")), page.column("run")
        at = pa.array(np.searchsorted(pairs["id"], page.column("pair").to_numpy()))
        batch: Batch = {"task": constant(task, n), "run": map_distinct(run, lambda r: by_id[r].name, pa.string()),
                        "run_id": one_array(run), "kind": map_distinct(run, lambda r: by_id[r].kind, pa.string()),
                        "model": map_distinct(run, lambda r: by_id[r].model, pa.string()),
                        "pair_id": pairs["pair_id"].take(at), "domain": pairs["domain"].take(at)}
        for field in ("order", "sample", "verdict"):
            batch[field] = one_array(page.column(field))
        batch["verdict_as_shown"] = map_with_order(verdict, order, _as_shown)
        for field in ("p_a", "unscored_reason", "prompt_tokens", "completion_tokens", "cost", "latency_s",
                      "raw_output", "explanation", "created_at"):
            batch[field] = one_array(page.column(field))
        if messages:
            batch["messages"] = [json.loads(m) if m else [] for m in page.column("messages").to_pylist()]
        yield batch


def judgment_rows(store: Store, task: str, runs: list[JudgeRun], messages: bool) -> Iterator[dict[str, Any]]:
    yield from batch_rows(judgment_batches(store, task, runs, messages))


def write_judgments(store: Store, task: str, path: Path, fmt: str, options: JudgmentExportOptions | None = None,
                    *, force: bool = False) -> tuple[int, list[JudgeRun]]:
    options = options or JudgmentExportOptions()
    runs = selected_runs(store, task, options)
    meta = base_meta(store, task, "judgments", fmt, runs=[r.name for r in runs], messages=options.messages,
                     frames="verdict and p_a: canonical (A = response_a); verdict_as_shown: in the judge's frame "
                            "(A = the response presented first, per order)")
    return write_export(path, fmt, judgment_columns(options.messages), judgment_batches(store, task, runs, options.messages),
                        meta, force=force, batched=True), runs
