"""Copies of the database: a pack for one annotator's offline work, merging it back, backups.

* **Pack** (:meth:`CopyStore.write_pack`): a small database holding one task, the pairs the
  annotator is assigned next (claimed here for the pack's lifetime, so nobody else takes
  them), and the project's id. Attention-check answers (``gold``) stay home.
* **Merge** (:func:`read_pack` + :meth:`CopyStore.merge_pack`): the pack's labels come back
  as revisions. Only the pack's own annotator's labels are taken (a pack cannot speak for
  anyone else); a pack from another project, or whose pairs differ from ours, is refused
  whole. Idempotent: a label revision already here (same pair, annotator, time and content)
  is not added twice. When the annotator also labelled a packed pair here meanwhile, both
  are kept as revisions (the pack's, appended, become current) and the pair is reported.
  A label row that is not a valid label of the pack (altered or damaged: another task, a pair
  not in the pack, a choice, order, confidence, duration or factors out of range) is not
  merged and is reported with its reason, never dropped silently; the pack's pairs left
  unlabelled then go back to the queue at once instead of staying claimed until the pack's
  claim expires.
* **Backup** (:meth:`CopyStore.backup_to`): SQLite's online backup API copies a consistent
  snapshot while annotators keep working (WAL: readers never block the writer), then the
  copy is switched out of WAL mode (one self-contained file) and checked with ``PRAGMA
  integrity_check`` and ``PRAGMA foreign_key_check``. A write that fails (a full disk) is an
  ``OSError`` about the copy, never blamed on the database being copied.
"""

from __future__ import annotations

import errno
import json
import math
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from . import rows
from .assignment import AssignmentStore
from .labels import LabelStore, check_label
from .models import Label, Task, utc_now
from .tasks import TaskStore

PACK_KEYS = ("pack_id", "pack_annotator", "pack_task", "pack_created_at", "pack_source", "pack_claimed_until")
DEFAULT_PACK_DAYS = 7


class PackRefused(ValueError):
    """A file that cannot be merged (another project, not a pack, pairs that differ)."""


@dataclass
class PackInfo:
    path: str
    project: str
    pack_id: str
    annotator: str
    task: str
    created_at: str
    pairs: list[dict]  # pair_id, content_hash
    labels: list[Label]  # every label revision in the pack (pair = the pack's pair id), in order
    pair_ids: dict[int, str]  # the pack's pair key -> pair_id
    refused: list[RefusedLabel] = field(default_factory=list)  # label rows that cannot be merged, and why


@dataclass
class RefusedLabel:
    """A label row of a pack that is not a valid label (the file was damaged or altered)."""

    row: Any  # the row's id in the pack
    pair_id: str | None  # the pair's id, when the row names a pair of the pack
    pack_pair: int | None
    annotator: str
    problem: str


@dataclass
class MergeReport:
    path: str
    annotator: str
    task: str
    added: int = 0  # label revisions added
    already_here: int = 0  # revisions found here already (merged before)
    conflicts: list[dict] = field(default_factory=list)  # pairs labelled both here and in the pack
    refused_annotators: dict[str, int] = field(default_factory=dict)  # other names in the pack -> labels
    claims_released: int = 0
    refused_labels: list[dict] = field(default_factory=list)  # label rows not merged: row, pair_id, problem


def _label_key(pair_id: str, label: Label) -> tuple:
    return (pair_id, label.annotator, label.created_at, label.choice, label.shown_order,
            json.dumps(label.factors, sort_keys=True), label.confidence, label.rationale, label.seconds)


