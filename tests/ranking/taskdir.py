"""A small ranked task folder: items of 3, 4 and 5 responses (models m1..m5, position n by mn)."""

from __future__ import annotations

import json
from pathlib import Path

TASK_TOML = """[task]
name = "ranked"
overlap = 2

[data]
path = "items.jsonl"
id = "id"
prompt = "instruction"

[ranking]
responses = "responses"
model = "model"
"""


def item(n: int, k: int) -> dict:
    return {"id": f"q{n}", "instruction": f"Question {n}?",
            "responses": [{"text": f"Answer {m} to {n}.", "model": f"m{m}"} for m in range(1, k + 1)]}


def ranked_task(folder: Path, sizes=(3, 4, 5), toml: str = TASK_TOML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "task.toml").write_text(toml, encoding="utf-8")
    (folder / "items.jsonl").write_text(
        "".join(json.dumps(item(n, k)) + "\n" for n, k in enumerate(sizes, 1)), encoding="utf-8")
    return folder
