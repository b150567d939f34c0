"""The report's sections about the models and the factors: the leaderboard (``stats leaderboard
--by domain --json``) and PROFILE's factor scores and alignment (``stats judges --json``)."""

from __future__ import annotations

from annotator.text import numbers as n

from . import figures
from .collect import ReportData
from .document import Cell, Figure, Paragraph, Section, Table, clean
from .judges import agent_colours

ALL = "all"
GROUP_NOTE = ("group: models sharing a letter are not significantly different (paired tests on the shared "
              "instructions, corrected across the pairs; stats leaderboard --test / --correction)")


def _domains(rows: list) -> list[str]:
    names = sorted({r.domain for r in rows if r.domain != ALL})
    return [ALL, *names] if any(r.domain == ALL for r in rows) else names


def _f(value: float | None) -> float | None:
    """A figure read back from JSON (None where undefined) or computed (NaN where undefined)."""
    return None if value is None or value != value else value


def _rating(value: float | None, low: float | None, high: float | None) -> str:
    """A Bradley-Terry rating with its interval, on the Elo scale ("1030 [905, 1181]")."""
    if _f(value) is None:
        return n.DASH
    return f"{value:.0f} [{n.num(_f(low), 0)}, {n.num(_f(high), 0)}]"


INCONSISTENT_RULE = ("inconsistent: pairs whose two presented orders gave different verdicts; each counts as a "
                     "draw (half a win) in n and in the win rate, never left out")


def leaderboard_section(data: ReportData) -> Section:
    from annotator.analysis.leaderboard import Leaderboard
    from annotator.analysis.serialise import read_back

    board = read_back(Leaderboard, data.leaderboard)  # the typed result `stats leaderboard` prints
    section = Section("leaderboard", "Leaderboard")
    section.add(Paragraph(
        "Each candidate model is compared with the baseline on the pairs that hold both, whichever side it was on. "
        "WR is its win rate in percent (a tie counts half; for the humans, the mean of their votes), LC the "
        "length-controlled win rate: the win rate a logistic model predicts if the candidate's responses were as "
        "long as the baseline's, so a judge that simply likes long answers cannot lift a verbose model. "
        "Agents are the humans and each judge; the rows follow WorldAlignment's Table 1 (WR and LC per model and "
        "domain, one table per agent). Without a baseline (a round robin) there are no win rates: every model is "
        "rated by Bradley-Terry from all the pairs where two models meet.", lead="How to read it."))
    if board.baseline:
        section.add(Paragraph(f"{clean(board.baseline)} ({clean(board.baseline_rule)}). Order rule: "
                              f"{clean(board.order_rule.get('name', ''))}.", lead="Baseline:"))
    for note in board.notes:
        section.add(Paragraph(clean(note), lead="Note."))
    rows = board.rows
    if not rows:
        _ratings(section, board)
        _rank_correlation(section, board)
        return section
    domains = _domains(rows)
    agents = list(dict.fromkeys(r.agent for r in rows))
    models = sorted({r.model for r in rows if r.model != r.baseline})
    by = {(r.agent, r.model, r.domain): r for r in rows}
    headers = ["agent", "model", *[f"{clean(d)} {x}" for d in domains for x in ("WR", "LC")]]
    table_rows = []
    for agent in agents:
        for i, model in enumerate(models):
            cells: list = [clean(agent) if i == 0 else Cell(clean(agent), "muted"), clean(model)]
            for d in domains:
                r = by.get((agent, model, d))
                cells += [n.pct_points(_f(r.win_rate)) if r else n.DASH, n.pct_points(_f(r.lc_win_rate)) if r else n.DASH]
            table_rows.append(cells)
    reasons = sorted({r.reason for r in rows if r.reason})
    section.add(Table(headers, table_rows, caption=f"Win rate (WR) and length-controlled win rate (LC) against "
                      f"{clean(board.baseline or '')}, per agent, model and domain (percent)",
                      numeric=tuple(range(2, len(headers))),
                      notes=[f"{n.DASH}: undefined ({clean(r)})" for r in reasons]))
    colours = agent_colours(data)
    groups = {(g.agent, g.domain, g.model): g.group for g in board.groups}

    def figure(r, key: str) -> float | None:
        return _f(getattr(r, key)) if r is not None else None

    for d in domains:
        mine = [r for r in rows if r.domain == d and r.model != r.baseline]
        series = [(a, colours.get(a, figures.PALETTE[i % len(figures.PALETTE)]),
                   [figure(by.get((a, m, d)), "win_rate") for m in models]) for i, a in enumerate(agents)]
        errors = [[figure(by.get((a, m, d)), "standard_error") for m in models] for a in agents]
        markers = [(a, [figure(by.get((a, m, d)), "lc_win_rate") for m in models]) for a in agents]
        svg = figures.grouped_bars(f"leaderboard-{_key(d)}", models, series, ylabel="win rate against the baseline (%)",
                                   ylim=(0, 104), reference=50, errors=errors, markers=markers)
        detail = Table(["agent", "model", "pairs", "WR ± SE", "LC ± SE", "wins / losses / draws", "inconsistent",
                        "mean length", "group", "Bradley-Terry [95 % CI]"], [
            [clean(r.agent), clean(r.model), n.count(r.n) + (f" (+{r.n_unscored} without a preference)"
                                                             if r.n_unscored else ""),
             f"{n.pct_points(_f(r.win_rate))} ± {n.pct_points(_f(r.standard_error))}",
             f"{n.pct_points(_f(r.lc_win_rate))} ± {n.pct_points(_f(r.lc_standard_error))}"
             if _f(r.lc_win_rate) is not None else "undefined",
             f"{r.n_wins} / {r.n_wins_base} / {r.n_draws}", n.count(r.n_inconsistent), n.num(_f(r.avg_length), 0),
             clean(groups.get((r.agent, r.domain, r.model), n.DASH)),
             _rating(r.bt_rating, r.bt_ci_low, r.bt_ci_high)]
            for r in mine], caption=f"Domain {clean(d)}: every figure", numeric=(2, 3, 4, 5, 6, 7, 9),
            notes=([INCONSISTENT_RULE] if any(r.n_inconsistent for r in mine) else [])
            + ([GROUP_NOTE] if groups else []))
        title = "All domains" if d == ALL else f"Domain {clean(d)}"
        section.add(Figure(f"leaderboard-{_key(d)}", f"{title}: win rate against the baseline per model and agent",
                           svg, "Bars per model, one per agent, with standard-error whiskers and a diamond for the "
                           "length-controlled win rate; a line at 50 %.", detail) if svg else detail)
    methods = sorted({r.lc_method for r in rows if r.lc_method and r.model != r.baseline})
    section.add(Paragraph("; ".join(clean(m) for m in methods) + "." if methods else "no length-controlled fit.",
                          lead="LC fit:"))
    section.add(Paragraph("Bradley-Terry ratings put every model on one Elo-like scale from all the pairs where two "
                          "models meet, the baseline at 1000; the interval is a bootstrap over pairs."
                          + (" " + " ".join(clean(r) + "." for r in reasons) if reasons else ""), lead="BT:"))
    _rank_correlation(section, board)
    _style_table(section, data)
    return section


