"""Parsers for PROFILE's printed extraction prompts (appendix D.2), which ask for JSON: a
'yes' or 'no' decision per statement with justifications (``json-labels``), or one decision
per response (``json-decision``).

``json-labels``: every ``"decision": "yes" | "no"`` in the answer, in order, is one label (a
JSON list of such objects, or an object keyed by statement, or any layout that keeps the
decisions in the statements' order); with none, the numbered "1. yes" lines that
``fact-labels`` reads. ``json-labels:invert`` flips each label, for prompts whose question
is the factor's opposite (Off Focus asks "is it related to the main focus", Hallucination
"does it accurately match the post"): the score is then the share of facts that show the
factor. As with ``fact-labels``, the caller checks that there is one label per fact.

``json-decision``: the last ``"decision": ...`` value: yes = 1, no = 0; for Formality
Alignment's three levels, Aligned = 1, Partially Aligned = 0.5, Not Aligned = 0 (the
paper's D.1 also calls the last one "Misaligned"; both are read). Without JSON, a last line
"Answer: yes|no" or a bare level is read the same way.
"""

from __future__ import annotations

import re

from .parsers import ParseResult, parse_fact_labels, unscored

_DECISION = re.compile(r"[\"']?decision[\"']?\s*:\s*[\"']?\s*([A-Za-z][A-Za-z -]*?)\s*[\"',}\n]", re.IGNORECASE)
LEVELS = {"yes": 1.0, "no": 0.0, "aligned": 1.0, "partially aligned": 0.5, "partially-aligned": 0.5,
          "not aligned": 0.0, "misaligned": 0.0}
_BARE = re.compile(r"(?:^|answer\s*:\s*|decision\s*:\s*)\**\s*(yes|no|partially[ -]aligned|not aligned|misaligned|aligned)\b",
                   re.IGNORECASE | re.MULTILINE)


def parse_json_labels(text: str, top_logprobs=None, argument: str = "") -> ParseResult:
    words = [m.group(1).strip().lower() for m in _DECISION.finditer(text)]
    if words and all(w in ("yes", "no") for w in words):
        labels = [w == "yes" for w in words]
    else:
        result = parse_fact_labels(text)
        if result.items is None or not result.items:
            return result if result.unscored_reason else unscored(text)
        labels = list(result.items)
    if argument == "invert":
        labels = [not label for label in labels]
    return ParseResult(None, score=sum(labels) / len(labels), items=tuple(labels), explanation=text.strip())


def parse_json_decision(text: str, top_logprobs=None, argument: str = "") -> ParseResult:
    words = [m.group(1).strip().lower() for m in _DECISION.finditer(text)]
    words = [w for w in words if w in LEVELS] or [m.group(1).lower() for m in _BARE.finditer(text)]
    if not words:
        return unscored(text)
    word = words[-1].replace("-", " ") if words[-1] != "partially-aligned" else "partially aligned"
    return ParseResult(None, score=LEVELS[word], explanation=text.strip())


# -- generation at score levels (PROFILE E.1.1) -----------------------------------------------
_LEVEL = re.compile(r"^[ \t*#]*SCORE\s+(\d+)\s*[A-Za-z]*[ \t*]*:[ \t*]*", re.IGNORECASE | re.MULTILINE)


def parse_score_levels(text: str, top_logprobs=None, argument: str = "1-5") -> ParseResult:
    """Responses written at score levels: each starts with "SCORE N RESPONSE:" (any word
    before the colon: SUMMARY, ANSWER). ``items`` are the texts of levels LOW..HIGH in order;
    a missing, repeated, empty or out-of-range level makes the answer unscored, with the
    reason. The score is the number of levels."""
    from .parsers import score_range

    low, high = score_range(argument or "1-5")
    marks = list(_LEVEL.finditer(text))
    if not marks:
        return unscored(text)
    found: dict[int, str] = {}
    for mark, following in zip(marks, [*marks[1:], None]):
        level = int(mark.group(1))
        body = text[mark.end(): following.start() if following else len(text)].strip()
        if level in found or not low <= level <= high:
            return ParseResult(None, unscored_reason=f"unparseable: score level {level} repeated or out of range")
        found[level] = body
    missing = [lv for lv in range(low, high + 1) if not found.get(lv)]
    if missing:
        return ParseResult(None, unscored_reason=f"unparseable: no response at score level {missing[0]}")
    return ParseResult(None, score=float(high - low + 1), items=tuple(found[lv] for lv in range(low, high + 1)))


def parse_text(text: str, top_logprobs=None, argument: str = "") -> ParseResult:
    """The whole answer as one text (feedback, a revised response): ``items`` holds it, the
    score is 1; an empty answer is unscored."""
    body = (text or "").strip()
    if not body:
        return ParseResult(None, unscored_reason="unparseable: empty answer")
    return ParseResult(None, score=1.0, items=(body,))
