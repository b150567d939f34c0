"""``annotator stats agreement``: inter-annotator agreement and annotator quality."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotator.analysis.pairs import ADJUDICATION_THRESHOLD
from annotator.analysis.defaults import DEFAULT_RESAMPLES, DISPUTED_LIMIT

from .context import CliContext, console, err_console, pass_cli, pick_task, print_json
from .exclusion import check_exclusions, exclude_option

DASH = "[dim]—[/]"


@click.group()
def stats() -> None:
    """Statistics over a task's labels: agreement, annotator quality, disputed pairs."""



# -- formatting -------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:.1f} %"


def _ci(est: dict[str, Any], pct: bool = False) -> str:
    if est.get("ci_low") is None or est.get("ci_high") is None:
        return ""
    f = (lambda v: f"{100 * v:.1f}") if pct else (lambda v: f"{v:.3f}")
    return f"[{f(est['ci_low'])}, {f(est['ci_high'])}]"


def _est(est: dict[str, Any], pct: bool = False) -> str:
    """Value and interval in one cell; the reason (dimmed) when undefined."""
    if est.get("estimate") is None:
        return f"[dim]undefined: {escape(est.get('reason') or '')}[/]"
    value = _pct(est["estimate"]) if pct else _num(est["estimate"])
    ci = _ci(est, pct)
    return f"{value} [dim]{escape(ci)}[/]" if ci else value


def _short(est: dict[str, Any], pct: bool = False) -> str:
    """Value only (for dense tables); a dash when undefined."""
    if est.get("estimate") is None:
        return DASH
    return _pct(est["estimate"]) if pct else _num(est["estimate"])


# -- tables -----------------------------------------------------------------------------------


def _overall_table(block: dict[str, Any], title: str) -> Table:
    table = Table("statistic", "estimate [dim][CI][/]", "n", title=title, title_justify="left")
    rows = [
        ("Krippendorff's alpha (nominal)", block["krippendorff_alpha"], False, "pairs"),
        ("Krippendorff's alpha (ordinal)", block["krippendorff_alpha_ordinal"], False, "pairs"),
        ("Fleiss' kappa", block["fleiss_kappa"], False, "pairs"),
        ("Gwet's AC1", block["gwet_ac1"], False, "pairs"),
        ("Cohen's kappa, mean over annotator pairs", block["cohen_kappa_mean"], False, "annotator pairs"),
        ("Agreement with ties (MT-Bench)", block["percent_agreement"]["with_ties"], True, "label pairs"),
        ("Agreement without ties", block["percent_agreement"]["without_ties"], True, "label pairs"),
    ]
    for name, est, pct, unit in rows:
        n = f"{est['n']:,} {unit}" if est.get("estimate") is not None else ""
        table.add_row(name, _est(est, pct), n)
    return table


def _cohen_table(pairs: list[dict[str, Any]]) -> Table:
    table = Table("annotator", "annotator", "shared pairs", "Cohen's kappa [dim][CI][/]",
                  title="Cohen's kappa per pair of annotators", title_justify="left")
    for p in pairs:
        a, b = p["annotators"]
        table.add_row(escape(a), escape(b), f"{p['n_shared']:,}", _est(p["kappa"]))
    return table


def _blocks_table(blocks: dict[str, dict[str, Any]], title: str, first: str, factor: bool = False) -> Table:
    headers = [first, "pairs", "labels", "alpha", "Fleiss", "AC1", "agree", "agree (no ties)"]
    if factor:
        headers.append("n/a")
    table = Table(*headers, title=title, title_justify="left")
    for key, b in blocks.items():
        row = [
            escape(b.get("name", key)), f"{b['n_pairs']:,}", f"{b['n_labels']:,}",
            _short(b["krippendorff_alpha"]), _short(b["fleiss_kappa"]), _short(b["gwet_ac1"]),
            _short(b["percent_agreement"]["with_ties"], True),
            _short(b["percent_agreement"]["without_ties"], True),
        ]
        if factor:
            row.append(f"{b['na_answers']:,}")
        table.add_row(*row)
    return table


