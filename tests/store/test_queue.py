"""The assignment queue on a database: overlap, gold rate, claims, calibration, priorities,
stored counts, and a pick whose cost does not grow with the task."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from annotator.store import Label, Pair, Store, Task

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def make_task(store: Store, name="t", n=10, *, overlap=1, attention_rate=0.0, gold=(), seed=7,
              calibration=0) -> Task:
    task = Task(name=name, overlap=overlap, attention_rate=attention_rate, seed=seed,
                settings={"calibration": calibration} if calibration else {})
    store.save_task(task)
    store.insert_pairs(
        Pair(task=name, pair_id=f"p{i}", prompt=f"q{i}", response_a="a", response_b="b",
             gold="A" if i in gold else None, content_hash=f"h{i}")
        for i in range(n))
    return task


def label(store, pair, annotator, choice="A"):
    store.add_label(Label(pair=pair.id, annotator=annotator, choice=choice))


def drain(store, task, annotator, now=None):
    """Label everything the queue serves to ``annotator``; the pair ids in serving order."""
    seen = []
    while (pair := store.next_pair(task, annotator, now=now)) is not None:
        label(store, pair, annotator)
        seen.append(pair.pair_id)
    return seen


def stored_counts(store, task):
    """The stored counts, to compare with a rebuild from the labels."""
    return (
        store.query("SELECT open_regular, gold_pairs, calibration_pairs FROM queue_tasks WHERE task = ?", [task]),
        store.query("SELECT annotator, calibration, gold, regular, uniform, open_mine FROM queue_annotators "
                    "WHERE task = ? ORDER BY annotator", [task]),
        store.query("SELECT pair, stream, labellers, done FROM queue_pairs WHERE task = ? ORDER BY pair", [task]),
    )


def test_random_campaign_keeps_overlap_and_counts(store):
    """Four annotators take turns at random (claim, label, quit, come back) on a task with
    overlap 2 and attention checks; checked against what the rules say."""
    task = make_task(store, n=40, overlap=2, attention_rate=0.2, gold={1, 5, 9, 13})
    rng = random.Random(3)
    people = ["ann", "bob", "cat", "dan"]
    holding: dict[str, list] = {p: [] for p in people}
    served: dict[str, list[int]] = {p: [] for p in people}
    for _ in range(400):
        who = rng.choice(people)
        move = rng.random()
        if move < 0.55 and holding[who]:
            pair = holding[who].pop(0)
            label(store, pair, who)
        elif move < 0.65 and holding[who]:
            store.release_claims("t", annotator=who)  # quits
            holding[who].clear()
        elif len(holding[who]) < 2:
            pair = store.next_pair(task, who, exclude={p.id for p in holding[who]})
            if pair is not None:
                assert pair.id not in served[who] or pair.id in [p.id for p in holding[who]] or \
                    not store.current_label(pair.id, who)
                assert store.current_label(pair.id, who) is None  # never a pair they labelled
                holding[who].append(pair)
                served[who].append(pair.id)
    for who in people:  # everyone finishes
        for pair in holding[who]:
            label(store, pair, who)
        drain(store, task, who)
    per_pair = {}
    for row in store.query("SELECT pair, COUNT(DISTINCT annotator) AS n FROM labels GROUP BY pair"):
        per_pair[row["pair"]] = row["n"]
    gold_ids = {p.id for p in store.pairs("t") if p.gold}
    assert all(per_pair[pid] == 4 for pid in gold_ids)  # gold: every annotator
    assert all(n == 2 for pid, n in per_pair.items() if pid not in gold_ids)  # no claim expired: exact
    assert len(per_pair) == 40
    for who in people:
        assert store.queue_progress(task, who).remaining == 0
    before = stored_counts(store, "t")
    store.rebuild_queue("t")
    assert stored_counts(store, "t") == before  # counts kept by each label equal a recount


def test_a_pair_passed_while_held_comes_back_when_released(store):
    task = make_task(store, n=2, overlap=1)
    first = store.next_pair(task, "ann")
    other = store.next_pair(task, "bob")  # bob passes ann's pair (held) and takes the other
    assert other.id != first.id
    label(store, other, "bob")
    assert store.next_pair(task, "bob") is None
    store.release_claim(first.id, "ann")  # ann quits without labelling
    assert store.next_pair(task, "bob").id == first.id


def test_claims_expire_and_a_returning_annotator_resumes_first(store):
    task = make_task(store, n=3, overlap=1)
    a = store.next_pair(task, "ann", now=T0, claim_for=timedelta(minutes=5))
    b = store.next_pair(task, "ann", now=T0, exclude={a.id}, claim_for=timedelta(minutes=5))
    # Bob cannot take them while the claims live; after five minutes he can.
    c = store.next_pair(task, "bob", now=T0 + timedelta(minutes=1))
    assert c.id not in (a.id, b.id)
    label(store, c, "bob")
    assert store.next_pair(task, "bob", now=T0 + timedelta(minutes=4)) is None
    taken = store.next_pair(task, "bob", now=T0 + timedelta(minutes=6))
    assert taken.id in (a.id, b.id)
    # Ann quits: both her claims are released (one had expired) and the pair bob did not
    # take comes back to her first.
    assert store.release_claims("t", annotator="ann") == 2
    resumed = store.next_pair(task, "ann", now=T0 + timedelta(minutes=7))
    assert resumed.id == ({a.id, b.id} - {taken.id}).pop()
    assert store.next_pair(task, "ann", now=T0 + timedelta(minutes=7), exclude={resumed.id}) is None


def test_renewed_claims_keep_others_off(store):
    task = make_task(store, n=1, overlap=1)
    mine = store.next_pair(task, "ann", now=T0, claim_for=timedelta(minutes=5))
    store.renew_claims("t", "ann", timedelta(minutes=5), now=T0 + timedelta(minutes=4))
    assert store.next_pair(task, "bob", now=T0 + timedelta(minutes=8)) is None
    assert store.next_pair(task, "bob", now=T0 + timedelta(minutes=10)).id == mine.id
    expired = store.claim_details("t", now=T0 + timedelta(minutes=30))
    assert [c["expired"] for c in expired] == [True, True]
    assert store.release_claims("t", expired_only=True, now=T0 + timedelta(minutes=30)) == 2


def test_calibration_batch_comes_first_for_everyone(store):
    task = make_task(store, n=12, overlap=1, calibration=3)
    ann = drain(store, task, "ann")
    calibration = {r["pair_id"] for r in store.query(
        "SELECT p.pair_id FROM queue_pairs q JOIN pairs p ON p.id = q.pair WHERE q.stream = 'calibration'")}
    assert len(calibration) == 3 and set(ann[:3]) == calibration
    assert len(ann) == 12  # alone with overlap 1: everything
    bob = drain(store, task, "bob")
    assert set(bob) == calibration  # overlap 1 leaves bob only the calibration pairs
    assert store.queue_progress(task, "bob").done == 3
    # The calibration pairs were those with the smallest seeded rank (a seeded choice).
    ranks = store.query("SELECT p.pair_id FROM queue_pairs q JOIN pairs p ON p.id = q.pair ORDER BY q.rank LIMIT 3")
    assert {r["pair_id"] for r in ranks} == calibration


def test_calibration_ignores_labelled_pairs_and_overlap_change_rebuilds(store):
    task = make_task(store, n=8, overlap=1)
    first = store.next_pair(task, "ann")
    label(store, first, "ann")
    task.settings = {"calibration": 2}
    store.save_task(task, replace=True)  # rebuilds: two calibration pairs, none already labelled
    calib = store.query("SELECT pair, labellers FROM queue_pairs WHERE stream = 'calibration'")
    assert len(calib) == 2 and all(r["labellers"] == 0 for r in calib)
    assert store.queue_progress(task, "ann").assigned == 8
    task.overlap = 2
    store.save_task(task, replace=True)
    assert store.query("SELECT open_regular FROM queue_tasks")[0]["open_regular"] == 6


def test_gold_pairs_at_the_rate_for_every_annotator(store):
    task = make_task(store, n=20, overlap=2, attention_rate=0.2, gold={0, 1, 2, 3})
    seen = drain(store, task, "ann")
    gold_positions = [i for i, pid in enumerate(seen) if pid in {"p0", "p1", "p2", "p3"}]
    assert len(seen) == 20 and len(gold_positions) == 4
    assert all(b - a >= 4 for a, b in zip(gold_positions, gold_positions[1:]))
    assert {"p0", "p1", "p2", "p3"} <= set(drain(store, task, "bob"))


def test_priorities_order_the_queue_with_a_uniform_share(store):
    task = make_task(store, n=60, overlap=1)
    ids = {p.pair_id: p.id for p in store.pairs("t")}
    scores = {ids[f"p{i}"]: float(i) for i in range(60)}
    store.set_pair_priorities("t", scores, uniform_share=0.0)
    seen = drain(store, task, "ann")
    assert seen == [f"p{i}" for i in reversed(range(60))]  # higher first

    task2 = make_task(store, "u", n=200, overlap=1)
    ids = {p.pair_id: p.id for p in store.pairs("u")}
    store.set_pair_priorities("u", {ids[f"p{i}"]: float(i) for i in range(200)}, uniform_share=0.25)
    uniform = {r["pair"] for r in store.query("SELECT pair FROM queue_pairs WHERE task = 'u' AND uniform = 1")}
    assert 25 < len(uniform) < 80
    order = [ids[pid] for pid in drain(store, task2, "ann")]
    assert len(order) == 200
    head = order[:100]
    # The share holds at every prefix while both kinds are left (1 uniform per 4 served).
    for k in range(4, 100, 4):
        share = sum(1 for pid in head[:k] if pid in uniform) / k
        assert abs(share - 0.25) <= 0.25 + 1e-9
    prioritised = [pid for pid in order if pid not in uniform]
    priority = store.pair_priorities("u")
    scores = [priority.get(pid, 0.0) for pid in prioritised]
    assert scores == sorted(scores, reverse=True)
    # The uniform pairs keep the annotator's seeded order (rank XOR mask), scores ignored.
    from annotator.store.queue_walk import annotator_mask

    mask = annotator_mask(task2.seed, "ann")
    ranks = {r["pair"]: r["rank"] for r in store.query("SELECT pair, rank FROM queue_pairs WHERE task = 'u'")}
    in_order = [pid for pid in order if pid in uniform]
    assert in_order == sorted(uniform, key=lambda pid: ranks[pid] ^ mask)
    store.clear_pair_priorities("u")
    assert store.pair_priorities("u") == {}


def test_new_priorities_restart_the_walk_and_skip_what_was_labelled(store):
    task = make_task(store, n=30, overlap=2)
    ids = {p.pair_id: p.id for p in store.pairs("t")}
    first = store.next_pair(task, "ann")
    label(store, first, "ann")
    runner_up = ids["p29"] if first.pair_id != "p29" else ids["p28"]
    by_external = {pid: pair_id for pair_id, pid in ids.items()}
    store.set_pair_priorities("t", {first.id: 100.0, by_external[runner_up]: 50.0}, uniform_share=0.0)
    assert store.pair_priorities("t") == {first.id: 100.0, runner_up: 50.0}  # by external id too
    assert store.next_pair(task, "ann").id == runner_up  # the top one is hers already
    assert store.next_pair(task, "bob").id == first.id  # bob gets the top priority first


def test_progress_from_stored_counts(store):
    task = make_task(store, n=12, attention_rate=0.2, gold={0, 1, 2})
    assert (store.queue_progress(task, "ann").done, store.queue_progress(task, "ann").assigned) == (0, 11)
    pair = store.next_pair(task, "ann")
    label(store, pair, "ann")
    assert store.queue_progress(task, "ann").done == 1


def statements_per_pick(store, task, annotator, picks=20):
    counts = []
    store.db.conn.set_trace_callback(lambda sql: counts.append(sql))
    most = 0
    try:
        for _ in range(picks):
            counts.clear()
            pair = store.next_pair(task, annotator)
            most = max(most, len(counts))
            store.add_label(Label(pair=pair.id, annotator=annotator, choice="A"))
    finally:
        store.db.conn.set_trace_callback(None)
    return most


@pytest.mark.parametrize("prioritised", [False, True])
def test_a_pick_costs_the_same_number_of_statements_at_any_size(tmp_path, prioritised):
    """Not a timing: the number of SQL statements of the worst pick, on a small task and on
    one 100 times bigger where most pairs already have all their labels (each statement an
    index look-up or a bounded range of it); with priorities on every pair, too."""
    worst = {}
    for n in (200, 20_000):
        store = Store.open(tmp_path / f"{n}.db")
        task = make_task(store, n=n, overlap=2)
        pairs = list(store.pairs("t"))
        store.add_labels([Label(pair=p.id, annotator=who, choice="B")
                          for p in pairs[: int(n * 0.9)] for who in ("x", "y")])
        if prioritised:
            rng = random.Random(n)
            store.set_pair_priorities("t", {p.id: rng.random() for p in pairs})
        worst[n] = statements_per_pick(store, task, "ann")
        store.close()
    assert worst[20_000] <= worst[200] + 40
    assert worst[20_000] < 200


def test_migration_fills_the_queue_of_an_old_database(tmp_path):
    store = Store.open(tmp_path / "old.db")
    task = make_task(store, n=6, overlap=2, calibration=0)
    pairs = list(store.pairs("t"))
    for p in pairs[:3]:
        label(store, p, "ann")
    label(store, pairs[0], "bob")
    # As an old database: no queue tables, migration m005 not applied, a claim left over.
    for table in ("queue_pairs", "queue_tasks", "queue_annotators", "queue_cursors", "queue_pending",
                  "writer_leases"):
        store.db.execute(f"DROP TABLE {table}")
    for index in ("claims_task_annotator", "claims_task_expires"):
        store.db.execute(f"DROP INDEX {index}")
    store.db.execute("INSERT INTO claims (pair, annotator, task, expires_at) VALUES (?, 'ann', 't', '2030')",
                     [pairs[1].id])
    store.db.execute("DELETE FROM _sqlite_migrations WHERE name LIKE 'm005%'")
    store.db.conn.commit()
    store.close()
    store = Store.open(tmp_path / "old.db")
    assert store.claims("t") == []  # ann labelled it: the claim was fulfilled
    assert store.queue_progress(task, "ann").done == 3
    assert store.query("SELECT open_regular FROM queue_tasks")[0]["open_regular"] == 5
    assert {p.pair_id for p in [store.next_pair(task, "bob") for _ in range(1)]} <= {"p1", "p2", "p3", "p4", "p5"}
    store.close()


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_priorities_refuse_a_bad_share_and_unknown_pairs(store, share):
    make_task(store, n=3)
    with pytest.raises(ValueError):
        store.set_pair_priorities("t", {}, uniform_share=share)
    with pytest.raises(LookupError):
        store.set_pair_priorities("t", {99999: 1.0})
    with pytest.raises(LookupError):
        store.set_pair_priorities("t", {"no-such-pair": 1.0})
