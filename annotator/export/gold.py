"""Gold sets: the humans' aggregated labels, with their agreement and provenance.

One row per labelled pair that passes the filters, in the pairs' order. The votes are the
current labels (``Store.current_votes_table``, Arrow columns, less any ``--exclude``d
annotator), aggregated by ``analysis.pairs.pair_votes`` (majority vote, the statistics'
rule) and, under ``--aggregate dawid-skene`` only, ``analysis.aggregate.aggregated_labels``
(Dawid-Skene; its columns are empty otherwise); the texts are streamed from the store as
Arrow columns page by page, so memory does not grow with the task.

The gold label of a pair is its adjudicated label when an adjudicator settled it
(``annotator adjudicate``), else the aggregate asked for (``--aggregate``); a label outside
the task's choices (a pair whose top votes are split: ``analysis.pairs``' "split") is no
label: the pair stays in the table formats with an empty label and provenance
``unresolved`` (until adjudicated), and is left out of chosen-rejected and alpaca-eval. ``provenance`` says where each gold label comes from:

* ``adjudicated``: an adjudicator chose it (their reason, note and name are in the row);
* ``unanimous``: two or more votes, all the same;
* ``majority``: two or more votes, a strict majority holding at least the adjudication
  threshold (default 60 %) of them;
* ``unresolved``: two or more votes without such a majority, and no adjudication yet;
* ``single``: one vote only: nothing to agree or disagree with.

Filters: ``min_votes`` applies to every pair; ``min_agreement`` and ``include_disputed``
(unresolved pairs) to pairs not adjudicated (an adjudicated pair is settled whatever its votes).

Formats:

* ``jsonl`` / ``csv`` / ``parquet``: every column (:func:`gold_columns`);
* ``chosen-rejected``: ``{prompt, chosen, rejected}`` JSONL for preference training (DPO,
  reward models); ties are left out (no chosen response);
* ``alpaca-eval``: AlpacaEval's annotation records (``instruction, output_1, generator_1,
  output_2, generator_2, preference``), response B as ``output_1`` (the baseline) and A as
  ``output_2``; preference 1 = B, 2 = A, 1.5 = tie: what judge-calibration tools read.

"Both bad" (a task whose ``choices`` offer it): the votes are read under the ``--both-bad``
rule (``options.both_bad``: a tie, or left out), as every statistic reads them; the table
formats add ``votes_both_bad`` (the pair's both-bad votes as stored) and keep an adjudicator's
``both_bad`` in ``adjudicated_label``. A both-bad pair is no preference: the preference formats
leave out a pair settled as both bad or whose tie holds a both-bad vote.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from annotator.analysis.aggregate import aggregated_labels, factor_majority_table
from annotator.analysis.both_bad import adjudications_under, check_both_bad, counted_categories
from annotator.analysis.defaults import BOTH_BAD_TEXT
from annotator.analysis.pairs import pair_votes
from annotator.analysis.ratings import ratings_from_frame
from annotator.store import FACTOR_ANSWERS, Store, Task
from annotator.store.labels import with_both_bad_rule
from annotator.store.models import BOTH_BAD, CHOICES, LABEL_CHOICES

from .columns import one_array
from .options import AGGREGATES, FORMATS, GoldOptions
from .output import base_meta, write_export
from .pair_rows import TEXT_FIELDS, batch_rows
from .pseudonyms import Names, task_names
from .tables import Batch, Column, arrow_type, python_values
from .votes import _person_rank

PROVENANCES = ("adjudicated", "unanimous", "majority", "unresolved", "single")
PAIR_TEXT_COLUMNS = [Column("prompt"), Column("source"), Column("response_a"), Column("response_b"),
                     Column("model_a"), Column("model_b")]


@dataclass
class GoldSet:
    """A task's gold labels before the texts are joined: one row per kept pair (indexed by
    pair id, in the pairs' order) with every column of the export but the texts."""

    task: Task
    options: GoldOptions
    table: pd.DataFrame
    names: Names
    considered: int = 0  # labelled pairs before the filters
    left_out: dict[str, int] = field(default_factory=dict)  # why pairs were left out -> how many
    ds_fitted: bool | None = False  # None: not computed (--aggregate majority: the output does not use it)
    # per kept pair (the table's rows, in order): ``annotators`` and ``label_ids``, as Arrow lists
    lists: dict[str, Any] = field(default_factory=dict)
    # the --both-bad rule and the current "both_bad" labels, counted from the votes read
    # (``analysis.both_bad.both_bad_json``'s value): None when the task neither offers it nor holds one
    both_bad: dict[str, Any] | None = None

    @property
    def provenance_counts(self) -> dict[str, int]:
        counts = self.table["provenance"].value_counts() if len(self.table) else {}
        return {p: int(counts.get(p, 0)) for p in PROVENANCES}


