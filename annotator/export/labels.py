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
    """The rows of :func:`label_columns`, a page at a time (one list per column), streamed
    from the store; the factor answers are parsed by SQLite, a column per key.

    ``*_as_shown``: the answer in the letters the annotator saw (``orders.to_shown``, looked
    up from a table built once)."""
    keys = [f.key for f in task.factors]
    as_shown = {(a, o): to_shown(a, o) for a in (*LABEL_CHOICES, *FACTOR_ANSWERS) for o in ORDERS}
    pair_fields = ("pair_id", "domain", *(TEXT_FIELDS if options.texts else ()))
    shown_of: dict[str, str] = {}
    for page in store.label_revision_pages(task.name, exclude=options.exclude, pair_fields=pair_fields):
        n = len(page["id"])
        orders = page["shown_order"]
        for annotator in set(page["annotator"]) - shown_of.keys():
            shown_of[annotator] = names(annotator)
        batch = {
            "task": [task.name] * n, "label_id": page["id"], "pair_id": page["pair_id"], "domain": page["domain"],
            "annotator": [shown_of[a] for a in page["annotator"]], "revision": page["revision"],
            "current": [bool(c) for c in page["current"]], "choice": page["choice"], "shown_order": orders,
            "choice_as_shown": [as_shown[c, o] for c, o in zip(page["choice"], orders)],
        }
        answers = _parse_answers(page["factors"])
        for key in keys:
            given = [a.get(key) for a in answers]
            batch[f"factor_{key}"] = given
            batch[f"factor_{key}_as_shown"] = [None if a is None else as_shown.get((a, o), a)
                                               for a, o in zip(given, orders)]
        known = set(keys)
        batch["other_factors"] = [({k: v for k, v in a.items() if k not in known} or None)
                                  if a and not a.keys() <= known else None for a in answers]
        for field in ("confidence", "rationale", "seconds", "created_at", "origin"):
            batch[field] = page[field]
        if options.texts:
            for field in TEXT_FIELDS:
                batch[field] = page[field]
        yield batch


def _parse_answers(texts: list) -> list[dict]:
    """A page's factor answers (JSON objects) parsed in one orjson call, not one per label."""
    import orjson

    return orjson.loads("[" + ",".join(t if t and t != "{}" else "{}" for t in texts) + "]") if texts else []


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
