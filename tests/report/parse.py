"""Read the tables back out of a written report (HTML and Markdown) for the tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.tags: list[str] = []
        self.attributes: list[tuple[str, dict]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = "".join(self._caption)
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def html_document(text: str) -> _Tables:
    parser = _Tables()
    parser.feed(text)
    parser.close()
    return parser


def html_tables(text: str) -> list[dict]:
    """[{"caption", "rows": [[cell text, ...], ...]}], header row first, text unescaped."""
    return html_document(text).tables


_UNESCAPE = re.compile(r"\\([\\`*_\[\]|#~!])")


def md_cells(line: str) -> list[str]:
    """The cells of one Markdown table line, split on unescaped pipes and unescaped."""
    parts, current, i = [], [], 0
    body = line.strip()[1:-1] if line.strip().startswith("|") else line
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            current.append(body[i:i + 2])
            i += 2
            continue
        if c == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return [_UNESCAPE.sub(r"\1", p.strip()).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            for p in parts]


def md_tables(text: str) -> list[dict]:
    """The Markdown tables: header row first (the alignment line dropped), caption the italic line above."""
    tables, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("| ") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            caption = lines[i - 2] if i >= 2 and lines[i - 2].startswith("*") else ""
            rows = [md_cells(lines[i])]
            i += 2
            while i < len(lines) and lines[i].startswith("| "):
                rows.append(md_cells(lines[i]))
                i += 1
            tables.append({"caption": caption.strip("*"), "rows": rows})
        else:
            i += 1
    return tables


def find_row(tables: list[dict], caption_start: str, first: str) -> list[str]:
    """The row whose first cell is ``first`` in the table whose caption starts with ``caption_start``."""
    for table in tables:
        if _UNESCAPE.sub(r"\1", table["caption"]).replace("&lt;", "<").replace("&gt;", ">").replace(
                "&amp;", "&").startswith(caption_start):
            for row in table["rows"][1:]:
                if row[0] == first:
                    return row
            raise AssertionError(f"no row {first!r} in table {caption_start!r}: {[r[0] for r in table['rows']]}")
    raise AssertionError(f"no table {caption_start!r}: {[t['caption'] for t in tables]}")
