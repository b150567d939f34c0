"""Ranked tasks: items of k responses (3 to 5), the annotators' rankings of them, and the
expansion of each ranking into ordinary pair labels.

An item's k responses are numbered by their *position* 1..k (the order of the task file).
At import every two positions i < j become one ordinary pair of the ``pairs`` table (A =
response i, B = response j), linked to its item in ``ranking_pairs``; judges, agreement and
the leaderboard read those pairs and their labels as they read any other.

A ranking is stored as such in ``rankings``: ``tiers``, a list of tiers best first, each a
list of positions (a tier of two or more is a tie), and ``shown``, the positions in the order
they were on screen (screen number n showed position ``shown[n - 1]``). Saving a ranking
writes, in the same transaction, one label revision per pair of the item (the expansion,
:func:`expand_ranking`) and links each to the ranking in ``ranking_labels``. Editing a
ranking appends a new ranking revision and a new revision of every derived label, so the
current labels are always those of the newest ranking: nothing is counted twice.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from .assignment import AssignmentStore
from .labels import InvalidLabel, LabelStore
from .models import Label, Pair, Task, utc_now
from .orders import seeded_hash
from .tasks import TaskStore

MIN_RESPONSES = 3
MAX_RESPONSES = 5


@dataclass
class RankingItem:
    """One instruction with its k responses, in the task file's order (position 1..k)."""

    task: str
    item_id: str
    prompt: str
    responses: list[str]
    models: list[str] = field(default_factory=list)  # "" where unknown
    domain: str = ""
    source: str = ""
    content_hash: str = ""
    id: int | None = None

    @property
    def k(self) -> int:
        return len(self.responses)


@dataclass
class Ranking:
    """One annotator's ranking of one item (one revision of it)."""

    item: int  # RankingItem.id
    annotator: str
    tiers: list[list[int]]  # best first; each tier a list of positions (1-based); a tier of 2+ is a tie
    shown: list[int]  # positions in screen order
    confidence: int | None = None
    rationale: str = ""
    seconds: float | None = None
    origin: str = "tui"
    revision: int = 0
    created_at: str = ""
    id: int | None = None


class InvalidRanking(ValueError):
    pass


def pair_positions(k: int) -> list[tuple[int, int]]:
    """The k(k-1)/2 position pairs (i, j), i < j, of an item of k responses, in import order."""
    return [(i, j) for i in range(1, k + 1) for j in range(i + 1, k + 1)]


def ranking_pair_id(item_id: str, i: int, j: int) -> str:
    """The pair id of positions i and j of an item: ``ITEM#i-j``."""
    return f"{item_id}#{i}-{j}"


def shown_positions(seed: int, annotator: str, item_id: str, k: int) -> list[int]:
    """The seeded screen order of an item's positions for one annotator (the same on every
    run and machine), so no response is always first."""
    order = list(range(1, k + 1))
    random.Random(seeded_hash("ranking", seed, annotator, item_id)).shuffle(order)
    return order


def check_ranking(tiers: Sequence[Sequence[int]], shown: Sequence[int], k: int, *, allow_tie: bool = True) -> None:
    """Refuse a ranking that is not a full ordering of positions 1..k (ties only if allowed)."""
    flat = [p for tier in tiers for p in tier]
    if sorted(flat) != list(range(1, k + 1)) or any(not tier for tier in tiers):
        raise InvalidRanking(f"a ranking places each of the {k} responses once, got tiers {list(map(list, tiers))}")
    if sorted(shown) != list(range(1, k + 1)):
        raise InvalidRanking(f"the screen order names each of the {k} responses once, got {list(shown)}")
    if not allow_tie and any(len(tier) > 1 for tier in tiers):
        raise InvalidRanking("this task does not allow ties")


def expand_ranking(tiers: Sequence[Sequence[int]], shown: Sequence[int]) -> dict[tuple[int, int], tuple[str, str]]:
    """The expansion of a ranking into pair labels (the documented rule, ties kept):

    for positions i < j (the pair's A = i, B = j), the choice is "A" when i's tier is better
    (earlier) than j's, "B" when worse, "tie" when both are in the same tier; the shown order
    is "AB" when i was on screen before j, else "BA". Returns (i, j) -> (choice, shown_order).
    """
    tier_of = {p: t for t, tier in enumerate(tiers) for p in tier}
    screen = {p: n for n, p in enumerate(shown)}
    out = {}
    for i, j in pair_positions(len(tier_of)):
        choice = "A" if tier_of[i] < tier_of[j] else "B" if tier_of[i] > tier_of[j] else "tie"
        out[(i, j)] = (choice, "AB" if screen[i] < screen[j] else "BA")
    return out


