"""``annotator adjudicate``: settle disputed pairs in a terminal queue."""

from __future__ import annotations

import click

from annotator.analysis.defaults import ADJUDICATION_THRESHOLD

from .context import CliContext, fail, pass_cli, pick_task
from .options import order_rule_option, run_option, task_option


@click.command()
@task_option()
@click.option("--adjudicator", metavar="NAME", default=None, envvar="ANNOTATOR_NAME",
              help="Your name, stored with every adjudication (default: $ANNOTATOR_NAME).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=ADJUDICATION_THRESHOLD, show_default=True,
              help="A pair needs adjudication when its majority holds less than this share of the votes.")
@click.option("--all-disagreements", is_flag=True,
              help="Queue every pair whose votes are not unanimous, not only those needing adjudication.")
@click.option("--judges", "all_judges", is_flag=True,
              help="Also queue the pairs where a judge run's verdict differs from the human majority.")
@run_option("judge_runs", "Like --judges, for this judge run only (repeatable).", multiple=True, aliases=("--judge",))
@order_rule_option
@pass_cli
def adjudicate(cli: CliContext, task_name: str | None, adjudicator: str | None, threshold: float,
               all_disagreements: bool, all_judges: bool, judge_runs: tuple[str, ...], order_rule: str) -> None:
    """Settle disputed pairs: a queue of the pairs with the lowest agreement, each with every
    annotator's choice, factor answers and rationale; pick the final label (1 / 2 / 3), a
    reason (r) and a note (n), then save (s).

    Adjudications are stored apart from the labels (which are never changed); the gold
    export uses them and marks those pairs "adjudicated".
    """
    from annotator.text.sanitize import sanitize_line
    from annotator.tui.adjudicate_app import QueueOptions, create_adjudication_app
    from annotator.tui.config import ConfigError, load_settings
    from annotator.tui.screens.annotator_name import check_name

    if adjudicator is None:
        fail("say who you are: --adjudicator NAME (or set $ANNOTATOR_NAME); the name is stored with "
             "every adjudication")
    adjudicator = adjudicator.strip()
    problem = check_name(adjudicator)
    if problem:
        fail(f"--adjudicator {sanitize_line(adjudicator)!r}: {problem}")
    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    runs = store.runs(name)
    unknown = [r for r in judge_runs if r not in {run.name for run in runs}]
    if unknown:
        fail(f"no judge run named {sanitize_line(unknown[0])!r} on task {sanitize_line(name)!r} "
             f"(runs: {', '.join(sanitize_line(r.name) for r in runs) or 'none'})")
    judges: tuple[str, ...] | bool = True if all_judges else tuple(judge_runs)
    options = QueueOptions(threshold=threshold, all_disagreements=all_disagreements, judges=judges,
                           order_rule=order_rule)
    app = create_adjudication_app(store, name, adjudicator, settings, options)
    app.run()
    if app.return_code:
        raise SystemExit(app.return_code)


def register(group: click.Group) -> None:
    group.add_command(adjudicate)
