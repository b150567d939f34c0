"""``export gold --format hf --out DIR``: the gold set as a folder the Hugging Face Hub takes
as a dataset (``hf upload ORG/NAME DIR --repo-type dataset``).

* ``data/train-00000-of-00001.parquet``: every column of the Parquet gold export (one row per
  labelled pair), with its ``.meta.json`` provenance beside it as for every export;
* ``README.md``: the dataset card. Its YAML front matter (written by huggingface_hub's
  ``DatasetCardData``) names the config and split (``configs: default / train:
  data/train-*.parquet``), the size category and tags; its text gives the provenance (tool,
  time, task, aggregation and filters, pairs considered and left out, label provenance
  counts), the agreement between the annotators (Krippendorff's alpha, Fleiss' kappa, Gwet's
  AC1, raw agreement) and what each column means.

The folder is written beside its target and moved into place when complete; an existing
folder is replaced only with ``force``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from annotator.store import Store

from .gold import GoldSet, gold_columns, write_gold

DATA_FILE = "data/train-00000-of-00001.parquet"

COLUMN_MEANINGS = {
    "task": "the task (annotation campaign) the pair belongs to",
    "pair_id": "the pair's stable id in the task",
    "domain": "the pair's domain (e.g. instruction, math, code); empty when none",
    "prompt": "the instruction both responses answer",
    "source": "a source document the responses draw on (summarisation, document QA); empty when none",
    "response_a": "the first response (canonical order; annotators saw the sides in a random order of their own)",
    "response_b": "the second response",
    "model_a": "the model that wrote response_a, when known",
    "model_b": "the model that wrote response_b, when known",
    "label": "the gold label: A, B or tie; the adjudicated label when an adjudicator settled the pair, else the "
             "aggregate; empty when the votes are split and nobody adjudicated",
    "label_source": "where the label comes from (adjudication, majority or dawid-skene)",
    "provenance": "adjudicated, unanimous, majority, unresolved or single (one vote)",
    "n_votes": "how many human votes the pair has",
    "majority": "the choice with the most votes, or split",
    "majority_share": "the share of the votes the majority holds",
    "entropy_bits": "the entropy of the votes, in bits",
    "agreement": "the pair's observed agreement: the share of agreeing pairs of votes",
    "needs_adjudication": "true when the majority holds less than the adjudication threshold of the votes",
    "dispute_reason": "why the pair needs adjudication",
    "adjudicated_label": "the adjudicator's label, when adjudicated",
    "adjudication_reason": "the adjudicator's reason (guidelines_gap, ambiguous_pair, annotator_error, "
                           "both_acceptable)",
    "adjudication_note": "the adjudicator's note",
    "adjudicator": "who adjudicated (a pseudonym unless names were kept)",
    "adjudicated_at": "when (UTC)",
    "ds_label": "the Dawid-Skene label (annotators weighted by their estimated accuracy)",
    "annotators": "the annotators who voted, as a JSON list (pseudonyms unless names were kept)",
    "label_ids": "the ids of the votes behind the row, as a JSON list",
}


def column_meaning(name: str) -> str:
    if name.startswith("votes_"):
        return f"how many human votes chose {name[len('votes_'):]}"
    if name.startswith("ds_p_"):
        return f"the Dawid-Skene probability of {name[len('ds_p_'):]}"
    if name.startswith("factor_"):
        return f"the annotators' majority answer on the factor {name[len('factor_'):]} (which response shows more)"
    return COLUMN_MEANINGS.get(name, "")


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def _value(estimate: Any) -> str:
    value = getattr(estimate, "value", None)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        reason = getattr(estimate, "reason", "") or "undefined"
        return f"undefined ({reason})"
    return f"{value:.3f}"


def agreement_lines(store: Store, gold: GoldSet) -> list[str]:
    """The annotators' agreement on the task (the numbers `stats agreement` prints)."""
    from annotator.analysis.report import task_agreement_report

    report = task_agreement_report(store, gold.task.name, gold.options.exclude, resamples=0,
                                   both_bad=gold.options.both_bad)
    o = report.overall
    return [
        f"- pairs with two or more votes: {o.n_pairs_multiply_labelled:,} of {o.n_pairs:,}; "
        f"{o.n_labels:,} labels by {o.n_annotators} annotators",
        f"- Krippendorff's alpha (nominal): {_value(o.krippendorff_alpha)}",
        f"- Fleiss' kappa: {_value(o.fleiss_kappa)}",
        f"- Gwet's AC1: {_value(o.gwet_ac1)}",
        f"- raw agreement (share of agreeing pairs of votes): {_value(o.percent_agreement['with_ties'])}",
    ]


