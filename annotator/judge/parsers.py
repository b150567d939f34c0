"""Parsers: a judge's raw output to a verdict in the order presented, or an unscored reason.

A verdict here is in the *presented* frame: "A" means the response shown first, "B" the one
shown second, "tie" a tie. The runner maps it back to the pair's canonical order. An output
that says nothing usable is *unscored* with a reason ("empty", "refusal", "unparseable"),
never counted as a wrong answer.
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


Parser = Callable[..., ParseResult]

PARSERS: dict[str, Parser] = {
    "identifier-mM": parse_identifier,
    "mt-bench": parse_mt_bench,
    "profile": parse_profile,
}


def parse(parser: str, text: str, top_logprobs: Sequence[tuple[str, float]] | None = None) -> ParseResult:
    return PARSERS[parser](text or "", top_logprobs)


def to_canonical(result: ParseResult, order: str) -> tuple[str | None, float | None]:
    """Un-swap a presented-frame verdict: ``(canonical verdict, p_a)``; for order "BA" the first
    shown is canonical B (the swap itself: :mod:`annotator.store.orders`)."""
    verdict = None if result.verdict is None else orders.to_canonical(result.verdict, order)
    return verdict, orders.p_a(result.p_first, order)
