"""What every command shares: the database path and a way to open the store."""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.text import Text

if TYPE_CHECKING:  # the store (sqlite-utils, numpy) is imported when a command runs, not for --help
    from annotator.store import Store
from annotator.text.console import SafeConsole, safe_json


@dataclass
class CliContext:
    db_option: str | None = None

    @property
    def db_path(self) -> Path:
        from annotator.store import resolve_db_path

        return resolve_db_path(self.db_option)

    def open_store(self, *, create: bool = True) -> Store:
        """Open (and migrate) the database named by ``--db`` / ``$ANNOTATOR_DB`` / the default.

        ``create=False`` (commands that only read): a missing file is an error naming the path,
        so a mistyped ``--db`` leaves no stray database behind. A file that is not SQLite, a
        folder that cannot be created, a read-only or a busy database end the command with a
        message naming the file (``database_problem``).
        """
        if not create and not self.db_path.exists():
            fail(f"no database at {self.db_path} (create one with `annotator init`, "
                 "or add a task with `annotator tasks add DIR`)")
        try:
            from annotator.store import Store

            store = Store.open(self.db_path)
        except OSError as e:
            fail(f"cannot create the database folder {self.db_path.parent}: {e.strerror or e}")
        ctx = click.get_current_context(silent=True)
        if ctx is not None:  # closed when the command ends, however it ends (its write-ahead log copied in)
            ctx.call_on_close(store.close)
        return store


def skip_final_collection_at_exit() -> None:
    """At interpreter exit, after every other exit handler, flush standard output and error
    and skip the final garbage collection over every object the command made and every module
    it imported (``gc.freeze``: 0.1-0.2 s after a large command). Nothing is lost: the store
    is closed when the command ends (``open_store``), files are written inside ``with``, and
    objects that are not in a reference cycle are still freed. Registered once, by the
    command line's ``main``."""
    global _SKIPPING
    if not _SKIPPING:
        import atexit

        atexit.register(_freeze)  # exit handlers run last-in first-out: the libraries' run before
        _SKIPPING = True


_SKIPPING = False


def _freeze() -> None:
    import gc

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, or a broken pipe: the exit code stands
            pass
    gc.freeze()


def database_problem(path: Path, error: sqlite3.Error) -> str:
    """What a person should read when SQLite refuses ``path``."""
    reason = str(error)
    if "file is not a database" in reason:
        return f"{path} is not a SQLite database (is --db / $ANNOTATOR_DB the right file?)"
    if "readonly" in reason:
        return f"cannot write to {path}: the database file or its folder is read-only"
    if "locked" in reason or "busy" in reason:
        return f"{path} is busy: another process is writing to it; try again when it is done"
    if "unable to open" in reason:
        return f"cannot open {path}: the file or its folder cannot be read or created"
    return f"database {path}: {reason}"


class AnnotatorGroup(click.Group):
    """The top command group: a database error in any command is a message, not a traceback;
    so is a file name holding a NUL byte (no file system accepts one; Python raises
    ValueError wherever such a path is opened or looked at)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RuntimeError as e:
            # the store's SchemaError: a command that raised it imported the store (one that did not,
            # such as `judge run --help`, is not made to import it here)
            store = sys.modules.get("annotator.store.base")
            if store is None or not isinstance(e, store.SchemaError):
                raise
            fail(str(e))
        except ValueError as e:
            if "null byte" not in str(e):
                raise
            fail("a file name cannot contain a NUL byte (\\x00): check the paths given")
        except sqlite3.DatabaseError as e:
            obj = ctx.obj if isinstance(ctx.obj, CliContext) else CliContext()
            fail(database_problem(obj.db_path, e))


def pick_task(store: Store, name: str | None, *, when_empty: str | None = None) -> str:
    """The task a command works on: ``--task NAME``, or the only task in the database.

    Exits with a clear message when the name is unknown, the database has no task (unless
    ``when_empty`` names the task to use then, which the command loads itself), or it has
    several and none was named. The one way a command finds its task.
    """
    from annotator.store import UnknownTask

    if name is not None:
        try:
            return store.require_task(name).name
        except UnknownTask as e:
            fail(str(e))
    names = [t.name for t in store.tasks()]
    if len(names) == 1:
        return names[0]
    if not names:
        if when_empty is not None:
            return when_empty
        fail("the database has no tasks yet (add one with `annotator tasks add DIR`, e.g. `annotator tasks add demo`)")
    fail(f"several tasks in the database: choose one with --task ({', '.join(names)})")


pass_cli = click.make_pass_decorator(CliContext, ensure=True)

# Every CLI message and table goes through these: no text can act on the terminal.
console = SafeConsole(highlight=False)
err_console = SafeConsole(stderr=True, highlight=False)


def print_json(data) -> None:
    """Print one JSON document on standard output (machine-readable output of ``--json``)."""
    sys.stdout.write(safe_json(data, indent=2, default=str) + "\n")


def fail(message: str, code: int = 1):
    """Print an error on standard error and exit non-zero.

    The message is plain text, never markup (it often quotes user data such as
    ``[api_keys]`` or a path), and is not wrapped, so each line keeps file, row, expected
    and found together.
    """
    err_console.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
    raise SystemExit(code)
