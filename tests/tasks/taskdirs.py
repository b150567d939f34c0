"""Helpers for the task-file and importer tests: task folders and row counts."""

from __future__ import annotations

import json
from pathlib import Path

from annotator.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TABLES = ("tasks", "pairs", "labels", "judge_runs", "judgments")


def write_task(folder: Path, toml: str, files: dict[str, str | bytes | list] | None = None) -> Path:
    """A task folder with ``task.toml`` and the given files (lists of dicts become JSONL)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "task.toml").write_text(toml, encoding="utf-8")
    for name, content in (files or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, list):
            content = "".join(json.dumps(r) + "\n" for r in content)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def jsonl_task(folder: Path, rows: list, name: str = "t", extra: str = "") -> Path:
    """A generic JSONL task: fields id, prompt, a, b (plus ``extra`` task.toml text)."""
    toml = (f'[task]\nname = "{name}"\n\n[data]\npath = "pairs.jsonl"\nid = "id"\nprompt = "prompt"\n'
            f'response_a = "a"\nresponse_b = "b"\n{extra}')
    return write_task(folder, toml, {"pairs.jsonl": rows})


def rows(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"p{i}", "prompt": f"question {i}", "a": f"answer A {i}", "b": f"answer B {i}"}
            for i in range(start, start + n)]


def counts(db: Path) -> dict[str, int]:
    """Rows in every table of the database (to show an import left it untouched)."""
    store = Store.open(db)
    try:
        return {t: store.query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"] for t in TABLES}
    finally:
        store.close()


def refused(cli, folder, *parts: str, extra_args=()):
    """Import ``folder``, expect a refusal naming every one of ``parts``, and no change."""
    before = counts(cli.db)
    result = cli("tasks", "add", folder, *extra_args)
    assert result.exit_code != 0
    for part in parts:
        assert part in result.stderr, (part, result.stderr)
    assert counts(cli.db) == before
    return result
