"""Queue rules in the store: overlap, order, claims, attention checks."""

from datetime import datetime, timedelta, timezone

from annotator.store import Label

from .conftest import make_task


def label_all(store, task, annotator, choice="A"):
    seen = []
    while (pair := store.next_pair(task, annotator)) is not None:
        store.add_label(Label(pair=pair.id, annotator=annotator, choice=choice))
        store.release_claim(pair.id, annotator)
        seen.append(pair.pair_id)
    return seen


def test_overlap_two_across_three_annotators(store):
    task = make_task(store, n_pairs=6, overlap=2)
    seen = {name: label_all(store, task, name) for name in ("ann", "bob", "cat")}
    for name, ids in seen.items():
        assert len(ids) == len(set(ids)), f"{name} saw a pair twice"
    per_pair = {}
    for name, ids in seen.items():
        for pid in ids:
            per_pair.setdefault(pid, set()).add(name)
    assert {len(v) for v in per_pair.values()} == {2} and len(per_pair) == 6
    assert store.queue_progress(task, "cat").remaining == 0


def test_orders_differ_between_annotators(store):
    task = make_task(store, n_pairs=20, overlap=3)
    assert label_all(store, task, "ann") != label_all(store, task, "bob")


def test_claims_block_others_until_expiry(store):
    task = make_task(store, n_pairs=1, overlap=1)
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    first = store.next_pair(task, "ann", now=now, claim_for=timedelta(minutes=30))
    assert first is not None
    assert store.next_pair(task, "bob", now=now + timedelta(minutes=10)) is None
    # ann comes back: her claimed pair again.
    assert store.next_pair(task, "ann", now=now + timedelta(minutes=10)).id == first.id
    later = now + timedelta(hours=2)
    assert store.next_pair(task, "bob", now=later).id == first.id


def test_prefetch_excludes_current_pair(store):
    task = make_task(store, n_pairs=3)
    current = store.next_pair(task, "ann")
    upcoming = store.next_pair(task, "ann", exclude={current.id})
    assert upcoming.id != current.id
    store.add_label(Label(pair=current.id, annotator="ann", choice="B"))
    assert store.next_pair(task, "ann").id == upcoming.id


def test_attention_checks_mixed_at_rate_and_scored(store):
    task = make_task(store, n_pairs=20, attention_rate=0.2, gold={0: "A", 1: "B", 2: "A", 3: "B"},
                     overlap=2)
    seen = label_all(store, task, "ann", choice="A")
    gold_ids = {"p0", "p1", "p2", "p3"}
    gold_seen = [i for i, pid in enumerate(seen) if pid in gold_ids]
    assert len(seen) == 16 + 4
    assert len(gold_seen) == 4
    # Spread out: at most one gold pair in any window of 4 consecutive items.
    assert all(b - a >= 4 for a, b in zip(gold_seen, gold_seen[1:]))
    score = store.attention_score("t", "ann")
    assert (score.answered, score.correct, score.accuracy) == (4, 2, 0.5)
    # Gold pairs go to every annotator; ordinary pairs to `overlap` of them.
    assert gold_ids <= set(label_all(store, task, "bob"))
    assert label_all(store, task, "cat") == []
    assert store.attention_score("t", "nobody").reason


def test_progress_counts_expected_gold(store):
    task = make_task(store, n_pairs=12, attention_rate=0.2, gold={0: "A", 1: "A", 2: "B"})
    progress = store.queue_progress(task, "ann")
    # 9 ordinary pairs; at a rate of 0.2, 2 gold among 11 items (2/11 <= 0.2).
    assert (progress.done, progress.assigned) == (0, 11)
