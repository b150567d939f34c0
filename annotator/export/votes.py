"""Per-pair lists of who voted what, built for a whole task at once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pseudonyms import Names


def per_pair_lists(votes: pd.DataFrame, names: Names, values: tuple[str, ...] = ("label_id",)) -> pd.DataFrame:
    """Per pair (index) the annotators who voted, as the export shows them (``annotators``,
    in pseudonym order, else by name), and in the same order one list per column of
    ``values`` (e.g. each annotator's ``label_id`` or ``choice``).

    One sort and one split for the whole task, not a Python call per pair: at 100,000 pairs
    a ``groupby().agg(list)`` takes seconds.
    """
    if votes.empty:
        return pd.DataFrame(columns=["annotators", *values])
    people = pd.unique(votes["annotator"])
    shown_of = {p: names(p) for p in people}
    rank_of = {p: (_person_rank(shown_of[p]) if names.pseudonymised else shown_of[p]) for p in people}
    order = sorted(rank_of, key=rank_of.__getitem__)
    position = {p: i for i, p in enumerate(order)}
    ordered = votes.assign(_rank=votes["annotator"].map(position)).sort_values(["pair", "_rank"], kind="stable")
    pairs = ordered["pair"].to_numpy()
    cuts = np.flatnonzero(np.diff(pairs)) + 1
    starts = np.concatenate([[0], cuts]).astype(int).tolist()
    ends = [*starts[1:], len(pairs)]
    who = ordered["annotator"].map(shown_of).tolist()
    columns = {"annotators": [who[s:e] for s, e in zip(starts, ends)]}
    for value in values:
        items = ordered[value].tolist()
        columns[value] = [items[s:e] for s, e in zip(starts, ends)]
    return pd.DataFrame(columns, index=pd.Index(pairs[starts], name="pair"))


def _person_rank(pseudonym: str) -> tuple[str, int]:
    """``annotator-10`` after ``annotator-9``."""
    kind, _, number = pseudonym.rpartition("-")
    return (kind, int(number)) if number.isdigit() else (pseudonym, 0)


class VotesByPair:
    """A task's votes sorted by pair, from which :func:`per_pair_lists` is built for one
    range of pairs at a time (the lists of a whole 100,000-pair task are tens of megabytes
    of Python objects; a page's are a few hundred kilobytes)."""

    def __init__(self, votes: pd.DataFrame, names: Names, values: tuple[str, ...]):
        self.votes = votes.sort_values("pair", kind="stable").reset_index(drop=True)
        self.pairs = self.votes["pair"].to_numpy()
        self.names = names
        self.values = values

    def lists(self, first: int, last: int) -> pd.DataFrame:
        lo = np.searchsorted(self.pairs, first, side="left")
        hi = np.searchsorted(self.pairs, last, side="right")
        return per_pair_lists(self.votes.iloc[lo:hi], self.names, self.values)
