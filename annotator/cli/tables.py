"""Cells of the statistics tables: numbers, percentages, estimates with their intervals.

An estimate arrives as its JSON dict (``{"estimate", "ci_low", "ci_high", "n", "reason"}``)
or as an ``Estimate``; an undefined value is a dim dash (its reason is written once, below
the table) or, where there is room, "undefined: <reason>".
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from annotator.text.sanitize import sanitize_line

DASH = "[dim]—[/]"


def safe(value: Any) -> str:
    """Text from the data (a run, model, annotator, domain or pair name, a note that quotes
    one) ready for Rich markup: control characters shown as pictures, markup escaped."""
    return escape(sanitize_line(str(value)))


def as_dict(est: Any) -> dict[str, Any]:
    """An ``Estimate`` (or its JSON dict, or None) as its JSON dict."""
    if est is None:
        return {"estimate": None, "reason": None}
    return est if isinstance(est, dict) else est.to_dict()


def _num(value: float | None, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:.1f} %"


def _ci(est: Any, pct: bool = False) -> str:
    est = as_dict(est)
    if est.get("ci_low") is None or est.get("ci_high") is None:
        return ""
    f = (lambda v: f"{100 * v:.1f}") if pct else (lambda v: f"{v:.3f}")
    return f"[{f(est['ci_low'])}, {f(est['ci_high'])}]"


def _est(est: Any, pct: bool = False) -> str:
    """Value and interval in one cell; the reason (dimmed) when undefined."""
    est = as_dict(est)
    if est.get("estimate") is None:
        return f"[dim]undefined: {safe(est.get('reason') or '')}[/]"
    value = _pct(est["estimate"]) if pct else _num(est["estimate"])
    ci = _ci(est, pct)
    return f"{value} [dim]{escape(ci)}[/]" if ci else value


def _short(est: Any, pct: bool = False) -> str:
    """Value only (for dense tables); a dash when undefined."""
    est = as_dict(est)
    if est.get("estimate") is None:
        return DASH
    return _pct(est["estimate"]) if pct else _num(est["estimate"])


def _fits(console, table) -> bool:
    """Whether ``table`` fits the console's width at its natural width: no cell cut or broken."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update(width=10**6), table).maximum <= console.width


def print_table(console, table) -> None:
    """Print ``table`` whole, or, when it is wider than the terminal (80 columns in a pipe or a
    file), fold it into stacked rows: each row's first cell, then one line per column. A
    number or a name is never cut; a note says the table was folded."""
    from rich.padding import Padding
    from rich.table import Table

    if _fits(console, table):
        console.print(table)
        return
    if table.title:
        console.print(table.title, style="bold")
    headers = [column.header for column in table.columns]
    for cells in zip(*(column._cells for column in table.columns)):
        console.print(cells[0], style="bold")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for header, cell in zip(headers[1:], cells[1:]):
            grid.add_row(header, cell)
        console.print(Padding(grid, (0, 0, 0, 2)))
    console.print(f"[dim]note: the table is wider than {console.width} columns, so each row is stacked "
                  "(a wider terminal, or COLUMNS=200, shows it as a table; --json gives every field)[/]")
