"""Every label revision of a task, one row each: what each annotator said, when and how.

Columns: ``label_id``, ``pair_id``, ``domain``, ``annotator`` (pseudonymised unless
``--names``), ``revision`` and ``current`` (whether it is the annotator's newest revision,
the one statistics use), ``choice`` in canonical order, ``shown_order`` (``AB``: A was shown
first, on the left; ``BA``: B was), ``choice_as_shown`` (the same choice in the letters the
annotator saw: A = the response shown first), for each factor of the task
``factor_<key>`` (canonical) and ``factor_<key>_as_shown``, ``other_factors`` (answers for
factors no longer on the task's checklist), ``confidence``, ``rationale``, ``seconds`` (time
on the pair), ``created_at`` (UTC) and ``origin`` (tui, web, import, pack). With ``--texts``
each row also carries its pair's prompt, source, responses and models, which makes the file
importable as a task on its own (``[data] rows = "votes"``; see docs/exports.md).

Rationales are stored as typed. An annotator writes "A is clearer" about the response they
saw first: read a rationale with ``shown_order`` (or ``choice_as_shown``) beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotator.store import FACTOR_ANSWERS, ORDERS, Store, Task
from annotator.store.models import LABEL_CHOICES
from annotator.store.orders import to_shown

from .columns import constant, encoded, map_distinct, map_with_order, one_array, pair_lookup
from .options import LabelExportOptions
from .output import base_meta, write_export
from .pair_rows import batch_rows
from .pseudonyms import Names, task_names
from .tables import Batch, Column

TEXT_FIELDS = ("prompt", "source", "response_a", "response_b", "model_a", "model_b")


def label_columns(task: Task, texts: bool) -> list[Column]:
    factors = []
    for f in task.factors:
        factors += [Column(f"factor_{f.key}"), Column(f"factor_{f.key}_as_shown")]
    return [
        Column("task"), Column("label_id", "int"), Column("pair_id"), Column("domain"), Column("annotator"),
        Column("revision", "int"), Column("current", "bool"), Column("choice"), Column("shown_order"),
        Column("choice_as_shown"), *factors, Column("other_factors", "json"), Column("confidence", "int"),
        Column("rationale"), Column("seconds", "float"), Column("created_at"), Column("origin"),
        *([Column(f) for f in TEXT_FIELDS] if texts else []),
    ]


def label_batches(store: Store, task: Task, options: LabelExportOptions, names: Names) -> Iterator[Batch]:
    """The rows of :func:`label_columns`, a page at a time (one Arrow array per column),
    read as Arrow columns (``Store.label_revision_tables``); each pair's id and domain read
    once and taken by position.

    Per distinct value, not per row: the pseudonyms, each distinct factor-answer text
    (parsed by orjson) and ``*_as_shown`` (``orders.to_shown`` per distinct answer and
    order)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = [f.key for f in task.factors]
    known = set(keys)
    as_shown = {(a, o): to_shown(a, o) for a in (*LABEL_CHOICES, *FACTOR_ANSWERS) for o in ORDERS}

    def shown(value, order):
        return as_shown.get((value, order), value)

    pairs = pair_lookup(store, task.name)
    replaced = store.replaced_label_ids()
    for page in store.label_revision_tables(task.name, exclude=options.exclude,
                                            pair_fields=TEXT_FIELDS if options.texts else ()):
        n = page.num_rows
        ids = page.column("id").to_numpy()
        at = pa.array(np.searchsorted(pairs["id"], page.column("pair").to_numpy()))
        orders = one_array(page.column("shown_order"))
        choice = one_array(page.column("choice"))
        batch: Batch = {
            "task": constant(task.name, n), "label_id": one_array(page.column("id")),
            "pair_id": pairs["pair_id"].take(at), "domain": pairs["domain"].take(at),
            "annotator": map_distinct(page.column("annotator"), names, pa.string()),
            "revision": one_array(page.column("revision")),
            "current": pa.array(~np.isin(ids, replaced)), "choice": choice,
            "shown_order": orders, "choice_as_shown": map_with_order(choice, orders, shown),
        }
        texts, codes = encoded(pc.fill_null(one_array(page.column("factors")), ""))
        answers = [_answers(t) for t in texts]
        for key in keys:
            given = pa.array([a.get(key) for a in answers], pa.string()).take(codes)
            batch[f"factor_{key}"] = given
            batch[f"factor_{key}_as_shown"] = map_with_order(given, orders, shown)
        others = [({k: v for k, v in a.items() if k not in known} or None) if a and not a.keys() <= known else None
                  for a in answers]
        if any(o is not None for o in others):
            batch["other_factors"] = [others[i] for i in codes.to_numpy().tolist()]
        else:
            batch["other_factors"] = pa.nulls(n, pa.string())
        for field in ("confidence", "rationale", "seconds", "created_at", "origin", *(TEXT_FIELDS if options.texts else ())):
            batch[field] = one_array(page.column(field))
        yield batch


def _answers(text: str) -> dict:
    """One label's factor answers (a JSON object as stored); empty or not an object: none."""
    import orjson

    if not text or text == "{}":
        return {}
    value = orjson.loads(text)
    return value if isinstance(value, dict) else {}


def label_rows(store: Store, task: Task, options: LabelExportOptions, names: Names) -> Iterator[dict[str, Any]]:
    """The rows of :func:`label_columns` as dicts, in the order stored."""
    yield from batch_rows(label_batches(store, task, options, names))


def write_labels(store: Store, task: str, path: Path, fmt: str, options: LabelExportOptions | None = None,
                 *, force: bool = False) -> int:
    options = options or LabelExportOptions()
    spec = store.require_task(task)
    names = task_names(store, task, options.keep_names)
    meta = base_meta(
        store, task, "labels", fmt, excluded_annotators=sorted(options.exclude),
        annotator_ids="names" if options.keep_names else "pseudonyms", texts=options.texts,
        frames="choice and factor_<key>: canonical (A = response_a); *_as_shown: in the letters the annotator "
               "saw (A = the response shown first, per shown_order); rationales are as typed, in the letters shown")
    return write_export(path, fmt, label_columns(spec, options.texts), label_batches(store, spec, options, names),
                        meta, force=force, batched=True)
