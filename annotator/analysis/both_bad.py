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
    labels = sum(store.choice_by_pair(task, BOTH_BAD, exclude=exclude).values())
    if not offered and not labels:
        return None
    return {"name": rule, "rule": BOTH_BAD_TEXT[rule], "labels": labels, "offered": offered}


def both_bad_caption(both_bad: dict[str, Any] | None) -> str:
    """The line under a table: ``both bad counted as tie (--both-bad tie): 3 labels`` ('' when None)."""
    if not both_bad:
        return ""
    n = both_bad["labels"]
    return f"{both_bad['rule']}: {n:,} label{'' if n == 1 else 's'}"


def adjudications_under(adjudications: dict[int, Any], rule: str = DEFAULT_BOTH_BAD) -> dict[int, Any]:
    """Pair -> current ``Adjudication`` with a "both_bad" decision under ``rule``, as the labels
    are read: a tie, or no adjudication (the pair falls back to its annotators' majority)."""
    from dataclasses import replace

    check_both_bad(rule)
    out = {}
    for pair, adjudication in adjudications.items():
        if adjudication.choice == BOTH_BAD:
            if rule == "exclude":
                continue
            adjudication = replace(adjudication, choice="tie")
        out[pair] = adjudication
    return out


def counted_categories(categories: Iterable[str], choices: Any) -> tuple[str, ...]:
    """The categories a statistic counts: ``categories`` (the task's ``choices``), with "tie"
    added when ``choices`` (the labels read) hold one that the task itself does not allow (a
    "both_bad" label under ``--both-bad tie`` on a task without ties)."""
    categories = tuple(categories)
    if "tie" not in categories and len(choices) and (choices == "tie").any():
        return ("A", "B", "tie")
    return categories
