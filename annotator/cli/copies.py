"""``annotator pack``, ``annotator merge`` and ``annotator backup``: copies of the database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from annotator.store.copies import DEFAULT_PACK_DAYS
from annotator.text.sanitize import sanitize_line

from .context import CliContext, console, fail as _plain_fail, pass_cli, pick_task, print_json
from .options import force_option, json_option, out_option, task_option


def fail(message: str):
    _plain_fail(sanitize_line(message))


def _place(out: Path, force: bool):
    """The temporary file to write, put in place at the end (``export.files.output_files``)."""
    from annotator.export.files import OutputExists, check_free, output_files

    try:
        check_free(out, force)
    except OutputExists:
        fail(f"{out} exists already: pass --force to replace it, or choose another file")
    return output_files(out, force)


@click.command()
@click.option("--annotator", metavar="NAME", required=True, help="Whose pack: they label its pairs offline.")
@task_option()
@out_option("The pack file to write (a small database).", required=True)
@click.option("--pairs", type=click.IntRange(min=1), default=50, show_default=True,
              help="How many pairs: the annotator's next ones, in their own order.")
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_PACK_DAYS, show_default=True,
              help="The packed pairs are claimed for the annotator this long (nobody else is given them).")
@force_option
@json_option
@pass_cli
def pack(cli: CliContext, annotator: str, task_name: str | None, out: Path, pairs: int, days: float, force: bool,
         as_json: bool) -> None:
    """Write a small database with an annotator's next pairs for offline work.

    The annotator labels it with `annotator --db FILE.db annotate --annotator NAME`; bring the
    labels back with `annotator merge FILE.db`. The pairs are claimed here meanwhile.
    """
    from annotator.tui.screens.annotator_name import check_name

    annotator = annotator.strip()
    problem = check_name(annotator)
    if problem:
        fail(f"--annotator {annotator!r}: {problem}")
    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    task = store.get_task(name)
    if task is not None and task.settings.ranking is not None:
        fail(f"task {name!r} is a ranked task: packs carry pairs, not ranked items (not supported yet); "
             "no file written")
    if out.resolve() == cli.db_path.resolve():
        fail(f"--out {out} is the database itself")
    summary = None
    try:
        with _place(out, force) as (target,):
            summary = store.write_pack(target, task, annotator, pairs=pairs, claim_for=timedelta(days=days),
                                       source=str(cli.db_path.resolve()))
            if not summary["pairs_packed"]:
                raise LookupError
    except LookupError:
        fail(f"nothing to pack: no pair of task {name!r} is open to {annotator!r} (labelled by them, or by "
             "enough others); no file written")
    except OSError as e:
        fail(f"cannot write {out}: {e.strerror or e}; nothing was written")
    summary["path"] = str(out)
    if as_json:
        print_json(summary)
        return
    console.print(sanitize_line(
        f"Packed {summary['pairs_packed']:,} pair(s) of task {name} for {annotator} into {out} "
        f"(claimed until {summary['claimed_until']} UTC). Label them with: annotator --db {out} annotate "
        f"--annotator {annotator}; then bring the labels back with: annotator merge {out}"), markup=False, soft_wrap=True)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_cli
def merge(cli: CliContext, files: tuple[Path, ...], as_json: bool) -> None:
    """Bring the labels of pack files back (idempotent: merging twice adds nothing).

    Only the pack's own annotator's labels are taken; a label made both here and in the pack
    is kept as two revisions and reported; a file from another project is refused.
    """
    from dataclasses import asdict

    from annotator.store.copies import PackRefused, read_pack

    store = cli.open_store(create=False)
    results, refused = [], 0
    for path in files:
        try:
            report = store.merge_pack(read_pack(path))
        except PackRefused as e:
            refused += 1
            results.append({"path": str(path), "refused": str(e)})
            if not as_json:
                console.print(sanitize_line(f"refused: {e}"), markup=False, soft_wrap=True, style="red")
            continue
        results.append(asdict(report))
        if as_json:
            continue
        console.print(sanitize_line(
            f"{path}: {report.added:,} label revision(s) of {report.annotator} merged into task {report.task}"
            + (f", {report.already_here:,} already here" if report.already_here else "")
            + (f", {report.claims_released:,} claim(s) released" if report.claims_released else "") + "."),
            markup=False, soft_wrap=True)
        for c in report.conflicts:
            here = "; ".join(f"rev {r} {choice} at {at[:16].replace('T', ' ')}" for r, choice, at in c["here"])
            console.print(sanitize_line(f"  conflict on {c['pair_id']}: also labelled here ({here}); both kept as "
                                        "revisions, the pack's now current"), markup=False, soft_wrap=True,
                          style="yellow")
        for r in report.refused_labels:
            console.print(sanitize_line(f"  not merged: label row {r['row']} (pair {r['pair_id'] or '?'}): {r['problem']} "
                                        "(a damaged or altered pack)"), markup=False, soft_wrap=True, style="yellow")
        for who, n in report.refused_annotators.items():
            console.print(sanitize_line(f"  left out {n:,} label(s) by {who}: a pack holds only "
                                        f"{report.annotator}'s labels"), markup=False, soft_wrap=True, style="yellow")
    if as_json:
        print_json(results)
    if refused:
        raise SystemExit(1)


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@force_option
@json_option
@pass_cli
def backup(cli: CliContext, out: Path, force: bool, as_json: bool) -> None:
    """Copy the database to OUT while annotators keep working (SQLite's online backup API),
    then verify the copy with PRAGMA integrity_check."""
    store = cli.open_store(create=False)
    if out.exists() and out.resolve() == cli.db_path.resolve():
        fail(f"{out} is the database itself")
    result = None
    try:
        with _place(out, force) as (target,):
            result = store.backup_to(target)
            if not result["ok"]:
                raise ValueError(result["integrity_check"][:5])
    except ValueError as e:
        fail(f"the copy failed its integrity check ({e}); no backup written")
    except OSError as e:
        fail(f"cannot write {out}: {e.strerror or e}; nothing was written")
    result["path"] = str(out)
    result["database"] = str(cli.db_path)
    if as_json:
        print_json(result)
        return
    c = result["counts"]
    console.print(sanitize_line(
        f"Backed up {cli.db_path} to {out}: {c['tasks']:,} task(s), {c['pairs']:,} pairs, {c['labels']:,} label "
        f"revisions, {c['judgments']:,} judgments, {c['adjudications']:,} adjudications; integrity_check ok "
        f"({result['seconds']:.2f} s)."), markup=False, soft_wrap=True)


def register(group: click.Group) -> None:
    group.add_command(pack)
    group.add_command(merge)
    group.add_command(backup)
