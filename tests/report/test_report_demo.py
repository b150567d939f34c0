"""The researcher's path on the bundled demo: three annotators label every pair (with factor
answers and rationales), the two offline judges run, and `annotator report` writes a report
whose judge table, leaderboard and factor scores are the commands' numbers."""

from __future__ import annotations

from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Label, Store
from annotator.text import numbers as n

from .conftest import cli_json, run_cli
from .parse import find_row, html_tables, md_tables

FLIP = {"A": "B", "B": "A", "tie": "tie"}


def test_demo_from_labels_to_report(tmp_path):
    db = tmp_path / "demo.db"
    assert CliRunner().invoke(main, ["--db", str(db), "tasks", "add", "demo"]).exit_code == 0
    store = Store.open(db)
    pairs = list(store.pairs("demo"))
    factors = [f.key for f in store.get_task("demo").factors]
    for who, flip_every in (("ann", 0), ("bob", 5), ("cat", 3)):
        labels = []
        for i, pair in enumerate(pairs):
            choice = pair.metadata.get("reference_verdict") or "tie"
            if flip_every and i % flip_every == 0:
                choice = FLIP[choice]
            answers = {k: ("A" if len(pair.response_a) > len(pair.response_b) else "B") if k == "length" else choice
                       if choice != "tie" else "equal" for k in factors}
            labels.append(Label(pair=pair.id, annotator=who, choice=choice, factors=answers, origin="test",
                                shown_order="AB" if i % 2 else "BA", seconds=60.0 + i,
                                rationale=f"{who}: the first one covers the edge case." if i % 4 == 0 else ""))
        store.add_labels(labels)
    store.close()
    for judge in ("longest", "random"):
        run_cli(db, "judge", "run", "--judge", judge, "--task", "demo")

    out = tmp_path / "demo-report.html"
    run_cli(db, "report", "--task", "demo", "--out", str(out), "--bootstrap", "50")
    html, md = out.read_text(), out.with_suffix(".md").read_text()
    judges = cli_json(db, "stats", "judges", "--task", "demo", "--bootstrap", "50")
    board = cli_json(db, "stats", "leaderboard", "--task", "demo", "--by", "domain", "--bootstrap", "50")
    for tables in (html_tables(html), md_tables(md)):
        for a in judges["agents"]:
            if a["kind"] == "humans":
                continue
            row = find_row(tables, "Judges against the humans", f"{a['agent']} (offline baseline)")
            assert row[4] == n.with_interval(a["agreement_with_humans"]["with_ties"], True)
            assert row[7] == a["card"]["verdict"]
        table = next(t for t in tables if t["caption"].startswith("Win rate (WR) and length-controlled"))
        shown = {(r[0], r[1]): r for r in table["rows"][1:]}
        header = table["rows"][0]
        for r in board["rows"]:
            if r["model"] != r["baseline"]:
                assert shown[(r["agent"], r["model"])][header.index(f"{r['domain']} WR")] == n.pct_points(r["win_rate"])
        fa = judges["factor_alignment"]
        for key, name in fa["factors"].items():
            assert find_row(tables, "Factor scores", name)[2] == n.DASH if fa["scores"]["humans"][key]["score"] is None \
                else f"{fa['scores']['humans'][key]['score']:+.2f}"
    assert board["baseline"] and board["rows"]
    assert "No judge has run" not in html and "has not run on this task" not in html
    assert "the first one covers the edge case." in html
