"""Parsers: a judge's raw output to a verdict in the order presented, or an unscored reason.

A verdict here is in the *presented* frame: "A" means the response shown first, "B" the one
shown second, "tie" a tie. The runner maps it back to the pair's canonical order. An output
that says nothing usable is *unscored* with a reason ("empty", "refusal", "unparseable"),
never counted as a wrong answer.

Pointwise parsers read a *score* instead of a verdict: ``score`` (an integer in a range,
named in the parser spec: ``score:1-10``), ``yes-no`` (1 for yes, 0 for no), ``facts`` (a
list of atomic facts; the score is how many) and ``fact-labels`` (one yes / no per numbered
fact; the score is the share of yes). A spec is the parser's name, optionally followed by
``:`` and its argument.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from annotator.store import orders

_REFUSAL = re.compile(
    r"\b(I can(?:no|['’])t|I cannot|I['’]m sorry|I am sorry|I apologi[sz]e|I won['’]t|I will not|"
    r"I['’]m unable|I am unable|I['’]m not able|I am not able|I must decline|I have to decline|"
    r"As an AI)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParseResult:
    verdict: str | None  # presented frame: "A" (first shown), "B" (second shown), "tie"
    p_first: float | None = None  # soft verdict: probability the first shown is better
    explanation: str = ""
    unscored_reason: str = ""
    score: float | None = None  # pointwise parsers: the number read
    items: tuple = ()  # list parsers: the facts, or one bool per fact


def unscored(text: str) -> ParseResult:
    """Why an output with no verdict in it is unscored."""
    stripped = text.strip()
    if not stripped:
        return ParseResult(None, unscored_reason="empty")
    if _REFUSAL.search(stripped):
        return ParseResult(None, unscored_reason="refusal")
    return ParseResult(None, unscored_reason="unparseable")


# -- identifier-mM: WorldAlignment / AlpacaEval ------------------------------------------------
# An optional echo of the heading ("## Best Model Identifier", "Model identifier:"), then
# the identifier itself; the identifier is case-sensitive (m is the first shown, M the second).
_IDENTIFIER = re.compile(
    r"""^[\s"'`*(\[]*(?i:\#*\s*(?:best\s+)?model[_ ]identifier\**[:\s]*)?[\s"'`*(\[]*(m|M)(?![A-Za-z0-9])"""
)


def soft_identifier(top_logprobs: Sequence[tuple[str, float]] | None) -> float | None:
    """P(first) = P(m) / (P(m) + P(M)) from the first token's top logprobs, as AlpacaEval's
    weighted judge computes it. Tokens count after stripping spaces and quotes (" m" is m).
    None when neither identifier is among the top tokens (no information, not 0.5)."""
    if not top_logprobs:
        return None
    p = {"m": 0.0, "M": 0.0}
    for token, logprob in top_logprobs:
        key = token.strip().strip("\"'`")
        if key in p and logprob is not None and math.isfinite(logprob):
            p[key] += math.exp(logprob)
    total = p["m"] + p["M"]
    return p["m"] / total if total > 0 else None


def parse_identifier(text: str, top_logprobs: Sequence[tuple[str, float]] | None = None) -> ParseResult:
    p_first = soft_identifier(top_logprobs)
    match = _IDENTIFIER.match(text)
    if match:
        verdict = "A" if match.group(1) == "m" else "B"
        return ParseResult(verdict, p_first)
    if p_first is not None and p_first != 0.5:
        # The text is not an identifier but the first token's distribution is: keep the
        # soft verdict and the hard verdict it implies.
        return ParseResult("A" if p_first > 0.5 else "B", p_first)
    result = unscored(text)
    return ParseResult(None, p_first, unscored_reason=result.unscored_reason)


# -- mt-bench: [[A]] / [[B]] / [[C]] --------------------------------------------------------
_MT_BENCH = re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE)
# Text between two tokens that makes them an enumeration ("[[A]] vs [[B]]", "[[A]], [[B]] or
# [[C]]"), and text after a token that makes it a description of the format ('"[[A]]" if
# assistant A is better', '"[[C]]" for a tie'): such tokens are mentions, not verdicts.
_ENUMERATION = re.compile(r"""^[\s"'`*,/]*(?:vs\.?|versus|and|or|,|/)?[\s"'`*,/]*$""", re.IGNORECASE)
_FORMAT_TAIL = re.compile(r"""["'`*]*\s*(?:if\b|for a tie\b|means\b|would\b|when\b)""", re.IGNORECASE)


