"""``annotator export gold|soft-labels|labels|judgments``: what leaves the tool, as files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotator.export.options import AGGREGATES, AMBIGUITY_THRESHOLD, FORMATS, TABLE_FORMATS
from annotator.text.sanitize import sanitize_line

from .context import CliContext, console, err_console, fail as _plain_fail, pass_cli, pick_task, print_json
from .exclusion import check_exclusions, exclusion_note
from .options import both_bad_option, exclude_option, json_option, output_options, run_option, task_option


def fail(message: str):
    """Fail with a message whose task, run and file names cannot act on the terminal."""
    _plain_fail(sanitize_line(message))


@click.group()
def export() -> None:
    """Export gold sets, soft labels, every label and every judgment, as files.

    Each format has its own default file (exports/<task>-<kind>.<ext>); an existing file is
    only replaced with --force. Annotators appear under pseudonyms unless --names.
    """


def _common(names: bool = True):
    """Options every export takes: the task, the output file, --force, --json (and, for
    exports that hold people, --exclude and --names)."""
    def decorate(command):
        command = json_option(command)
        if names:
            command = click.option("--names", "keep_names", is_flag=True,
                                   help="Keep annotators' names (default: pseudonyms annotator-1, annotator-2, ... "
                                        "in the order they first labelled).")(command)
            command = exclude_option(command)
        command = output_options("Output file (default: exports/<task>-<kind>.<ext>; - writes to standard output "
                                 "when it is a file or a pipe, never a terminal; a folder for gold --format hf).",
                                 dir_okay=True)(command)
        return task_option()(command)
    return decorate


def _start(cli: CliContext, task_name: str | None, exclude: tuple[str, ...] = ()):
    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    return store, name, check_exclusions(store, name, exclude)


def _output(path: Path, force: bool):
    """What to write to (a file, or standard output for ``-``), every check made before any
    work (``export.files.prepare_output``): an existing file or ``.meta.json`` without
    --force, a terminal, a missing folder outside the working folder."""
    from annotator.export.files import checked_output, meta_path, standard_stream

    return checked_output(path, force, () if standard_stream(path) else (meta_path(Path(path)),), fail)


def _run(path: Path, what: str, write: Callable[[], Any], as_json: bool) -> Any:
    """Run ``write`` behind a spinner (at a terminal); a failed write is a message naming the
    file, and nothing was put in place (the export module guarantees it)."""
    from annotator.export.files import OutputExists

    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console,
                      transient=True, disable=as_json or not err_console.is_terminal) as progress:
            progress.add_task(what, total=None)
            return write()
    except OutputExists as e:
        fail(f"{e.path} exists already: pass --force to replace it, or choose another file with --out")
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}; nothing was written")


def _report(path: Path, summary: dict[str, Any], message: str, excluded: dict[str, int], as_json: bool,
            tables: tuple = ()) -> None:
    from annotator.export.files import is_stream

    if as_json:
        print_json({**summary, "path": str(path), "excluded_annotators": excluded})
        return
    stream = is_stream(path) and not (isinstance(path, Path) and path.is_dir())  # a folder (hf) is no stream
    out = err_console if stream else console  # never mix a message into exported data
    out.print(sanitize_line(message), markup=False, soft_wrap=True)
    if excluded:
        out.print(exclusion_note(excluded), markup=False, soft_wrap=True)
    for table in tables:
        out.print(table)


@export.command("gold")
@_common()
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "hf"]), default="jsonl", show_default=True,
              help="jsonl/csv/parquet: every column; chosen-rejected: preference-training pairs; "
                   "alpaca-eval: AlpacaEval annotation records for judge calibration; hf: a folder the Hugging Face "
                   "Hub takes as a dataset (Parquet and a dataset card).")
@click.option("--aggregate", type=click.Choice(AGGREGATES), default="majority", show_default=True,
              help="Which aggregated label is the gold label when a pair was not adjudicated.")
@click.option("--min-votes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Leave out pairs with fewer human votes.")
@click.option("--min-agreement", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Leave out pairs (not adjudicated) whose majority holds less than this share of the votes.")
@click.option("--exclude-disputed", is_flag=True,
              help="Leave out unresolved pairs (needing adjudication and not adjudicated).")
@both_bad_option
@pass_cli
def gold(cli: CliContext, task_name: str | None, out: Path | None, force: bool, exclude: tuple[str, ...],
         keep_names: bool, as_json: bool, fmt: str, aggregate: str, min_votes: int, min_agreement: float,
         exclude_disputed: bool, both_bad: str) -> None:
    """The task's gold set: one row per labelled pair with its gold label, agreement and
    provenance (unanimous, majority, adjudicated, unresolved, single)."""
    from annotator.export.files import default_path
    from annotator.export.gold import GoldOptions, gold_set

    store, name, excluded = _start(cli, task_name, exclude)
    kind, suffix = FORMATS[fmt] if fmt != "hf" else ("gold-hf", "")  # hf: a folder (annotator/export/hf.py)
    path = _output(out or default_path(name, kind, suffix), force)
    options = GoldOptions(aggregate=aggregate, min_votes=min_votes, min_agreement=min_agreement,
                          include_disputed=not exclude_disputed, exclude=exclude, keep_names=keep_names,
                          both_bad=both_bad)
    try:
        # Dawid-Skene only when it is the aggregate asked for: its columns stay empty otherwise
        gold = gold_set(store, name, options)
    except (ValueError, LookupError) as e:
        fail(str(e))
    if gold.table.empty and not gold.considered:
        fail(f"task {name!r} has no human labels{' left' if excluded else ' yet'} (label pairs with `annotator annotate "
             f"--task {name}`, or import them with the task's [labels]): nothing to export")
    if gold.table.empty:
        fail(f"task {name!r} has no labelled pair that passes the filters: nothing to export "
             f"({'; '.join(f'{n:,} {why}' for why, n in gold.left_out.items())})")
    written, by_format = _run(path, f"writing the gold set of {name}",
                              lambda: _write_gold(store, gold, path, fmt, force), as_json)
    provenance = ", ".join(f"{n:,} {p}" for p, n in gold.provenance_counts.items() if n)
    left_out = [f"{n:,} {why}" for why, n in {**gold.left_out, **by_format}.items()]
    message = (f"Wrote {written:,} record(s) of task {name} to {path} ({fmt}, {aggregate} labels; {provenance})"
               + (f"; left out: {'; '.join(left_out)}." if left_out else "."))
    summary = {"task": name, "format": fmt, "records": written, "pairs_considered": gold.considered,
               "aggregate": aggregate, "provenance": gold.provenance_counts, "left_out": gold.left_out,
               "left_out_by_format": by_format, "annotator_ids": "names" if keep_names else "pseudonyms"}
    _report(path, *_with_both_bad(store, name, both_bad, exclude, summary, message, counted=(gold.both_bad,)),
            excluded, as_json)


def _with_both_bad(store, name: str, both_bad: str, exclude: tuple[str, ...], summary: dict[str, Any],
                   message: str, counted: tuple[dict[str, Any] | None] | None = None) -> tuple[dict[str, Any], str]:
    """The summary and message naming the --both-bad rule, when the task offers it or a label holds it
    (``counted``: ``(both_bad_json's value,)`` when the export counted it already)."""
    from annotator.analysis.both_bad import both_bad_caption, both_bad_json

    found = both_bad_json(store, name, both_bad, exclude) if counted is None else counted[0]
    if not found:
        return summary, message
    return {**summary, "both_bad": found}, f"{message} {both_bad_caption(found)[0].upper()}{both_bad_caption(found)[1:]}."


def _write_gold(store, gold, path: Path, fmt: str, force: bool):
    """``--format hf`` writes a folder (annotator/export/hf.py); every other format a file."""
    from annotator.export.gold import write_gold

    if fmt != "hf":
        return write_gold(store, gold, path, fmt, force=force)
    from annotator.export.hf import write_hf

    if not isinstance(path, Path) or (path.exists() and not path.is_dir()):  # standard output is no folder
        fail(f"--format hf writes a folder and {path} is a file or a device: give a folder with --out DIR")

    try:
        return write_hf(store, gold, path, force=force)
    except FileExistsError:
        fail(f"{path} exists already: pass --force to replace it, or choose another folder with --out")
    except ValueError as e:
        fail(str(e))


@export.command("soft-labels")
@_common()
@click.option("--format", "fmt", type=click.Choice(list(TABLE_FORMATS)), default="jsonl", show_default=True,
              help="File format.")
@click.option("--ambiguity-threshold", type=click.FloatRange(0, 1), default=AMBIGUITY_THRESHOLD, show_default=True,
              help="A pair is ambiguous when the normalised entropy of its votes reaches this (0 = unanimous, "
                   "1 = votes spread evenly over every choice).")
@both_bad_option
@pass_cli
def soft_labels_command(cli: CliContext, task_name: str | None, out: Path | None, force: bool,
                        exclude: tuple[str, ...], keep_names: bool, as_json: bool, fmt: str,
                        ambiguity_threshold: float, both_bad: str) -> None:
    """A perspectivist gold set: every pair's full distribution of votes, its entropy and an
    ambiguity flag, and each annotator's majority / minority rate."""
    from annotator.export.files import default_path
    from annotator.export.options import SoftLabelOptions
    from annotator.export.soft_labels import annotator_rates, soft_labels, write_soft_labels

    store, name, excluded = _start(cli, task_name, exclude)
    path = _output(out or default_path(name, "soft-labels", TABLE_FORMATS[fmt]), force)
    soft = soft_labels(store, name, SoftLabelOptions(ambiguity_threshold, exclude, keep_names, both_bad))
    if soft.table.empty:
        fail(f"task {name!r} has no human labels{' left' if excluded else ' yet'}: nothing to export")
    written = _run(path, f"writing the soft labels of {name}",
                   lambda: write_soft_labels(store, soft, path, fmt, force=force), as_json)
    ambiguous = int((soft.table["ambiguous"] == True).sum())  # noqa: E712  (None = undefined)
    undefined = int(soft.table["ambiguous"].isna().sum())
    rates = annotator_rates(soft)
    summary = {"task": name, "format": fmt, "records": written, "ambiguity_threshold": ambiguity_threshold,
               "ambiguous_pairs": ambiguous, "pairs_under_two_votes": undefined, "annotators": rates,
               "annotator_ids": "names" if keep_names else "pseudonyms"}
    message = (f"Wrote {written:,} pair(s) of task {name} to {path} ({fmt}); {ambiguous:,} ambiguous "
               f"(normalised entropy >= {ambiguity_threshold:g})"
               + (f", {undefined:,} with fewer than two votes (undefined)" if undefined else "") + ".")
    table = Table("annotator", "labels", "in majority", "in minority", "no majority",
                  title="Majority / minority rates (labels on pairs with 2+ votes, own vote included)",
                  title_justify="left")
    for r in rates:
        table.add_row(sanitize_line(r["annotator"]), f"{r['labels']:,}", _pct(r["in_majority_rate"]),
                      _pct(r["in_minority_rate"]), _pct(r["no_majority_rate"]))
    _report(path, *_with_both_bad(store, name, both_bad, exclude, summary, message), excluded, as_json, (table,))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


@export.command("labels")
@_common()
@click.option("--format", "fmt", type=click.Choice(list(TABLE_FORMATS)), default="jsonl", show_default=True,
              help="File format.")
@click.option("--texts", is_flag=True,
              help="Add each pair's prompt, source, responses and models to every row (makes the file importable "
                   "as a task on its own).")
@pass_cli
def labels_command(cli: CliContext, task_name: str | None, out: Path | None, force: bool, exclude: tuple[str, ...],
                   keep_names: bool, as_json: bool, fmt: str, texts: bool) -> None:
    """Every label revision, one row each: choice in canonical order and as shown, the order
    shown, factor answers in both frames, confidence, rationale, time, origin, revision."""
    from annotator.export.files import default_path
    from annotator.export.labels import write_labels
    from annotator.export.options import LabelExportOptions

    store, name, excluded = _start(cli, task_name, exclude)
    if not store.annotators_by_first_label(name):  # any label (cheap: task_counts counts everything)
        fail(f"task {name!r} has no human labels yet: nothing to export")
    path = _output(out or default_path(name, "labels", TABLE_FORMATS[fmt]), force)
    options = LabelExportOptions(exclude=exclude, keep_names=keep_names, texts=texts)
    written = _run(path, f"writing the labels of {name}",
                   lambda: write_labels(store, name, path, fmt, options, force=force), as_json)
    _report(path, {"task": name, "format": fmt, "records": written, "texts": texts,
                   "annotator_ids": "names" if keep_names else "pseudonyms"},
            f"Wrote {written:,} label revision(s) of task {name} to {path} ({fmt}).", excluded, as_json)


@export.command("judgments")
@_common(names=False)
@click.option("--format", "fmt", type=click.Choice(list(TABLE_FORMATS)), default="jsonl", show_default=True,
              help="File format.")
@run_option("runs", "Only this judge run (repeatable; default: every run judging preference).", multiple=True)
@click.option("--factor-runs", is_flag=True, help="Also the runs that measure a factor (without --run).")
@click.option("--messages", is_flag=True, help="Add the messages sent to the judge (large).")
@pass_cli
def judgments_command(cli: CliContext, task_name: str | None, out: Path | None, force: bool, as_json: bool,
                      fmt: str, runs: tuple[str, ...], factor_runs: bool, messages: bool) -> None:
    """Every judgment, one row each: run, order, verdict (canonical and as presented), P(A),
    unscored reason, tokens, cost, latency and raw output."""
    from annotator.export.files import default_path
    from annotator.export.judgments import selected_runs, write_judgments
    from annotator.export.options import JudgmentExportOptions

    store, name, _ = _start(cli, task_name)
    options = JudgmentExportOptions(runs=runs, factor_runs=factor_runs, messages=messages)
    try:
        chosen = selected_runs(store, name, options)
    except LookupError as e:
        fail(str(e))
    if not chosen:
        fail(f"task {name!r} has no judge run{' judging preference' if store.runs(name) else ''} "
             "(see `annotator judge run`): nothing to export")
    path = _output(out or default_path(name, "judgments", TABLE_FORMATS[fmt]), force)
    written, chosen = _run(path, f"writing the judgments of {name}",
                           lambda: write_judgments(store, name, path, fmt, options, force=force), as_json)
    run_names = ", ".join(r.name for r in chosen)
    _report(path, {"task": name, "format": fmt, "records": written, "runs": [r.name for r in chosen]},
            f"Wrote {written:,} judgment(s) of task {name} ({run_names}) to {path} ({fmt}).", {}, as_json)


def register(group: click.Group) -> None:
    group.add_command(export)
