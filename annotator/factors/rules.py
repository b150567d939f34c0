"""Rule-based PROFILE factor extractors: Length and Novel Words.

Each extractor measures a factor on response A and on response B; the factor's
*manifestation* says which response shows it more ("A", "B" or "equal"). The other PROFILE
factors need a learned or an LLM scorer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Words of a text: runs of letters and digits (apostrophes inside a word kept)."""
    return _WORD.findall(text or "")


def word_count(text: str) -> int:
    """PROFILE *Length*: the number of words in the output."""
    return len(words(text))


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def stems(text: str) -> list[str]:
    return _stemmer().stemWords([w.lower() for w in words(text)])


def novel_word_ratio(source: str, output: str) -> float | None:
    """PROFILE *Novel Words*: the share of the output's unique stemmed words that the source
    does not use. Words are lower-cased and stemmed with the Snowball (Porter 2) English
    stemmer and each distinct stem counts once, however often it is repeated: "Cats chase
    cats." against "A cat sleeps." has the stems {cat, chase}, of which one is novel: 0.5.

    ``None`` when the output has no words (the ratio is undefined).
    """
    out = set(stems(output))
    if not out:
        return None
    known = set(stems(source))
    return len(out - known) / len(out)


def manifestation(value_a: float | None, value_b: float | None, tolerance: float = 0.0) -> str | None:
    """Which response shows the factor more: "A", "B", "equal", or None when either is unknown.

    Values whose difference is within ``tolerance`` times the larger magnitude are equal.
    """
    if value_a is None or value_b is None:
        return None
    if abs(value_a - value_b) <= tolerance * max(abs(value_a), abs(value_b)):
        return "equal"
    return "A" if value_a > value_b else "B"


@dataclass(frozen=True)
class RuleResult:
    factor: str
    value_a: float | None
    value_b: float | None
    manifestation: str | None


def extract(factor: str, response_a: str, response_b: str, source: str = "") -> RuleResult:
    """Measure one rule-based factor on a pair; raises KeyError for factors without a rule."""
    if factor == "length":
        a, b = word_count(response_a), word_count(response_b)
    elif factor == "novel_words":
        if not source:
            return RuleResult(factor, None, None, None)
        a, b = novel_word_ratio(source, response_a), novel_word_ratio(source, response_b)
    else:
        raise KeyError(f"no rule-based extractor for factor {factor!r}")
    return RuleResult(factor, a, b, manifestation(a, b))


RULE_FACTORS = ("length", "novel_words")
