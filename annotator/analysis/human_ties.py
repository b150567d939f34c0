"""Pairs the humans tied, in PROFILE's factor analysis: a named rule.

* ``count`` (the tool's default): every human-labelled pair enters every agent's factor
  scores; a pair the humans' majority tied is a preference tie of the humans (T in the
  evaluation setting) and the judges' verdicts on it count as theirs.
* ``exclude`` (PROFILE section 4.1): pairs whose human majority is a tie are left out of the
  factor analysis for every agent, humans and judges alike.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

HUMAN_TIE_RULES = ("count", "exclude")
DEFAULT_HUMAN_TIES = "count"
HUMAN_TIE_TEXT = {
    "count": "pairs the humans tied count (a human preference tie)",
    "exclude": "pairs the humans tied are left out for every agent (PROFILE section 4.1)",
}


def apply_human_ties(agents: dict[str, pd.Series], humans: pd.Series, rule: str) -> tuple[dict[str, pd.Series], dict[str, Any]]:
    """The agents' preferences under ``rule``, and what was done (the rule, its text, the
    pairs left out)."""
    if rule not in HUMAN_TIE_RULES:
        raise ValueError(f"human ties rule must be one of {', '.join(HUMAN_TIE_RULES)}, found {rule!r}")
    tied = humans.index[humans == "tie"] if rule == "exclude" else humans.index[:0]
    kept = {name: prefs[~prefs.index.isin(tied)] for name, prefs in agents.items()}
    return kept, {"rule": rule, "text": HUMAN_TIE_TEXT[rule], "pairs_left_out": int(len(tied))}
