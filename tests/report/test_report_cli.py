"""`annotator report` as a user runs it: default path, messages, an empty task, start-up cost."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Store, Task
from annotator.text import numbers as n

from .conftest import run_cli
from .parse import html_tables
from .report_data import TASK


def test_default_path_and_json_summary(campaign_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(campaign_db, "report", "--bootstrap", "0", "--json")
    out = json.loads(result.stdout)
    assert out["html"] == "exports/campaign-report.html" and out["markdown"] == "exports/campaign-report.md"
    assert (tmp_path / "exports" / "campaign-report.html").stat().st_size > 10_000
    assert (tmp_path / "exports" / "campaign-report_files" / "leaderboard-all.svg").exists()
    assert out["order_rule"] == "both" and set(out["seconds"]) >= {"agreement", "judges", "leaderboard"}
    md = (tmp_path / "exports" / "campaign-report.md").read_text()
    assert "(campaign-report_files/alpha.svg)" in md


def test_bad_out_and_unknown_task_fail_with_a_message(campaign_db, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(campaign_db), "report", "--out", str(tmp_path / "r.txt")])
    assert result.exit_code == 1 and "expected a file name ending in .html" in result.output
    result = runner.invoke(main, ["--db", str(campaign_db), "report", "--task", "nope"])
    assert result.exit_code == 1 and "no task named 'nope'" in result.output
    result = runner.invoke(main, ["--db", str(tmp_path / "missing.db"), "report"])
    assert result.exit_code == 1 and "no database" in result.output
    assert not (tmp_path / "missing.db").exists()


def test_a_task_without_labels_or_judges_still_reports_and_says_why(tmp_path):
    db = tmp_path / "empty.db"
    store = Store.open(db)
    store.save_task(Task(name="fresh", title="Fresh", overlap=2))
    from tests.conftest import make_pairs

    store.insert_pairs(make_pairs("fresh", 4))
    store.close()
    out = tmp_path / "fresh.html"
    run_cli(db, "report", "--out", str(out), "--bootstrap", "0")
    html = out.read_text()
    assert "no labels yet: every statistic is undefined" in html
    assert "No judge has run on this task" in html and "annotator judge run --judge longest --task fresh" in html
    row = next(t for t in html_tables(html) if t["caption"].startswith("Pairs per domain"))["rows"][1]
    assert row == ["(none)", "4", "0", "0", "4", "0.0 %"]


def test_the_markdown_twin_reads_without_images(campaign_db, tmp_path):
    out = tmp_path / "r.html"
    run_cli(campaign_db, "report", "--task", TASK, "--out", str(out), "--bootstrap", "0")
    md = out.with_suffix(".md").read_text()
    # every figure is followed by the numbers behind it
    links = list(re.finditer(r"\]\(r_files/[a-z-]+\.svg\)\n", md))
    assert len(links) >= 8
    for link in links:
        after = md[link.end():].lstrip("\n")
        assert after.startswith("*") or after.startswith("|"), after[:80]


def test_formatting_rules_on_hand_written_values():
    est = {"estimate": 0.5115161824, "ci_low": 0.3934289, "ci_high": 0.620723, "n": 90, "reason": None}
    assert n.with_interval(est) == "0.512 [0.393, 0.621]"
    assert n.with_interval(est, True) == "51.2 % [39.3, 62.1]"
    assert n.with_interval({"estimate": None, "reason": "one annotator"}) == "—"
    assert n.with_interval({"estimate": 0.25, "ci_low": None, "ci_high": None}) == "0.250"
    assert n.signed_points(0.0434) == "+4.3 pts" and n.signed_points(-0.09) == "-9.0 pts"
    assert n.pct_points(42.77777) == "42.8" and n.count(12345) == "12,345"


def test_starting_the_command_line_loads_no_matplotlib():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom annotator.cli import main\n"
            "assert CliRunner().invoke(main, ['report', '--help']).exit_code == 0\n"
            "print('matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_files_are_written_whole_with_ordinary_permissions(campaign_db, tmp_path):
    out = tmp_path / "share" / "r.html"
    out.parent.mkdir()  # folders are created only under the working folder (exports' rule, issue 20)
    old = os.umask(0o022)
    try:
        run_cli(campaign_db, "report", "--task", TASK, "--out", str(out), "--bootstrap", "0", "--jobs", "1")
    finally:
        os.umask(old)
    written = [out, out.with_suffix(".md"), *sorted((tmp_path / "share" / "r_files").glob("*.svg"))]
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in written)  # readable by the group and others (umask 022)
    assert not list((tmp_path / "share").glob(".*.tmp"))  # no half-written file left


def test_an_engines_cpu_time_counts_its_worker_processes(monkeypatch):
    """The leaderboard engine may run its fits in worker processes (`--jobs`): the engine's CPU
    seconds in the report's --json count theirs too, not only its own process's."""
    import importlib

    collect = importlib.import_module("annotator.export.report.collect")  # the module, not the function

    def engine(store, task, name, options):
        subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
        return {}

    monkeypatch.setattr(collect, "run_engine", engine)
    import resource

    def children() -> float:  # the same clock the report reads (os.times() rounds to clock ticks)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = children()
    _, _, cpu = collect._timed_engine(None, "t", "leaderboard", collect.ReportOptions())
    child = children() - before
    assert child > 0.01 and cpu >= child
