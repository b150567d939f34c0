"""The exports' bulk reads, as Arrow tables (``Store.arrow``: no Python object per cell).

Each read walks its table along the primary key (the order stored) and, for the texts, a
page at a time (``id > last ORDER BY id LIMIT n``): memory holds one page of responses
whatever the size of the task. Every read names its Arrow schema, so a column that is NULL
on every row of a page still has its type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .columnar import ColumnarStore
from .streams import PAIR_FIELDS

if TYPE_CHECKING:
    import pyarrow as pa

# rows per page of the paged reads (texts: about 3 kB a pair in the benchmark's task)
TEXT_PAGE_ROWS = 4_000
ROW_PAGE_ROWS = 50_000

_LABEL_TYPES = {"id": "int64", "pair": "int64", "annotator": "string", "revision": "int64", "choice": "string",
                "shown_order": "string", "factors": "string", "confidence": "int64", "rationale": "string",
                "seconds": "float64", "origin": "string", "created_at": "string"}
_JUDGMENT_TYPES = {"id": "int64", "run": "int64", "run_name": "string", "kind": "string", "model": "string",
                   "pair_id": "string", "domain": "string", "order": "string", "sample": "int64", "verdict": "string",
                   "p_a": "float64", "unscored_reason": "string", "prompt_tokens": "int64",
                   "completion_tokens": "int64", "latency_s": "float64", "cost": "float64", "raw_output": "string",
                   "explanation": "string", "created_at": "string", "messages": "string"}


def _schema(names: Iterable[str], types: dict[str, str]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(n, getattr(pa, types.get(n, "string"))()) for n in names])


def _newest_rows(table: pa.Table):
    """The positions (sorted) of the rows of ``table`` (labels in id order, with ``pair`` and
    ``annotator``) that are each (pair, annotator)'s newest revision: revisions are appended,
    so the last row of each in id order."""
    import numpy as np
    import pyarrow.compute as pc

    people = pc.dictionary_encode(table.column("annotator")).combine_chunks().indices.to_numpy()
    pairs = table.column("pair").to_numpy()
    key = pairs * (int(people.max()) + 1) + people
    _, first_reversed = np.unique(key[::-1], return_index=True)
    return np.sort(len(key) - 1 - first_reversed)


class ExportReadStore(ColumnarStore):
    def current_votes_table(self, task: str, *, exclude: Iterable[str] = ()) -> pa.Table:
        """The current label of every (pair, annotator) of a task, in the order stored:
        ``label_id``, ``pair``, ``annotator``, ``choice`` and ``factors`` (the answers'
        JSON text as stored). Labels of the ``exclude``d annotators are left out."""
        left_out = sorted(set(exclude))
        skip = f" AND annotator NOT IN ({', '.join('?' * len(left_out))})" if left_out else ""
        names = ["label_id", "pair", "annotator", "choice", "factors"]
        table = self.arrow(f"SELECT id, pair, annotator, choice, factors FROM labels WHERE +task = ?{skip} ORDER BY id",
                           [task, *left_out], schema=_schema(names, {**_LABEL_TYPES, "label_id": "int64"}))
        if not table.num_rows:
            return table
        keep = _newest_rows(table)
        return table if len(keep) == table.num_rows else table.take(keep)

    def pair_tables(self, task: str, fields: Iterable[str], *,
                    page_rows: int = TEXT_PAGE_ROWS) -> Iterator[pa.Table]:
        """Every pair of a task in the order imported, ``page_rows`` at a time: ``id`` and
        ``fields`` (of ``streams.PAIR_FIELDS``)."""
        fields = [f for f in fields if f != "id"]
        unknown = [f for f in fields if f not in PAIR_FIELDS]
        if unknown:
            raise ValueError(f"unknown pair field(s): {', '.join(unknown)}")
        schema = _schema(["id", *fields], {"id": "int64"})
        sql = f"SELECT {', '.join(['id', *fields])} FROM pairs WHERE task = ? AND id > ? ORDER BY id LIMIT ?"
        yield from self._arrow_pages(sql, [task], schema, page_rows)

    def newest_label_ids(self, task: str):
        """The id of every (pair, annotator)'s newest label revision of a task (a sorted
        numpy array): the labels' ``id``, ``pair`` and ``annotator`` read in the order stored
        (a scan of the table; a ``GROUP BY pair, annotator`` walks the unique index and looks
        each label up by id, twice the time), the newest found in numpy."""
        import numpy as np

        names = ["id", "pair", "annotator"]
        table = self.arrow("SELECT id, pair, annotator FROM labels WHERE +task = ? ORDER BY id", [task],
                           schema=_schema(names, _LABEL_TYPES))
        if not table.num_rows:
            return np.zeros(0, dtype=np.int64)
        return table.column("id").to_numpy()[_newest_rows(table)]

    def replaced_label_ids(self):
        """The id of every label revision that a later one (a larger id) of the same pair and
        annotator replaced (a sorted numpy array): the complement, within a task, of
        :meth:`newest_label_ids`, read from the unique index on (pair, annotator, revision) alone,
        not the labels' rows (a pair belongs to one task, so no task is named; few labels are
        ever revised, so the answer is short)."""
        import numpy as np

        table = self.arrow(
            "SELECT l.id FROM (SELECT pair, annotator, MAX(id) AS newest FROM labels GROUP BY pair, annotator "
            "HAVING COUNT(*) > 1) m JOIN labels l ON l.pair = m.pair AND l.annotator = m.annotator "
            "WHERE l.id < m.newest", schema=_schema(["id"], _LABEL_TYPES))
        return np.sort(table.column("id").to_numpy())

    def label_revision_tables(self, task: str, *, exclude: Iterable[str] = (), pair_fields: Iterable[str] = (),
                              page_rows: int = ROW_PAGE_ROWS) -> Iterator[pa.Table]:
        """Every revision of every label of a task, in the order stored, a page at a time:
        the label's columns (``factors`` as stored, JSON text) and its pair's
        ``pair_fields`` (joined; read ``pair_id`` and ``domain`` once with
        :meth:`pair_tables` instead)."""
        pair_fields = list(pair_fields)
        unknown = [f for f in pair_fields if f not in PAIR_FIELDS]
        if unknown:
            raise ValueError(f"unknown pair field(s): {', '.join(unknown)}")
        left_out = sorted(set(exclude))
        skip = f" AND l.annotator NOT IN ({', '.join('?' * len(left_out))})" if left_out else ""
        own = list(_LABEL_TYPES)
        joined = "".join(f", p.{f}" for f in pair_fields)
        sql = (f"SELECT {', '.join('l.' + c for c in own)}{joined} FROM labels l "
               + ("CROSS JOIN pairs p ON p.id = l.pair " if pair_fields else "")
               + f"WHERE +l.task = ?{skip} AND l.id > ? ORDER BY l.id LIMIT ?")
        schema = _schema([*own, *pair_fields], _LABEL_TYPES)
        yield from self._arrow_pages(sql, [task, *left_out], schema, page_rows)

    def judgment_tables(self, task: str, runs: Iterable[int], *, messages: bool = False,
                        page_rows: int = ROW_PAGE_ROWS) -> Iterator[pa.Table]:
        """Every judgment of the given runs (ids) of a task, in the order stored, a page at a
        time: the judgment's own columns with its ``run`` and ``pair`` (stored ids); the
        runs' names and the pairs' ids are the caller's to look up (a join with the pairs
        would read every pair's row, texts included, once per judgment)."""
        runs = sorted(set(runs))
        if not runs:
            return
        names = [*(n for n in _JUDGMENT_TYPES if n not in ("run_name", "kind", "model", "pair_id", "domain",
                                                            "messages")), "pair", *(["messages"] if messages else [])]
        columns = ", ".join(f'j."{n}"' for n in names)
        sql = (f"SELECT {columns} FROM judgments j CROSS JOIN judge_runs r ON r.id = j.run "
               f"WHERE r.task = ? AND +j.run IN ({', '.join('?' * len(runs))}) AND j.id > ? ORDER BY j.id LIMIT ?")
        yield from self._arrow_pages(sql, [task, *runs], _schema(names, {**_JUDGMENT_TYPES, "pair": "int64"}),
                                     page_rows)

    def _arrow_pages(self, sql: str, params: list, schema: pa.Schema, page_rows: int) -> Iterator[pa.Table]:
        """``sql`` (ending ``id > ? ORDER BY id LIMIT ?``, the id its first column) page by page."""
        last = -1
        while True:
            page = self.arrow(sql, [*params, last, page_rows], schema=schema)
            if page.num_rows:
                yield page
            if page.num_rows < page_rows:
                return
            last = page.column(0)[-1].as_py()
