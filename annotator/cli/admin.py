"""``annotator init`` and ``annotator doctor``."""

from __future__ import annotations

import click

from annotator.store import schema

from .context import CliContext, console, pass_cli, print_json
from .options import json_option


@click.command()
@json_option
@pass_cli
def init(cli: CliContext, as_json: bool) -> None:
    """Create the database (or bring an old one to the latest schema)."""
    existed = cli.db_path.exists()
    if existed:
        from annotator.store import Store

        probe = Store.open(cli.db_path, migrate=False)  # refuses a newer version's database
        pending = probe.pending_migrations()
        probe.close()
    store = cli.open_store()
    if not existed:
        verb = "Created database"
    elif pending:
        verb = f"Upgraded database (applied {', '.join(pending)})"
    else:
        verb = "Database"
    if as_json:
        print_json({"database": str(cli.db_path), "schema": store.schema_version, "created": not existed,
                    "applied_migrations": list(pending) if existed else []})
        return
    console.print(f"{verb} {cli.db_path} (schema {store.schema_version})"
                  + (" is up to date." if existed and not pending else "."), markup=False, soft_wrap=True)


@click.command()
@json_option
@pass_cli
def doctor(cli: CliContext, as_json: bool) -> None:
    """Check the database: integrity, foreign keys and schema version."""
    if not cli.db_path.exists():
        from .context import fail

        fail(f"no database at {cli.db_path} (run `annotator init` first)")
    from annotator.store import Store

    store = Store.open(cli.db_path, migrate=False)  # refuses a newer version's database, by name and version
    pending = store.pending_migrations()
    problems = store.integrity_problems()
    report = {
        "database": str(cli.db_path),
        "schema_version": store.schema_version,
        "latest_schema_version": schema.latest_version(),
        "pending_migrations": pending,
        "problems": problems,
        "ok": not problems,
    }
    if as_json:
        print_json(report)
    else:
        console.print(f"database        {report['database']}")
        console.print(f"schema version  {report['schema_version'] or '(empty)'}"
                      f" (latest {report['latest_schema_version']})")
        if pending:
            console.print(f"pending         {', '.join(pending)} (run `annotator init`)")
        if problems:
            for p in problems:
                console.print(f"[red]problem[/]         {p}")
        else:
            console.print("[green]integrity       ok[/]")
    if problems:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(init)
    group.add_command(doctor)
