"""Cells of the statistics tables: numbers, percentages, estimates with their intervals.

An estimate arrives as its JSON dict (``{"estimate", "ci_low", "ci_high", "n", "reason"}``)
or as an ``Estimate``; an undefined value is a dim dash (its reason is written once, below
the table) or, where there is room, "undefined: <reason>".
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from annotator.text import numbers
from annotator.text.sanitize import sanitize_line

DASH = "[dim]—[/]"


def safe(value: Any) -> str:
    """Text from the data (a run, model, annotator, domain or pair name, a note that quotes
    one) ready for Rich markup: control characters shown as pictures, markup escaped."""
    return escape(sanitize_line(str(value)))


def as_dict(est: Any) -> dict[str, Any]:
    """An ``Estimate`` (or its JSON dict, or None) as its JSON dict."""
    return numbers.as_dict(est) or {"estimate": None, "reason": None}


# The digits are ``text.numbers``' (one place for every output); here only markup.
def _num(value: float | None, digits: int = 3) -> str:
    return DASH if value is None else numbers.num(value, digits)


def _pct(value: float | None) -> str:
    return DASH if value is None else numbers.pct(value)


def _ci(est: Any, pct: bool = False) -> str:
    return numbers.interval(est, pct)


def _est(est: Any, pct: bool = False) -> str:
    """Value and interval in one cell; the reason (dimmed) when undefined."""
    est = as_dict(est)
    if est.get("estimate") is None:
        return f"[dim]undefined: {safe(est.get('reason') or '')}[/]"
    value = numbers.value(est, pct)
    ci = _ci(est, pct)
    return f"{value} [dim]{escape(ci)}[/]" if ci else value


def _short(est: Any, pct: bool = False) -> str:
    """Value only (for dense tables); a dash when undefined."""
    est = as_dict(est)
    if est.get("estimate") is None:
        return DASH
    return numbers.value(est, pct)


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


def rule_caption(rule: dict[str, str], full: bool = False) -> str:
    """The order rule under a table (its name; the whole rule once, at the top)."""
    return f"order rule: {rule['name']} — {rule['rule']}" if full else f"order rule: {rule['name']}"
