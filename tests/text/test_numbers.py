"""How a number is written (``annotator.text.numbers``), on hand-written values: the report,
the command line's tables and the dashboard all format through these functions."""

from __future__ import annotations

from dataclasses import dataclass

from annotator.text import numbers as n


@dataclass
class _Estimate:  # anything with to_dict(), as analysis' Estimate
    estimate: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high, "reason": self.reason}


def test_shares_points_and_coefficients():
    assert n.pct(0.585) == "58.5 %"
    assert n.pct(1.0) == "100.0 %"
    assert n.pct_points(58.46) == "58.5"
    assert n.signed_points(0.031) == "+3.1 pts" and n.signed_points(-0.25) == "-25.0 pts"
    assert n.num(0.51234) == "0.512" and n.num(2.0, 1) == "2.0"
    assert n.count(12345) == "12,345"


def test_undefined_is_a_dash_never_a_number():
    for fmt in (n.pct, n.pct_points, n.signed_points, n.num, n.count):
        assert fmt(None) == n.DASH
    assert n.value(None) == n.DASH and n.with_interval(None) == n.DASH
    undefined = {"estimate": None, "ci_low": None, "ci_high": None, "n": 0, "reason": "no verdict"}
    assert n.with_interval(undefined) == n.DASH and n.reason(undefined) == "no verdict"


def test_an_interval_follows_its_value_in_brackets():
    est = {"estimate": 0.585, "ci_low": 0.493, "ci_high": 0.672, "n": 40, "reason": None}
    assert n.with_interval(est, as_pct=True) == "58.5 % [49.3, 67.2]"
    assert n.with_interval(est) == "0.585 [0.493, 0.672]"
    assert n.with_interval(_Estimate(0.585, 0.493, 0.672), as_pct=True) == "58.5 % [49.3, 67.2]"
    assert n.with_interval({"estimate": 0.5, "ci_low": None, "ci_high": None}) == "0.500"  # no interval, no brackets


def test_each_verdict_has_one_tone_and_colour():
    assert n.verdict_colour("trustworthy") == "green"
    assert n.verdict_colour("use with caution") == "yellow"
    assert n.verdict_colour("needs review") == "red"
    assert n.verdict_colour(None) == "" and n.verdict_colour("something else") == ""


def test_writing_a_number_imports_no_report_machinery():
    import subprocess
    import sys

    code = "import sys, annotator.text.numbers; print(sorted(m for m in sys.modules if m.startswith('annotator.export')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
