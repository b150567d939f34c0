"""The per-annotator order over one rank index (pure functions, no database)."""

import bisect
import random

import pytest

from annotator.store.queue_walk import RANK_SPACE, ROWS_PER_STEP, annotator_mask, first_after, pair_rank, share_draw


def index_of(ranks):
    """A fake rank index: rows (rank, pair) sorted, and a fetch counting its calls."""
    rows = sorted(ranks)
    calls = []

    def fetch(lo, hi, limit):
        calls.append((lo, hi))
        i = bisect.bisect_left(rows, (lo, -1))
        out = []
        while i < len(rows) and rows[i][0] <= hi and len(out) < limit:
            out.append(rows[i])
            i += 1
        return out

    return rows, fetch, calls


def walk(fetch, mask, size_hint=0):
    got, position = [], None
    while (position := first_after(fetch, mask, position, size_hint)) is not None:
        got.append(position)
    return got


@pytest.mark.parametrize("n", [0, 1, 2, ROWS_PER_STEP, ROWS_PER_STEP + 1, 300, 3000])
def test_walk_is_the_rank_xor_mask_order(n):
    rng = random.Random(n)
    rows, fetch, _ = index_of((rng.randrange(RANK_SPACE), i) for i in range(n))
    for mask in (0, RANK_SPACE - 1, rng.randrange(RANK_SPACE)):
        assert walk(fetch, mask, size_hint=n) == sorted((r ^ mask, p) for r, p in rows)
        assert walk(fetch, mask) == sorted((r ^ mask, p) for r, p in rows)  # without a hint


def test_equal_ranks_are_ordered_by_pair():
    rows, fetch, _ = index_of([(5, 3), (5, 1), (9, 2), (5, 2)])
    assert walk(fetch, 0) == [(5, 1), (5, 2), (5, 3), (9, 2)]


def test_steps_per_pick_do_not_grow_with_the_index():
    # Every step is one range query on the index. The worst pick over a whole walk costs a
    # bounded number of them (62 bits: at most ~2 per bit), at 200 and at 20,000 rows alike.
    worst = {}
    for n in (200, 20_000):
        rng = random.Random(1)
        _, fetch, calls = index_of((rng.randrange(RANK_SPACE), i) for i in range(n))
        mask, position, most = rng.randrange(RANK_SPACE), None, 0
        for _ in range(300):
            calls.clear()
            position = first_after(fetch, mask, position, size_hint=n)
            most = max(most, len(calls))
        worst[n] = most
    assert worst[20_000] <= 2 * 62 and worst[200] <= 2 * 62
    assert worst[20_000] <= worst[200] + 20


def test_orders_differ_between_annotators_and_are_seeded():
    ranks = [(pair_rank(7, f"p{i}"), i) for i in range(50)]
    _, fetch, _ = index_of(ranks)
    ann = [p for _, p in walk(fetch, annotator_mask(7, "ann"))]
    bob = [p for _, p in walk(fetch, annotator_mask(7, "bob"))]
    assert sorted(ann) == sorted(bob) == list(range(50))
    assert ann != bob and ann[0] != bob[0]
    assert ann == [p for _, p in walk(fetch, annotator_mask(7, "ann"))]
    assert pair_rank(7, "p1") != pair_rank(8, "p1")
    draws = [share_draw(3, f"p{i}") for i in range(1000)]
    assert all(0 <= d < 1 for d in draws) and 150 < sum(d < 0.2 for d in draws) < 250
