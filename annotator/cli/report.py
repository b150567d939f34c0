"""``annotator report``: the task's report as one self-contained HTML page and a Markdown twin."""

from __future__ import annotations

import re
from pathlib import Path

import click

from annotator.analysis.defaults import DEFAULT_BT_RESAMPLES, DEFAULT_RESAMPLES, DISPUTED_LIMIT

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json
from .judges_report import factor_source_option
from .options import (
    both_bad_option,
    force_option,
    gold_option,
    include_incomplete_option,
    json_option,
    order_rule_option,
    out_option,
    seed_option,
    task_option,
)
from .stats import reference_option


def default_path(task: str) -> Path:
    """``exports/<task>-report.html``, the task name made safe for a file name."""
    return Path("exports") / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', task).strip('._') or 'task'}-report.html"


@click.command()
@task_option()
@out_option("HTML file to write (default: exports/TASK-report.html); the Markdown twin is written beside it "
                   "with the same name ending in .md, its figures in NAME_files/.")
@order_rule_option
@include_incomplete_option
@gold_option
@click.option("--bootstrap", "resamples", type=click.IntRange(min=0), default=None,
              help="Bootstrap resamples for every interval (default: each command's own: agreement and judges "
                   f"{DEFAULT_RESAMPLES:,}, fewer on tasks over 50,000 labelled pairs; leaderboard "
                   f"{DEFAULT_BT_RESAMPLES}).")
@seed_option
@factor_source_option
@reference_option
@click.option("--disputed", type=click.IntRange(min=0), default=DISPUTED_LIMIT, show_default=True,
              help="How many of the most disputed pairs to show with their rationales.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes for the three statistics engines, and for the leaderboard's length-controlled fits "
                   "(default: one per engine, up to the CPUs available; 1: one after the other).")
@json_option
@force_option
@both_bad_option
@pass_cli
def report(cli: CliContext, task_name: str | None, out: Path | None, order_rule: str, include_incomplete: bool,
           gold: str, resamples: int | None, seed: int, factor_source: str, reference: str, disputed: int, jobs: int | None,
           as_json: bool, force: bool, both_bad: str) -> None:
    """Write the task's report: progress, agreement, each annotator, the judges against the humans,
    position and length bias, calibration, the leaderboard, PROFILE factors and the most disputed
    pairs, with plain-words explanations. One HTML file with everything inline (opens offline,
    runs no script) and a Markdown twin with the same numbers; every number is the one the
    `stats` commands print with --json (the commands are listed at the end of the report)."""
    from annotator.export.report import ReportOptions, collect, write_report
    from annotator.export.report.collect import default_jobs

    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    options = ReportOptions(order_rule=order_rule, include_incomplete=include_incomplete, gold=gold, seed=seed,
                            disputed=disputed, factor_source=factor_source, reference=reference, both_bad=both_bad)
    options.leaderboard_jobs = jobs or default_jobs()
    if resamples is not None:
        options.agreement_resamples = options.judge_resamples = options.leaderboard_bootstrap = resamples
    html_path = out or default_path(name)
    if html_path.suffix.lower() not in (".html", ".htm"):
        fail(f"--out {html_path}: expected a file name ending in .html, found {html_path.suffix or 'no suffix'!r}")
    from annotator.export.files import checked_output

    html_path = checked_output(html_path, force, (html_path.with_suffix(".md"),), fail, streams=False)
    with err_console.status(f"computing the report of {name}", spinner="dots") if not as_json \
            and err_console.is_terminal else _quiet():
        data = collect(store, name, options, jobs=jobs or default_jobs())
        try:
            written = write_report(data, html_path)
        except OSError as e:
            fail(f"cannot write the report to {html_path}: {e.strerror or e}")
    if as_json:
        print_json({"task": name, "html": str(written.html), "markdown": str(written.markdown),
                    "figures": [str(p) for p in written.figures], "order_rule": order_rule,
                    "seconds": {k: round(v, 3) for k, v in written.seconds.items()},
                    "engine_cpu_seconds": {k: round(v, 3) for k, v in data.engine_cpu_seconds.items()},
                    "jobs": jobs or default_jobs()})
        return
    console.print(f"Report of task {name!r} written to {written.html} (Markdown twin: {written.markdown}, "
                  f"figures in {written.figures[0].parent if written.figures else 'none'}).", soft_wrap=True,
                  markup=False)


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def register(group: click.Group) -> None:
    group.add_command(report)
