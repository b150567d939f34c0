"""How a number is written, in one place: the report, the command line's tables
(``cli.tables``, which adds only markup) and the dashboard all format through here.

Percentages with one decimal ("58.5 %"), coefficients with three ("0.512"), an interval in
brackets after its value ("[49.3, 67.2]"), and an em dash where a figure is undefined (the
reason is written beside it or under the table). An estimate arrives as an ``Estimate`` or as
its JSON (``{"estimate", "ci_low", "ci_high", "n", "reason"}``). A judge card's verdict has
one tone (``VERDICT_TONES``: good / caution / bad) and each tone one terminal colour
(``TONE_COLOURS``).
"""

from __future__ import annotations

from typing import Any

DASH = "—"
VERDICT_TONES = {"trustworthy": "good", "use with caution": "caution", "needs review": "bad"}
TONE_COLOURS = {"good": "green", "caution": "yellow", "bad": "red"}


def verdict_colour(verdict: str | None) -> str:
    """The terminal colour of a judge card's verdict ("" for none)."""
    return TONE_COLOURS.get(VERDICT_TONES.get(verdict or "", ""), "")


def as_dict(est: Any) -> dict[str, Any]:
    """An ``Estimate`` (or its JSON dict, or None) as its JSON dict."""
    if est is None:
        return {}
    return est if isinstance(est, dict) else est.to_dict()


def num(value: float | None, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def pct(value: float | None) -> str:
    """A share (0..1) as a percentage."""
    return DASH if value is None else f"{100 * value:.1f} %"


def pct_points(value: float | None) -> str:
    """A number already in percent (a win rate)."""
    return DASH if value is None else f"{value:.1f}"


def signed_points(value: float | None) -> str:
    """A difference of shares in percentage points, with its sign."""
    return DASH if value is None else f"{100 * value:+.1f} pts"


def interval(est: Any, as_pct: bool = False) -> str:
    est = as_dict(est)
    if not est or est.get("ci_low") is None or est.get("ci_high") is None:
        return ""
    f = (lambda v: f"{100 * v:.1f}") if as_pct else (lambda v: f"{v:.3f}")
    return f"[{f(est['ci_low'])}, {f(est['ci_high'])}]"


def value(est: Any, as_pct: bool = False) -> str:
    """The estimate alone (a dash when undefined)."""
    est = as_dict(est)
    if not est or est.get("estimate") is None:
        return DASH
    return pct(est["estimate"]) if as_pct else num(est["estimate"])


def with_interval(est: Any, as_pct: bool = False) -> str:
    """Value and interval ("58.5 % [49.3, 67.2]"); a dash when undefined."""
    text = value(est, as_pct)
    ci = interval(est, as_pct)
    return f"{text} {ci}" if ci and text != DASH else text


def reason(est: Any) -> str:
    return as_dict(est).get("reason") or ""


def count(n: int | None) -> str:
    return DASH if n is None else f"{n:,}"