def read_pack(path: str | Path) -> PackInfo:
    """Read a pack file without changing it (opened read-only); PackRefused when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise PackRefused(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "project" not in tables or "labels" not in tables:
                raise PackRefused(f"{path} is not an annotator pack (made by `annotator pack`)")
            # as text whatever the file holds (an altered pack may store numbers or blobs there)
            meta = {str(k): v if isinstance(v, str) else repr(v) for k, v in conn.execute("SELECT key, value FROM project")}
            missing = [k for k in ("id", "pack_id", "pack_annotator", "pack_task") if k not in meta]
            if missing:
                raise PackRefused(f"{path} is an annotator database but not a pack (made by `annotator pack`)")
            conn.row_factory = sqlite3.Row
            pairs = [dict(r) for r in conn.execute("SELECT id, pair_id, content_hash FROM pairs WHERE task = ?",
                                                   [meta["pack_task"]])]
            raw_labels = [dict(r) for r in conn.execute("SELECT * FROM labels ORDER BY id")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise PackRefused(f"{path} is not a readable SQLite database ({e})") from e
    for p in pairs:
        if not isinstance(p["pair_id"], str) or not isinstance(p["content_hash"], str):
            raise PackRefused(f"{path}: pair {p['id']} of the pack has no valid id or content hash (a damaged or "
                              "altered file): not merged")
    pair_ids = {p["id"]: p["pair_id"] for p in pairs}
    labels, refused = [], []
    for row in raw_labels:
        label, problem = _pack_label(row, meta["pack_task"], pair_ids)
        if problem or label is None:
            refused.append(RefusedLabel(row=row.get("id"), pair_id=pair_ids.get(row.get("pair")),
                                        pack_pair=row.get("pair") if isinstance(row.get("pair"), int) else None,
                                        annotator=str(row.get("annotator")), problem=problem))
        else:
            labels.append(label)
    return PackInfo(path=str(path), project=meta["id"], pack_id=meta["pack_id"], annotator=meta["pack_annotator"],
                    task=meta["pack_task"], created_at=meta.get("pack_created_at", ""),
                    pairs=[{"pair_id": p["pair_id"], "content_hash": p["content_hash"]} for p in pairs],
                    labels=labels, pair_ids=pair_ids, refused=refused)


def _pack_label(row: dict, task: str, pair_ids: dict[int, str]) -> tuple[Label | None, str]:
    """A pack's label row as a ``Label``, or why it cannot be one (a damaged or altered pack)."""
    if row.get("task") != task:
        return None, f"a label of task {row.get('task')!r}, not the pack's task {task!r}"
    if row.get("pair") not in pair_ids:
        return None, f"a label of pair {row.get('pair')!r}, which is not in the pack"
    for key, kind in (("annotator", str), ("created_at", str), ("choice", str), ("shown_order", str)):
        if not isinstance(row.get(key), kind):
            return None, f"{key} {row.get(key)!r} is not text"
    if not isinstance(row.get("rationale"), (str, type(None))):
        return None, "a rationale that is not text"
    seconds = row.get("seconds")
    if seconds is not None and (not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0):
        return None, f"seconds {seconds!r} is not a duration"
    confidence = row.get("confidence")
    if confidence is not None and not isinstance(confidence, int):
        return None, f"confidence {confidence!r} is not a whole number"
    try:
        json.loads(row.get("factors") or "{}")
    except (ValueError, TypeError) as e:
        return None, f"factors that are not valid JSON ({e})"
    try:
        label = rows.label_from_row(row)
        if not isinstance(label.factors, dict):
            raise ValueError("factors are not an object")
        check_label(label)
    except (ValueError, TypeError) as e:
        return None, str(e)
    return label, ""


