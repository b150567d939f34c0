"""The report as a document: sections of plain-text paragraphs, tables and figures.

The sections are built once (``sections``) and rendered twice, as HTML (``html``) and as
Markdown (``markdown``), so both files carry the same numbers. Every string in a document is
plain text: data has been through ``clean`` (terminal control made visible) and each renderer
escapes for its own format; nothing in a document is ever markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.text.sanitize import sanitize, sanitize_line


def clean(text: object) -> str:
    """Text from the data, on one line, with every control character made visible."""
    return sanitize_line("" if text is None else str(text))


def clean_block(text: object) -> str:
    """Text from the data that may span lines (a rationale), control characters made visible."""
    return sanitize("" if text is None else str(text))


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, an optional tone ("good", "caution", "bad", "muted") and a
    longer note shown on hover."""

    text: str
    tone: str = ""
    note: str = ""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell | str]]
    caption: str = ""
    numeric: tuple[int, ...] = ()  # indexes of right-aligned columns
    notes: list[str] = field(default_factory=list)  # lines under the table


@dataclass
class Paragraph:
    text: str
    lead: str = ""  # a few words in bold before the text


@dataclass
class Figure:
    key: str  # a file-name-safe identifier, unique in the report
    title: str
    svg: str  # inline SVG (no XML prolog)
    alt: str  # what the figure shows, for screen readers and the Markdown image
    data: Table | None = None  # the numbers behind the figure


@dataclass
class Quote:
    """Text typed by a person (a rationale), shown as it was typed, with who wrote it."""

    who: str
    text: str


@dataclass
class Card:
    """A judge's card: its name, a one-line verdict with a tone, the reasons and details."""

    title: str
    verdict: str
    tone: str
    reasons: list[str]
    details: list[str]


@dataclass
class Section:
    key: str
    title: str
    blocks: list = field(default_factory=list)  # Paragraph | Table | Figure | Quote | Card | Section

    def add(self, *blocks) -> Section:
        self.blocks.extend(b for b in blocks if b is not None)
        return self


@dataclass
class Document:
    title: str
    subtitle: list[str]
    sections: list[Section]