def _counted(task: Task) -> list[str]:
    """The choices the gold set counts votes of: the task's, with "tie" where a both-bad vote
    may be read as one (``--both-bad tie``) on a task without ties."""
    return list(CHOICES if task.allows_both_bad else task.choices)


def gold_columns(task: Task) -> list[Column]:
    """The columns of the table formats, in order."""
    choices = _counted(task)
    return [
        Column("task"), Column("pair_id"), Column("domain"), *PAIR_TEXT_COLUMNS,
        Column("label"), Column("label_source"), Column("provenance"),
        Column("n_votes", "int"), *[Column(f"votes_{c}", "int") for c in choices],
        *([Column(f"votes_{BOTH_BAD}", "int")] if task.allows_both_bad else []),
        Column("majority"), Column("majority_share", "float"), Column("entropy_bits", "float"),
        Column("agreement", "float"), Column("needs_adjudication", "bool"), Column("dispute_reason"),
        Column("adjudicated_label"), Column("adjudication_reason"), Column("adjudication_note"),
        Column("adjudicator"), Column("adjudicated_at"),
        Column("ds_label"), *[Column(f"ds_p_{c}", "float") for c in choices],
        *[Column(f"factor_{f.key}") for f in task.factors],
        Column("annotators", "json"), Column("label_ids", "json"),
    ]


def gold_set(store: Store, task: str, options: GoldOptions | None = None, *, dawid_skene: bool = False) -> GoldSet:
    """Aggregate a task's labels into its gold set (see the module docstring).

    Dawid-Skene is fitted when it is the aggregate asked for (``--aggregate dawid-skene``),
    or when ``dawid_skene`` asks for its columns anyway; otherwise they stay empty and
    ``ds_fitted`` is None (not computed)."""
    options = options or GoldOptions()
    if options.aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {AGGREGATES}")
    spec = store.require_task(task)
    names = task_names(store, task, options.keep_names)
    keys = [f.key for f in spec.factors]
    votes, both_bad_pairs = _votes(store, task, keys, options.exclude, options.both_bad)
    found = _both_bad_found(spec, options.both_bad, len(both_bad_pairs))
    columns = [c.name for c in gold_columns(spec) if c not in PAIR_TEXT_COLUMNS]
    if votes.empty:
        return GoldSet(spec, options, pd.DataFrame(columns=columns), names, both_bad=found)
    ratings = ratings_from_frame(votes, "choice", counted_categories(spec.choices, votes["choice"]))
    if dawid_skene or options.aggregate == "dawid-skene":
        agg = aggregated_labels(ratings, options.threshold)
        ds_fitted = agg["ds_label"].notna().any()
    else:
        agg = pair_votes(ratings, options.threshold)
        agg = agg[agg["n_votes"] > 0].assign(ds_label=None)
        ds_fitted = None
    if options.aggregate == "dawid-skene" and not ds_fitted:
        raise ValueError("Dawid-Skene could not be fitted on these labels (too few annotators or votes); use majority")
    agg = agg.rename(columns={"adjudication_reason": "dispute_reason"})
    for c in _counted(spec):
        if f"votes_{c}" not in agg:
            agg[f"votes_{c}"] = 0
        if f"ds_p_{c}" not in agg:
            agg[f"ds_p_{c}"] = np.nan

    adjudications = store.current_adjudications(task)  # as stored (``adjudicated_label``) ...
    settled = adjudications_under(adjudications, options.both_bad)  # ... and as the gold label reads them
    adjudicated = agg.index.isin(list(settled))
    aggregate_label = agg["ds_label"] if options.aggregate == "dawid-skene" else agg["majority"]
    aggregate_label = aggregate_label.where(aggregate_label.isin(ratings.categories), None)
    n = agg["n_votes"]
    agg["provenance"] = np.select(
        [adjudicated, n == 1, agg["majority_share"] == 1, agg["needs_adjudication"]],
        ["adjudicated", "single", "unanimous", "unresolved"], default="majority")
    adj = pd.DataFrame(
        [(p, a.choice, a.reason, a.note, names(a.adjudicator), a.created_at) for p, a in adjudications.items()],
        columns=["pair", "adjudicated_label", "adjudication_reason", "adjudication_note", "adjudicator",
                 "adjudicated_at"]).set_index("pair")
    agg = agg.join(adj)
    if spec.allows_both_bad:
        by_pair = pd.Series(both_bad_pairs, dtype="int64").value_counts()
        agg[f"votes_{BOTH_BAD}"] = by_pair.reindex(agg.index).fillna(0).astype("int64")
    final = pd.Series({p: a.choice for p, a in settled.items()}, dtype=object).reindex(agg.index)
    agg["label"] = np.where(adjudicated, final, aggregate_label)
    agg["label"] = agg["label"].where(agg["label"].notna(), None)
    agg["label_source"] = np.where(adjudicated, "adjudication", options.aggregate)

    considered = len(agg)
    left_out = {}
    keep = np.ones(len(agg), dtype=bool)

    def drop(mask, reason: str) -> None:
        nonlocal keep
        newly = mask & keep
        if newly.any():
            left_out[reason] = int(newly.sum())
        keep &= ~mask

    drop((n < options.min_votes).to_numpy(), f"fewer than {options.min_votes} vote(s)")
    if options.min_agreement > 0:
        drop(~adjudicated & (agg["majority_share"].fillna(0) < options.min_agreement).to_numpy(),
             f"majority share under {options.min_agreement:g}")
    if not options.include_disputed:
        drop((agg["provenance"] == "unresolved").to_numpy(), "unresolved (needs adjudication)")
    agg = agg[keep].sort_index()  # the pairs' order, not the order they were labelled in

    kept_votes = votes[votes["pair"].isin(agg.index)]
    factors = factor_majority_table(kept_votes["pair"], {k: kept_votes[k] for k in keys})
    agg = agg.join(factors.add_prefix("factor_"))
    for key in keys:
        if f"factor_{key}" not in agg:
            agg[f"factor_{key}"] = None
    agg.insert(0, "task", task)
    fitted = None if ds_fitted is None else bool(ds_fitted)
    return GoldSet(spec, options, agg, names, considered=considered, left_out=left_out, ds_fitted=fitted,
                   lists=voter_lists(kept_votes, names, agg.index.to_numpy(), {"label_ids": "label_id"}),
                   both_bad=found)


