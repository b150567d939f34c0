"""Characters that have no business in imported text, removed on import and reported.

Three kinds of character are taken out of every text an import stores (prompts, responses,
sources, model names, domains, ids, metadata text, annotator and judge names, the task's
title, guidelines and factors), and the import says how many fields held each kind and where
the first one was:

* NUL (U+0000): never meaningful in a response; SQLite's ``length()`` stops at it, so a
  response holding one looked shorter to every length statistic. Removed.
* Unicode tag characters (U+E0000 to U+E007F): invisible in every terminal and browser, but
  read by an LLM judge as plain ASCII ("ASCII smuggling"): a response could carry
  instructions to the judge that no annotator can see. Removed, except inside a well-formed
  emoji tag sequence (the flags of England, Scotland and Wales: U+1F3F4, up to six tag
  letters or digits, U+E007F), which shows as one flag.
* Lone surrogates (U+D800 to U+DFFF not forming a pair), which JSON's ``\\ud800`` escapes can
  produce: not Unicode text, and SQLite cannot store them. Replaced by U+FFFD, the
  replacement character.

Looking for them costs a whole-string check per field (``suspect``: constant time for ASCII
text, one UTF-8 encoding in C otherwise); only a field that may hold one is scanned
character by character. Fields without any (nearly all) are returned unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NUL = "NUL bytes"
TAGS = "Unicode tag characters"
SURROGATES = "lone surrogates"

_SUSPECT = re.compile("[\x00\ud800-\udfff\U000e0000-\U000e007f]")
_FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,6}\U000e007f")
_TAG = re.compile("[\U000e0000-\U000e007f]")
_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_ROW_DEPTH = 100  # lists and objects in one row: deeper is refused (a value no pair field needs)


class TooDeep(ValueError):
    """A row value nested deeper than ``MAX_ROW_DEPTH``."""


def nesting_depth(value: Any, limit: int) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a scalar), counting no further
    than ``limit + 1``; iterative, so any depth is measured without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((v, depth) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def size_over(value: Any, limit: int) -> int:
    """The characters of ``value``'s text (strings and keys; 8 for any other scalar), counted no
    further than ``limit + 1``; iterative, and it stops as soon as it is over ``limit``."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += sum(len(k) if isinstance(k, str) else 8 for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            total += 8
        if total > limit:
            return total
    return total


ACTION = {
    NUL: "removed (they cut text short in SQLite)",
    TAGS: "removed (invisible to annotators, but read by LLM judges)",
    SURROGATES: "replaced by U+FFFD (not valid Unicode)",
}


def _strip_tags(text: str) -> str:
    if "\U0001f3f4" not in text:
        return _TAG.sub("", text)
    out, last = [], 0
    for match in _FLAG.finditer(text):
        out.append(_TAG.sub("", text[last:match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(_TAG.sub("", text[last:]))
    return "".join(out)


def suspect(text: str) -> bool:
    """Whether ``text`` may hold one of the characters above, checked on the whole string: an
    ASCII string (CPython knows it in constant time) can only hold NUL, found by ``in``; any
    other is encoded to UTF-8 (in C), which fails on a lone surrogate, and its bytes are
    searched for NUL and for the lead bytes of a tag character (U+E0000 to U+E007F are
    F3 A0 80 80 to F3 A0 81 BF). Far faster than a regular-expression scan."""
    if text.isascii():
        return "\x00" in text
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return b"\x00" in data or b"\xf3\xa0" in data


def is_clean(row: dict) -> bool:
    """Whether every value of ``row`` is text that cannot hold one of the characters above (the
    check of :func:`suspect`, inlined for ASCII text): such a row is imported as it is. A row
    with any other value (a number, a list, an object) is looked at by :meth:`Cleaner.row`."""
    for value in row.values():
        if type(value) is not str:
            return False
        if value.isascii():
            if "\x00" in value:
                return False
        elif suspect(value):
            return False
    return True


def clean(text: str) -> tuple[str, list[str]]:
    """``text`` without the characters above, and which kinds were found (empty: unchanged)."""
    if not suspect(text) or not _SUSPECT.search(text):
        return text, []
    kinds = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        kinds.append(NUL)
    if _TAG.search(text):
        stripped = _strip_tags(text)
        if stripped != text:
            kinds.append(TAGS)
            text = stripped
    if _SURROGATE.search(text):
        # A well-formed pair cannot exist in a Python str read from JSON (json joins them),
        # so every surrogate left is a lone one.
        text = _SURROGATE.sub("\ufffd", text)
        kinds.append(SURROGATES)
    return text, kinds


@dataclass
class Cleaner:
    """Cleans text field by field and remembers what it found, for the import's notices."""

    fields: dict[str, int] = field(default_factory=dict)  # kind -> number of fields
    first: dict[str, str] = field(default_factory=dict)  # kind -> "pairs.jsonl line 3 (response_a)"

    def text(self, value: str, where: str) -> str:
        cleaned, kinds = clean(value)
        for kind in kinds:
            self.fields[kind] = self.fields.get(kind, 0) + 1
            self.first.setdefault(kind, where)
        return cleaned

    def value(self, value: Any, where: str) -> Any:
        """Text cleaned; lists and objects cleaned all the way down. Returns ``value`` itself
        (no copy) when nothing in it needed cleaning, as for nearly every row."""
        if isinstance(value, str):
            return self.text(value, where)
        if isinstance(value, list):
            cleaned = [self.value(v, where) for v in value]
            return cleaned if any(a is not b for a, b in zip(cleaned, value)) else value
        if isinstance(value, dict):
            cleaned = {(self.text(k, where) if isinstance(k, str) else k): self.value(v, where)
                       for k, v in value.items()}
            changed = len(cleaned) != len(value) or any(
                ck is not k or cleaned[ck] is not v for ck, (k, v) in zip(cleaned, value.items()))
            return cleaned if changed else value
        return value

    def row(self, row: dict, location: str) -> dict:
        """A row read from a pairs or verdicts file, every text in it cleaned (each field named
        in the notice: ``pairs.jsonl line 3 (field 'a')``). ``TooDeep`` for a value nested
        more than ``MAX_ROW_DEPTH`` levels."""
        out = None
        for key, value in row.items():
            if type(value) is str and not suspect(value):  # nearly every field: checked whole, kept as it is
                continue
            if isinstance(value, (list, dict)) and nesting_depth(value, MAX_ROW_DEPTH) > MAX_ROW_DEPTH:
                raise TooDeep(f"field {key!r}")
            cleaned = self.value(value, f"{location} (field {key!r})")
            if cleaned is not value:
                out = out if out is not None else dict(row)
                out[key] = cleaned
        return row if out is None else out

    def merge(self, other: Cleaner) -> None:
        """Count what ``other`` found too (a row's cleaner, once the row is accepted)."""
        for kind, n in other.fields.items():
            self.fields[kind] = self.fields.get(kind, 0) + n
            self.first.setdefault(kind, other.first[kind])

    def notices(self) -> list[str]:
        out = []
        for kind in (NUL, TAGS, SURROGATES):
            n = self.fields.get(kind, 0)
            if n:
                out.append(f"{n:,} field{'s' if n != 1 else ''} held {kind}, {ACTION[kind]}; "
                           f"the first: {self.first[kind]}")
        return out
