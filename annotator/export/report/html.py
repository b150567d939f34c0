"""A report document as one self-contained HTML page: inline CSS, inline SVG, no script, and
a Content-Security-Policy that lets the page fetch nothing and run nothing. Every text of
the document is escaped here (``html.escape``); nothing from the data is ever markup."""

from __future__ import annotations

from html import escape

from .document import Card, Cell, Document, Figure, Paragraph, Quote, Section, Table

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root { color-scheme: light; --ink: #222; --soft: #5f6368; --line: #e2e2de; --paper: #fbfbf9; --head: #f2f2ee; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1080px; margin: 0 auto; padding: 0 28px; }
header { padding-top: 28px; padding-bottom: 8px; }
h1 { font-size: 26px; font-weight: 600; margin: 0 0 6px; }
h2 { font-size: 20px; font-weight: 600; margin: 44px 0 10px; padding-top: 18px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; font-weight: 600; margin: 26px 0 8px; }
h4 { font-size: 15px; font-weight: 600; margin: 0; }
p { margin: 8px 0; max-width: 78ch; }
.sub { color: var(--soft); margin: 2px 0; }
nav { margin: 14px 0 0; display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 14px; }
nav a { color: #2f5f9e; text-decoration: none; }
.lead { font-weight: 600; }
.tablewrap { overflow-x: auto; margin: 12px 0 6px; }
table { border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; background: #fff; }
caption { text-align: left; color: var(--soft); font-size: 13.5px; padding: 0 0 6px; caption-side: top; }
th, td { border: 1px solid var(--line); padding: 5px 9px; vertical-align: top; }
th { background: var(--head); font-weight: 600; text-align: left; }
td.num, th.num { text-align: right; white-space: nowrap; }
.note { color: var(--soft); font-size: 13px; margin: 2px 0; }
td.good, td.caution, td.bad, .verdict { white-space: nowrap; }
.good { color: #1e6b34; background: #e9f4ec; }
.caution { color: #7a5a00; background: #fdf5dc; }
.bad { color: #a1261d; background: #fbeaea; }
.muted { color: #80868b; }
figure { margin: 18px 0; }
figcaption { font-weight: 600; font-size: 14px; margin: 0 0 6px; }
.figwrap { overflow-x: auto; }
svg.figure { display: block; width: 100%; max-width: 760px; min-width: 540px; height: auto; background: #fff;
  border: 1px solid var(--line); border-radius: 4px; padding: 6px; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--soft); font-size: 13.5px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; margin: 12px 0; }
.card { background: #fff; border: 1px solid var(--line); border-left: 4px solid #9aa0a6; border-radius: 4px;
  padding: 10px 14px; }
.card.good { border-left-color: #2e7d4f; background: #fff; color: var(--ink); }
.card.caution { border-left-color: #c99a06; background: #fff; color: var(--ink); }
.card.bad { border-left-color: #c5372c; background: #fff; color: var(--ink); }
.card .verdict { display: inline-block; font-size: 13px; font-weight: 600; padding: 1px 8px; border-radius: 10px;
  margin: 6px 0 4px; }
.card ul { margin: 4px 0; padding-left: 18px; font-size: 13.5px; }
.card ul.details { color: var(--soft); }
blockquote { margin: 8px 0 8px 0; padding: 6px 12px; border-left: 3px solid var(--line); background: #fff;
  max-width: 78ch; }
blockquote .who { color: var(--soft); font-size: 13px; margin: 0; }
blockquote .said { white-space: pre-wrap; overflow-wrap: anywhere; margin: 2px 0 0; }
section.nested { margin-left: 0; }
footer { color: var(--soft); font-size: 13px; padding-top: 24px; padding-bottom: 40px; }
footer code { font-size: 12.5px; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  header, main, footer { padding-left: 14px; padding-right: 14px; }
  body { font-size: 15px; }
  h1 { font-size: 22px; }
  table { font-size: 12.5px; }
  th, td { padding: 4px 6px; }
  svg.figure { padding: 2px; }
}
"""


def _cell(cell: Cell | str, tag: str, numeric: bool) -> str:
    if not isinstance(cell, Cell):
        cell = Cell(str(cell))
    classes = [c for c in ("num" if numeric else "", cell.tone) if c]
    attrs = f' class="{" ".join(classes)}"' if classes else ""
    if cell.note:
        attrs += f' title="{escape(cell.note)}"'
    return f"<{tag}{attrs}>{escape(cell.text)}</{tag}>"


def table(t: Table) -> str:
    out = ['<div class="tablewrap"><table>']
    if t.caption:
        out.append(f"<caption>{escape(t.caption)}</caption>")
    out.append("<thead><tr>" + "".join(_cell(h, "th", i in t.numeric) for i, h in enumerate(t.headers))
               + "</tr></thead><tbody>")
    for row in t.rows:
        out.append("<tr>" + "".join(_cell(c, "td", i in t.numeric) for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table></div>")
    out.extend(f'<p class="note">{escape(note)}</p>' for note in t.notes)
    return "".join(out)


def _figure(f: Figure) -> str:
    svg = f.svg.replace(">", f'><title id="{escape(f.key)}-title">{escape(f.title)}</title>', 1)
    out = [f'<figure id="figure-{escape(f.key)}"><figcaption>{escape(f.title)}</figcaption>'
           f'<div class="figwrap">{svg}</div></figure>']
    if f.data is not None:
        if len(f.data.rows) > 12:
            out.append(f"<details><summary>The numbers behind this figure ({len(f.data.rows)} rows)</summary>"
                       f"{table(f.data)}</details>")
        else:
            out.append(table(f.data))
    return "".join(out)


def _card(c: Card) -> str:
    reasons = "".join(f"<li>{escape(r)}</li>" for r in c.reasons)
    details = "".join(f"<li>{escape(d)}</li>" for d in c.details)
    return (f'<div class="card {escape(c.tone)}"><h4>{escape(c.title)}</h4>'
            f'<span class="verdict {escape(c.tone)}">{escape(c.verdict)}</span>'
            f"<ul>{reasons}</ul><ul class=\"details\">{details}</ul></div>")


def _blocks(blocks: list, depth: int) -> str:
    out, cards = [], []
    for block in blocks:
        if isinstance(block, Card):
            cards.append(_card(block))
            continue
        if cards:
            out.append('<div class="cards">' + "".join(cards) + "</div>")
            cards = []
        if isinstance(block, Paragraph):
            lead = f'<span class="lead">{escape(block.lead)}</span> ' if block.lead else ""
            out.append(f"<p>{lead}{escape(block.text)}</p>")
        elif isinstance(block, Table):
            out.append(table(block))
        elif isinstance(block, Figure):
            out.append(_figure(block))
        elif isinstance(block, Quote):
            out.append(f'<blockquote><p class="who">{escape(block.who)}</p><p class="said">{escape(block.text)}</p>'
                       "</blockquote>")
        elif isinstance(block, Section):
            out.append(_section(block, depth + 1))
    if cards:
        out.append('<div class="cards">' + "".join(cards) + "</div>")
    return "".join(out)


def _section(s: Section, depth: int = 2) -> str:
    tag = f"h{min(depth, 4)}"
    kind = "nested" if depth > 2 else "top"
    return (f'<section id="{escape(s.key)}" class="{kind}"><{tag}>{escape(s.title)}</{tag}>'
            f"{_blocks(s.blocks, depth)}</section>")


def render(doc: Document, footer: list[str]) -> str:
    nav = "".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in doc.sections)
    subtitle = "".join(f'<p class="sub">{escape(line)}</p>' for line in doc.subtitle)
    foot = "".join(f"<p>{escape(line)}</p>" for line in footer)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(doc.title)}</title><style>{CSS}</style></head>\n<body><header>"
        f"<h1>{escape(doc.title)}</h1>{subtitle}<nav>{nav}</nav></header>\n<main>"
        + "\n".join(_section(s) for s in doc.sections)
        + f"</main>\n<footer>{foot}</footer></body></html>\n"
    )