def card_text(store: Store, gold: GoldSet, meta: dict[str, Any], rows: int) -> str:
    from huggingface_hub import DatasetCard, DatasetCardData

    task = gold.task
    data = DatasetCardData(
        pretty_name=f"{task.title or task.name}: human preference gold labels",
        size_categories=[_size_category(rows)],
        task_categories=["text-classification"],
        tags=["preference", "pairwise-comparison", "human-feedback", "llm-as-a-judge", "annotator"],
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*.parquet"}]}],
    )
    o = gold.options
    provenance = [
        f"- written by {meta['tool']} at {meta['exported_at']} from task `{task.name}` (schema {meta['schema_version']})",
        f"- gold label: {o.aggregate} of the human votes unless adjudicated; pairs with fewer than {o.min_votes} "
        f"vote(s) left out; minimum agreement {o.min_agreement}; unresolved pairs "
        f"{'kept' if o.include_disputed else 'left out'}; adjudication threshold {o.threshold}",
        f"- pairs considered: {gold.considered:,}; rows: {rows:,}"
        + (f"; left out: {', '.join(f'{n:,} {why}' for why, n in gold.left_out.items())}" if gold.left_out else ""),
        "- label provenance: " + ", ".join(f"{n:,} {p}" for p, n in gold.provenance_counts.items()),
        f"- annotators: {'names' if o.keep_names else 'pseudonyms (annotator-1, annotator-2, ...)'}"
        + (f"; left out: {', '.join(sorted(o.exclude))}" if o.exclude else ""),
    ]
    columns = "\n".join(f"| `{c.name}` | {c.kind} | {column_meaning(c.name)} |" for c in gold_columns(task))
    body = "\n".join([
        f"# {task.title or task.name}: human preference gold labels", "",
        "Pairs of responses to one instruction, each labelled by people (which response is better: A, B or tie), "
        "aggregated into one gold label per pair with its agreement and provenance. Exported by "
        "[annotator](https://pypi.org/project/annotator/) (`annotator export gold --format hf`).", "",
        "## Provenance", "", *provenance, "", "## Agreement between the annotators", "",
        *agreement_lines(store, gold), "",
        "## Columns", "", "| column | type | meaning |", "|---|---|---|", columns, "",
        "## Loading", "", "```python", "from datasets import load_dataset",
        'gold = load_dataset("ORG/NAME", split="train")  # after `hf upload ORG/NAME DIR --repo-type dataset`',
        "```", "",
    ])
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}"))


def write_hf(store: Store, gold: GoldSet, out: Path, *, force: bool = False) -> tuple[int, dict[str, int]]:
    """Write the folder ``out``; returns the rows written and the pairs the format left out."""
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        raise ValueError("--format hf needs huggingface_hub (pip install 'annotator[hf]')") from None
    if out.exists() and not force:
        raise FileExistsError(str(out))
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        (work / "data").mkdir()
        n, skipped = write_gold(store, gold, work / DATA_FILE, "parquet")
        meta = json.loads((work / f"{DATA_FILE}.meta.json").read_text(encoding="utf-8"))
        (work / "README.md").write_text(card_text(store, gold, meta, n), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(work, 0o777 & ~mask)  # a temporary folder is 0700; a gold set is meant to be shared
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return n, skipped
