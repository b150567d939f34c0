"""Gold sets: the humans' aggregated labels, with their agreement and provenance.

One row per labelled pair, built from the current labels (``Store.labels_frame``), their
aggregation (``analysis.aggregate.aggregated_labels``: majority vote and Dawid-Skene) and
the pairs' texts. Formats:

* ``jsonl`` / ``csv`` / ``parquet``: every column (texts, votes, majority and its share,
  agreement, adjudication flag, Dawid-Skene label and posteriors, the factor majorities,
  the annotators and label ids that back the row);
* ``chosen-rejected``: ``{prompt, chosen, rejected}`` JSONL for preference training (DPO,
  reward models); ties and pairs without a decisive label are left out;
* ``alpaca-eval``: AlpacaEval's annotation records (``instruction, output_1, generator_1,
  output_2, generator_2, preference``), response B as ``output_1`` (the baseline) and A as
  ``output_2``; preference 1 = B, 2 = A, 1.5 = tie: what judge-calibration tools read.

Every format gets its provenance beside it in ``<file>.meta.json``. Files are written to a
temporary name and renamed, so an export is never half-written; a pipe or a device
(``--out /dev/stdout``) is written through, without provenance file.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from annotator import __version__
from annotator.analysis.aggregate import aggregated_labels, factor_majorities
from annotator.analysis.ratings import ratings_from_frame
from annotator.store import Store, utc_now

from .options import AGGREGATES, FORMATS, GoldOptions


def gold_frame(store: Store, task: str, options: GoldOptions | None = None) -> pd.DataFrame:
    """The gold set of a task as a DataFrame, one row per kept pair; see the module docstring."""
    options = options or GoldOptions()
    if options.aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {AGGREGATES}")
    spec = store.require_task(task)
    labels = store.labels_frame(task)
    if labels.empty:
        return pd.DataFrame()
    ratings = ratings_from_frame(labels, "choice", spec.choices)
    agg = aggregated_labels(ratings, options.threshold)
    agg["label"] = agg["ds_label"] if options.aggregate == "dawid-skene" else agg["majority"]
    if options.aggregate == "dawid-skene" and agg["ds_label"].isna().all():
        raise ValueError("Dawid-Skene could not be fitted on these labels (too few annotators or votes); use majority")
    # a pair whose top votes are shared keeps the label "split" (it is not a tie): a disputed
    # pair, left out of the preference formats
    keep = (agg["n_votes"] >= options.min_votes) & agg["label"].notna()
    if options.min_agreement > 0:
        keep &= agg["majority_share"].fillna(0) >= options.min_agreement
    if not options.include_disputed:
        keep &= ~agg["needs_adjudication"]
    agg = agg[keep].sort_index()  # the pairs' order, not the order they were labelled in
    backing = labels.groupby("pair").agg(annotators=("annotator", lambda s: sorted(s)),
                                         label_ids=("label_id", lambda s: sorted(int(x) for x in s)))
    factors = factor_majorities(labels, [f.key for f in spec.factors]).add_prefix("factor_")
    pairs = {p.id: p for p in store.pairs(task)}
    rows = []
    for pair_id, row in agg.join(backing).join(factors).iterrows():
        pair = pairs[pair_id]
        record = {
            "task": task, "pair_id": pair.pair_id, "domain": pair.domain, "prompt": pair.prompt,
            "source": pair.source, "response_a": pair.response_a, "response_b": pair.response_b,
            "model_a": pair.model_a, "model_b": pair.model_b,
        }
        record.update({k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()})
        rows.append(record)
    return pd.DataFrame(rows)


def provenance(store: Store, task: str, options: GoldOptions, rows: int) -> dict[str, Any]:
    return {
        "tool": f"annotator {__version__}", "exported_at": utc_now(), "task": task,
        "schema_version": store.schema_version, "aggregate": options.aggregate,
        "min_votes": options.min_votes, "min_agreement": options.min_agreement,
        "include_disputed": options.include_disputed, "adjudication_threshold": options.threshold,
        "rows": rows,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def is_stream(path: Path) -> bool:
    """Whether ``path`` is a pipe, a terminal or a device (``/dev/stdout``): written through, never replaced."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _atomic_write(path: Path, write) -> None:
    if is_stream(path):
        write(path)
        return
    if path.is_symlink():
        path = path.resolve()  # replace the file the link points to, not the link
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private (0600); an export is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_gold(frame: pd.DataFrame, path: Path, fmt: str, meta: dict[str, Any]) -> int:
    """Write ``frame`` in format ``fmt``; returns the number of records written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if fmt == "chosen-rejected":
        decisive = frame[frame["label"].isin(["A", "B"])] if len(frame) else frame
        records = [
            {"prompt": r["prompt"], "chosen": r["response_a"] if r["label"] == "A" else r["response_b"],
             "rejected": r["response_b"] if r["label"] == "A" else r["response_a"],
             "pair_id": r["pair_id"], "task": r["task"], "agreement": r["majority_share"]}
            for r in _records(decisive)
        ]
        _atomic_write(path, lambda p: p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"))
        return _write_meta(path, meta, len(records))
    if fmt == "alpaca-eval":
        preference = {"A": 2.0, "B": 1.0, "tie": 1.5, "split": 1.5}
        records = [
            {"instruction": r["prompt"], "output_1": r["response_b"], "generator_1": r["model_b"],
             "output_2": r["response_a"], "generator_2": r["model_a"], "preference": preference[r["label"]],
             "annotator": "humans", "pair_id": r["pair_id"], "n_votes": r["n_votes"],
             "majority_share": r["majority_share"]}
            for r in _records(frame)
        ]
        _atomic_write(path, lambda p: p.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8"))
        return _write_meta(path, meta, len(records))
    if fmt == "jsonl":
        records = _records(frame)
        _atomic_write(path, lambda p: p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"))
    elif fmt == "csv":
        flat = frame.copy()
        for column in ("annotators", "label_ids"):
            if column in flat:
                flat[column] = flat[column].map(json.dumps)
        _atomic_write(path, lambda p: flat.to_csv(p, index=False))
    else:
        _atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    return _write_meta(path, meta, len(frame))


def _write_meta(path: Path, meta: dict[str, Any], records: int) -> int:
    """The provenance beside the export (``<file>.meta.json``), whatever the format."""
    if is_stream(path):
        return records
    meta = {**meta, "rows": records} if "rows" in meta else meta
    meta_path = path.with_name(path.name + ".meta.json")
    _atomic_write(meta_path, lambda p: p.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8"))
    return records


def default_export_path(task: str, suffix: str) -> Path:
    """``exports/<task>-gold<suffix>``, the task name made a safe file name (no folders, no leading dot)."""
    safe = re.sub(r"[^\w.-]+", "_", task).lstrip(".") or "task"
    return Path("exports") / f"{safe}-gold{suffix}"
