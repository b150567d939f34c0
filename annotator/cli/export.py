"""``annotator export gold``: aggregated human labels for calibration and training tools."""

from __future__ import annotations

from pathlib import Path

import click

from annotator.export.options import AGGREGATES, FORMATS, GoldOptions

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json


@click.group()
def export() -> None:
    """Export gold sets (aggregated human labels with agreement and provenance)."""


@export.command("gold")
@click.option("--task", "task_name", default=None, help="Task name (default: the only task in the database).")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="jsonl", show_default=True,
              help="jsonl/csv/parquet: every column; chosen-rejected: preference-training pairs; "
                   "alpaca-eval: AlpacaEval annotation records for judge calibration.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: exports/<task>-gold<ext>).")
@click.option("--aggregate", type=click.Choice(AGGREGATES), default="majority", show_default=True,
              help="Which aggregated label is the gold label.")
@click.option("--min-votes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Leave out pairs with fewer human votes.")
@click.option("--min-agreement", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Leave out pairs whose majority holds less than this share of the votes.")
@click.option("--exclude-disputed", is_flag=True, help="Leave out pairs that need adjudication.")
@click.option("--json", "as_json", is_flag=True, help="Print a summary as JSON.")
@pass_cli
def gold(cli: CliContext, task_name: str | None, fmt: str, out: Path | None, aggregate: str, min_votes: int,
         min_agreement: float, exclude_disputed: bool, as_json: bool) -> None:
    """Write the task's gold set: one row per labelled pair with its aggregated label."""
    from annotator.export.gold import default_export_path, gold_frame, is_stream, provenance, write_gold

    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    options = GoldOptions(aggregate=aggregate, min_votes=min_votes, min_agreement=min_agreement,
                          include_disputed=not exclude_disputed)
    try:
        frame = gold_frame(store, name, options)
    except (ValueError, LookupError) as e:
        fail(str(e))
    if frame.empty and not store.task_counts(name)["labels"]:
        fail(f"task {name!r} has no human labels yet (label pairs with `annotator annotate --task {name}`, "
             "or import them with the task's [labels]): nothing to export")
    if frame.empty:
        fail(f"task {name!r} has no labelled pair that passes the filters: nothing to export")
    path = out or default_export_path(name, FORMATS[fmt])
    try:
        written = write_gold(frame, path, fmt, provenance(store, name, options, len(frame)))
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}")
    summary = {"task": name, "format": fmt, "path": str(path), "records": written,
               "pairs_considered": int(len(frame)), "aggregate": aggregate}
    if as_json:
        print_json(summary)
        return
    left_out = len(frame) - written  # chosen-rejected: ties have no chosen response
    (err_console if is_stream(path) else console).print(f"Wrote {written:,} record(s) of task {name} to {path} ({fmt}, {aggregate} labels)"
                  + (f"; {left_out:,} tie(s) or split vote(s) left out (a preference pair needs a decisive label)."
                     if left_out else "."),
                  markup=False, soft_wrap=True)


def register(group: click.Group) -> None:
    group.add_command(export)
