"""``annotator dashboard``: the researcher's live view of a task in the terminal."""

from __future__ import annotations

import click

from .context import CliContext, pass_cli, pick_task
from .options import both_bad_option, order_rule_option, task_option


@click.command()
@task_option()
@click.option("--poll", "poll_seconds", type=click.FloatRange(min=0.2), default=3.0, show_default=True,
              help="Seconds between two reads of the progress (in the background).")
@click.option("--stats-every", "stats_seconds", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Least seconds between two runs of the statistics (they run only when labels changed).")
@order_rule_option
@both_bad_option
@pass_cli
def dashboard(cli: CliContext, task_name: str | None, poll_seconds: float, stats_seconds: float,
              order_rule: str, both_bad: str) -> None:
    """Watch a task as labels arrive: progress per annotator with pace and ETA, Krippendorff's
    alpha with its interval, the pairs in dispute, and each judge against the humans.

    Progress is read every few seconds; the statistics run in the background when labels
    have changed and show when ready (the same numbers as `stats agreement` and `stats judges`).
    Quit with q; r refreshes now. With several tasks and no --task it opens on a list of them.
    """
    from annotator.tui.dashboard_app import create_dashboard_app

    store = cli.open_store(create=False)
    # several tasks and none named: the app opens on the tasks to choose from
    name = None if task_name is None and len(store.tasks()) > 1 else pick_task(store, task_name)
    create_dashboard_app(store, name, poll_seconds=poll_seconds, stats_seconds=stats_seconds,
                         order_rule=order_rule, both_bad=both_bad).run()


def register(group: click.Group) -> None:
    group.add_command(dashboard)