def _verdict_tokens(text: str) -> list[re.Match]:
    """The ``[[X]]`` tokens of ``text`` that are verdicts, not mentions of the format."""
    matches = list(_MT_BENCH.finditer(text))
    mention = [False] * len(matches)
    for i, match in enumerate(matches):
        if _FORMAT_TAIL.match(text, match.end()):
            mention[i] = True
        if i + 1 < len(matches) and _ENUMERATION.match(text[match.end():matches[i + 1].start()]):
            mention[i] = mention[i + 1] = True
    return [m for m, is_mention in zip(matches, mention) if not is_mention]


def parse_mt_bench(text: str, top_logprobs=None) -> ParseResult:
    """The last ``[[A]]``, ``[[B]]`` or ``[[C]]`` that is a verdict (C is a tie). Tokens in an
    enumeration ("[[A]] vs [[B]]") or in an echo of the format ('"[[A]]" if ...') are mentions
    and do not count; an output with mentions only is unparseable. The explanation is the rest
    of the text (before and after the verdict)."""
    tokens = _verdict_tokens(text)
    if not tokens:
        return unscored(text)
    last = tokens[-1]
    token = last.group(1).upper()
    verdict = {"A": "A", "B": "B", "C": "tie", "TIE": "tie"}[token]
    start, end = last.start(), last.end()
    while start > 0 and end < len(text) and text[start - 1] == "*" and text[end] == "*":
        start, end = start - 1, end + 1
    before, after = text[:start].strip(), text[end:].strip()
    return ParseResult(verdict, explanation=f"{before} {after}".strip())


# -- profile: "Preferred: Output (a)" / "(b)" / "Tie" ----------------------------------------
_PROFILE = re.compile(
    r"preferred\s*(?:output)?\s*[:\-]\s*\**\s*(?:output\s*)?\(?\s*(a|b|tie)\s*\)?(?![a-z])",
    re.IGNORECASE,
)


def parse_profile(text: str, top_logprobs=None) -> ParseResult:
    matches = list(_PROFILE.finditer(text))
    if not matches:
        return unscored(text)
    last = matches[-1]
    verdict = {"a": "A", "b": "B", "tie": "tie"}[last.group(1).lower()]
    return ParseResult(verdict, explanation=text[: last.start()].strip())


# -- pointwise: a score in a range -----------------------------------------------------------
# Explicit forms first ("[[7]]" as MT-Bench's single-answer grading asks, "Rating: 7",
# "Score: 7", "7/10", "7 out of 10"); the last explicit one counts. Otherwise an output that
# is just a number. A decimal where an integer is asked for is unparseable, not rounded.
_SCORE_EXPLICIT = re.compile(
    r"\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]"
    r"|\b(?:rating|score|grade)\s*[:=]?\s*\**\s*(-?\d+(?:\.\d+)?)"
    r"|(-?\d+(?:\.\d+)?)\s*(?:/|out of)\s*\d+",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(r"^[\s*\"'`]*(-?\d+(?:\.\d+)?)[\s*\"'`.]*$")


def score_range(argument: str) -> tuple[int, int]:
    """``"1-10"`` -> (1, 10); raises ValueError for anything else."""
    match = re.fullmatch(r"(-?\d+)-(-?\d+)", argument.strip())
    if not match or int(match.group(1)) >= int(match.group(2)):
        raise ValueError(f"a score range is LOW-HIGH with LOW < HIGH (e.g. 1-10), found {argument!r}")
    return int(match.group(1)), int(match.group(2))


def parse_score(text: str, top_logprobs=None, argument: str = "1-10") -> ParseResult:
    low, high = score_range(argument)
    found = [next(g for g in m.groups() if g is not None) for m in _SCORE_EXPLICIT.finditer(text)]
    if not found:
        bare = _BARE_NUMBER.match(text)
        found = [bare.group(1)] if bare else []
    if not found:
        return unscored(text)
    value = found[-1]
    if not re.fullmatch(r"-?\d+", value):
        return ParseResult(None, unscored_reason=f"not an integer: {value}")
    number = int(value)
    if not low <= number <= high:
        return ParseResult(None, unscored_reason=f"out of range {low}-{high}: {number}")
    return ParseResult(None, score=float(number), explanation=text.strip())


# -- pointwise: yes / no ----------------------------------------------------------------------
_YES_NO = re.compile(r"\b(?:answer|verdict)\s*[:\-]\s*\**\s*(yes|no)\b|^[\s*\"'`]*(yes|no)\b", re.IGNORECASE | re.MULTILINE)


def parse_yes_no(text: str, top_logprobs=None, argument: str = "") -> ParseResult:
    """The last "Answer: yes|no" (or a line starting with yes / no): score 1 or 0."""
    matches = list(_YES_NO.finditer(text))
    if not matches:
        return unscored(text)
    word = (matches[-1].group(1) or matches[-1].group(2)).lower()
    return ParseResult(None, score=1.0 if word == "yes" else 0.0, explanation=text.strip())


# -- lists: atomic facts and per-fact labels ---------------------------------------------------
_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.):])\s+(.+?)\s*$")
_NONE = re.compile(r"^\W*(?:none|no (?:atomic )?facts?(?: found)?|n/?a)\W*$", re.IGNORECASE)