def _item_from_row(row: dict) -> RankingItem:
    return RankingItem(task=row["task"], item_id=row["item_id"], prompt=row["prompt"],
                       responses=json.loads(row["responses"]), models=json.loads(row["models"]),
                       domain=row["domain"], source=row["source"], content_hash=row["content_hash"], id=row["id"])


def _ranking_from_row(row: dict) -> Ranking:
    return Ranking(item=row["item"], annotator=row["annotator"], tiers=json.loads(row["tiers"]),
                   shown=json.loads(row["shown"]), confidence=row["confidence"], rationale=row["rationale"],
                   seconds=row["seconds"], origin=row["origin"], revision=row["revision"],
                   created_at=row["created_at"], id=row["id"])


class RankingStore(TaskStore, LabelStore, AssignmentStore):
    # -- items ------------------------------------------------------------------------------
    def add_ranking_items(self, items: Iterable[tuple[RankingItem, list[Pair]]]) -> int:
        """Store new items with their pairs (``pairs[n]`` holds the n-th of
        :func:`pair_positions`), each pair linked to its item and positions; one transaction."""
        items = list(items)
        if not items:
            return 0
        with self.atomic():
            self.insert_pairs([pair for _, pairs in items for pair in pairs])
            now = utc_now()
            for item, pairs in items:
                item.id = self.db.execute(
                    "INSERT INTO ranking_items (task, item_id, prompt, responses, models, domain, source, "
                    "content_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [item.task, item.item_id, item.prompt, json.dumps(item.responses, ensure_ascii=False),
                     json.dumps(item.models, ensure_ascii=False), item.domain, item.source, item.content_hash,
                     now]).lastrowid
                for (i, j), pair in zip(pair_positions(item.k), pairs):
                    self.db.execute(
                        "INSERT INTO ranking_pairs (pair, item, position_a, position_b) "
                        "SELECT id, ?, ?, ? FROM pairs WHERE task = ? AND pair_id = ?",
                        [item.id, i, j, item.task, pair.pair_id])
        return len(items)

    def ranking_item_index(self, task: str) -> dict[str, str]:
        """``item_id -> content hash`` of every item of a task."""
        return {r["item_id"]: r["content_hash"]
                for r in self.query("SELECT item_id, content_hash FROM ranking_items WHERE task = ?", [task])}

    def ranking_item(self, id: int) -> RankingItem | None:
        found = self.query("SELECT * FROM ranking_items WHERE id = ?", [id])
        return _item_from_row(found[0]) if found else None

    def ranking_item_of_pair(self, pair: int) -> RankingItem | None:
        """The item a pair of a ranked task was made from (None for an ordinary pair)."""
        found = self.query("SELECT i.* FROM ranking_items i JOIN ranking_pairs r ON r.item = i.id WHERE r.pair = ?",
                           [pair])
        return _item_from_row(found[0]) if found else None

    def ranking_items(self, task: str) -> list[RankingItem]:
        return [_item_from_row(r) for r in self.query("SELECT * FROM ranking_items WHERE task = ? ORDER BY id", [task])]

    def ranking_pair_ids(self, item: int) -> dict[tuple[int, int], int]:
        """``(position_a, position_b) -> pair id`` of an item."""
        return {(r["position_a"], r["position_b"]): r["pair"]
                for r in self.query("SELECT pair, position_a, position_b FROM ranking_pairs WHERE item = ?", [item])}

    def ranking_clusters(self, task: str) -> dict[int, int]:
        """``pair id -> item id`` for every pair of a ranked task (the clusters a bootstrap
        resamples: the pairs of one ranking are not independent); empty for a pair task."""
        return {r["pair"]: r["item"] for r in self.query(
            "SELECT r.pair, r.item FROM ranking_pairs r JOIN ranking_items i ON i.id = r.item WHERE i.task = ?",
            [task])}

    def claim_item(self, task: Task, annotator: str, pair: int, *, claim_for: timedelta) -> int:
        """Claim, beside ``pair`` (claimed from the queue), the other pairs of its item that are
        open to ``annotator``, so that nobody else is served the item meanwhile beyond the
        task's overlap; returns how many were claimed."""
        item = self.ranking_item_of_pair(pair)
        if item is None or item.id is None:
            return 0
        others = [p for p in self.ranking_pair_ids(item.id).values() if p != pair]
        return sum(self.claim_pair(task, annotator, p, claim_for=claim_for) for p in others)

    def release_item(self, item: int, annotator: str) -> None:
        """Drop the annotator's claims on every pair of an item."""
        with self.atomic():
            for pair in self.ranking_pair_ids(item).values():
                self.release_claim(pair, annotator)

    # -- rankings ---------------------------------------------------------------------------
    def save_ranking(self, ranking: Ranking, *, allow_tie: bool = True) -> Ranking:
        """Append ``ranking`` as the next revision of (item, annotator) and, in the same
        transaction, its expansion: a new label revision for every pair of the item, each
        linked to this ranking (``ranking_labels``)."""
        with self.atomic():
            item = self.ranking_item(ranking.item)
            if item is None:
                raise InvalidRanking(f"no ranking item with id {ranking.item}")
            check_ranking(ranking.tiers, ranking.shown, item.k, allow_tie=allow_tie)
            if ranking.confidence is not None and not 1 <= ranking.confidence <= 5:
                raise InvalidLabel(f"confidence must be 1 to 5, got {ranking.confidence!r}")
            latest = self.db.execute("SELECT MAX(revision) FROM rankings WHERE item = ? AND annotator = ?",
                                     [ranking.item, ranking.annotator]).fetchone()[0]
            ranking.revision = (latest or 0) + 1
            ranking.created_at = ranking.created_at or utc_now()
            ranking.id = self.db.execute(
                "INSERT INTO rankings (item, task, annotator, revision, tiers, shown, confidence, rationale, seconds, "
                "origin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ranking.item, item.task, ranking.annotator, ranking.revision, json.dumps(ranking.tiers),
                 json.dumps(ranking.shown), ranking.confidence, ranking.rationale, ranking.seconds, ranking.origin,
                 ranking.created_at]).lastrowid
            pairs = self.ranking_pair_ids(ranking.item)
            expanded = expand_ranking(ranking.tiers, ranking.shown)
            share = None if ranking.seconds is None else round(ranking.seconds / len(expanded), 3)
            labels = self.add_labels([
                Label(pair=pairs[positions], annotator=ranking.annotator, choice=choice, shown_order=order,
                      confidence=ranking.confidence, rationale=ranking.rationale, seconds=share,
                      origin=ranking.origin, created_at=ranking.created_at)
                for positions, (choice, order) in expanded.items()])
            self.db.conn.executemany("INSERT INTO ranking_labels (label, ranking) VALUES (?, ?)",
                                     [(label.id, ranking.id) for label in labels])
        return ranking

    def current_ranking(self, item: int, annotator: str) -> Ranking | None:
        found = self.query("SELECT * FROM rankings WHERE item = ? AND annotator = ? ORDER BY revision DESC LIMIT 1",
                           [item, annotator])
        return _ranking_from_row(found[0]) if found else None

    def rankings(self, task: str) -> list[Ranking]:
        """The newest revision of every ranking of a task."""
        return [_ranking_from_row(r) for r in self.query(
            "SELECT k.* FROM rankings k WHERE k.task = ? AND k.revision = (SELECT MAX(revision) FROM rankings r "
            "WHERE r.item = k.item AND r.annotator = k.annotator) ORDER BY k.id", [task])]

    def ranked_items(self, task: str, annotator: str) -> list[int]:
        """The items this annotator ranked, in the order first ranked."""
        return [r["item"] for r in self.query(
            "SELECT item FROM rankings WHERE task = ? AND annotator = ? GROUP BY item ORDER BY MIN(id)",
            [task, annotator])]

    def ranked_item_count(self, task: str, annotator: str) -> tuple[int, int]:
        """(items this annotator ranked, items of the task)."""
        ranked = self.db.execute("SELECT COUNT(DISTINCT item) FROM rankings WHERE task = ? AND annotator = ?",
                                 [task, annotator]).fetchone()[0]
        total = self.db.execute("SELECT COUNT(*) FROM ranking_items WHERE task = ?", [task]).fetchone()[0]
        return ranked, total

    def ranking_of_label(self, label: int) -> int | None:
        """The ranking a label was expanded from (None: labelled as a pair)."""
        found = self.db.execute("SELECT ranking FROM ranking_labels WHERE label = ?", [label]).fetchone()
        return found[0] if found else None

    def derived_labels(self, ranking: int) -> list[Label]:
        from . import rows

        return [rows.label_from_row(r) for r in self.query(
            "SELECT l.* FROM labels l JOIN ranking_labels d ON d.label = l.id WHERE d.ranking = ? ORDER BY l.pair",
            [ranking])]
