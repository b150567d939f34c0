"""``annotator progress``: how far labelling has got, per task and per annotator."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from annotator.store import Store
from annotator.text.sanitize import sanitize_line

from .context import CliContext, console, pass_cli, pick_task, print_json
from .options import json_option, task_option


def task_progress(store: Store, task: str) -> dict[str, Any]:
    """Coverage (pairs with 0, 1, ..., k labellers; k the task's overlap, or more when some
    pair has more), pairs done (at least k labellers) and labels still needed to reach k on
    every pair, and each annotator's counts."""
    spec = store.get_task(task)
    coverage = store.coverage(task)
    top = max([spec.overlap, *coverage])
    buckets = {str(n): coverage.get(n, 0) for n in range(top + 1)}
    pairs = sum(coverage.values())
    return {
        "task": task, "pairs": pairs, "overlap": spec.overlap, "coverage": buckets,
        "pairs_done": sum(c for n, c in coverage.items() if n >= spec.overlap),
        "labels_still_needed": sum(c * max(0, spec.overlap - n) for n, c in coverage.items()),
        "annotators": store.annotator_counts(task),
    }


def _summary(block: dict[str, Any]) -> str:
    return (f"Task {sanitize_line(block['task'])}: {block['pairs_done']:,} of {block['pairs']:,} pairs have "
            f"{block['overlap']} or more annotators (the task's overlap); {block['labels_still_needed']:,} "
            "label(s) still needed.")


def _tables(block: dict[str, Any]) -> list[Table]:
    pairs = block["pairs"]
    coverage = Table("annotators per pair", "pairs", "share", title="Coverage", title_justify="left")
    for n, count in block["coverage"].items():
        coverage.add_row(n, f"{count:,}", f"{100 * count / pairs:.1f} %" if pairs else "—")
    people = Table("annotator", "pairs labelled", "revisions", "first label", "last label",
                   title="Annotators (times in UTC)", title_justify="left")
    for a in block["annotators"]:
        people.add_row(sanitize_line(a["annotator"]), f"{a['pairs']:,}", f"{a['revisions']:,}",
                       a["first_label_at"][:19].replace("T", " "), a["last_label_at"][:19].replace("T", " "))
    return [coverage, people] if block["annotators"] else [coverage]


@click.command()
@task_option(every=True)
@json_option
@pass_cli
def progress(cli: CliContext, task_name: str | None, as_json: bool) -> None:
    """Coverage (pairs with 0, 1, ..., k annotators) and each annotator's counts."""
    store = cli.open_store(create=False)
    names = [pick_task(store, task_name)] if task_name is not None else [t.name for t in store.tasks()]
    if not names:
        pick_task(store, None)  # says how to add a task
    blocks = [task_progress(store, name) for name in names]
    if as_json:
        print_json(blocks)
        return
    for block in blocks:
        console.print(_summary(block), markup=False, soft_wrap=True)
        for table in _tables(block):
            console.print(table)


def register(group: click.Group) -> None:
    group.add_command(progress)