class CopyStore(TaskStore, LabelStore, AssignmentStore):
    """Packs (an annotator's next pairs, claimed) and merging their labels back: built on the
    tasks, labels and assignment areas."""

    # -- the project's identity -------------------------------------------------------------
    def project_id(self) -> str:
        return self.query("SELECT value FROM project WHERE key = 'id'")[0]["value"]

    # -- pack --------------------------------------------------------------------------------
    def write_pack(self, target: str | Path, task: Task, annotator: str, *, pairs: int,
                   claim_for: timedelta = timedelta(days=DEFAULT_PACK_DAYS), source: str = "") -> dict:
        """Claim up to ``pairs`` pairs for ``annotator`` (their next ones, in their own order)
        until ``claim_for`` from now, and write them as a pack database at ``target`` (an
        empty or absent file). Returns a summary; no pair open: ``pairs_packed`` is 0."""
        until = datetime.now(timezone.utc) + claim_for
        chosen = []
        taken: set[int] = set()
        for _ in range(pairs):
            pair = self.next_pair(task, annotator, exclude=taken, claim_for=claim_for)
            if pair is None:
                break
            taken.add(pair.stored_id)
            chosen.append(pair)
        try:
            pack = type(self).open(target)
        except BaseException:
            self._give_back(annotator, taken)
            raise
        try:
            with pack.atomic():
                meta = {"id": self.project_id(), "pack_id": uuid.uuid4().hex, "pack_annotator": annotator,
                        "pack_task": task.name, "pack_created_at": utc_now(), "pack_source": source,
                        "pack_claimed_until": until.isoformat(timespec="seconds")}
                pack.db.conn.executemany("INSERT OR REPLACE INTO project (key, value) VALUES (?, ?)", list(meta.items()))
                packed = Task(**{**task.__dict__, "attention_rate": 0.0})  # the answers stay home: no gold below
                pack.save_task(packed)
                for pair in chosen:
                    pair.gold = None
                    pair.id = None
                pack.insert_pairs(chosen)
            pack.db.execute("PRAGMA journal_mode=DELETE")  # one portable file, no -wal beside it
        except BaseException:
            self._give_back(annotator, taken)
            raise
        finally:
            pack.close()
        return {"task": task.name, "annotator": annotator, "pairs_packed": len(chosen), "pairs_asked": pairs,
                "claimed_until": meta["pack_claimed_until"], "pack_id": meta["pack_id"]}

    def _give_back(self, annotator: str, pairs: set[int]) -> None:
        """Release the claims a failed pack took (the pairs go back to the front of the queue)."""
        for pair in pairs:
            self.release_claim(pair, annotator)

    def _claims_held(self, annotator: str, pairs: list[int]) -> int:
        held = 0
        for start in range(0, len(pairs), 900):
            chunk = pairs[start:start + 900]
            held += self.db.execute(f"SELECT COUNT(*) FROM claims WHERE annotator = ? AND pair IN "
                                    f"({', '.join('?' * len(chunk))})", [annotator, *chunk]).fetchone()[0]
        return held

    # -- merge -------------------------------------------------------------------------------
    def merge_pack(self, pack: PackInfo) -> MergeReport:
        """Bring a pack's labels back (see the module docstring); all or nothing per pack."""
        if pack.project != self.project_id():
            raise PackRefused(f"{pack.path} comes from another project (its project id {pack.project[:8]}…, "
                              f"this database's {self.project_id()[:8]}…): not merged")
        task = self.get_task(pack.task)
        if task is None:
            raise PackRefused(f"{pack.path}: this database has no task {pack.task!r}: not merged")
        ours = self.pair_index(pack.task)
        for p in pack.pairs:
            found = ours.get(p["pair_id"])
            if found is None or found[1] != p["content_hash"]:
                what = "is not here" if found is None else "has different content here"
                raise PackRefused(f"{pack.path}: pair {p['pair_id']!r} of the pack {what}: not merged")
        report = MergeReport(path=pack.path, annotator=pack.annotator, task=pack.task)
        mine = []
        for label in pack.labels:
            if label.annotator != pack.annotator:
                report.refused_annotators[label.annotator] = report.refused_annotators.get(label.annotator, 0) + 1
            else:
                mine.append(label)
        with self.atomic():
            present: dict[int, set[tuple]] = {}
            new: list[Label] = []
            for label in mine:
                pair_id = pack.pair_ids[label.pair]
                here_id = ours[pair_id][0]
                if here_id not in present:
                    present[here_id] = {_label_key(pair_id, h) for h in self.label_history(here_id, pack.annotator)}
                key = _label_key(pair_id, label)
                if key in present[here_id]:
                    report.already_here += 1
                    continue
                present[here_id].add(key)
                new.append(Label(pair=here_id, annotator=pack.annotator, choice=label.choice,
                                 shown_order=label.shown_order, factors=label.factors, confidence=label.confidence,
                                 rationale=label.rationale, seconds=label.seconds, origin="pack",
                                 created_at=label.created_at))
            packed_keys = {_label_key(pack.pair_ids[lb.pair], lb) for lb in mine}
            pair_id_of = {here_id: pair_id for pair_id, (here_id, _) in ours.items()}
            for here_id in sorted({label.pair for label in new}):
                history = self.label_history(here_id, pack.annotator)
                pair_id = pair_id_of[here_id]
                local = [h for h in history if _label_key(pair_id, h) not in packed_keys]
                if local:
                    report.conflicts.append({"pair_id": pair_id, "here": [(h.revision, h.choice, h.created_at)
                                                                           for h in local]})
            merged_pairs = sorted({label.pair for label in new})
            held = self._claims_held(pack.annotator, merged_pairs)
            self.add_labels(new)  # a first label fulfils (and drops) the labeller's claim on the pair
            report.added = len(new)
            report.claims_released = held - self._claims_held(pack.annotator, merged_pairs)
            # A pack with an altered label cannot be trusted to bring its other pairs back: the
            # packed pairs still unlabelled go back to the queue now, not when the claim expires.
            refused_pairs = sorted({ours[p["pair_id"]][0] for p in pack.pairs} - set(merged_pairs)) \
                if pack.refused else []
            held = self._claims_held(pack.annotator, refused_pairs)
            for pair in refused_pairs:
                self.release_claim(pair, pack.annotator)
            report.claims_released += held - self._claims_held(pack.annotator, refused_pairs)
            report.refused_labels = [{"row": r.row, "pair_id": r.pair_id, "annotator": r.annotator,
                                      "problem": r.problem} for r in pack.refused]
        return report

    # -- backup ------------------------------------------------------------------------------
    def backup_to(self, target: str | Path) -> dict:
        """Copy the whole database into ``target`` (an empty or absent file) with SQLite's
        online backup API, then check the copy. Returns what was copied and the checks."""
        import time

        start = time.perf_counter()
        try:
            dest = sqlite3.connect(str(target))
            try:
                with self._lock:
                    # one step (pages=-1): a consistent snapshot, never restarted by a concurrent writer
                    self.db.conn.backup(dest, pages=-1)
                dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
                integrity = [r[0] for r in dest.execute("PRAGMA integrity_check").fetchall()]
                foreign = dest.execute("PRAGMA foreign_key_check").fetchall()
                counts = {t: dest.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                          for t in ("tasks", "pairs", "labels", "judgments", "adjudications")}
            finally:
                dest.close()
        except sqlite3.OperationalError as e:  # a full disk or a failing write: the copy's, not the database's
            raise OSError(errno.EIO, f"{e} while writing the copy (the database itself is unchanged)") from e
        return {"integrity_check": integrity, "foreign_key_problems": len(foreign), "ok": integrity == ["ok"]
                and not foreign, "counts": counts, "schema_version": self.schema_version,
                "seconds": round(time.perf_counter() - start, 3)}
