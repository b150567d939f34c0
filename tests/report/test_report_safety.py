"""Text from the data never acts in the report: a rationale with <script>, markup, ANSI escapes
and Markdown pipes is shown as text in the HTML page, the Markdown twin and the figures; the
page fetches nothing and runs nothing."""

from __future__ import annotations

import re

import pytest

from annotator.store import Label, Store

from .conftest import run_cli
from .parse import html_document, md_tables
from .report_data import HOSTILE, HOSTILE_MODEL, TASK


@pytest.fixture(scope="module")
def hostile_report(campaign_db, tmp_path_factory):
    """The campaign with the hostile rationale written by every annotator on the most disputed pair."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "h.db"
    db.write_bytes(campaign_db.read_bytes())
    store = Store.open(db)
    pair = store.query("SELECT pair FROM current_labels WHERE task = ? GROUP BY pair "
                       "HAVING COUNT(DISTINCT choice) = 3 ORDER BY pair LIMIT 1", [TASK])[0]["pair"]
    for who, choice in (("alice", "A"), ("bob", "B"), ("carol", "tie")):
        store.add_label(Label(pair=pair, annotator=who, choice=choice, shown_order="BA", rationale=HOSTILE + "\nline 2",
                              seconds=12.0, origin="test"))
    store.close()
    out = folder / "h.html"
    run_cli(db, "report", "--task", TASK, "--out", str(out), "--bootstrap", "0")
    return out.read_text(), out.with_suffix(".md").read_text(), sorted((folder / "h_files").glob("*.svg"))


def test_a_hostile_rationale_is_inert_in_the_html(hostile_report):
    html, _, _ = hostile_report
    doc = html_document(html)
    assert "script" not in doc.tags and "iframe" not in doc.tags and "img" not in doc.tags
    assert "<script" not in html.lower() and "<b>m3" not in html
    # shown as text, once per annotator, in the disputed pair's rationales
    assert html.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; **bold** | pipe |") == 3
    assert "\x1b" not in html and "␛[31mred␛[0m" in html  # ANSI escape made visible, not interpreted
    # the only links are to the page's own sections; nothing is fetched
    links = [a.get("href") for tag, a in doc.attributes if tag == "a"]
    assert links and all(h.startswith("#") for h in links)
    assert not [a for tag, a in doc.attributes if "src" in a]
    assert not re.search(r"url\((?!#)", html) and "@import" not in html
    assert "default-src 'none'" in html  # Content-Security-Policy: no script, no fetch even if escaping failed


def test_a_hostile_rationale_is_inert_in_the_markdown(hostile_report):
    _, md, _ = hostile_report
    assert "<script" not in md and "\x1b" not in md
    assert md.count(r"&lt;script&gt;alert('x')&lt;/script&gt; \*\*bold\*\* \| pipe \|") == 3
    assert r"\[link\](http://example.invalid)" in md  # not a link
    for table in md_tables(md):  # a pipe in the data never adds a column
        widths = {len(row) for row in table["rows"]}
        assert len(widths) == 1, table


def test_names_from_the_data_are_text_in_the_figures(hostile_report):
    html, _, svgs = hostile_report
    assert svgs
    leaderboard = next(p.read_text() for p in svgs if p.name == "leaderboard-all.svg")
    assert "&lt;b&gt;m3&lt;/b&gt;" in leaderboard and "<b>" not in leaderboard
    assert HOSTILE_MODEL not in html
    # every id in the page is unique (each figure's ids carry its key), so no figure draws another's clip path
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
