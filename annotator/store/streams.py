"""A task's rows read page by page, for exports of any size.

Each page is one short query (``id > last ORDER BY id LIMIT n``, the primary key's order),
so memory stays flat whatever the size of the task, and the store's lock is never held
while the caller works on a page (a long export does not stall the app's other threads).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .base import StoreBase

PAGE_ROWS = 2000

PAIR_FIELDS = ("pair_id", "prompt", "source", "response_a", "response_b", "model_a", "model_b",
               "domain", "metadata", "gold", "content_hash")


class StreamStore(StoreBase):
    def _pages(self, sql: str, params: list, last_id_column: int = 0) -> Iterator[dict[str, Any]]:
        """Run ``sql`` (with ``{after}`` where ``id > ?`` goes and a trailing ``LIMIT ?``)
        page by page; yields each row as a dict."""
        last = -1
        while True:
            with self._lock:
                cursor = self.db.execute(sql, [*params, last, PAGE_ROWS])
                names = [d[0] for d in cursor.description]
                page = cursor.fetchall()
            for values in page:
                yield dict(zip(names, values))
            if len(page) < PAGE_ROWS:
                return
            last = page[-1][last_id_column]

    def _column_pages(self, sql: str, params: list, last_id_column: int = 0) -> Iterator[dict[str, list[Any]]]:
        """Like :meth:`_pages`, but each page as one list per column (transposed in C, no
        dict per row): what the columnar exports consume."""
        last = -1
        while True:
            with self._lock:
                cursor = self.db.execute(sql, [*params, last, PAGE_ROWS])
                names = [d[0] for d in cursor.description]
                page = cursor.fetchall()
            if page:
                yield dict(zip(names, map(list, zip(*page))))
            if len(page) < PAGE_ROWS:
                return
            last = page[-1][last_id_column]

    def pair_pages(self, task: str, fields: Iterable[str] = PAIR_FIELDS) -> Iterator[dict[str, list[Any]]]:
        """Every pair of a task in import order, a page at a time: ``id`` and ``fields``, one
        list per column."""
        fields = [f for f in fields if f != "id"]
        unknown = [f for f in fields if f not in PAIR_FIELDS]
        if unknown:
            raise ValueError(f"unknown pair field(s): {', '.join(unknown)}")
        columns = ", ".join(["id", *fields])
        yield from self._column_pages(
            f"SELECT {columns} FROM pairs WHERE task = ? AND id > ? ORDER BY id LIMIT ?", [task])

    def iter_pairs(self, task: str, fields: Iterable[str] = PAIR_FIELDS) -> Iterator[dict[str, Any]]:
        """Every pair of a task in import order, as dicts with ``id`` and ``fields``."""
        fields = [f for f in fields if f != "id"]
        unknown = [f for f in fields if f not in PAIR_FIELDS]
        if unknown:
            raise ValueError(f"unknown pair field(s): {', '.join(unknown)}")
        columns = ", ".join(["id", *fields])
        yield from self._pages(f"SELECT {columns} FROM pairs WHERE task = ? AND id > ? ORDER BY id LIMIT ?", [task])

    def iter_label_revisions(self, task: str, *, exclude: Iterable[str] = (),
                             pair_fields: Iterable[str] = ("pair_id", "domain")) -> Iterator[dict[str, Any]]:
        """Every revision of every label of a task, in the order stored, with its pair's
        ``pair_fields`` and ``current`` (1 when it is the annotator's newest revision of the pair)."""
        pair_fields = list(pair_fields)
        sql, exclude, short = _revision_sql(pair_fields, exclude, current=True)
        if not short:
            yield from self._pages(sql, [task, *exclude])
            return
        of_pair = self._pair_ids_and_domains(task)
        for row in self._pages(sql, [task, *exclude]):
            pair_id, domain = of_pair[row["pair"]]
            if "pair_id" in pair_fields:
                row["pair_id"] = pair_id
            if "domain" in pair_fields:
                row["domain"] = domain
            yield row

    def _pair_ids_and_domains(self, task: str) -> dict[int, tuple[str, str]]:
        """Each pair's stored id -> (pair id, domain), from one read of the pairs: a pair row holds
        both responses, so looking it up once per label costs more than the labels themselves."""
        domains: dict[str, str] = {}
        with self._lock:
            return {i: (pid, domains.setdefault(d, d)) for i, pid, d in self.db.execute(
                "SELECT id, pair_id, domain FROM pairs WHERE task = ?", [task])}

    def label_revision_pages(self, task: str, *, exclude: Iterable[str] = (),
                             pair_fields: Iterable[str] = ("pair_id", "domain")) -> Iterator[dict[str, list[Any]]]:
        """Every revision of every label of a task, in the order stored, a page at a time (one
        list per column): the label's columns (``factors`` as stored, JSON text), ``current``
        (1 for the annotator's newest revision of the pair) and its pair's ``pair_fields``."""
        pair_fields = list(pair_fields)
        sql, exclude, short = _revision_sql(pair_fields, exclude, current=False)
        # the newest revision of each (pair, annotator) has its largest id (revisions are
        # appended): one grouped read, not a subquery per label
        import numpy as np

        with self._lock:
            newest = np.array([r[0] for r in self.db.execute(
                "SELECT MAX(id) FROM labels WHERE +task = ? GROUP BY pair, annotator", [task])], dtype=np.int64)
        newest.sort()

        def with_current(page: dict[str, list[Any]]) -> dict[str, list[Any]]:
            page["current"] = np.isin(np.array(page["id"], dtype=np.int64), newest, assume_unique=True).tolist()
            return page

        if not short:
            for page in self._column_pages(sql, [task, *exclude]):
                yield with_current(page)
            return
        of_pair = self._pair_ids_and_domains(task)
        for page in self._column_pages(sql, [task, *exclude]):
            found = [of_pair[p] for p in page["pair"]]
            if "pair_id" in pair_fields:
                page["pair_id"] = [f[0] for f in found]
            if "domain" in pair_fields:
                page["domain"] = [f[1] for f in found]
            yield with_current(page)

    def iter_judgments(self, task: str, runs: Iterable[int], *, messages: bool = False) -> Iterator[dict[str, Any]]:
        """Every judgment of the given runs (ids) of a task, in the order stored, with the
        run's name, kind and model and the pair's id and domain."""
        runs = sorted(set(runs))
        if not runs:
            return
        sql = _judgments_sql(len(runs), messages)
        yield from self._pages(sql, [task, *runs])

    def judgment_pages(self, task: str, runs: Iterable[int], *, messages: bool = False) -> Iterator[dict[str, list[Any]]]:
        """:meth:`iter_judgments`, a page at a time, one list per column."""
        runs = sorted(set(runs))
        if not runs:
            return
        yield from self._column_pages(_judgments_sql(len(runs), messages), [task, *runs])


def _judgments_sql(runs: int, messages: bool) -> str:
    extra = ", j.messages" if messages else ""
    return (
        'SELECT j.id, j.run, r.name AS run_name, r.kind, r.model, p.pair_id, p.domain, j."order", j.sample, '
        "j.verdict, j.p_a, j.unscored_reason, j.prompt_tokens, j.completion_tokens, j.latency_s, j.cost, "
        f"j.raw_output, j.explanation, j.created_at{extra} FROM judgments j "
        # CROSS JOIN keeps judgments the outer loop: a walk along its primary key, no sort per page
        "CROSS JOIN judge_runs r ON r.id = j.run CROSS JOIN pairs p ON p.id = j.pair "
        f"WHERE r.task = ? AND +j.run IN ({', '.join('?' * runs)}) AND j.id > ? ORDER BY j.id LIMIT ?"
    )


def _revision_sql(pair_fields: list[str], exclude: Iterable[str], *, current: bool) -> tuple[str, list[str], bool]:
    """The paged read of a task's label revisions: its SQL (with ``current`` computed by a
    subquery when asked), the annotators left out (sorted: the query's parameters), and
    whether the pair fields are only ``pair_id`` / ``domain`` (read once, not joined)."""
    unknown = [f for f in pair_fields if f not in PAIR_FIELDS]
    if unknown:
        raise ValueError(f"unknown pair field(s): {', '.join(unknown)}")
    left_out = sorted(set(exclude))
    skip = f" AND l.annotator NOT IN ({', '.join('?' * len(left_out))})" if left_out else ""
    short = set(pair_fields) <= {"pair_id", "domain"}
    joined = "" if short else "".join(f", p.{f}" for f in pair_fields)
    newest = (", l.revision = (SELECT MAX(r.revision) FROM labels r WHERE r.pair = l.pair AND "
              "r.annotator = l.annotator) AS current") if current else ""
    sql = ("SELECT l.id, l.pair, l.annotator, l.revision, l.choice, l.shown_order, l.factors, l.confidence, "
           f"l.rationale, l.seconds, l.origin, l.created_at{newest}{joined} FROM labels l "
           + ("" if short else "CROSS JOIN pairs p ON p.id = l.pair ")
           + f"WHERE +l.task = ?{skip} AND l.id > ? ORDER BY l.id LIMIT ?")
    return sql, left_out, short
