"""What judges say (PROFILE F.2.3): how often a judge's explanations mention each factor.

PROFILE's authors read 30 of GPT-4o's feedback texts by hand and counted the factors each
addressed. This is the documented, repeatable stand-in: a *keyword method*. A judgment's
explanation mentions a factor when it matches one of the factor's patterns below (case
insensitive, at a word start). A task's own factors (not PROFILE's) are matched by the
words of their name. Per judge run, for each factor: ``mentions`` (judgments whose
explanation mentions it at least once), ``explained`` (judgments with a non-empty
explanation; both presented orders of a pair each count) and ``share`` = mentions /
explained (null with a reason when no judgment has an explanation, e.g. a judge that answers
with a bare identifier). A keyword is evidence of talk, not of weight: beside the judge's
factor score it shows a judge that rewards a factor without saying so (or says so without
rewarding it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# factor key -> patterns (regular expressions matched at a word start, case insensitive)
KEYWORDS: dict[str, tuple[str, ...]] = {
    "length": (r"length", r"lengthy", r"long(er)?\b", r"short(er)?\b", r"concise", r"brief", r"verbose", r"wordy",
               r"succinct"),
    "novel_words": (r"novel words", r"paraphras", r"own words", r"verbatim", r"copie[sd]", r"abstractive",
                    r"extractive"),
    "number_of_facts": (r"detail", r"thorough", r"comprehensive", r"more information", r"facts?\b",
                        r"informative"),
    "off_focus": (r"off[- ]topic", r"off[- ]focus", r"irrelevant", r"tangent", r"unrelated", r"digress",
                  r"focus"),
    "hallucination": (r"hallucinat", r"fabricat", r"made[- ]up", r"invent", r"unsupported",
                      r"not (mentioned|stated|present) in the (source|post|article|document)"),
    "source_coverage": (r"cover", r"key points", r"main points", r"omit", r"miss(es|ing)\b", r"captur"),
    "helpfulness": (r"helpful", r"useful", r"practical", r"actionable", r"valuable"),
    "misinformation": (r"incorrect", r"inaccura", r"misleading", r"wrong", r"false", r"errors?\b", r"mistake"),
    "receptiveness": (r"answers the question", r"address(es|ed)?\b", r"directly answer", r"core question",
                      r"responds? to the (question|query)"),
    "intent_alignment": (r"intent", r"purpose", r"what the user (wants|asked|asks)"),
    "formality_alignment": (r"formal", r"informal", r"tone", r"register", r"casual"),
    "fluency": (r"fluen", r"grammar", r"grammatical", r"readab", r"well[- ]written", r"awkward"),
    "coherence": (r"coheren", r"logical flow", r"organi[sz]ed", r"structure", r"flows"),
}
METHOD = "keyword"


def patterns(factors: Mapping[str, str]) -> dict[str, re.Pattern]:
    """A compiled pattern per factor key; a factor outside PROFILE's by the words of its name."""
    out = {}
    for key, name in factors.items():
        words = KEYWORDS.get(key) or tuple(re.escape(w.lower()) for w in re.findall(r"\w+", name) if len(w) > 2)
        if words:
            out[key] = re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE)
    return out


def mention_counts(explanations: Iterable[str], factors: Mapping[str, str]) -> dict[str, Any]:
    """One judge's mentions of each factor in ``explanations`` (one text per judgment)."""
    compiled = patterns(factors)
    texts = [t for t in explanations if t and t.strip()]
    counts = {key: sum(1 for t in texts if p.search(t)) for key, p in compiled.items()}
    if not texts:
        reason = "no judgment of this judge has an explanation"
        return {"explained": 0, "factors": {k: {"mentions": 0, "share": None, "reason": reason} for k in compiled}}
    return {"explained": len(texts),
            "factors": {k: {"mentions": n, "share": n / len(texts)} for k, n in counts.items()}}


def judge_mentions(explanations_by_run: Mapping[str, Iterable[str]], factors: Mapping[str, str],
                   factor_scores: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Per judge run: its mentions of each factor, with its factor score (evaluation setting)
    beside when ``factor_scores`` (run -> factor -> score block) has one."""
    runs = {}
    for run, texts in explanations_by_run.items():
        entry = mention_counts(texts, factors)
        scores = (factor_scores or {}).get(run, {})
        for key, block in entry["factors"].items():
            score = scores.get(key, {})
            block["factor_score"] = score.get("score") if isinstance(score, Mapping) else None
        runs[run] = entry
    return {"method": METHOD, "keywords": {k: list(KEYWORDS.get(k, ())) for k in factors}, "runs": runs}
