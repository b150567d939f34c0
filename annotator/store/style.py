"""Style features of each response, counted once and stored (table ``style_features``).

The counts follow Arena-Hard-Auto's style control (``utils/add_markdown_info.py``): fenced
code blocks are counted, then removed before the other counts; ``headers``: lines opening
with one to six ``#`` and a space; ``lists``: ordered (``1. ``) and unordered (``- ``,
``* ``, ``+ ``) items at the start of a line, indentation allowed; ``bold``: ``**...**`` and
``__...__`` spans on one line; ``length``: characters (the leaderboard's length; Arena-Hard
counts tokens of a tokenizer the project does not ship). ``code``: fenced blocks
(```` ```...``` ````), the feature Arena-Hard removes but does not count.
"""

from __future__ import annotations

import re

from .columnar import ColumnarStore

FEATURES = ("length", "headers", "lists", "bold", "code")
VERSION = 1  # bumped when a count changes: rows of an older version are counted again

_CODE = re.compile(r"```([^`]*)```")
_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_ORDERED = re.compile(r"^\s*\d+\.\s", re.MULTILINE)
_UNORDERED = re.compile(r"^\s*[-*+]\s", re.MULTILINE)
_BOLD = (re.compile(r"\*\*[^*\n]+\*\*"), re.compile(r"__[^_\n]+__"))


def count_style(text: str) -> dict[str, int]:
    """The style features of one response (see the module docstring)."""
    text = text or ""
    blocks = _CODE.findall(text)
    prose = text
    for block in blocks:  # as Arena-Hard-Auto: each block's text removed before the other counts
        prose = prose.replace(f"```{block}```", "")
    return {
        "length": len(text),
        "headers": len(_HEADER.findall(prose)),
        "lists": len(_ORDERED.findall(prose)) + len(_UNORDERED.findall(prose)),
        "bold": sum(len(p.findall(prose)) for p in _BOLD),
        "code": len(blocks),
    }


class StyleStore(ColumnarStore):
    def style_features(self, task: str):
        """One row per pair of ``task``: ``pair`` and ``<feature>_a`` / ``<feature>_b``, from
        the stored counts; pairs not counted yet are counted now and stored (kept in memory
        only when the database is read-only).

        The stored counts are read as Arrow columns (``Store.arrow_frame``: no Python tuple per
        row); the pairs without them are found from the task's pair ids (one index scan), and
        their texts read only when there are some."""
        import numpy as np
        import pandas as pd

        columns = ", ".join(f"s.{f}_a, s.{f}_b" for f in FEATURES)
        sql = (f"SELECT p.id AS pair, {columns} FROM pairs p JOIN style_features s ON s.pair = p.id "
               "WHERE p.task = ? AND s.version = ?")
        stored = self.arrow_frame(sql, [task, VERSION])
        ids = self.arrow("SELECT id FROM pairs WHERE task = ?", [task]).column("id").to_numpy()
        if np.isin(ids, stored["pair"].to_numpy()).all():
            return stored
        missing = self.query("SELECT id, response_a, response_b FROM pairs WHERE task = ? AND id NOT IN "
                             "(SELECT pair FROM style_features WHERE version = ?)", [task, VERSION])
        if not missing:
            return stored
        records = []
        for row in missing:
            a, b = count_style(row["response_a"]), count_style(row["response_b"])
            records.append({"pair": row["id"], "version": VERSION, **{f"{f}_a": a[f] for f in FEATURES},
                            **{f"{f}_b": b[f] for f in FEATURES}})
        if not self.readonly:
            with self.atomic():
                self.db.table("style_features").upsert_all(records, pk="pair")
        fresh = pd.DataFrame.from_records(records).drop(columns="version")
        return pd.concat([stored, fresh], ignore_index=True) if len(stored) else fresh
