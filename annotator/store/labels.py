"""Human labels: append-only revisions, and the current label per annotator and pair."""

from __future__ import annotations

from collections.abc import Iterable

from . import rows
from .models import CHOICES, FACTOR_ANSWERS, ORDERS, Label, utc_now


class InvalidLabel(ValueError):
    pass


def check_label(label: Label) -> None:
    if label.choice not in CHOICES:
        raise InvalidLabel(f"choice must be one of {CHOICES}, got {label.choice!r}")
    if label.shown_order not in ORDERS:
        raise InvalidLabel(f"shown_order must be one of {ORDERS}, got {label.shown_order!r}")
    for key, answer in label.factors.items():
        if answer not in FACTOR_ANSWERS:
            raise InvalidLabel(f"factor {key!r}: answer must be one of {FACTOR_ANSWERS}, got {answer!r}")
    if label.confidence is not None and not 1 <= label.confidence <= 5:
        raise InvalidLabel(f"confidence must be 1 to 5, got {label.confidence!r}")


class LabelStore:
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

    def labels_frame(self, task: str, *, lean: bool = False):
        """Current labels joined with their pairs, as a pandas DataFrame (one row a label).

        Columns: label_id, pair, pair_id, domain, annotator, choice, shown_order, factors
        (dict), confidence, rationale, seconds, origin, revision, created_at, gold,
        len_a, len_b (characters). ``lean``: only what the statistics read (label_id, pair,
        pair_id, domain, annotator, choice, shown_order, factors, seconds, gold, len_a,
        len_b), which is much faster to build at 100,000s of labels.
        """
        import json

        if lean:
            # the pair columns come from one read of the pairs (each pair's lengths measured
            # once, not once per label)
            frame = self.frame(
                "SELECT id AS label_id, pair, annotator, choice, shown_order, factors, seconds "
                "FROM current_labels WHERE task = ? ORDER BY id",
                [task],
            )
            pairs = self.frame(
                "SELECT id AS pair, pair_id, domain, gold, LENGTH(response_a) AS len_a, "
                "LENGTH(response_b) AS len_b FROM pairs WHERE task = ?",
                [task],
            ).set_index("pair")
            frame = frame.join(pairs, on="pair")
        else:
            frame = self.frame(
                "SELECT l.id AS label_id, l.pair, p.pair_id, p.domain, l.annotator, l.choice, "
                "l.shown_order, l.factors, l.seconds, l.confidence, l.rationale, l.origin, l.revision, "
                "l.created_at, p.gold, LENGTH(p.response_a) AS len_a, LENGTH(p.response_b) AS len_b "
                "FROM current_labels l JOIN pairs p ON p.id = l.pair WHERE l.task = ? ORDER BY l.id",
                [task],
            )
        frame["factors"] = [json.loads(f) if f and f != "{}" else {}
                            for f in frame["factors"].to_numpy(dtype=object)]
        return frame
