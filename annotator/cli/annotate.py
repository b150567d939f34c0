"""``annotator annotate`` (label pairs in the terminal) and ``annotator serve`` (in a browser)."""

from __future__ import annotations

import os
import sys

import click

from .context import CliContext, fail, pass_cli, pick_task
from .options import task_option

DEMO_TASK = "demo"


def resolve_task(store, name: str | None):
    """The task to label: ``name`` (loading the bundled task of that name when the database
    lacks it), else the only task of the database, else the bundled demo task."""
    if name is None:
        name = pick_task(store, None, when_empty=DEMO_TASK)
    task = store.get_task(name)
    if task is not None:  # (the task package, its importers, load only when a task is imported)
        return task
    from annotator.tasks.bundled import ensure_task

    try:
        return ensure_task(store, name)
    except LookupError as exc:
        fail(f"{exc}; add one with `annotator tasks add`")


def build_app(cli: CliContext, task_name: str | None, annotator: str | None, remember: bool = False):
    """Open the database, pick the task (or leave it to the app's home screen when the
    database holds several) and build the app (what `annotate` runs)."""
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
    origin = "web" if "WebDriver" in os.environ.get("TEXTUAL_DRIVER", "") else "tui"
    store = cli.open_store()
    # A read-only or busy database is said now, with a non-zero exit, not on the first save.
    store.check_writable()
    if task_name is None and len(store.tasks()) > 1:
        # Several tasks: the app opens on its home screen, the tasks this person can label.
        return create_app(store, None, annotator, settings, origin=origin, remember=remember)
    task = resolve_task(store, task_name)
    if store.pair_count(task.name) == 0:
        fail(f"task {task.name!r} has no pairs; add some with `annotator tasks add`")
    if annotator is not None:
        holder = store.live_writer(task.name, annotator)
        if holder is not None:
            fail(str(WriterBusy(task.name, annotator, holder)))
    return create_app(store, task, annotator, settings, origin=origin, remember=remember)


@click.command()
@task_option()
@click.option("--annotator", metavar="NAME", default=None, envvar="ANNOTATOR_NAME",
              help="Your name, stored with every label, for this run only (default: $ANNOTATOR_NAME, "
                   "else the name remembered in this terminal is offered, else asked on screen).")
@click.option("--remember", is_flag=True, default=False,
              help="Remember --annotator as the name offered next time in this terminal (Enter continues as it).")
@pass_cli
def annotate(cli: CliContext, task_name: str | None, annotator: str | None, remember: bool) -> None:
    """Label pairs in the terminal: 1 = A better, 2 = B better, 3 = tie, Enter saves.

    Every label is committed as the next pair appears (a failed write brings its pair back);
    quit with q at any time and run the command again to resume at the first unlabelled pair.
    Press ? in the app for all keys.
    On an empty database (no --task, no task yet) the bundled demo task is loaded first.
    """
    if remember and annotator is None:
        fail("--remember needs --annotator NAME (or tick the box on the name screen)")
    app = build_app(cli, task_name, annotator, remember)
    app.run()
    if app.return_code:  # a crash, a refused name, a closed terminal: never exit 0
        sys.exit(app.return_code)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0: every interface; then give --public-url).")
@click.option("--port", default=None, type=click.IntRange(1, 65535),
              help="Port to listen on (default 8421; 8000 is left to model servers such as vLLM).")
@click.option("--public-url", default=None, metavar="URL",
              help="The address colleagues open, e.g. https://annotate.example.org behind a proxy or "
                   "http://myhost:8421 on 0.0.0.0 (default: http://HOST:PORT). Requests for any other address are refused.")
@click.option("--max-sessions", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="Most browser sessions open at once; past it a page asks to try later.")
@task_option()
@click.option("--annotator", metavar="NAME", default=None,
              help="Only this one person may sign in (still with their access code).")
@click.option("--trusted-proxy", "trusted_proxies", metavar="ADDR", multiple=True,
              help="A reverse proxy (address or network, e.g. 127.0.0.1) whose X-Forwarded-For names the "
                   "colleague's address; failed sign-ins are then counted per colleague. Repeatable. "
                   "Default: none (the header is ignored).")
@pass_cli
def serve(cli: CliContext, host: str, port: int | None, public_url: str | None, max_sessions: int,
          task_name: str | None, annotator: str | None, trusted_proxies: tuple[str, ...]) -> None:
    """Serve the annotation app in a browser, behind a sign-in with access codes.

    Add the people first: `annotator annotators add NAME` prints each one's access code.
    Each signs in with name and code and labels as themselves only (one browser session per
    name); labels are stored with origin "web". With several tasks in the database and no
    --task, each person chooses a task on the home screen after signing in.
    See the README, "Serving the app to colleagues".
    """
    from annotator.text.sanitize import sanitize_line
    from annotator.web.server import DEFAULT_PORT, AnnotatorServer, ServeError, ServeOptions

    store = cli.open_store()
    store.check_writable()  # a read-only or busy database is said now, not in every session
    if task_name is None and len(store.tasks()) > 1:
        task = None  # each person picks a task on the home screen after signing in
    else:
        task = resolve_task(store, task_name)  # fail here, not in every browser session
    active = [a for a in store.accounts() if not a.disabled]
    if annotator is not None:
        account = store.account(annotator)
        if account is None or account.disabled:
            fail(f"--annotator {sanitize_line(annotator)!r}: no active account of that name "
                 f"(add one with `annotator annotators add {sanitize_line(annotator)}`)")
    elif not active:
        fail("nobody can sign in yet: add the annotators first with `annotator annotators add NAME` "
             "(each gets an access code to sign in with)")
    title = "annotator" if task is None else f"annotator · {sanitize_line(task.title or task.name)}"
    options = ServeOptions(db_path=cli.db_path.resolve(), task=task.name if task else None, title=title,
                           host=host, port=port or DEFAULT_PORT, public_url=public_url, max_sessions=max_sessions,
                           only=annotator, trusted_proxies=trusted_proxies)
    try:
        server = AnnotatorServer(options, store)
    except ServeError as e:
        fail(str(e))
    server.serve()


def register(group: click.Group) -> None:
    group.add_command(annotate)
    group.add_command(serve)
