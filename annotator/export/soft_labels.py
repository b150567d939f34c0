"""Soft-label ("perspectivist") gold sets: every pair's full distribution of votes.

Where a gold set keeps one label per pair, this keeps the disagreement, for training and
evaluating on it (Le-Wi-Di style): per labelled pair, who voted what (``votes``, annotators
pseudonymised unless ``--names``), the share of votes per choice (``soft_A``, ``soft_B``,
``soft_tie``), the majority by the project's rule, the entropy in bits and normalised, and
the ``ambiguous`` flag (normalised entropy at or above the threshold; undefined under two
votes). The rules are those of ``annotator.analysis.soft_labels``. Each annotator's
majority / minority rates are in the provenance file (``annotators``) and the command's
output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from annotator.analysis.both_bad import both_bad_json, counted_categories
from annotator.analysis.ratings import ratings_from_frame
from annotator.analysis.soft_labels import majority_minority_rates, soft_label_table
from annotator.store import Store, Task

from .options import SoftLabelOptions
from .output import base_meta, write_export
from .pair_rows import batch_rows, batches_with_texts
from .pseudonyms import Names, task_names
from .tables import Batch, Column
from .votes import VotesByPair


@dataclass
class SoftLabels:
    task: Task
    options: SoftLabelOptions
    table: pd.DataFrame  # per pair (index), without texts
    annotators: pd.DataFrame  # per annotator (as shown): majority / minority rates
    names: Names
    ballots: VotesByPair | None = None  # who voted what, turned into each row's ``votes``

    def votes_of(self, first: int, last: int) -> pd.DataFrame:
        """``votes`` (``{annotator: choice}``) of the pairs with ids from ``first`` to ``last``."""
        lists = self.ballots.lists(first, last)
        return pd.DataFrame({"votes": [dict(zip(w, c)) for w, c in zip(lists["annotators"], lists["choice"])]},
                            index=lists.index)


def soft_label_columns(task: Task) -> list[Column]:
    return [
        Column("task"), Column("pair_id"), Column("domain"), Column("prompt"), Column("source"),
        Column("response_a"), Column("response_b"), Column("model_a"), Column("model_b"),
        Column("n_votes", "int"), Column("votes", "json"),
        *[Column(f"soft_{c}", "float") for c in task.choices],
        Column("majority"), Column("majority_share", "float"), Column("entropy_bits", "float"),
        Column("entropy_normalised", "float"), Column("ambiguous", "bool"),
    ]


def soft_labels(store: Store, task: str, options: SoftLabelOptions | None = None) -> SoftLabels:
    options = options or SoftLabelOptions()
    spec = store.require_task(task)
    names = task_names(store, task, options.keep_names)
    votes = store.votes_frame(task, exclude=options.exclude, both_bad=options.both_bad)
    ratings = ratings_from_frame(votes, "choice", counted_categories(spec.choices, votes["choice"]))
    table = soft_label_table(ratings, options.ambiguity_threshold)
    table.insert(0, "task", task)
    rates = majority_minority_rates(ratings)
    rates.index = pd.Index([names(r) for r in rates.index], name="annotator")
    return SoftLabels(spec, options, table.sort_index(), rates, names,
                      VotesByPair(votes[["pair", "annotator", "choice"]], names, ("choice",)))


def soft_label_batches(store: Store, soft: SoftLabels) -> Iterator[Batch]:
    yield from batches_with_texts(store, soft.task.name, soft.table, soft_label_columns(soft.task),
                               soft.votes_of if soft.ballots is not None else None)


def soft_label_rows(store: Store, soft: SoftLabels) -> Iterator[dict[str, Any]]:
    yield from batch_rows(soft_label_batches(store, soft))


def annotator_rates(soft: SoftLabels) -> list[dict[str, Any]]:
    """The per-annotator rates as JSON-ready records (NaN rates as None)."""
    out = []
    for name, r in soft.annotators.iterrows():
        out.append({"annotator": name, **{k: (None if pd.isna(v) else (int(v) if k in
                    ("labels", "in_majority", "in_minority", "no_majority") else float(v))) for k, v in r.items()}})
    return out


def write_soft_labels(store: Store, soft: SoftLabels, path: Path, fmt: str, *, force: bool = False) -> int:
    o = soft.options
    meta = base_meta(
        store, soft.task.name, "soft-labels", fmt, ambiguity_threshold=o.ambiguity_threshold,
        entropy_normalisation=f"entropy in bits / log2({len(soft.task.choices)}), the task's number of choices",
        ambiguous_rule="normalised entropy >= ambiguity_threshold; undefined (null) under two votes",
        majority_rule="annotator.analysis.pairs: the choice with the most votes; no single top choice is no majority",
        rates_rule="over each annotator's labels on pairs with two or more votes, their own vote included",
        excluded_annotators=sorted(o.exclude), annotator_ids="names" if o.keep_names else "pseudonyms",
        annotators=annotator_rates(soft),
        **({"both_bad": found} if (found := both_bad_json(store, soft.task.name, o.both_bad, o.exclude)) else {}))
    return write_export(path, fmt, soft_label_columns(soft.task), soft_label_batches(store, soft), meta,
                        force=force, batched=True)
