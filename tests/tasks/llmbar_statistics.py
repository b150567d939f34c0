"""LLMBar's ``statistics.json`` figures recomputed from an imported ``llmbar_run`` task, for the
fixture tests and the real-data tests alike.

LLMBar's ``evaluate.py`` writes, per run over n pairs: ``correct_False`` / ``correct_True``
("k / n = p%": the winner of the swap = False / swap = True game equals the label, a null
winner counting as wrong), ``correct_both``, ``equal`` (the same winner in both games, two
nulls counting as equal) and ``kappa_agreement`` (Cohen's kappa between the two games'
winners, each read as 1 for "1" and 0 for anything else, null included). They are
recomputed here with the project's own functions only: ``judge_verdicts`` on the stored
judgments and ``gold_accuracy`` against the pairs' gold.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from annotator.analysis.gold import gold_accuracy
from annotator.analysis.verdicts import judge_verdicts

COUNTS = {"correct_False": "accuracy_first", "correct_True": "accuracy_second", "correct_both": "both_correct",
          "equal": "llmbar_equal"}
FIELDS = (*COUNTS, "kappa_agreement")


def published(path: Path) -> dict:
    """A statistics.json as counts: {"correct_False": (k, n), ..., "kappa_agreement": x}."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for key in COUNTS:
        k, n = re.match(r"(\d+) / (\d+) = ", raw[key]).groups()
        out[key] = (int(k), int(n))
    out["kappa_agreement"] = float(raw["kappa_agreement"])
    return out


def recomputed(store, task: str) -> dict[str, dict]:
    """Per judge run of the task, the same figures from the stored judgments."""
    gold = store.pairs_frame(task).set_index("pair")["gold"]
    verdicts = judge_verdicts(store.judgments_frame(task), "both")
    out = {}
    for run, rows in verdicts.groupby("run_name"):
        accuracy = gold_accuracy(rows, gold)
        figures = {}
        for key, attribute in COUNTS.items():
            estimate = getattr(accuracy, attribute)
            figures[key] = (estimate.extra["successes"], estimate.n)
        figures["kappa_agreement"] = accuracy.kappa_between_orders_llmbar.value
        out[str(run)] = figures
    return out


def matches(mine: dict, theirs: dict) -> dict[str, bool]:
    """Field by field: counts equal, kappa within 1e-9 (both undefined counts as equal)."""
    out = {key: mine[key] == theirs[key] for key in COUNTS}
    a, b = mine["kappa_agreement"], theirs["kappa_agreement"]
    out["kappa_agreement"] = (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9
    return out
