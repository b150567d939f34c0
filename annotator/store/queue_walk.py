"""Each annotator's own seeded order over a shared index: the next pair without a scan.

Every pair holds a stored *rank*: a seeded 62-bit hash of its id (:func:`pair_rank`). An
annotator's order is the order of ``rank XOR mask``, with a seeded mask of their own
(:func:`annotator_mask`): a permutation of the pairs that differs between annotators, so two
of them rarely start on the same pair, yet one index on ``rank`` serves everyone.

XOR with a mask maps every aligned block of rank values (``[k * 2**j, (k + 1) * 2**j)``) onto
another aligned block, in the same way for the whole block. So "the first pair after key
``c`` in this annotator's order" is found by visiting the aligned key blocks after ``c`` from
the smallest up, and, in the first block that holds a pair, halving it towards its smaller
keys until a handful of rows is left (:func:`first_after`). Each step is one range query on
the rank index; a step never reads more than ``limit + 1`` rows. The number of steps is
bounded by the number of bits (62), whatever the number of pairs.

Pure functions over a ``fetch(lo, hi, limit)`` callback (rows ``(rank, pair)`` with ``lo <=
rank <= hi``, in ``(rank, pair)`` order), so the search is tested without a database.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

RANK_BITS = 62
RANK_SPACE = 1 << RANK_BITS
ROWS_PER_STEP = 16  # a block with at most this many rows is read whole instead of halved

Fetch = Callable[[int, int, int], list[tuple[int, int]]]  # (lo, hi, limit) -> [(rank, pair)]


def _hash62(*parts: object) -> int:
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - RANK_BITS)


def pair_rank(seed: int, pair_id: str) -> int:
    """The stored rank of a pair: a seeded hash of its external id (stable across imports)."""
    return _hash62("rank", seed, pair_id)


def pair_ranks(seed: int, pair_ids) -> list[int]:
    """:func:`pair_rank` of many pairs at once (the same values; the seed's part of the
    hashed text built once)."""
    prefix = f"rank\x1f{seed}\x1f"
    blake2b, shift = hashlib.blake2b, 64 - RANK_BITS
    return [int.from_bytes(blake2b((prefix + str(pair_id)).encode("utf-8"), digest_size=8).digest(), "big") >> shift
            for pair_id in pair_ids]


@functools.lru_cache(maxsize=4096)
def annotator_mask(seed: int, annotator: str) -> int:
    """The annotator's mask: their order is the pairs sorted by ``rank ^ mask``."""
    return _hash62("mask", seed, annotator)


def share_draw(seed: int, pair_id: str) -> float:
    """A seeded uniform draw in [0, 1) per pair (who falls in a task's uniform share)."""
    return _hash62("uniform", seed, pair_id) / RANK_SPACE


def _block_range(key: int, bits: int, mask: int) -> tuple[int, int]:
    """Rank bounds of the key block ``[key, key + 2**bits)`` (``key`` aligned)."""
    low_bits = (1 << bits) - 1
    lo = (key ^ mask) & ~low_bits & (RANK_SPACE - 1)
    return lo, lo | low_bits


def _first_in_block(fetch: Fetch, mask: int, key: int, bits: int,
                    after: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """The smallest ``(rank ^ mask, pair)`` in the key block, optionally after ``after``."""
    lo, hi = _block_range(key, bits, mask)
    rows = fetch(lo, hi, ROWS_PER_STEP + 1)
    if not rows:
        return None
    if len(rows) <= ROWS_PER_STEP or bits == 0:
        keyed = sorted((rank ^ mask, pair) for rank, pair in rows)
        if after is not None:
            keyed = [k for k in keyed if k > after]
        return keyed[0] if keyed else None
    half = 1 << (bits - 1)
    return (_first_in_block(fetch, mask, key, bits - 1, after)
            or _first_in_block(fetch, mask, key | half, bits - 1, after))


def first_after(fetch: Fetch, mask: int, after: tuple[int, int] | None = None,
                size_hint: int = 0) -> tuple[int, int] | None:
    """The first ``(key, pair)`` in the annotator's order strictly after ``after``.

    ``after`` is a ``(key, pair)`` already passed (None: from the start). Ties in rank (two
    pair ids hashing to one 62-bit value) are ordered by the pair's database id.
    ``size_hint`` (roughly how many rows the index holds) lets the search start with the
    block around ``after`` that holds a few rows instead of climbing from single keys.
    """
    if after is None:
        return _first_in_block(fetch, mask, 0, RANK_BITS)
    key, _ = after
    # Start with the block around `after` expected to hold a few rows: read it whole.
    bits = max(0, RANK_BITS - max(0, size_hint.bit_length() - 3)) if size_hint else 0
    while bits > 0:
        start = key & ~((1 << bits) - 1)
        lo, hi = _block_range(start, bits, mask)
        rows = fetch(lo, hi, ROWS_PER_STEP + 1)
        if len(rows) <= ROWS_PER_STEP:
            later = sorted(k for k in ((rank ^ mask, pair) for rank, pair in rows) if k > after)
            if later:
                return later[0]
            x = start + (1 << bits)
            break
        bits -= 2  # denser than expected: a smaller block
    else:
        found = _first_in_block(fetch, mask, key, 0, after)
        if found:
            return found
        x = key + 1
    while x < RANK_SPACE:
        bits = (x & -x).bit_length() - 1
        found = _first_in_block(fetch, mask, x, bits)
        if found:
            return found
        x += 1 << bits
    return None
