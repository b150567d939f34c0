"""How the report writes a number: the same digits as the command line's tables.

Percentages with one decimal ("58.5 %"), coefficients with three ("0.512"), an interval in
brackets after its value ("[49.3, 67.2]"), and an em dash where a figure is undefined (the
reason is written beside it or under the table). Values arrive as the ``--json`` output
of each command gives them: an estimate is ``{"estimate", "ci_low", "ci_high", "n", "reason"}``.
"""

from __future__ import annotations

from typing import Any

DASH = "—"


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


def interval(est: dict[str, Any] | None, as_pct: bool = False) -> str:
    if not est or est.get("ci_low") is None or est.get("ci_high") is None:
        return ""
    f = (lambda v: f"{100 * v:.1f}") if as_pct else (lambda v: f"{v:.3f}")
    return f"[{f(est['ci_low'])}, {f(est['ci_high'])}]"


def value(est: dict[str, Any] | None, as_pct: bool = False) -> str:
    """The estimate alone (a dash when undefined)."""
    if not est or est.get("estimate") is None:
        return DASH
    return pct(est["estimate"]) if as_pct else num(est["estimate"])


def with_interval(est: dict[str, Any] | None, as_pct: bool = False) -> str:
    """Value and interval ("58.5 % [49.3, 67.2]"); a dash when undefined."""
    text = value(est, as_pct)
    ci = interval(est, as_pct)
    return f"{text} {ci}" if ci and text != DASH else text


def reason(est: dict[str, Any] | None) -> str:
    return (est or {}).get("reason") or ""


def count(n: int | None) -> str:
    return DASH if n is None else f"{n:,}"