def _annotator_table(records: list[dict[str, Any]]) -> Table:
    table = Table("annotator", "labels", "agrees with others", "attention", "picks first [dim](p)[/]",
                  "ties", "median s", "fast", title="Annotators", title_justify="left")
    table.columns[0].no_wrap = True
    for r in records:
        first = r["first_position_rate"]
        first_cell = _short(first, True)
        if first.get("p_value") is not None:
            mark = "[yellow]" if first["p_value"] < 0.05 else "[dim]"
            first_cell += f" {mark}(p={first['p_value']:.2g})[/]"
        fast = f"{r['fast_labels']:,}"
        if r["flag_fast"]:
            fast = f"[red]{fast} ⚑[/]"
        table.add_row(
            escape(r["annotator"]), f"{r['n_labels']:,}", _est(r["agreement_with_others"], True)
            if r["agreement_with_others"]["estimate"] is not None else DASH,
            _short(r["attention_accuracy"], True), first_cell, _short(r["tie_rate"], True),
            _num(r["median_seconds"], 1), fast,
        )
    return table


def _annotator_judge_table(records: list[dict[str, Any]], judges: list[str]) -> Table:
    """Each annotator's agreement (with ties) with each judge: judges as rows, so long run
    names and many annotators both fit."""
    table = Table("judge run", *[escape(r["annotator"]) for r in records],
                  title="Annotators against each judge (agreement, ties a class)", title_justify="left")
    table.columns[0].no_wrap = True
    for j in judges:
        table.add_row(escape(j), *[
            _short(r["judges"][j]["agreement_with_ties"], True) if j in r["judges"] else DASH for r in records
        ])
    return table


def _judge_table(judges: list[dict[str, Any]]) -> tuple[Table, list[str]]:
    """The judges against the humans, and the reasons of its undefined cells (written once
    below the table instead of in tall cells)."""
    table = Table("judge run", "pairs", "same both orders", "agrees with humans", "without ties",
                  "kappa vs majority", title="Judges against the humans", title_justify="left")
    table.columns[0].no_wrap = True
    reasons: dict[str, list[str]] = {}

    def cell(est: dict[str, Any], column: str, run: str, pct: bool = True) -> str:
        if est.get("estimate") is None and est.get("reason"):
            reasons.setdefault(f"{column}: {est['reason']}", []).append(run)
            return DASH
        return _est(est, pct)

    for j in judges:
        table.add_row(
            escape(j["run"]), f"{j['labelled_pairs_with_verdict']:,}",
            _short(j["position_consistency"], True),
            cell(j["agreement_with_humans"]["with_ties"], "agrees with humans", j["run"]),
            cell(j["agreement_with_humans"]["without_ties"], "without ties", j["run"]),
            _short(j["cohen_kappa_with_majority"]),
        )
    notes = [f"{reason} ({', '.join(runs) if len(runs) < len(judges) else 'every judge'})"
             for reason, runs in reasons.items()]
    return table, notes


def _disputed_table(pairs: dict[str, Any], categories: list[str]) -> Table:
    table = Table("pair", "domain", *[f"votes {escape(c)}" for c in categories], "majority",
                  "entropy", "adjudicate", title="Most disputed pairs", title_justify="left")
    for p in pairs["most_disputed"]:
        table.add_row(
            escape(p["pair_id"]), escape(p["domain"]),
            *[str(p["votes"].get(c, 0)) for c in categories],
            escape(str(p["majority"] or "—")), _num(p["entropy_bits"], 2),
            f"[yellow]{escape(p['reason'])}[/]" if p["needs_adjudication"] else "",
        )
    return table


