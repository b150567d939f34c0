"""Every number in the report is the one the command line's --json gives for the same task.

The report is written through the command line; each `stats` command is run with the same
options and its JSON read; then the figures are looked up in the report's tables (HTML and
Markdown), row by row, and compared with the JSON formatted the report's way (the formatting
rules themselves are checked on hand-written values in ``tests/text/test_numbers.py``).
"""

from __future__ import annotations

import json
from html import unescape

import pytest

from annotator.export.report import ReportOptions, collect
from annotator.store import Store
from annotator.text import numbers as n

from .conftest import cli_json, run_cli
from .parse import find_row, html_tables, md_tables
from .report_data import HOSTILE_MODEL, TASK

BOOT = "40"


@pytest.fixture(scope="module")
def written(campaign_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "r.html"
    run_cli(campaign_db, "report", "--task", TASK, "--out", str(out), "--bootstrap", BOOT)
    html, md = out.read_text(), out.with_suffix(".md").read_text()
    return {"html": html, "md": md, "tables": {"html": html_tables(html), "md": md_tables(md)}}


@pytest.fixture(scope="module")
def cli(campaign_db):
    return {
        "agreement": cli_json(campaign_db, "stats", "agreement", "--task", TASK, "--bootstrap", BOOT),
        "judges": cli_json(campaign_db, "stats", "judges", "--task", TASK, "--bootstrap", BOOT),
        "leaderboard": cli_json(campaign_db, "stats", "leaderboard", "--task", TASK, "--by", "domain",
                                "--bootstrap", BOOT),
        "counts": cli_json(campaign_db, "tasks", "show", TASK),
    }


def test_the_report_gathers_exactly_what_each_command_prints(campaign_db, cli):
    store = Store.open(campaign_db)
    b = int(BOOT)
    data = collect(store, TASK, ReportOptions(agreement_resamples=b, judge_resamples=b, leaderboard_bootstrap=b))
    store.close()
    for key in ("agreement", "judges", "leaderboard"):
        assert json.loads(json.dumps(getattr(data, key), default=str)) == cli[key], key
    assert {k: v for k, v in data.counts.items()} == {k: cli["counts"][k] for k in data.counts}


@pytest.mark.parametrize("kind", ["html", "md"])
def test_agreement_and_annotator_numbers(written, cli, kind):
    tables, a = written["tables"][kind], cli["agreement"]
    row = find_row(tables, "Overall preference", "Krippendorff's alpha (nominal)")
    assert row[1] == n.with_interval(a["krippendorff_alpha"]) and row[1].startswith("0.")  # e.g. "0.512 [0.39, ...]"
    assert row[2] == str(a["krippendorff_alpha"]["n"])
    row = find_row(tables, "Overall preference", "Raw agreement, ties a class")
    assert row[1] == n.with_interval(a["percent_agreement"]["with_ties"], True) and row[1].endswith("]")
    for domain, block in a["per_domain"].items():
        assert find_row(tables, "Per domain", domain)[3] == n.with_interval(block["krippendorff_alpha"])
    for _key, block in a["per_factor"].items():
        assert find_row(tables, "Per factor", block["name"])[3] == n.with_interval(block["krippendorff_alpha"])
    for r in a["per_annotator"]:
        row = find_row(tables, "Annotator quality", r["annotator"])
        assert row[1] == str(r["n_labels"])
        assert row[2] == n.with_interval(r["agreement_with_others"], True)
        assert row[3] == n.with_interval(r["attention_accuracy"], True)
        assert row[4].startswith(n.with_interval(r["first_position_rate"], True))
        assert row[6] == n.num(r["median_seconds"], 0)
        assert find_row(tables, "Labels per annotator", r["annotator"])[1] == str(cli["counts"]["labels_per_annotator"][r["annotator"]])
    disputed = a["pairs"]["most_disputed"]
    assert disputed, "the fixture has disputed pairs"
    table = next(t for t in tables if t["rows"] and t["rows"][0][:2] == ["pair", "domain"])
    assert [r[0] for r in table["rows"][1:]] == [p["pair_id"] for p in disputed]
    assert [r[-3] for r in table["rows"][1:]] == [n.num(p["entropy_bits"], 2) for p in disputed]


@pytest.mark.parametrize("kind", ["html", "md"])
def test_judge_numbers_and_cards(written, cli, kind):
    tables, j = written["tables"][kind], cli["judges"]
    judges = [a for a in j["agents"] if a["kind"] != "humans"]
    assert {a["kind"] for a in judges} >= {"llm", "imported", "baseline"}
    for a in judges:
        name = a["agent"] + (" (offline baseline)" if a["kind"] == "baseline" else "")
        row = find_row(tables, "Judges against the humans", name)
        assert row[1] == str(a["pairs"])
        assert row[4] == n.with_interval(a["agreement_with_humans"]["with_ties"], True)
        assert row[5] == n.with_interval(a["agreement_with_humans"]["without_ties"], True)
        assert row[6] == n.value(a["cohen_kappa_with_majority"])
        assert row[7] == a["card"]["verdict"]
        for reason in a["card"]["reasons"]:
            escaped = reason.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in written["html"] if kind == "html" else True
    ceiling = n.with_interval(j["human_ceiling"]["with_ties"], True)
    assert f"agreement {ceiling}" in written[kind].replace("\\", "")
    # position: unknown where the order is unknown, the number where it is known
    for a in judges:
        row = find_row(tables, "Position: share of decisive answers", a["agent"])
        expected = "unknown" if a["position_bias"]["estimate"] is None else n.with_interval(a["position_bias"], True)
        assert row[2] == expected
    assert any(a["position_bias"]["estimate"] is None for a in judges)
    for a in j["agents"]:
        row = find_row(tables, "Length: share of decisive answers", a["agent"])
        assert row[2] == n.with_interval(a["length_bias"], True)
        if a["kind"] != "humans":
            assert row[4].startswith(n.signed_points(a["length_bias_vs_humans"]["estimate"]))
    cal = [a for a in judges if a["calibration"]["n"]]
    assert cal
    for a in cal:
        row = find_row(tables, "Calibration against the human majority", a["agent"])
        assert row[2:4] == [n.num(a["calibration"]["ece"]), n.num(a["calibration"]["brier"])]


@pytest.mark.parametrize("kind", ["html", "md"])
def test_leaderboard_and_factor_numbers(written, cli, kind):
    tables, board = written["tables"][kind], cli["leaderboard"]
    table = next(t for t in tables if t["caption"].startswith("Win rate (WR) and length-controlled"))
    header = table["rows"][0]
    rows = {(row[0], row[1]): row for row in table["rows"][1:]}
    checked = 0
    for r in board["rows"]:
        if r["model"] == r["baseline"]:
            continue
        row = rows[(r["agent"], r["model"])]
        assert row[header.index(f"{r['domain']} WR")] == n.pct_points(r["win_rate"])
        assert row[header.index(f"{r['domain']} LC")] == n.pct_points(r["lc_win_rate"])
        checked += 1
    assert checked == len(board["rows"]) and checked >= 3 * 4 * 5  # 3 models, 4 domains, humans + 4 judges
    assert (("humans", HOSTILE_MODEL)) in rows  # the hostile name is shown as text
    fa = cli["judges"]["factor_alignment"]
    for key, name in fa["factors"].items():
        row = find_row(tables, "Factor scores", name)
        for i, agent in enumerate(fa["scores"], start=2):
            score = fa["scores"][agent][key]["score"]
            assert row[i] == (n.DASH if score is None else f"{score:+.2f}")
    for judge, block in fa["judges"].items():
        row = find_row(tables, "Factor-level alignment", judge)
        assert row[1:4] == [n.num(block["alignment"]["kendall_tau_b"]), n.num(block["alignment"]["spearman"]),
                            n.num(block["alignment"]["pearson"])]


def test_the_order_rule_is_passed_through_and_printed(campaign_db, tmp_path):
    out = tmp_path / "mt.html"
    run_cli(campaign_db, "report", "--task", TASK, "--out", str(out), "--order-rule", "mt-bench", "--bootstrap", "0")
    judges = cli_json(campaign_db, "stats", "judges", "--task", TASK, "--order-rule", "mt-bench", "--bootstrap", "0")
    default = cli_json(campaign_db, "stats", "judges", "--task", TASK, "--bootstrap", "0")
    html = unescape(out.read_text())
    assert "Order rule for the judges' two presented orders: mt-bench." in html
    assert "--order-rule mt-bench" in html
    tables = html_tables(html)
    gpt = next(a for a in judges["agents"] if a["agent"] == "gpt-judge")
    other = next(a for a in default["agents"] if a["agent"] == "gpt-judge")
    # the rule changes the figure (inconsistent pairs are ties, not 'no verdict'), and the report follows the rule
    assert gpt["agreement_with_humans"]["with_ties"] != other["agreement_with_humans"]["with_ties"]
    row = find_row(tables, "Judges against the humans", "gpt-judge")
    assert row[4] == n.value(gpt["agreement_with_humans"]["with_ties"], True)


def test_engines_in_worker_processes_give_the_same_numbers(campaign_db):
    store = Store.open(campaign_db)
    options = ReportOptions(agreement_resamples=20, judge_resamples=20, leaderboard_bootstrap=20)
    alone = collect(store, TASK, options, jobs=1)
    forked = collect(store, TASK, options, jobs=3)
    store.close()
    for key in ("agreement", "judges", "leaderboard", "counts", "coverage", "disputed_labels"):
        assert json.dumps(getattr(forked, key), default=str) == json.dumps(getattr(alone, key), default=str), key
    assert set(forked.seconds) >= {"agreement", "judges", "leaderboard", "engines"}


def test_workers_that_cannot_start_leave_the_engines_to_this_process(campaign_db, monkeypatch):
    import importlib

    collect_module = importlib.import_module("annotator.export.report.collect")  # the module, not the function

    def refuse(path):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(collect_module, "_worker_start", refuse)
    store = Store.open(campaign_db)
    options = ReportOptions(agreement_resamples=0, judge_resamples=0, leaderboard_bootstrap=0)
    forked = collect(store, TASK, options, jobs=3)
    alone = collect(store, TASK, options, jobs=1)
    store.close()
    assert json.dumps(forked.judges, default=str) == json.dumps(alone.judges, default=str)
