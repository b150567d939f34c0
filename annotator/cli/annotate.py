"""``annotator annotate`` (label pairs in the terminal) and ``annotator serve`` (in a browser)."""

from __future__ import annotations

import os
import shlex
import sys

import click

from .context import CliContext, fail, pass_cli, pick_task

DEMO_TASK = "demo"


def resolve_task(store, name: str | None):
    """The task to label: ``name`` (loading the bundled task of that name when the database
    lacks it), else the only task of the database, else the bundled demo task."""
    from annotator.tasks.bundled import ensure_task

    if name is None:
        name = pick_task(store, None, when_empty=DEMO_TASK)
    try:
        return ensure_task(store, name)
    except LookupError as exc:
        fail(f"{exc}; add one with `annotator tasks add`")


def _gone(holder: dict) -> bool:
    """Whether the process holding a lease is gone from this machine (its lease is free)."""
    import socket

    from annotator.store.leases import process_gone

    return holder["host"] == socket.gethostname() and process_gone(holder["pid"])


def build_app(cli: CliContext, task_name: str | None, annotator: str | None):
    """Open the database, pick the task and build the app (what `annotate` runs)."""
    from annotator.store import WriterBusy
    from annotator.text.sanitize import sanitize_line
    from annotator.tui.app import create_app
    from annotator.tui.config import ConfigError, load_settings
    from annotator.tui.screens.annotator_name import check_name

    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    if annotator is not None:
        annotator = annotator.strip()
        problem = check_name(annotator)
        if problem:
            fail(f"--annotator {sanitize_line(annotator)!r}: {problem}")
    store = cli.open_store()
    task = resolve_task(store, task_name)
    if store.pair_count(task.name) == 0:
        fail(f"task {task.name!r} has no pairs; add some with `annotator tasks add`")
    if annotator is not None:
        holder = next((w for w in store.writers(task.name) if w["annotator"] == annotator and w["live"]), None)
        if holder is not None and not _gone(holder):
            fail(str(WriterBusy(task.name, annotator, holder)))
    origin = "web" if "WebDriver" in os.environ.get("TEXTUAL_DRIVER", "") else "tui"
    return create_app(store, task, annotator, settings, origin=origin)


@click.command()
@click.option("--task", "task_name", metavar="NAME", default=None,
              help="Task to label (default: the only task in the database; "
                   "on an empty database the bundled demo task, loaded on first use).")
@click.option("--annotator", metavar="NAME", default=None, envvar="ANNOTATOR_NAME",
              help="Your name, stored with every label (default: $ANNOTATOR_NAME, else asked on screen).")
@pass_cli
def annotate(cli: CliContext, task_name: str | None, annotator: str | None) -> None:
    """Label pairs in the terminal: 1 = A better, 2 = B better, 3 = tie, Enter saves.

    Every label is committed before the next pair appears; quit with q at any time and run
    the command again to resume at the first unlabelled pair. Press ? in the app for all keys.
    """
    app = build_app(cli, task_name, annotator)
    app.run()
    if app.return_code:  # a crash, a refused name, a closed terminal: never exit 0
        sys.exit(app.return_code)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--task", "task_name", metavar="NAME", default=None, help="Task to label (as for annotate).")
@click.option("--annotator", metavar="NAME", default=None,
              help="Annotator name for every browser session (default: asked in each session).")
@pass_cli
def serve(cli: CliContext, host: str, port: int, task_name: str | None, annotator: str | None) -> None:
    """Serve the annotation app in a browser (each browser tab runs its own session).

    The app is the same as `annotator annotate`; labels are stored with origin "web".
    """
    from textual_serve.server import Server

    store = cli.open_store()
    task = resolve_task(store, task_name)  # fail here, not in every browser session
    parts = [sys.executable, "-m", "annotator", "--db", str(cli.db_path.resolve()),
             "annotate", "--task", task.name]
    if annotator:
        parts += ["--annotator", annotator]
    command = shlex.join(parts)
    click.echo(f"Serving task {task.name!r} on http://{host}:{port}  (Ctrl+C to stop)")
    Server(command, host=host, port=port, title=f"annotator · {task.name}").serve()


def register(group: click.Group) -> None:
    group.add_command(annotate)
    group.add_command(serve)
