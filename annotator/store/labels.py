"""Human labels: append-only revisions, and the current label per annotator and pair."""

from __future__ import annotations

from collections.abc import Iterable

from . import rows
from .columnar import ColumnarStore
from .models import BOTH_BAD, CHOICES, FACTOR_ANSWERS, LABEL_CHOICES, ORDERS, Label, utc_now
from .queue_state import QueueStateStore


class InvalidLabel(ValueError):
    pass


def check_label(label: Label) -> None:
    if label.choice not in LABEL_CHOICES:
        raise InvalidLabel(f"choice must be one of {LABEL_CHOICES}, got {label.choice!r}")
    if label.shown_order not in ORDERS:
        raise InvalidLabel(f"shown_order must be one of {ORDERS}, got {label.shown_order!r}")
    for key, answer in label.factors.items():
        if answer not in FACTOR_ANSWERS:
            raise InvalidLabel(f"factor {key!r}: answer must be one of {FACTOR_ANSWERS}, got {answer!r}")
    if label.confidence is not None and not 1 <= label.confidence <= 5:
        raise InvalidLabel(f"confidence must be 1 to 5, got {label.confidence!r}")


class LabelStore(QueueStateStore, ColumnarStore):
    def add_label(self, label: Label) -> Label:
        """Append a label as the next revision of (pair, annotator); never overwrites."""
        return self.add_labels([label])[0]

    def add_labels(self, labels: Iterable[Label]) -> list[Label]:
        """Append several labels in one transaction (all or nothing).

        Each label becomes the next revision of its (pair, annotator); revisions and the
        pairs' tasks are looked up once per batch, so importing many labels stays fast.
        """
        labels = list(labels)
        for label in labels:
            check_label(label)
        if not labels:
            return []
        with self.atomic():
            pair_ids = sorted({label.pair for label in labels})
            task_of: dict[int, str] = {}
            for start in range(0, len(pair_ids), 900):
                chunk = pair_ids[start:start + 900]
                marks = ",".join("?" * len(chunk))
                task_of.update(self.db.execute(f"SELECT id, task FROM pairs WHERE id IN ({marks})", chunk).fetchall())
            missing = [p for p in pair_ids if p not in task_of]
            if missing:
                raise InvalidLabel(f"no pair with id {missing[0]}")
            for task in sorted({task_of[label.pair] for label in labels if label.choice == BOTH_BAD}):
                if not offers_both_bad(self.db, task):
                    raise InvalidLabel(f"task {task!r} does not offer the choice {BOTH_BAD!r} (its task.toml "
                                       "`choices` does not list it)")
            latest: dict[tuple[int, str], int] = {}
            if len(labels) <= 50:  # a save: look up each (pair, annotator), never the annotator's whole history
                for key in {(label.pair, label.annotator) for label in labels}:
                    found = self.db.execute(
                        "SELECT MAX(revision) FROM labels WHERE pair = ? AND annotator = ?", list(key)).fetchone()[0]
                    if found is not None:
                        latest[key] = found
            else:
                for annotator in {label.annotator for label in labels}:
                    for pair, revision in self.db.execute(
                        "SELECT pair, MAX(revision) FROM labels WHERE annotator = ? GROUP BY pair", [annotator]
                    ):
                        latest[(pair, annotator)] = revision
            now = utc_now()
            firsts = []
            for label in labels:
                key = (label.pair, label.annotator)
                label.revision = latest.get(key, 0) + 1
                latest[key] = label.revision
                label.created_at = label.created_at or now
                row = rows.label_to_row(label, task_of[label.pair])
                label.id = self.db.execute(
                    f"INSERT INTO labels ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    list(row.values())).lastrowid
                if label.revision == 1:
                    firsts.append((label.pair, label.annotator, task_of[label.pair]))
            if len(firsts) > 2000:  # a bulk import: recount the tasks' queues once (linear)
                for task in sorted({task for _, _, task in firsts}):
                    self.rebuild_queue(task)
            else:
                self.note_first_labels(firsts)
        return labels

    def current_labels(self, task: str, annotator: str | None = None) -> list[Label]:
        """The newest revision of every label of a task (optionally one annotator's)."""
        sql = "SELECT * FROM current_labels WHERE task = ?"
        params: list = [task]
        if annotator is not None:
            sql += " AND annotator = ?"
            params.append(annotator)
        return [rows.label_from_row(r) for r in self.query(sql + " ORDER BY id", params)]

    def current_label(self, pair: int, annotator: str) -> Label | None:
        found = self.query(
            "SELECT * FROM labels WHERE pair = ? AND annotator = ? ORDER BY revision DESC LIMIT 1",
            [pair, annotator],
        )
        return rows.label_from_row(found[0]) if found else None

    def label_history(self, pair: int, annotator: str) -> list[Label]:
        return [
            rows.label_from_row(r)
            for r in self.query(
                "SELECT * FROM labels WHERE pair = ? AND annotator = ? ORDER BY revision",
                [pair, annotator],
            )
        ]

    def annotators(self, task: str) -> list[str]:
        return [
            r["annotator"]
            for r in self.query(
                "SELECT DISTINCT annotator FROM labels WHERE task = ? ORDER BY annotator", [task]
            )
        ]

    def labels_frame(self, task: str, *, lean: bool = False, exclude: Iterable[str] = (),
                     columns: Iterable[str] | None = None, both_bad: str = "tie", pairs=None):
        """Current labels joined with their pairs, as a pandas DataFrame (one row a label).

        Columns (``columns`` picks some, in this order): label_id, pair, pair_id, domain,
        annotator, choice, shown_order, factors (dict), confidence, rationale, seconds,
        origin, revision, created_at, gold, len_a, len_b (characters). ``lean``: only what
        the statistics read (``LEAN_COLUMNS``). ``exclude`` leaves out every label of the
        annotators named (``--exclude NAME``). Rows are in the order the labels were stored;
        the pair columns come from one read of the pairs (each pair's lengths measured once,
        not once per label), or from ``pairs`` when given: the task's ``pairs_frame``, already
        read (its pair columns, not a second read of every response to measure it).
        """
        if columns is None and lean:
            columns = LEAN_COLUMNS
        wanted = list(LABEL_COLUMNS + PAIR_COLUMNS if columns is None else columns)
        unknown = [c for c in wanted if c not in LABEL_COLUMNS + PAIR_COLUMNS]
        if unknown:
            raise ValueError(f"unknown labels_frame column(s): {', '.join(unknown)}")
        import pandas as pd
        import pyarrow as pa

        from .columnar import frame_from_arrow

        own = [c for c in LABEL_COLUMNS if c in wanted or c in ("pair", "annotator", "choice")]
        table = self._current_label_table(task, {c: f"l.{_LABEL_SQL.get(c, c)}" for c in own}, exclude)
        from_pairs = [c for c in PAIR_COLUMNS if c in wanted]
        if from_pairs:
            # one read per pair, not per label (a pair row holds both responses), each label
            # given its pair's row by position
            if pairs is None:
                exprs = ", ".join(f"{_PAIR_SQL[c]} AS {c}" for c in from_pairs)
                pairs = self.arrow(f"SELECT id, {exprs} FROM pairs WHERE task = ?", [task])
            else:
                pairs = pa.Table.from_pandas(pairs[["pair", *from_pairs]].rename(columns={"pair": "id"}),
                                             preserve_index=False)
            at = pd.Index(pairs.column("id").to_numpy()).get_indexer(table.column("pair").to_numpy())
            take = pa.array(at, mask=at < 0, type=pa.int64())
            for c in from_pairs:
                table = table.append_column(c, pairs.column(c).take(take))
        frame = frame_from_arrow(table.select([c for c in table.column_names if c in wanted or c == "choice"]))
        if "factors" in frame:
            frame["factors"] = _parse_objects(table.column("factors"))
        return with_both_bad_rule(frame, both_bad)[wanted].reset_index(drop=True)

    def votes_frame(self, task: str, factor_keys: Iterable[str] = (), *, exclude: Iterable[str] = (),
                    both_bad: str = "tie"):
        """The lean table aggregation needs, for a task of any size: the current labels'
        ``label_id``, ``pair``, ``annotator``, ``choice`` and one column per factor key (the
        answer; missing when not given), in the order stored; "both_bad" labels under the
        ``both_bad`` rule (as ``labels_frame``).

        Text columns are pandas categoricals: SQLite hands back codes (small integers, read
        into numpy a page at a time), never a Python string per label, so 300,000 labels
        take tens of megabytes, not hundreds.
        """
        import numpy as np
        import pandas as pd

        keys = list(factor_keys)
        exclude = sorted(set(exclude))
        people = self.annotators_by_first_label(task)
        skip = f" AND l.annotator NOT IN ({', '.join('?' * len(exclude))})" if exclude else ""
        answers = "".join(f", {_code_sql(FACTOR_ANSWERS, _FACTOR_ANSWER_SQL)}" for _ in keys)
        sql = (
            "WITH people AS (SELECT annotator, ROW_NUMBER() OVER (ORDER BY MIN(id)) - 1 AS code FROM labels "
            "WHERE task = ? GROUP BY annotator) "
            f"SELECT l.id, l.pair, pe.code, {_code_sql(LABEL_CHOICES, 'l.choice')}{answers} "
            # +l.task: walk the labels in id order (no sort of every row in a temporary B-tree)
            f"FROM labels l JOIN people pe ON pe.annotator = l.annotator WHERE +l.task = ?{skip} ORDER BY l.id"
        )
        parts = []
        with self._lock:
            cursor = self.db.execute(sql, [task, *keys, task, *exclude])
            while page := cursor.fetchmany(20000):
                parts.append(np.array(page, dtype=np.int64))
        data = np.concatenate(parts) if parts else np.zeros((0, 4 + len(keys)), dtype=np.int64)
        # ids grow with revisions: the last row of each (pair, annotator) is its newest revision
        newest = ~pd.DataFrame(data[:, 1:3]).duplicated(keep="last").to_numpy()
        data = data[newest]
        frame = pd.DataFrame({
            "label_id": data[:, 0], "pair": data[:, 1],
            "annotator": pd.Categorical.from_codes(data[:, 2], categories=people) if people
            else pd.Categorical([], categories=[]),
            "choice": pd.Categorical.from_codes(data[:, 3], categories=list(LABEL_CHOICES)),
        })
        for i, key in enumerate(keys):
            frame[key] = pd.Categorical.from_codes(data[:, 4 + i], categories=list(FACTOR_ANSWERS))
        return with_both_bad_rule(frame, both_bad).reset_index(drop=True)

    def _current_label_table(self, task: str, select: dict[str, str], exclude: Iterable[str]):
        """The newest revision per (pair, annotator) of a task's labels as an Arrow table with
        the columns of ``select`` (name -> SQL over ``labels l``; must hold pair and annotator),
        read column by column (``Store.arrow``: no Python object per cell), the newest revision
        found on integer codes with numpy (revisions grow with the row id, so the last row of
        each (pair, annotator) in id order is the newest)."""
        import numpy as np

        exclude = sorted(set(exclude))
        # +l.task: a walk along the primary key (id order, no sort of every row in a temporary
        # B-tree, which costs more than the read itself)
        columns = ", ".join(f"{expr} AS {name}" for name, expr in select.items())
        sql = f"SELECT {columns} FROM labels l WHERE +l.task = ?"
        if exclude:
            sql += f" AND l.annotator NOT IN ({', '.join('?' * len(exclude))})"
        table = self.arrow(sql + " ORDER BY l.id", [task, *exclude])
        if table.num_rows == 0:
            return table
        pairs = table.column("pair").to_numpy()
        people = table.column("annotator").combine_chunks().dictionary_encode().indices.to_numpy()
        key = pairs.astype(np.int64) * (int(people.max()) + 1) + people
        # the last occurrence of each key: first occurrence in the reversed order
        _, first_reversed = np.unique(key[::-1], return_index=True)
        if len(first_reversed) == len(key):
            return table
        keep = np.zeros(len(key), dtype=bool)
        keep[len(key) - 1 - first_reversed] = True
        return table.filter(keep)

    def annotators_by_first_label(self, task: str) -> list[str]:
        """The task's annotators in the order of their first label (append-only, so stable)."""
        return [r["annotator"] for r in self.query(
            "SELECT annotator, MIN(id) AS first FROM labels WHERE task = ? GROUP BY annotator ORDER BY first",
            [task])]

    def coverage(self, task: str) -> dict[int, int]:
        """``labellers -> pairs``: how many pairs of a task have 0, 1, 2, ... annotators."""
        return {r["n"]: r["pairs"] for r in self.query(
            "SELECT n, COUNT(*) AS pairs FROM (SELECT p.id, COUNT(DISTINCT l.annotator) AS n FROM pairs p "
            "LEFT JOIN labels l ON l.pair = p.id WHERE p.task = ? GROUP BY p.id) GROUP BY n ORDER BY n", [task])}

    def annotator_counts(self, task: str) -> list[dict]:
        """Per annotator of a task: ``pairs`` labelled, ``revisions`` stored (edits included),
        ``first_label_at`` and ``last_label_at`` (UTC), in the order they first labelled."""
        return self.query(
            "SELECT annotator, COUNT(DISTINCT pair) AS pairs, COUNT(*) AS revisions, MIN(created_at) AS first_label_at, "
            "MAX(created_at) AS last_label_at FROM labels WHERE task = ? GROUP BY annotator ORDER BY MIN(id)", [task])

    def choice_by_pair(self, task: str, choice: str, *, exclude: Iterable[str] = ()) -> dict[int, int]:
        """Pair -> how many current labels of ``task`` (less the annotators of ``exclude``) hold
        ``choice``, for the pairs with one at least."""
        left_out = sorted(set(exclude))
        skip = f" AND l.annotator NOT IN ({', '.join('?' * len(left_out))})" if left_out else ""
        return {r["pair"]: r["n"] for r in self.query(
            f"SELECT l.pair, COUNT(*) AS n FROM labels l WHERE l.task = ? AND l.choice = ?{skip} AND l.revision = "
            "(SELECT MAX(r.revision) FROM labels r WHERE r.pair = l.pair AND r.annotator = l.annotator) "
            "GROUP BY l.pair ORDER BY l.pair", [task, choice, *left_out])}

    def label_counts(self, task: str) -> dict[str, int]:
        """Current labels per annotator of a task (what ``--exclude NAME`` would leave out)."""
        return {r["annotator"]: r["n"] for r in self.query(
            "SELECT annotator, COUNT(DISTINCT pair) AS n FROM labels WHERE task = ? GROUP BY annotator "
            "ORDER BY annotator", [task])}


# labels_frame's columns: those of the label, and those read from its pair.
LABEL_COLUMNS = ("label_id", "pair", "annotator", "choice", "shown_order", "factors", "confidence",
                 "rationale", "seconds", "origin", "revision", "created_at")
PAIR_COLUMNS = ("pair_id", "domain", "gold", "len_a", "len_b")
LEAN_COLUMNS = ("label_id", "pair", "pair_id", "domain", "annotator", "choice", "shown_order", "factors", "seconds",
                "gold", "len_a", "len_b")
_LABEL_SQL = {"label_id": "id"}
_PAIR_SQL = {"pair_id": "pair_id", "domain": "domain", "gold": "gold", "len_a": "LENGTH(response_a)",
             "len_b": "LENGTH(response_b)"}


def _parse_objects(texts) -> list[dict]:
    """JSON objects (a label's factor answers) parsed in one call for the whole column (the
    Arrow string column joined into one JSON array in C, parsed by orjson), not one
    ``json.loads`` per label; empty or missing is ``{}``."""
    import orjson
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(texts) == 0:
        return []
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else pa.array(texts, type=pa.string())
    if texts.type == pa.null():
        return [{} for _ in range(len(texts))]
    texts = pc.fill_null(pc.if_else(pc.equal(texts, ""), "{}", texts), "{}").cast(pa.large_string())
    one = pa.LargeListArray.from_arrays(pa.array([0, len(texts)], type=pa.int64()), texts)
    return orjson.loads(b"[" + pc.binary_join(one, pa.scalar(",", pa.large_string()))[0].as_buffer().to_pybytes() + b"]")


_FACTOR_ANSWER_SQL = """json_extract(l.factors, '$."' || ? || '"')"""  # the answer for one factor key


# How a "both_bad" label reaches the statistics (``--both-bad``; the texts are in
# ``analysis.defaults.BOTH_BAD_TEXT``): "tie" as MT-Bench's human judgments count "tie (both
# bad)", or "exclude" the label from every statistic.
BOTH_BAD_RULES = ("tie", "exclude")


def with_both_bad_rule(frame, rule: str):
    """``frame`` (current labels with a ``choice`` column, text or categorical) with its
    "both_bad" labels read as "tie" or left out (``rule``); the one place the rule is applied,
    for every statistic (``labels_frame``, ``votes_frame``). Category columns keep ``CHOICES``."""
    import numpy as np
    import pandas as pd

    if rule not in BOTH_BAD_RULES:
        raise ValueError(f"both_bad must be one of {', '.join(BOTH_BAD_RULES)}, got {rule!r}")
    bad = (frame["choice"] == BOTH_BAD).to_numpy(dtype=bool)
    if rule == "exclude" and bad.any():
        frame = frame[~bad]
    if isinstance(frame["choice"].dtype, pd.CategoricalDtype):
        categories = list(frame["choice"].cat.categories)
        if categories != list(CHOICES):  # recoded on the integer codes, never a string per label
            lookup = np.array([CHOICES.index("tie" if c == BOTH_BAD else c) for c in categories] + [-1])
            codes = lookup[frame["choice"].cat.codes.to_numpy()]  # code -1 (missing) reads lookup[-1]
            frame = frame.assign(choice=pd.Categorical.from_codes(codes, categories=list(CHOICES)))
    elif bad.any():
        frame = frame.assign(choice=frame["choice"].where(frame["choice"] != BOTH_BAD, "tie"))
    return frame


def offers_both_bad(db, task: str) -> bool:
    """Whether ``task``'s ``choices`` (task.toml) offer "both_bad" (kept in its settings)."""
    found = db.execute("SELECT EXISTS (SELECT 1 FROM json_each(t.settings, '$.choices') WHERE value = ?) "
                       "FROM tasks t WHERE t.name = ?", [BOTH_BAD, task]).fetchone()
    return bool(found and found[0])


def _code_sql(values, expr: str) -> str:
    """SQL turning ``expr`` into its index in ``values``, -1 for anything else (or NULL)."""
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"CASE {expr} {whens} ELSE -1 END"
