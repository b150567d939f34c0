"""What a statistic says about "both bad" labels (``--both-bad``, ``defaults.BOTH_BAD_RULES``).

The rule itself is applied where the store reads the labels for the statistics
(``Store.labels_frame`` / ``Store.votes_frame``, ``both_bad=``), so every figure of a command is
computed under it; this module names the rule for the output: printed under the tables and
given in ``--json``, only where it matters (the task offers "both_bad" or a label holds it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotator.store.models import BOTH_BAD
from annotator.store.protocol import AnalysisStore

from .defaults import BOTH_BAD_RULES, BOTH_BAD_TEXT, DEFAULT_BOTH_BAD


def check_both_bad(rule: str) -> str:
    if rule not in BOTH_BAD_RULES:
        raise ValueError(f"both_bad must be one of {', '.join(BOTH_BAD_RULES)}, got {rule!r}")
    return rule


def both_bad_json(store: AnalysisStore, task: str, rule: str = DEFAULT_BOTH_BAD,
                  exclude: Iterable[str] = ()) -> dict[str, Any] | None:
    """``{"name": rule, "rule": its text, "labels": current "both_bad" labels, "offered": bool}``
    when ``task`` offers "both_bad" or any of its labels (less ``exclude``) holds it; else None."""
    check_both_bad(rule)
    offered = store.require_task(task).allows_both_bad
    labels = store.choice_count(task, BOTH_BAD, exclude=exclude)
    if not offered and not labels:
        return None
    return {"name": rule, "rule": BOTH_BAD_TEXT[rule], "labels": labels, "offered": offered}


def both_bad_caption(both_bad: dict[str, Any] | None) -> str:
    """The line under a table: ``both bad counted as tie (--both-bad tie): 3 labels`` ('' when None)."""
    if not both_bad:
        return ""
    n = both_bad["labels"]
    return f"{both_bad['rule']}: {n:,} label{'' if n == 1 else 's'}"
