"""The report shows the significance groups beside the leaderboard's figures and each judge's
style bias, the numbers `stats leaderboard` / `stats judges` give."""

from __future__ import annotations

import re

from .conftest import cli_json, run_cli
from .report_data import TASK


def test_report_shows_groups_and_the_style_table(campaign_db, tmp_path):
    out = tmp_path / "r.html"
    run_cli(campaign_db, "report", "--task", TASK, "--out", str(out), "--bootstrap", "0")
    md = out.with_suffix(".md").read_text()
    assert re.search(r"\|\s*group\s*\|", md)  # the column beside Bradley-Terry
    assert "significantly different" in md
    board = cli_json(campaign_db, "stats", "leaderboard", "--task", TASK, "--by", "domain", "--bootstrap", "0")
    assert board["groups"]
    judges = cli_json(campaign_db, "stats", "judges", "--task", TASK, "--bootstrap", "0")
    with_style = [a for a in judges["agents"] if a.get("style_bias")]
    assert with_style
    assert "Style beyond length" in md
    first = with_style[0]
    value = first["style_bias"]["length"]
    if value is not None:
        assert f"{100 * value:+.0f}" in md
    html = out.read_text()
    assert "Style beyond length" in html and "significantly different" in html
