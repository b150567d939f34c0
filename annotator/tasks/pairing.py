"""Which generators meet on an instruction: the three ``[pairs] mode`` rules, as pure functions.

* ``baseline``: each candidate against the baseline (candidate first, as model A).
* ``all``: every pair of generators (names in sorted order, the first as model A).
* ``sample``: each generator meets ``k`` opponents per instruction, chosen so that over the
  whole task each generator meets each other about equally often: the opponent is the one
  met least so far (ties broken by a seeded draw), walked in a seeded order per instruction.

Which side a model is *shown* on is not decided here: that is randomised per annotator by the
store (``store/orders.py``), as for any pair.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import combinations

import numpy as np

MODES = ("baseline", "all", "sample")


def _rng(seed: int, key: str) -> np.random.Generator:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return np.random.default_rng([seed & (2**63 - 1), int.from_bytes(digest[:8], "big")])


def baseline_pairs(generators: list[str], baseline: str) -> list[tuple[str, str]]:
    """(candidate, baseline) for each candidate that answered, when the baseline answered."""
    if baseline not in generators:
        return []
    return [(g, baseline) for g in sorted(generators) if g != baseline]


def all_pairs(generators: list[str]) -> list[tuple[str, str]]:
    return list(combinations(sorted(generators), 2))


class Sampler:
    """The ``sample`` rule, stateful across instructions (its counts keep the meetings balanced)."""

    def __init__(self, k: int, seed: int):
        self.k, self.seed = k, seed
        self.met: Counter[tuple[str, str]] = Counter()

    def pairs(self, key: str, generators: list[str]) -> list[tuple[str, str]]:
        names = sorted(generators)
        if len(names) < 2:
            return []
        k = min(self.k, len(names) - 1)
        rng = _rng(self.seed, key)
        degree: Counter[str] = Counter()
        chosen: set[tuple[str, str]] = set()
        for g in [names[i] for i in rng.permutation(len(names))]:
            while degree[g] < k:
                open_ = [o for o in names if o != g and tuple(sorted((g, o))) not in chosen]
                if not open_:
                    break
                # prefer opponents that still need a meeting here, then the least met overall
                tie = rng.random(len(open_))
                best = min(range(len(open_)), key=lambda i: (degree[open_[i]] >= k,
                                                             self.met[tuple(sorted((g, open_[i])))], tie[i]))
                o = open_[best]
                pair = (min(g, o), max(g, o))
                chosen.add(pair)
                self.met[pair] += 1
                degree[g] += 1
                degree[o] += 1
        return sorted(chosen)
