"""``annotator tasks add | list | show``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from annotator.tasks import ImportRefused, TaskFileError, bundled_tasks, import_task_dir
from annotator.text.sanitize import sanitize_line

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json
from .options import json_option


@click.group()
def tasks() -> None:
    """Add task folders (task.toml + pairs) and look at the tasks in the database."""


@tasks.command("add")
@click.argument("directory", type=click.Path(file_okay=True, dir_okay=True, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows and report the bad ones (default: refuse the whole import).")
@click.option("--update", is_flag=True, help="Replace pairs whose content changed under the same id, and changed task settings.")
@click.option("--allow-outside", is_flag=True,
              help="Let task.toml read files outside the task folder (absolute paths, .., symlinks leading out). "
                   "Only for task folders you trust: by default a task file cannot read other files of this machine.")
@json_option
@pass_cli
def add(cli: CliContext, directory: Path, skip_bad: bool, update: bool, allow_outside: bool, as_json: bool) -> None:
    """Import the task in DIRECTORY (a folder with task.toml, or a bundled task's name)."""
    if not directory.exists() and str(directory) in bundled_tasks():
        directory = bundled_tasks()[str(directory)]
    store = cli.open_store()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=as_json or not err_console.is_terminal) as progress:
        bar = progress.add_task(f"importing {directory}", total=None)
        try:
            report = import_task_dir(
                store, directory, skip_bad=skip_bad, update=update, allow_outside=allow_outside,
                progress=lambda n: progress.update(bar, description=f"importing {directory}: {n:,} rows read"),
            )
        except TaskFileError as e:
            fail(f"{e}\nnothing was imported from {directory}.")
        except ImportRefused as e:
            lines = [f"  {p}" for p in e.problems[:20]]
            more = e.total_problems - len(lines)
            if more > 0:
                lines.append(f"  ... and {more} more")
            fail(f"{e.total_problems} bad row(s); nothing was imported (use --skip-bad to import the good rows):\n"
                    + "\n".join(lines))
        except OSError as e:
            fail(f"{e}\nnothing was imported from {directory}.")
    if as_json:
        print_json(report.as_dict())
        return
    verb = "Created" if report.task_created else "Updated" if report.task_updated else "Task"
    files = f" from {report.files:,} files" if report.files > 1 else ""
    console.print(f"{verb} [bold]{escape(report.task)}[/]: {report.rows:,} rows read{files}, "
                  f"{report.pairs_new:,} new pairs, {report.pairs_unchanged:,} unchanged, "
                  f"{report.pairs_updated:,} updated.", soft_wrap=True)
    if report.votes_merged:
        console.print(f"{report.votes_merged:,} row(s) repeat a pair read before (same id and content: another vote, "
                      "or the pair in another file), adding only their labels and verdicts.", soft_wrap=True)
    if report.empty_responses:
        console.print(f"{report.empty_responses:,} empty response(s) imported (valid data: models do return nothing).",
                      soft_wrap=True)
    if report.labels_added:
        console.print(f"{report.labels_added:,} existing human label(s) imported.")
    for name, n in report.judgments_added.items():
        unscored = report.unscored_judgments.get(name, 0)
        console.print(f"judge {escape(name)}: {n:,} verdict(s) imported" + (f", {unscored:,} unscored" if unscored else "") + ".",
                      soft_wrap=True)
    for notice in report.notices:
        err_console.print(Text.assemble(("note: ", "yellow"), notice), soft_wrap=True)
    if report.total_problems:
        err_console.print(f"[yellow]{report.total_problems} bad row(s) skipped:[/]")
        for p in report.problems[:50]:
            err_console.print(f"  {escape(str(p))}", soft_wrap=True)
        if report.total_problems > 50:
            err_console.print(f"  ... and {report.total_problems - 50} more")


@tasks.command("list")
@json_option
@pass_cli
def list_(cli: CliContext, as_json: bool) -> None:
    """List the tasks in the database with their pair and label counts."""
    store = cli.open_store(create=False)
    rows = [store.task_counts(t.name) | {"title": t.title} for t in store.tasks()]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No tasks yet. Add one with `annotator tasks add DIR` (try `annotator tasks add demo`).",
                      soft_wrap=True)
        return
    table = Table("task", "title", "pairs", "labels", "annotators", "judge runs")
    for r in rows:
        table.add_row(escape(r["name"]), escape(r["title"]), f"{r['pairs']:,}", f"{r['labels']:,}",
                      str(r["annotators"]), str(r["judge_runs"]))
    console.print(table)


@tasks.command("show")
@click.argument("name")
@json_option
@pass_cli
def show(cli: CliContext, name: str, as_json: bool) -> None:
    """Show a task: its settings, pairs, labels per annotator, pairs flagged by annotators
    (with their reasons), skips and judge runs."""
    store = cli.open_store(create=False)
    task = store.get_task(pick_task(store, name))
    counts = store.task_counts(name)
    flags = store.flags(name)
    skips = store.skip_counts(name)
    if as_json:
        print_json(counts | {
            "title": task.title, "allow_tie": task.allow_tie, "overlap": task.overlap,
            "factors": [f.key for f in task.factors], "source_dir": task.source_dir,
            "flags": [{"pair_id": f.pair_id, "annotator": f.annotator, "reason": f.reason,
                       "flagged_at": f.created_at} for f in flags],
            "pairs_skipped_per_annotator": skips,
        })
        return
    console.print(f"[bold]{escape(task.name)}[/] — {escape(task.title)}", soft_wrap=True)
    console.print(f"pairs {counts['pairs']:,} · labels {counts['labels']:,} on {counts['labelled_pairs']:,} pairs · "
                  f"overlap {task.overlap} · ties {'allowed' if task.allow_tie else 'not allowed'} · "
                  f"attention checks {counts['gold_pairs']}", soft_wrap=True)
    console.print("factors: " + (", ".join(escape(f.name) for f in task.factors) or "none"), soft_wrap=True)
    if counts["labels_per_annotator"]:
        table = Table("annotator", "labels")
        for a, n in counts["labels_per_annotator"].items():
            table.add_row(escape(a), f"{n:,}")
        console.print(table)
    if skips:
        console.print("skipped (pairs set aside at least once): "
                      + ", ".join(f"{escape(sanitize_line(a))} {n:,}" for a, n in skips.items()), soft_wrap=True)
    if flags:
        table = Table("flagged pair", "annotator", "reason", "when", title=f"{len(flags)} flagged pair(s)")
        for f in flags:
            table.add_row(Text(sanitize_line(f.pair_id)), Text(sanitize_line(f.annotator)),
                          Text(sanitize_line(f.reason)), f.created_at[:16].replace("T", " "))
        console.print(table)
    if counts["judgments_per_run"]:
        table = Table("judge run", "judgments")
        for a, n in counts["judgments_per_run"].items():
            table.add_row(escape(a), f"{n:,}")
        console.print(table)


def register(group: click.Group) -> None:
    group.add_command(tasks)
