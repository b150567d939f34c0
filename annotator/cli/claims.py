"""``annotator claims list|release``: see and free the pairs reserved for annotators."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from annotator.text.sanitize import sanitize_line

from .context import CliContext, console, fail, pass_cli, pick_task, print_json
from .options import json_option, task_option


@click.group()
def claims() -> None:
    """Pairs reserved for annotators (served, not yet labelled) and who is labelling now.

    A pair is claimed when it is shown to an annotator; the claim keeps others off it while
    the annotator works. A running session renews its claims; quitting releases them; a
    session that ended without quitting loses them after the task's `claim_minutes`.
    """


def _text(value) -> Text:
    return Text(sanitize_line(str(value)))


@claims.command("list")
@task_option()
@click.option("--annotator", metavar="NAME", default=None, help="Only this annotator's claims.")
@json_option
@pass_cli
def list_claims(cli: CliContext, task_name: str | None, annotator: str | None, as_json: bool) -> None:
    """List the claims of a task (expired ones marked) and the sessions labelling it now."""
    store = cli.open_store(create=False)
    task = pick_task(store, task_name)
    found = store.claim_details(task, annotator)
    sessions = [w for w in store.writers(task) if annotator is None or w["annotator"] == annotator]
    if as_json:
        print_json({"task": task, "claims": found, "sessions": sessions})
        return
    live = sum(1 for c in found if not c["expired"])
    console.print(Text(f"Task {sanitize_line(task)}: {live} live claim{'s' if live != 1 else ''}, "
                       f"{len(found) - live} expired."))
    if found:
        table = Table(box=None, pad_edge=False)
        for column in ("annotator", "pair", "expires (UTC)", "state"):
            table.add_column(column)
        for c in found:
            table.add_row(_text(c["annotator"]), _text(c["pair_id"]), _text(c["expires_at"][:19]),
                          "expired" if c["expired"] else "live")
        console.print(table)
    if sessions:
        console.print(Text("Sessions (one per annotator name):"))
        table = Table(box=None, pad_edge=False)
        for column in ("annotator", "process", "host", "since (UTC)", "last beat (UTC)", "state"):
            table.add_column(column)
        for w in sessions:
            table.add_row(_text(w["annotator"]), str(w["pid"]), _text(w["host"]), _text(w["started_at"][:19]),
                          _text(w["beat_at"][:19]), "live" if w["live"] else "expired")
        console.print(table)


@claims.command("release")
@task_option()
@click.option("--annotator", metavar="NAME", default=None,
              help="Release this annotator's claims (and their session's hold on the name).")
@click.option("--pair", "pair_id", metavar="ID", default=None, help="Release the claims on this pair (its id).")
@click.option("--expired", is_flag=True, help="Release only claims that have expired.")
@click.option("--all", "everything", is_flag=True, help="Release every claim of the task.")
@json_option
@pass_cli
def release(cli: CliContext, task_name: str | None, annotator: str | None, pair_id: str | None,
            expired: bool, everything: bool, as_json: bool) -> None:
    """Free claimed pairs so that other annotators may take them.

    Say which: --annotator NAME, --pair ID, --expired, or --all (filters combine). A
    released pair comes back first to the annotator who held it, if it is still open then.
    """
    if not (annotator or pair_id or expired or everything):
        fail("say which claims to release: --annotator NAME, --pair ID, --expired or --all")
    store = cli.open_store(create=False)
    task = pick_task(store, task_name)
    pair = None
    if pair_id is not None:
        found = store.get_pair_by_external_id(task, pair_id)
        if found is None:
            fail(f"task {task!r} has no pair with id {sanitize_line(pair_id)!r}")
        pair = found.id
    count = store.release_claims(task, annotator=annotator, pair=pair, expired_only=expired)
    sessions = store.release_writer(task, annotator) if annotator and not expired and pair is None else 0
    if as_json:
        print_json({"task": task, "released_claims": count, "released_sessions": sessions})
        return
    console.print(Text(f"Released {count} claim{'s' if count != 1 else ''} in task {sanitize_line(task)}"
                       + (f" and {sanitize_line(annotator)}'s hold on the name" if sessions else "") + "."))


def register(group: click.Group) -> None:
    group.add_command(claims)
