"""The ``annotator`` command line. One module per command area; each registers here."""

from __future__ import annotations

import click

from annotator import __version__

from .context import AnnotatorGroup, CliContext


@click.group(cls=AnnotatorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite database file (default: $ANNOTATOR_DB, else db/annotator.db).",
)
@click.version_option(__version__, prog_name="annotator")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Label A/B pairs of LLM responses and measure how far LLM judges are from people."""
    if db is not None and not db.strip():
        raise click.BadParameter("needs a file path, not an empty string", param_hint="--db")
    ctx.obj = CliContext(db_option=db)


# each area registers its commands
from . import (  # noqa: E402,F401
    adjudicate,
    admin,
    annotate,
    annotators,
    calibrate,
    claims,
    copies,
    dashboard,
    experiment,
    export,
    factors,
    judge,
    judges_report,
    jury,
    leaderboard,
    priority,
    progress,
    report,
    scores,
    stats,
    tasks,
)

for _area in (annotate, annotators, tasks, priority, judge, jury, calibrate, stats, scores, factors, experiment, export, progress,
              report, dashboard, adjudicate, copies, admin, claims):
    _area.register(main)
