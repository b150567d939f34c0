"""Word-level differences between two responses (for the pair screen's diff view).

Long, near-identical responses are common in preference data (two samples of one model,
an edit of the other). :func:`word_diff` splits both texts into words and
punctuation marks (each with its trailing whitespace), aligns them with :class:`difflib.SequenceMatcher`
and returns, for each side, the text cut into segments flagged ``changed`` where that side
differs from the other. Joining a side's segments gives back its text exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")

# Above this many tokens per side, SequenceMatcher's "junk" heuristic is switched on:
# alignment gets coarser but stays fast on very long unrelated texts.
EXACT_LIMIT = 3000


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class Hunk:
    """A run of whole lines: the same on both sides, or changed (``a`` / ``b`` may be empty)."""

    a: list[Segment]
    b: list[Segment]
    changed: bool


@dataclass(frozen=True)
class WordDiff:
    a: list[Segment]
    b: list[Segment]
    ratio: float  # similarity in [0, 1]: 1.0 identical, 0.0 nothing in common
    hunks: list[Hunk] = field(default_factory=list)  # the same text, cut where the sides align

    @property
    def changed_words_a(self) -> int:
        return sum(len(_words(s.text)) for s in self.a if s.changed)

    @property
    def changed_words_b(self) -> int:
        return sum(len(_words(s.text)) for s in self.b if s.changed)


def tokenize(text: str) -> list[str]:
    """Words and punctuation marks with their trailing whitespace; ``"".join(tokenize(t)) == t``."""
    return _TOKEN.findall(text)


def _words(text: str) -> list[str]:
    return [t for t in tokenize(text) if not t.isspace()]


def _append(segments: list[Segment], tokens: list[str], changed: bool) -> None:
    if not tokens:
        return
    text = "".join(tokens)
    if segments and segments[-1].changed == changed:
        segments[-1] = Segment(segments[-1].text + text, changed)
    else:
        segments.append(Segment(text, changed))


def _diff_tokens(ta: list[str], tb: list[str], seg_a: list[Segment], seg_b: list[Segment]) -> int:
    """Word-align two token lists into the segment lists; returns the matched token count."""
    keys_a = [t.strip() or t for t in ta]
    keys_b = [t.strip() or t for t in tb]
    big = len(ta) * len(tb) > EXACT_LIMIT * EXACT_LIMIT
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=big)
    matched = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        chunk_a, chunk_b = ta[i1:i2], tb[j1:j2]
        if op == "equal":
            matched += i2 - i1
            _append(seg_a, chunk_a, False)
            _append(seg_b, chunk_b, False)
            continue
        whitespace_only = all(t.isspace() for t in chunk_a + chunk_b)
        _append(seg_a, chunk_a, not whitespace_only)
        _append(seg_b, chunk_b, not whitespace_only)
    return matched


def word_diff(a: str, b: str) -> WordDiff:
    """Align the words of ``a`` and ``b``; each side's segments say what differs there.

    Lines are aligned first (fast, lines are nearly unique); words are then aligned inside
    each run of changed lines, so long texts stay fast. Whitespace-only differences
    (re-wrapping, trailing spaces) are not flagged.

    ``hunks`` cuts both texts where they align, for a side-by-side view: runs of equal
    lines, and runs of changed lines (a run replacing as many lines as it removes is cut
    line by line, so each changed line sits beside its counterpart).
    """
    lines_a, lines_b = a.splitlines(keepends=True), b.splitlines(keepends=True)
    hunks: list[Hunk] = []
    matched = 0
    line_matcher = SequenceMatcher(None, lines_a, lines_b, autojunk=False)
    for op, i1, i2, j1, j2 in line_matcher.get_opcodes():
        if op == "equal":
            block = "".join(lines_a[i1:i2])
            matched += len(tokenize(block))
            hunks.append(Hunk([Segment(block, False)], [Segment("".join(lines_b[j1:j2]), False)], False))
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            runs = [(lines_a[i:i + 1], lines_b[j:j + 1]) for i, j in zip(range(i1, i2), range(j1, j2))]
        else:
            runs = [(lines_a[i1:i2], lines_b[j1:j2])]
        for run_a, run_b in runs:
            seg_a: list[Segment] = []
            seg_b: list[Segment] = []
            matched += _diff_tokens(tokenize("".join(run_a)), tokenize("".join(run_b)), seg_a, seg_b)
            changed = any(s.changed for s in seg_a + seg_b)
            hunks.append(Hunk(seg_a, seg_b, changed))
    merged_a: list[Segment] = []
    merged_b: list[Segment] = []
    for hunk in hunks:
        for merged, segments in ((merged_a, hunk.a), (merged_b, hunk.b)):
            for segment in segments:
                _append(merged, [segment.text], segment.changed)
    total = len(tokenize(a)) + len(tokenize(b))
    return WordDiff(merged_a, merged_b, 2.0 * matched / total if total else 1.0, hunks)
