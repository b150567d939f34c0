"""A report document as Markdown: the same sections, tables and numbers as the HTML page.

Figures are written as SVG files in a folder beside the Markdown file and linked from it; the
numbers behind each figure follow it as a table, so the Markdown reads completely without
the images. Text is escaped for Markdown and for the HTML that Markdown viewers pass
through: ``<``, ``>`` and ``&`` become entities and Markdown's own signs are backslashed.
"""

from __future__ import annotations

import re

from .document import Card, Cell, Document, Figure, Paragraph, Quote, Section, Table

_SIGNS = re.compile(r"([\\`*_\[\]|#~!])")


def md(text: str) -> str:
    """Plain text as inline Markdown that shows exactly that text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SIGNS.sub(r"\\\1", text).replace("\n", " ")


def _cell(cell: Cell | str) -> str:
    text = cell.text if isinstance(cell, Cell) else str(cell)
    return md(text) or " "


def table(t: Table) -> list[str]:
    out = []
    if t.caption:
        out += [f"*{md(t.caption)}*", ""]
    out.append("| " + " | ".join(_cell(h) for h in t.headers) + " |")
    out.append("|" + "|".join("---:" if i in t.numeric else "---" for i in range(len(t.headers))) + "|")
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
    out.append("")
    out += [f"{md(note)}  " for note in t.notes]
    if t.notes:
        out.append("")
    return out


def _blocks(blocks: list, depth: int, figure_dir: str) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            lead = f"**{md(block.lead)}** " if block.lead else ""
            out += [lead + md(block.text), ""]
        elif isinstance(block, Table):
            out += table(block)
        elif isinstance(block, Figure):
            out += [f"**{md(block.title)}**", "", f"![{md(block.alt)}]({figure_dir}/{block.key}.svg)", ""]
            if block.data is not None:
                out += table(block.data)
        elif isinstance(block, Quote):
            out += [f"> *{md(block.who)}*", ">"]
            out += [f"> {md(line)}" if line else ">" for line in block.text.split("\n")]
            out.append("")
        elif isinstance(block, Card):
            out += [f"**{md(block.title)}**: {md(block.verdict)}", ""]
            out += [f"- {md(r)}" for r in block.reasons]
            out += [f"- *{md(d)}*" for d in block.details]
            out.append("")
        elif isinstance(block, Section):
            out += _section(block, depth + 1, figure_dir)
    return out


def _section(s: Section, depth: int, figure_dir: str) -> list[str]:
    return ["#" * min(depth, 4) + " " + md(s.title), "", *_blocks(s.blocks, depth, figure_dir)]


def figures_of(doc: Document) -> list[Figure]:
    """Every figure of the document, in order (the files to write beside the Markdown)."""
    found: list[Figure] = []

    def walk(blocks: list) -> None:
        for block in blocks:
            if isinstance(block, Figure) and block.svg:
                found.append(block)
            elif isinstance(block, Section):
                walk(block.blocks)

    for section in doc.sections:
        walk(section.blocks)
    return found


def render(doc: Document, footer: list[str], figure_dir: str) -> str:
    out = [f"# {md(doc.title)}", ""]
    out += [f"{md(line)}  " for line in doc.subtitle]
    out += ["", "Contents: " + " · ".join(md(s.title) for s in doc.sections), ""]
    for s in doc.sections:
        out += _section(s, 2, figure_dir)
    out += ["---", ""] + [f"{md(line)}  " for line in footer]
    return "\n".join(out).rstrip() + "\n"