def print_report(report: dict[str, Any]) -> None:
    """The agreement report as rich tables (text from the data is escaped, never markup)."""
    b = report["bootstrap"]
    console.print(
        f"[bold]Agreement[/] — task [bold]{escape(report['task'])}[/]: {report['n_pairs']:,} labelled pairs "
        f"({report['n_pairs_multiply_labelled']:,} by two or more), {report['n_labels']:,} labels, "
        f"{report['n_annotators']} annotator(s)"
    )
    if b["resamples"]:
        console.print(f"[dim]intervals: {b['confidence']:.0%} percentile bootstrap over pairs, "
                      f"{b['resamples']:,} resamples, seed {b['seed']}[/]")
    else:
        console.print("[dim]no bootstrap intervals (--bootstrap 0)[/]")
    for note in report["notes"]:
        console.print(f"[yellow]note:[/] {escape(note)}")

    console.print(_overall_table(report, "Overall preference"))
    if report["cohen_kappa_pairs"]:
        console.print(_cohen_table(report["cohen_kappa_pairs"]))
    if report["per_domain"]:
        console.print(_blocks_table(report["per_domain"], "Per domain", "domain"))
    if report["per_factor"]:
        console.print(_blocks_table(report["per_factor"], "Per factor (A more / equal / B more)",
                                    "factor", factor=True))
    if report["per_annotator"]:
        console.print(_annotator_table(report["per_annotator"]))
        if report["judges"]:
            console.print(_annotator_judge_table(report["per_annotator"], [j["run"] for j in report["judges"]]))
    if report["judges"]:
        table, notes = _judge_table(report["judges"])
        console.print(table)
        for note in notes:
            console.print(f"[dim]— {escape(note)}[/]")
    pairs = report["pairs"]
    if pairs["n_pairs_multiply_labelled"]:
        console.print(
            f"{pairs['needs_adjudication']:,} pair(s) need adjudication "
            f"({pairs['no_majority']:,} without a majority; threshold {pairs['adjudication_threshold']:.0%})."
        )
        if pairs["most_disputed"]:
            console.print(_disputed_table(pairs, report["categories"]))
    agg = report["aggregate"]
    mv = ", ".join(f"{escape(c)} {n:,}" for c, n in agg["majority_vote"]["labels"].items())
    console.print(f"Majority vote: {mv}")
    ds = agg["dawid_skene"]
    if ds.get("reason"):
        console.print(f"Dawid-Skene: [dim]undefined: {escape(ds['reason'])}[/]")
    else:
        labels = ", ".join(f"{escape(c)} {n:,}" for c, n in ds["labels"].items())
        state = "converged" if ds["converged"] else "[yellow]not converged[/]"
        console.print(f"Dawid-Skene: {labels} ({state} after {ds['iterations']} iterations; "
                      f"{ds['changed_from_majority']:,} pair(s) differ from the majority vote)")


@stats.command("agreement")
@click.option("--task", "task_name", default=None, help="Task name (default: the only task in the database).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as one JSON document.")
@click.option("--bootstrap", "resamples", type=click.IntRange(min=0), default=DEFAULT_RESAMPLES,
              show_default=True, help="Bootstrap resamples over pairs for the intervals (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap resampling.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level of the intervals.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=ADJUDICATION_THRESHOLD, show_default=True,
              help="A pair needs adjudication when its majority holds less than this share of the votes.")
@click.option("--disputed", type=click.IntRange(min=0), default=DISPUTED_LIMIT, show_default=True,
              help="How many of the most disputed pairs to list.")
@exclude_option
@pass_cli
def agreement_command(cli: CliContext, task_name: str | None, as_json: bool, resamples: int, seed: int,
                      confidence: float, threshold: float, disputed: int, exclude: tuple[str, ...]) -> None:
    """Agreement between annotators (alpha, kappas, AC1, raw agreement), per factor and domain,
    annotator quality, judges against the humans, and the most disputed pairs."""
    from annotator.analysis.report import task_agreement_report

    store = cli.open_store()
    name = pick_task(store, task_name)
    check_exclusions(store, name, exclude)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=as_json) as progress:
        progress.add_task(f"computing agreement for {escape(name)}", total=None)
        report = task_agreement_report(store, name, resamples=resamples, seed=seed, confidence=confidence,
                                       threshold=threshold, disputed=disputed, exclude=exclude)
    if as_json:
        print_json(report)
    else:
        print_report(report)


