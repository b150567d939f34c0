"""Task folders shipped with the project (``tasks/`` at the repository root).

The package reaches them through ``annotator/bundled_tasks``, a symbolic link to ``../tasks``
in the repository that a wheel build copies, so an installed (not editable) annotator ships
the demo too.
"""

from __future__ import annotations

from pathlib import Path

from annotator.store import Store, Task

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "bundled_tasks"


def bundled_tasks() -> dict[str, Path]:
    """Name -> folder of every bundled task (a folder holding a task.toml)."""
    if not BUNDLED_DIR.is_dir():
        return {}
    return {p.parent.name: p.parent for p in sorted(BUNDLED_DIR.glob("*/task.toml"))}


def ensure_task(store: Store, name: str) -> Task:
    """The task ``name`` from the database, importing the bundled task of that name if absent.

    Raises ``LookupError`` when the database lacks it and no bundled task has that name.
    """
    task = store.get_task(name)
    if task is not None:
        return task
    folders = bundled_tasks()
    if name not in folders:
        known = ", ".join(sorted({t.name for t in store.tasks()} | set(folders))) or "none"
        raise LookupError(f"no task named {name!r} in the database or bundled with annotator (known: {known})")
    from .importer import import_task_dir

    import_task_dir(store, folders[name])
    return store.get_task(name)