def _ratings(section: Section, board) -> None:
    """A round robin (no baseline): each agent's Bradley-Terry rating of every model, per domain."""
    if not board.ratings:
        return
    agents = list(dict.fromkeys(r.agent for r in board.ratings))
    for d in _domains(board.ratings):
        mine = [r for r in board.ratings if r.domain == d]
        rank = {a: sorted((r for r in mine if r.agent == a), key=lambda r: -(_f(r.bt_rating) or -1e9)) for a in agents}
        reasons = sorted({clean(r.reason) for r in mine if r.reason})
        section.add(Table(["agent", "model", "comparisons", "wins", "Bradley-Terry [95 % CI]"], [
            [clean(r.agent), clean(r.model), n.count(r.n), f"{r.wins:.1f}", _rating(r.bt_rating, r.bt_ci_low, r.bt_ci_high)]
            for a in agents for r in rank[a]],
            caption=f"Bradley-Terry ratings, domain {clean(d)} (Elo scale, mean 1000; a tie counts half a win)",
            numeric=(2, 3, 4), notes=[f"{n.DASH}: undefined ({r})" for r in reasons]))


def _rank_correlation(section: Section, board) -> None:
    if not board.rank_correlation:
        return
    by = "Bradley-Terry rating" if board.rank_correlation[0].by == "bt_rating" else "win rate"
    section.add(Table(["agent", "against", "domain", "models", "Spearman", "Kendall tau_b", "tau_14",
                       "pairwise accuracy"], [
        [clean(rc.agent), clean(rc.reference), clean(rc.domain), str(rc.n_models), n.num(_f(rc.spearman)),
         n.num(_f(rc.kendall_tau_b)), n.num(_f(rc.tau_14)), n.num(_f(rc.pairwise_accuracy))]
        for rc in board.rank_correlation],
        caption=f"Does each judge rank the models as the humans do? (by {by}; 1 = the same order)",
        numeric=(3, 4, 5, 6, 7), notes=sorted({clean(rc.reason) for rc in board.rank_correlation if rc.reason})))


STYLE_FEATURES = ("length", "headers", "lists", "bold", "code")


def _style_table(section: Section, data: ReportData) -> None:
    """Each judge's style bias (``stats judges``: the share choosing the response with more
    of a feature, minus the humans' on the same pairs), in points."""
    agents = [a for a in data.judges.get("agents", []) if a.get("style_bias")]
    if not agents:
        return
    section.add(Table(["judge", *STYLE_FEATURES], [
        [clean(a["agent"]), *[n.DASH if a["style_bias"].get(f) is None else f"{100 * a['style_bias'][f]:+.0f}"
                              for f in STYLE_FEATURES]] for a in agents],
        caption="Style beyond length: how much more often than the humans each judge chooses the response with "
                "more characters, headers, list items, bold spans or code blocks (points; — where no pair differs)",
        numeric=tuple(range(1, 6))))