def _judges_tables(report: dict[str, Any]) -> list[Table]:
    agents = report["agents"]
    main_table = Table("agent", "pairs", "win A [dim](LC)[/]", "longer", "1st shown",
                       "same both orders", "agree", "agree no ties", "kappa",
                       title="Judges against the humans: win rate of A, share choosing the longer / first-shown "
                       "response, agreement with every human vote, kappa vs the human majority",
                       title_justify="left")
    main_table.columns[0].no_wrap = True
    for a in agents:
        wr = a["win_rate"]["overall"]
        win = DASH if wr["win_rate"] is None else f"{wr['win_rate']:.1f}"
        if wr["lc_win_rate"] is not None:
            win += f" [dim]({wr['lc_win_rate']:.1f})[/]"
        agree = a.get("agreement_with_humans") or {}
        main_table.add_row(
            escape(a["agent"]), str(a["pairs"]), win, _short(a["length_bias"], pct=True),
            _short(a["position_bias"], pct=True) if "position_bias" in a else DASH,
            _short(a["position_consistency"], pct=True) if "position_consistency" in a else DASH,
            _short(agree["with_ties"], pct=True) if agree else DASH,
            _short(agree["without_ties"], pct=True) if agree else DASH,
            _short(a["cohen_kappa_with_majority"]) if a.get("cohen_kappa_with_majority") else DASH,
        )
    tables = [main_table]
    domains = sorted({d for a in agents for d in a["win_rate"]["per_domain"]})
    if domains:
        t = Table("agent", *domains, title="Win rate of A per domain [dim](LC)[/]", title_justify="left")
        for a in agents:
            cells = []
            for d in domains:
                block = a["win_rate"]["per_domain"].get(d)
                if not block or block["win_rate"] is None:
                    cells.append(DASH)
                    continue
                cell = f"{block['win_rate']:.1f} [dim]n={block['pairs']}[/]"
                if block["lc_win_rate"] is not None:
                    cell += f" [dim]({block['lc_win_rate']:.1f})[/]"
                cells.append(cell)
            t.add_row(escape(a["agent"]), *cells)
        tables.append(t)
    fa = report.get("factor_alignment")
    if fa:
        names = fa["factors"]
        # agents as columns: long run names become J1, J2, ... (named below) when they would
        # not fit the window side by side
        headers = [a["agent"] for a in agents]
        width = 18 + 12 + sum(max(len(h), 6) + 3 for h in headers)
        legend = []
        if width > console.width:
            legend = [f"J{i} = {h}" for i, h in enumerate(headers[1:], 1)]
            headers = [headers[0], *[f"J{i}" for i in range(1, len(headers))]]
        t = Table("factor", "known M_k", *[escape(h) for h in headers],
                  title="Factor scores (PROFILE tau_14: +1 = prefers the response showing the factor more)",
                  caption=escape("; ".join(legend)) if legend else None, caption_justify="left",
                  title_justify="left")
        t.columns[0].no_wrap = True
        for key, name in names.items():
            cells = []
            for a in agents:
                score = fa["scores"][a["agent"]][key]["score"]
                cells.append(DASH if score is None else f"{score:+.2f}")
            t.add_row(escape(name), str(fa["known_manifestations"][key]), *cells)
        tables.append(t)
        if fa["judges"]:
            t = Table("judge", "tau_b", "Spearman", "Pearson", "factors", "most misaligned",
                      title="Factor-level alignment with the humans", title_justify="left")
            reasons = set()
            for judge, block in fa["judges"].items():
                al = block["alignment"]
                worst = ", ".join(f"{escape(names[m['factor']])} ({m['judge_score']:+.2f} vs {m['human_score']:+.2f})"
                                  for m in block["misaligned"][:2]) or DASH
                t.add_row(escape(judge), _num(al["kendall_tau_b"]), _num(al["spearman"]), _num(al["pearson"]),
                          str(al["factors"]), worst)
                if al.get("undefined_reason"):
                    reasons.add(al["undefined_reason"])
            if reasons:
                t.caption = escape("— undefined: " + "; ".join(sorted(reasons)))
                t.caption_justify = "left"
            tables.append(t)
    return tables


@stats.command("judges")
@click.option("--task", "task_name", default=None, help="Task name (default: the only task in the database).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as one JSON document.")
@exclude_option
@pass_cli
def judges_command(cli: CliContext, task_name: str | None, as_json: bool, exclude: tuple[str, ...]) -> None:
    """How far each judge is from the humans: win rates (raw and length-controlled) per domain,
    length and position bias, agreement, and PROFILE factor-level alignment."""
    from annotator.analysis.judge_human import task_judge_human_report

    store = cli.open_store()
    name = pick_task(store, task_name)
    check_exclusions(store, name, exclude)
    report = task_judge_human_report(store, name, exclude=exclude)
    if as_json:
        print_json(report)
        return
    console.print(f"[bold]Judge validation — task {escape(name)}[/]")
    for note in report["notes"]:
        console.print(f"[yellow]note:[/] {escape(note)}")
    for table in _judges_tables(report):
        console.print(table)
    fa = report.get("factor_alignment") or {}
    kinds = {a["agent"]: a["kind"] for a in report["agents"]}
    for judge, block in (fa.get("judges") or {}).items():
        if block["misaligned"] and kinds.get(judge) == "llm":
            m = block["misaligned"][0]
            console.print(
                f"[dim]hint: {escape(judge)} weighs {escape(m['factor'])} unlike the humans "
                f"({m['judge_score']:+.2f} vs {m['human_score']:+.2f}); PROFILE found that guidance on "
                "such a factor raises agreement:[/]")
            # the command on a line of its own, never wrapped, so it can be copied
            console.print(f"[dim]  annotator judge run --judge factor-guided --guide {escape(m['factor'])}="
                          f"{m['direction']} --task {escape(name)}[/]", soft_wrap=True)


def register(group: click.Group) -> None:
    group.add_command(stats)
