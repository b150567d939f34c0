"""A claim holds the database's write lock only to check its pair again and write: the walk
through the annotator's queue is read before the lock is taken."""

from __future__ import annotations

import pytest

from annotator.store import Pair, Store, Task


def make_task(store: Store, *, n: int, overlap: int) -> Task:
    task = Task(name="t", overlap=overlap, seed=7)
    store.save_task(task)
    store.insert_pairs(Pair(task="t", pair_id=f"p{i}", prompt=f"q{i}", response_a="a", response_b="b",
                            content_hash=f"h{i}") for i in range(n))
    return task


@pytest.fixture
def two(tmp_path):
    """Two connections to one database file, as two annotators' processes have."""
    first, second = Store.open(tmp_path / "q.db"), Store.open(tmp_path / "q.db", migrate=False)
    yield first, second
    first.close()
    second.close()


def statements_under_lock(store: Store, action) -> list[list[str]]:
    """The statements run inside each write transaction of ``action()``."""
    transactions: list[list[str]] = []
    current: list[str] | None = None

    def trace(sql: str) -> None:
        nonlocal current
        if sql.startswith("BEGIN IMMEDIATE"):
            current = []
        elif sql.startswith(("COMMIT", "ROLLBACK")) and current is not None:
            transactions.append(current)
            current = None
        elif current is not None:
            current.append(sql)

    store.db.conn.set_trace_callback(trace)
    try:
        action()
    finally:
        store.db.conn.set_trace_callback(None)
    return transactions


def test_a_claim_past_many_held_pairs_holds_the_lock_for_a_few_statements(two):
    ann, others = two
    task = make_task(ann, n=60, overlap=1)
    # Every pair but the last few in ann's order is held by someone else: her walk passes them.
    order: list[int] = []
    while (pair := others.next_pair(task, "ann", exclude=set(order))) is not None:
        order.append(pair.id)
    others.release_claims("t", annotator="ann")
    others.db.execute("DELETE FROM queue_pending")
    others.db.execute("DELETE FROM queue_cursors")
    for i, pid in enumerate(order[:-3]):
        assert others.claim_pair(task, f"other{i}", pid)
    [claim] = statements_under_lock(ann, lambda: ann.next_pair(task, "ann"))
    reads = [sql for sql in claim if sql.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 6, reads  # the chosen pair checked again; read under the lock: 3 per pair passed
    mine = [c["pair"] for c in ann.claims("t") if c["annotator"] == "ann"]
    assert len(mine) == 1 and mine[0] in order[-3:]


def test_a_pair_taken_between_the_choice_and_the_lock_is_not_claimed_twice(two):
    ann, bob = two
    task = make_task(ann, n=6, overlap=1)
    choose, raced = ann._choose, []

    def choose_then_lose_the_race(*args):
        pid, pick = choose(*args)
        if pid is not None and not raced:  # bob claims it first, from his own process
            assert bob.claim_pair(task, "bob", pid)
            raced.append(pid)
        return pid, pick

    ann._choose = choose_then_lose_the_race
    got = ann.next_pair(task, "ann")
    assert got is not None and got.id != raced[0]
    holders = {c["pair"]: c["annotator"] for c in ann.claims("t")}
    assert holders == {raced[0]: "bob", got.id: "ann"}  # one annotator per pair (overlap 1)
    # The pair she lost comes back to her first once bob lets it go.
    bob.release_claims("t", annotator="bob")
    ann.release_claims("t", annotator="ann")
    assert ann.next_pair(task, "ann", exclude={got.id}).id == raced[0]