def _both_bad_found(task: Task, rule: str, labels: int) -> dict[str, Any] | None:
    """``analysis.both_bad.both_bad_json`` from the count of current "both_bad" labels the
    gold set read already (that function would count them again with a query of its own)."""
    check_both_bad(rule)
    if not task.allows_both_bad and not labels:
        return None
    return {"name": rule, "rule": BOTH_BAD_TEXT[rule], "labels": labels, "offered": task.allows_both_bad}


def _votes(store: Store, task: str, keys: list[str], exclude, both_bad: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The current labels as aggregation reads them (one row a label, in the order stored):
    ``label_id``, ``pair``, ``annotator`` and ``choice`` (categoricals), and one column per
    factor key (the answer, when one of the factor answers; else missing). Read as Arrow
    columns; each distinct factor-answer text (a few hundred in a task) parsed once. With
    it, the pair of each current "both_bad" label as stored (before the --both-bad rule)."""
    import pyarrow.compute as pc

    table = store.current_votes_table(task, exclude=exclude)
    frame = pd.DataFrame({
        "label_id": table.column("label_id").to_numpy(), "pair": table.column("pair").to_numpy(),
        "annotator": pc.dictionary_encode(table.column("annotator")).to_pandas(),
        "choice": _coded(table.column("choice"), LABEL_CHOICES),
    })
    if keys and table.num_rows:
        texts = pc.dictionary_encode(pc.fill_null(table.column("factors"), "")).combine_chunks()
        parsed = [_answers(t) for t in texts.dictionary.to_pylist()]
        codes = texts.indices.to_numpy()
        for key in keys:  # each distinct text's answer as a category code, spread over the labels
            given = np.array([FACTOR_ANSWERS.index(a[key]) if a.get(key) in FACTOR_ANSWERS else -1 for a in parsed],
                             dtype=np.int8)
            frame[key] = pd.Categorical.from_codes(given[codes], categories=list(FACTOR_ANSWERS))
    else:
        for key in keys:
            frame[key] = pd.Categorical([None] * len(frame), categories=list(FACTOR_ANSWERS))
    both_bad_pairs = frame["pair"].to_numpy()[(frame["choice"] == BOTH_BAD).to_numpy()]
    # "both_bad" votes read under the --both-bad rule, as every statistic reads them
    return with_both_bad_rule(frame, both_bad).reset_index(drop=True), both_bad_pairs


def _coded(column, categories) -> pd.Categorical:
    """A string column as a categorical of ``categories`` (anything else missing): one code
    per distinct value, spread by the dictionary's indices."""
    import pyarrow.compute as pc

    array = pc.dictionary_encode(column).combine_chunks()
    lookup = np.array([categories.index(v) if v in categories else -1 for v in array.dictionary.to_pylist()] + [-1],
                      dtype=np.int64)
    indices = pc.fill_null(array.indices, len(lookup) - 1).to_numpy()
    return pd.Categorical.from_codes(lookup[indices], categories=list(categories))


def _answers(text: str) -> dict:
    import orjson

    if not text:
        return {}
    value = orjson.loads(text)
    return value if isinstance(value, dict) else {}


def voter_lists(votes: pd.DataFrame, names: Names, pairs: np.ndarray, values: dict[str, str]) -> dict[str, Any]:
    """Per pair of ``pairs`` (sorted, each with votes in ``votes``): the annotators who voted,
    as the export shows them (``annotators``, in pseudonym order, else by name), and in the
    same order one list per ``values`` column (output name -> column of ``votes``), as Arrow
    list arrays aligned with ``pairs``: one sort of the votes, no Python list per pair."""
    import pyarrow as pa

    annotator = votes["annotator"].astype("category")  # codes: no Python string per vote
    codes = annotator.cat.codes.to_numpy()
    categories = list(annotator.cat.categories)
    present = [categories[c] for c in np.unique(codes)]
    shown = {p: names(p) for p in present}
    rank = {p: (_person_rank(shown[p]) if names.pseudonymised else shown[p]) for p in present}
    people = sorted(present, key=rank.__getitem__)
    position = {p: i for i, p in enumerate(people)}
    who = np.array([position.get(c, -1) for c in categories], dtype=np.int64)[codes]
    pair = votes["pair"].to_numpy()
    order = np.lexsort((who, pair))
    pair = pair[order]
    starts = np.searchsorted(pair, pairs, side="left")
    offsets = pa.array(np.append(starts, len(pair)).astype(np.int32))
    shown_names = pa.array([shown[p] for p in people], pa.string()).take(pa.array(who[order]))
    lists = {"annotators": pa.ListArray.from_arrays(offsets, shown_names)}
    for out, column in values.items():
        lists[out] = pa.ListArray.from_arrays(offsets, pa.array(votes[column].to_numpy()[order]))
    return lists


def gold_batches(store: Store, gold: GoldSet) -> Iterator[Batch]:
    """The gold set's rows with the pairs' texts, streamed from the store in the pairs'
    order, a batch (one Arrow array per column) a page of pairs at a time."""
    import pyarrow as pa

    columns = gold_columns(gold.task)
    if gold.table.empty:
        return
    index = gold.table.index.to_numpy()
    own = {c.name: pa.Array.from_pandas(gold.table[c.name], type=arrow_type(c.kind))
           for c in columns if c.name in gold.table}
    own.update(gold.lists)
    texts = [c.name for c in columns if c.name in TEXT_FIELDS]
    for page in store.pair_tables(gold.task.name, texts):
        ids = page.column("id").to_numpy()
        at = np.searchsorted(index, ids)
        found = at < len(index)
        found[found] &= index[at[found]] == ids[found]
        if not found.any():
            continue
        rows = at[found]
        kept = page.filter(pa.array(found)) if not found.all() else page
        if rows[-1] - rows[0] + 1 == len(rows):  # the usual case: a run of the table's rows, sliced without a copy
            part = {name: array.slice(int(rows[0]), len(rows)) for name, array in own.items()}
        else:
            taken = pa.array(rows)
            part = {name: array.take(taken) for name, array in own.items()}
        yield {c.name: one_array(kept.column(c.name)) if c.name in texts else part[c.name] for c in columns}


def gold_rows(store: Store, gold: GoldSet) -> Iterator[dict[str, Any]]:
    """The gold set's rows (dicts) with the pairs' texts, in the pairs' order."""
    for batch in gold_batches(store, gold):
        yield from batch_rows(iter([{k: python_values(v) for k, v in batch.items()}]))


def gold_frame(store: Store, task: str, options: GoldOptions | None = None) -> pd.DataFrame:
    """The gold set as one DataFrame (for small tasks and notebooks; exports stream instead)."""
    gold = gold_set(store, task, options)
    names = [c.name for c in gold_columns(gold.task)]
    return pd.DataFrame(list(gold_rows(store, gold)), columns=names)


def _labelled(rows: Iterator[dict[str, Any]], skipped: dict[str, int]) -> Iterator[dict[str, Any]]:
    """The rows with a gold label; the others (split, unresolved) counted in ``skipped``."""
    for r in rows:
        if r["label"] is None:
            skipped["no gold label (top votes split)"] = skipped.get("no gold label (top votes split)", 0) + 1
            continue
        yield r


BOTH_BAD_SKIP = "both bad (no preference: settled as both bad, or a tie holding a both-bad vote)"


def _preferences(rows: Iterator[dict[str, Any]], skipped: dict[str, int]) -> Iterator[dict[str, Any]]:
    """The labelled rows that are a preference: a pair settled as both bad, or whose tie holds
    a both-bad vote (``--both-bad tie``), is none (counted in ``skipped``)."""
    for r in _labelled(rows, skipped):
        if r.get("adjudicated_label") == BOTH_BAD or (r["label"] == "tie" and r.get(f"votes_{BOTH_BAD}")):
            skipped[BOTH_BAD_SKIP] = skipped.get(BOTH_BAD_SKIP, 0) + 1
            continue
        yield r


def _chosen_rejected(rows: Iterator[dict[str, Any]], skipped: dict[str, int]) -> Iterator[dict[str, Any]]:
    for r in _preferences(rows, skipped):
        if r["label"] == "tie":
            skipped["tie (a preference pair needs a decisive label)"] = \
                skipped.get("tie (a preference pair needs a decisive label)", 0) + 1
            continue
        a_wins = r["label"] == "A"
        yield {"prompt": r["prompt"], "chosen": r["response_a"] if a_wins else r["response_b"],
               "rejected": r["response_b"] if a_wins else r["response_a"], "pair_id": r["pair_id"],
               "task": r["task"], "agreement": r["majority_share"], "provenance": r["provenance"]}


CHOSEN_REJECTED_COLUMNS = [Column("prompt"), Column("chosen"), Column("rejected"), Column("pair_id"),
                           Column("task"), Column("agreement", "float"), Column("provenance")]
ALPACA_EVAL_COLUMNS = [Column("instruction"), Column("output_1"), Column("generator_1"), Column("output_2"),
                       Column("generator_2"), Column("preference", "float"), Column("annotator"),
                       Column("pair_id"), Column("n_votes", "int"), Column("majority_share", "float"),
                       Column("provenance")]
PREFERENCE = {"A": 2.0, "B": 1.0, "tie": 1.5}


def _alpaca_eval(rows: Iterator[dict[str, Any]], skipped: dict[str, int]) -> Iterator[dict[str, Any]]:
    for r in _preferences(rows, skipped):
        yield {"instruction": r["prompt"], "output_1": r["response_b"], "generator_1": r["model_b"],
               "output_2": r["response_a"], "generator_2": r["model_a"], "preference": PREFERENCE[r["label"]],
               "annotator": "humans", "pair_id": r["pair_id"], "n_votes": r["n_votes"],
               "majority_share": r["majority_share"], "provenance": r["provenance"]}


def gold_meta(store: Store, gold: GoldSet, fmt: str) -> dict[str, Any]:
    o = gold.options
    return base_meta(
        store, gold.task.name, "gold", fmt, aggregate=o.aggregate, min_votes=o.min_votes,
        min_agreement=o.min_agreement, include_disputed=o.include_disputed, adjudication_threshold=o.threshold,
        majority_rule="annotator.analysis.pairs: the choice with the most votes; no single top choice is no majority",
        excluded_annotators=sorted(o.exclude), annotator_ids="names" if o.keep_names else "pseudonyms",
        pairs_considered=gold.considered, left_out=gold.left_out, provenance=gold.provenance_counts,
        dawid_skene_fitted=gold.ds_fitted if gold.ds_fitted is not None
        else "not computed (--aggregate majority: the ds_ columns are empty)",
        **({"both_bad": gold.both_bad} if gold.both_bad else {}))


def write_gold(store: Store, gold: GoldSet, path: Path, fmt: str, *,
               force: bool = False) -> tuple[int, dict[str, int]]:
    """Write the gold set in ``fmt``; returns the records written and, for the formats that
    need a decisive or any label, how many pairs they left out and why."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    meta = gold_meta(store, gold, fmt)
    skipped: dict[str, int] = {}
    meta["left_out_by_format"] = skipped  # filled while writing, saved after the rows
    if fmt == "chosen-rejected":
        n = write_export(path, "jsonl", CHOSEN_REJECTED_COLUMNS, _chosen_rejected(gold_rows(store, gold), skipped), meta, force=force)
    elif fmt == "alpaca-eval":
        n = write_export(path, "json", ALPACA_EVAL_COLUMNS, _alpaca_eval(gold_rows(store, gold), skipped), meta, force=force)
    else:
        n = write_export(path, fmt, gold_columns(gold.task), gold_batches(store, gold), meta, force=force,
                         batched=True)
    return n, skipped