def _key(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in clean(text).lower())[:30] or "none"


def factors_section(data: ReportData) -> Section | None:
    raw = data.judges.get("factor_alignment")
    section = Section("factors", "Factors (PROFILE)")
    if not raw:
        section.add(Paragraph("The task has no factor checklist, so there are no factor scores."))
        return section
    from annotator.analysis.judge_human import FactorAlignment
    from annotator.analysis.serialise import read_back

    fa = read_back(FactorAlignment, raw)  # the typed section `stats judges` reads
    names = fa.factors
    agents = list(fa.scores)
    section.add(Paragraph(
        "For each factor (length, helpfulness, ...), whether an agent's preference goes with the response that "
        "shows more of it: the factor score is (C - D) / (C + D + T) over the pairs where one response shows the "
        "factor more (C: the preferred response shows it more, D: less, T: the agent tied). +1 means the agent "
        "always prefers the response with more of the factor, -1 always the one with less, 0 no relation. Which "
        "response shows a factor more (M_k) comes from one named source: " + clean(fa.source_rule) + "; "
        + (f"the scores from the {clean(fa.other_source.source)} source are shown beside. " if fa.other_source
           else "the other source knows no M_k on this task. ") + "Factor-level alignment correlates a judge's scores "
        "with the humans' across factors: a judge can agree on the verdicts while weighing factors differently.",
        lead="How to read it."))
    colours = agent_colours(data)
    keys = list(names)
    series = [(a, colours.get(a, figures.PALETTE[0]), [fa.scores[a][k].get("score") for k in keys]) for a in agents]
    table = Table(["factor", "pairs with a known direction", *[clean(a) for a in agents]], [
        [clean(names[k]), n.count(fa.known_manifestations[k]),
         *[n.DASH if fa.scores[a][k].get("score") is None else f"{fa.scores[a][k]['score']:+.2f}" for a in agents]]
        for k in keys], caption=f"Factor scores (+1: prefers the response showing more of the factor); M_k source: "
                                f"{clean(fa.source)}",
        numeric=tuple(range(1, len(agents) + 2)))
    svg = figures.grouped_bars("factors", [names[k] for k in keys], series, ylabel="factor score", ylim=(-1.05, 1.05))
    section.add(Figure("factors", "Factor scores of the humans and each judge", svg,
                       "Bars per factor, one per agent, from -1 to +1.", table) if svg else table)
    ranked = {a: sorted([k for k in keys if fa.scores[a][k].get("score") is not None],
                        key=lambda k, a=a: -fa.scores[a][k]["score"]) for a in agents}
    depth = max((len(v) for v in ranked.values()), default=0)
    if depth:
        section.add(Table(["rank", *[clean(a) for a in agents]], [
            [str(i + 1), *[f"{clean(names[ranked[a][i]])} ({fa.scores[a][ranked[a][i]]['score']:+.2f})"
                           if i < len(ranked[a]) else n.DASH for a in agents]] for i in range(depth)],
            caption="Factors ranked by score, per agent (what each agent's preference follows most)", numeric=(0,)))
    if fa.judges:
        rows, reasons = [], set()
        other = fa.other_source

        def worst(block) -> str:
            if block.misaligned_reason:
                return clean(block.misaligned_reason)
            return ", ".join(f"{clean(names.get(m.factor, m.factor))} ({m.judge_score:+.2f} vs "
                             f"{m.human_score:+.2f})" for m in block.misaligned[:2]) or n.DASH

        for judge, block in fa.judges.items():
            al = block.alignment
            beside = []
            if other:
                theirs = other.judges[judge]
                beside = [n.num(theirs.alignment.get("kendall_tau_b")), worst(theirs)]
            rows.append([clean(judge), n.num(al.get("kendall_tau_b")), n.num(al.get("spearman")),
                         n.num(al.get("pearson")), str(al.get("factors", "")), worst(block), *beside])
            if al.get("undefined_reason"):
                reasons.add(clean(al["undefined_reason"]))
        headers = ["judge", "Kendall tau_b", "Spearman", "Pearson", "factors", "most misaligned (judge vs humans)"]
        if other:
            headers += [f"tau_b ({clean(other.source)})", f"most misaligned ({clean(other.source)})"]
        section.add(Table(headers, rows, caption="Factor-level alignment with the humans (1 = weighs the factors in "
                          f"the humans' order); M_k source: {clean(fa.source)}"
                          + (f", {clean(other.source)} beside" if other else ""),
                          numeric=(1, 2, 3, 4), notes=[f"undefined: {r}" for r in sorted(reasons)]))
    return section