def _json_list(text: str) -> list | None:
    import json

    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`")
        stripped = stripped[stripped.find("\n") + 1:] if "\n" in stripped else stripped
    start, end = stripped.find("["), stripped.rfind("]")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(stripped[start:end + 1])
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def parse_facts(text: str, top_logprobs=None, argument: str = "") -> ParseResult:
    """Atomic facts, one per "- " / "1. " line (or a JSON list of strings); "NONE" is an
    empty list. The score is the number of facts."""
    if _NONE.match(text.strip() or "x"):
        return ParseResult(None, score=0.0, items=())
    listed = _json_list(text)
    if listed is not None and all(isinstance(x, str) for x in listed):
        facts = [x.strip() for x in listed if x.strip()]
    else:
        facts = [m.group(1) for m in map(_ITEM.match, text.splitlines()) if m]
    if not facts:
        return unscored(text)
    return ParseResult(None, score=float(len(facts)), items=tuple(facts))


_LABEL_LINE = re.compile(r"^\s*(?:fact\s*)?(\d+)\s*[.):\-]?\s*[:\-]?\s*\**\s*(yes|no|true|false)\b", re.IGNORECASE)


def parse_fact_labels(text: str, top_logprobs=None, argument: str = "") -> ParseResult:
    """One yes / no per numbered fact ("1. yes" lines, or a JSON list of yes / no / true /
    false). The numbers must run 1..n without a gap or a repeat; the score is the share of
    yes. Whether n is the number of facts asked about is checked by the caller."""
    listed = _json_list(text)
    if listed is not None and listed and all(isinstance(x, (bool, str)) for x in listed):
        words = [str(x).strip().lower() for x in listed]
        if all(w in ("yes", "no", "true", "false") for w in words):
            labels = [w in ("yes", "true") for w in words]
            return ParseResult(None, score=sum(labels) / len(labels), items=tuple(labels))
    numbered = [(int(m.group(1)), m.group(2).lower() in ("yes", "true")) for m in map(_LABEL_LINE.match, text.splitlines()) if m]
    if not numbered:
        return unscored(text)
    if [n for n, _ in numbered] != list(range(1, len(numbered) + 1)):
        return ParseResult(None, unscored_reason="unparseable: fact numbers not 1..n in order")
    labels = [label for _, label in numbered]
    return ParseResult(None, score=sum(labels) / len(labels), items=tuple(labels))


Parser = Callable[..., ParseResult]

PARSERS: dict[str, Parser] = {
    "identifier-mM": parse_identifier,
    "mt-bench": parse_mt_bench,
    "profile": parse_profile,
    "score": parse_score,
    "yes-no": parse_yes_no,
    "facts": parse_facts,
    "fact-labels": parse_fact_labels,
}
POINTWISE_PARSERS = ("score", "yes-no", "facts", "fact-labels", "json-labels", "json-decision", "score-levels", "text")


def _register_json_parsers() -> None:
    """PROFILE's printed prompts answer in JSON (``annotator.judge.json_parsers``)."""
    from .json_parsers import parse_json_decision, parse_json_labels, parse_score_levels, parse_text

    PARSERS["json-labels"] = parse_json_labels
    PARSERS["json-decision"] = parse_json_decision
    PARSERS["score-levels"] = parse_score_levels
    PARSERS["text"] = parse_text


_register_json_parsers()


def split_spec(spec: str) -> tuple[str, str]:
    """``"score:1-10"`` -> ("score", "1-10"); ``"mt-bench"`` -> ("mt-bench", "")."""
    name, _, argument = spec.partition(":")
    return name, argument


def is_pointwise(spec: str) -> bool:
    return split_spec(spec)[0] in POINTWISE_PARSERS


def parse(parser: str, text: str, top_logprobs: Sequence[tuple[str, float]] | None = None) -> ParseResult:
    """Parse with a parser spec (a name, or ``name:argument`` such as ``score:1-10``)."""
    name, argument = split_spec(parser)
    if name in POINTWISE_PARSERS and argument:
        return PARSERS[name](text or "", top_logprobs, argument)
    return PARSERS[name](text or "", top_logprobs)


def to_canonical(result: ParseResult, order: str) -> tuple[str | None, float | None]:
    """Un-swap a presented-frame verdict: ``(canonical verdict, p_a)``; for order "BA" the first
    shown is canonical B (the swap itself: :mod:`annotator.store.orders`)."""
    verdict = None if result.verdict is None else orders.to_canonical(result.verdict, order)
    return verdict, orders.p_a(result.p_first, order)
