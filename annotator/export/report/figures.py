"""The report's plots: matplotlib on its non-interactive backend, written as SVG text.

Each function takes the numbers a section already shows in its tables and returns an SVG
string (or None when there is nothing to draw). Text in the SVG is kept as text
(``svg.fonttype = none``) and escaped by matplotlib; names from the data are cleaned
(``document.clean``) and their ``$`` escaped so matplotlib never reads them as maths. The ids
inside each SVG are prefixed with the figure's key, so several figures can sit in one page.
matplotlib is imported here only, when a report is written.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

from .document import clean

HUMANS_COLOUR = "#3a3a3a"
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974",
           "#64b5cd")
GRID = "#e3e3e3"
REFERENCE = "#9a9a9a"
WIDTH = 7.2  # inches; the page scales the SVG to its column
_STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5, "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    "axes.edgecolor": "#9a9a9a", "axes.labelcolor": "#333333", "xtick.color": "#555555", "ytick.color": "#555555",
    "text.color": "#222222", "svg.fonttype": "none", "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "sans-serif"],
}


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def label(text: object, limit: int = 36) -> str:
    """A name from the data, safe for a matplotlib label: cleaned, shortened, ``$`` escaped."""
    out = clean(text)
    if len(out) > limit:
        out = out[: limit - 1] + "…"
    return out.replace("\\", "\\\\").replace("$", r"\$")


def colours(agents: Sequence[str], humans: str = "humans") -> dict[str, str]:
    """One colour per agent, the humans always the dark grey, judges in palette order."""
    out, i = {}, 0
    for agent in agents:
        if agent == humans:
            out[agent] = HUMANS_COLOUR
        else:
            out[agent] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _svg(fig, key: str) -> str:
    plt = _plt()
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": key}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    if ids:
        pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
                             + r')(?=["\)])')
        text = pattern.sub(lambda m: f"{m.group(1)}{key}-{m.group(2)}", text)
    # the page sizes the figure: keep its aspect ratio (viewBox), drop the fixed size
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)
    return text.replace("<svg", f'<svg class="figure" role="img" aria-labelledby="{key}-title"', 1)


def _figure(height: float):
    plt = _plt()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained")
    return fig, ax


def _style_axes(ax) -> None:
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def interval_chart(key: str, rows: Sequence[dict], *, xlabel: str, xlim: tuple[float, float] | None = None,
                   reference: Sequence[tuple[float, str]] = (), band: tuple[float, float, str] | None = None,
                   percent: bool = False) -> str | None:
    """Dots with their intervals, one row each (top to bottom). ``rows``: ``{"label", "value",
    "low", "high", "colour", "note"}``; a row without a value shows its ``note`` ("unknown").
    ``reference``: vertical lines (x, text); ``band``: a shaded range (low, high, text)."""
    if not rows:
        return None
    plt = _plt()
    with plt.rc_context(_STYLE):
        fig, ax = _figure(0.45 + 0.32 * len(rows))
        _style_axes(ax)
        scale = 100 if percent else 1
        if band is not None and band[0] is not None and band[1] is not None:
            ax.axvspan(band[0] * scale, band[1] * scale, color="#f0e6c8", zorder=0)
        for x, text in reference:
            ax.axvline(x * scale, color=REFERENCE, linewidth=0.9, linestyle=(0, (4, 3)), zorder=1)
            ax.annotate(text, (x * scale, 1.0), xycoords=("data", "axes fraction"), xytext=(3, 2),
                        textcoords="offset points", fontsize=7.5, color="#666666", va="bottom")
        y = list(range(len(rows)))[::-1]
        lo_all, hi_all = [], []
        for yi, row in zip(y, rows):
            v = row.get("value")
            if v is None or (isinstance(v, float) and math.isnan(v)):
                ax.annotate(row.get("note") or "undefined", (0.01, yi), xycoords=("axes fraction", "data"),
                            va="center", fontsize=8, color="#777777", style="italic")
                continue
            lo, hi = row.get("low"), row.get("high")
            if lo is not None and hi is not None:
                ax.plot([lo * scale, hi * scale], [yi, yi], color=row.get("colour", HUMANS_COLOUR), linewidth=2.2,
                        solid_capstyle="round", alpha=0.55)
                lo_all.append(lo * scale)
                hi_all.append(hi * scale)
            ax.plot([v * scale], [yi], "o", color=row.get("colour", HUMANS_COLOUR), markersize=6)
            lo_all.append(v * scale)
            hi_all.append(v * scale)
        ax.set_yticks(y, [label(r["label"]) for r in rows])
        ax.set_ylim(-0.6, len(rows) - 0.4)
        if xlim is not None:
            ax.set_xlim(xlim[0] * scale, xlim[1] * scale)
        elif lo_all:
            pad = 0.05 * scale
            ax.set_xlim(min(min(lo_all), 0) - pad, max(max(hi_all), 1 * scale) + pad)
        ax.set_xlabel(xlabel)
    return _svg(fig, key)


def coverage_chart(key: str, domains: Sequence[str], done: Sequence[int], started: Sequence[int],
                   untouched: Sequence[int], overlap: int) -> str | None:
    """Stacked horizontal bars per domain: pairs with all their annotators, some, none."""
    if not domains:
        return None
    plt = _plt()
    with plt.rc_context(_STYLE):
        fig, ax = _figure(0.6 + 0.34 * len(domains))
        _style_axes(ax)
        y = list(range(len(domains)))[::-1]
        left = [0] * len(domains)
        for values, colour, name in ((done, "#55a868", f"{overlap} or more annotators (done)"),
                                     (started, "#ccb974", f"1 to {max(overlap - 1, 1)} annotators"),
                                     (untouched, "#d9d9d9", "no annotator yet")):
            ax.barh(y, values, left=left, color=colour, height=0.6, label=name)
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(y, [label(d) for d in domains])
        ax.set_xlabel("pairs")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3)
    return _svg(fig, key)


def grouped_bars(key: str, groups: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]], *,
                 ylabel: str, ylim: tuple[float, float] | None = None, reference: float | None = None,
                 errors: Sequence[Sequence[float | None]] | None = None,
                 markers: Sequence[tuple[str, Sequence[float | None]]] = (), title: str = "") -> str | None:
    """Bars side by side per group (PROFILE's Figure 3 layout; a leaderboard per domain).
    ``series``: (name, colour, one value per group); ``errors``: a +- bar per value;
    ``markers``: (name, values) drawn as a hollow diamond on each series' bar (an LC win rate)."""
    if not groups or not series:
        return None
    plt = _plt()
    with plt.rc_context(_STYLE):
        fig, ax = _figure(3.0)
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        n = len(series)
        width = min(0.8 / n, 0.28)
        for s, (name, colour, values) in enumerate(series):
            xs = [g + (s - (n - 1) / 2) * width for g in range(len(groups))]
            heights = [0 if v is None else v for v in values]
            yerr = None
            if errors is not None:
                yerr = [0 if e is None else e for e in errors[s]]
            ax.bar(xs, heights, width=width * 0.92, color=colour, label=label(name, 28), yerr=yerr,
                   error_kw={"elinewidth": 0.8, "ecolor": "#555555", "capsize": 1.5})
            for x, v in zip(xs, values):
                if v is None:
                    ax.annotate("n/a", (x, 0), ha="center", va="bottom", fontsize=7, color="#888888")
            for _, marks in markers[s:s + 1]:
                pts = [(x, m) for x, m in zip(xs, marks) if m is not None]
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], "D", markerfacecolor="white",
                            markeredgecolor="#222222", markersize=4.5, linestyle="none",
                            label="length-controlled" if s == 0 else None)
        if reference is not None:
            ax.axhline(reference, color=REFERENCE, linewidth=0.9, linestyle=(0, (4, 3)))
        ax.axhline(0, color="#9a9a9a", linewidth=0.8)
        ax.set_xticks(range(len(groups)), [label(g, 22) for g in groups])
        if len(groups) > 5:
            plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
        ax.set_ylabel(ylabel)
        if ylim is not None:
            ax.set_ylim(*ylim)
        if title:
            ax.set_title(label(title, 60), loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14 if len(groups) <= 5 else -0.24),
                  ncol=min(4, n + (1 if markers else 0)))
    return _svg(fig, key)


def reliability_diagram(key: str, curves: Sequence[tuple[str, str, Sequence[dict]]]) -> str | None:
    """The calibration reliability diagram: per judge, mean P(A) against the share of pairs
    the humans gave to A, per bin; the diagonal is perfect calibration; dot area ~ pairs."""
    curves = [c for c in curves if c[2]]
    if not curves:
        return None
    plt = _plt()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(WIDTH, 4.0), layout="constrained")
        ax.set_aspect("equal", adjustable="box")
        ax.grid(color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        ax.plot([0, 1], [0, 1], color=REFERENCE, linewidth=0.9, linestyle=(0, (4, 3)), label="perfectly calibrated")
        biggest = max(b["n"] for _, _, bins in curves for b in bins) or 1
        for name, colour, bins in curves:
            xs = [b["mean_p_a"] for b in bins]
            ys = [b["share_a"] for b in bins]
            ax.plot(xs, ys, color=colour, linewidth=1.2, label=label(name, 28))
            ax.scatter(xs, ys, s=[12 + 90 * b["n"] / biggest for b in bins], color=colour, zorder=3)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("judge's P(A), mean in the bin")
        ax.set_ylabel("share of pairs the humans gave to A")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return _svg(fig, key)
