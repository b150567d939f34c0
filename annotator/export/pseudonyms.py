"""Pseudonymised annotator ids for exports that leave the team.

By default every person in a shared export (annotators, adjudicators) appears under a
pseudonym; ``--names`` keeps the names. The pseudonym of an annotator is ``annotator-N``,
the N-th person to label in the task (by the first label stored), and of an adjudicator who
never labelled, ``adjudicator-N`` likewise. Labels are append-only, so a person keeps the
same pseudonym in every export of the task (gold, labels, soft labels) and over time; it
cannot be turned back into the name without the database, unlike a hash of a name, which
anyone can recompute from a list of likely names.
"""

from __future__ import annotations

from annotator.store import Store


class Names:
    """Maps a person's name to what an export shows (the name itself, or a pseudonym)."""

    def __init__(self, mapping: dict[str, str] | None):
        self.mapping = mapping  # None: names are kept

    @property
    def pseudonymised(self) -> bool:
        return self.mapping is not None

    def __call__(self, name: str) -> str:
        if self.mapping is None:
            return name
        return self.mapping[name]


def task_names(store: Store, task: str, keep_names: bool) -> Names:
    """The names as shown in the task's exports: kept, or pseudonymised (see the module doc)."""
    if keep_names:
        return Names(None)
    mapping = {name: f"annotator-{i}" for i, name in enumerate(store.annotators_by_first_label(task), 1)}
    adjudicators = [a for a in store.adjudicators_by_first_adjudication(task) if a not in mapping]
    mapping.update({name: f"adjudicator-{i}" for i, name in enumerate(adjudicators, 1)})
    return Names(mapping)
