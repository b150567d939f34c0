"""``annotator stats agreement``: inter-annotator agreement and annotator quality."""

from __future__ import annotations

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotator.analysis.defaults import (
    ADJUDICATION_THRESHOLD,
    DEFAULT_REFERENCE,
    DEFAULT_RESAMPLES,
    DISPUTED_LIMIT,
    REFERENCES,
)

from .context import CliContext, console, err_console, pass_cli, pick_task, print_json
from .exclusion import check_exclusions
from .options import (
    both_bad_option,
    exclude_option,
    include_incomplete_option,
    json_option,
    order_rule_option,
    seed_option,
    task_option,
)
from .tables import DASH, _ci, _est, _num, _pct, _short, safe  # noqa: F401

reference_option = click.option(
    "--reference", type=click.Choice(REFERENCES), default=DEFAULT_REFERENCE, show_default=True,
    help="The one human label per pair a judge is compared with (kappa, calibration, length bias against the "
         "humans, factor scores, disagreements): adjudicated (the adjudicator's label where `annotator adjudicate` "
         "settled the pair, else the majority) or majority (adjudications ignored).")


def print_both_bad(both_bad) -> None:
    """The --both-bad rule under a table, when the task offers "both bad" or a label holds it."""
    from annotator.analysis.both_bad import both_bad_caption

    if both_bad:
        console.print(f"[dim]{safe(both_bad_caption(both_bad))}[/]")


def reference_caption(reference) -> str:
    """The human reference under a judge table (``defaults.REFERENCE_TEXT``)."""
    if not reference:
        return ""
    n = reference.get("adjudicated_pairs") or reference.get("adjudications_ignored") or 0
    settled = (f"; {n:,} adjudicated pair(s)" + (" ignored" if reference["name"] == "majority" else "")) if n else ""
    return f"human reference: {reference['name']} — {reference['rule']}{settled}"


@click.group()
def stats() -> None:
    """Statistics over a task's labels: agreement, annotator quality, disputed pairs."""



# -- tables -----------------------------------------------------------------------------------


def _overall_table(block, title: str) -> Table:
    """The whole task's block (``analysis.report.AgreementBlock``)."""
    table = Table("statistic", "estimate [dim][CI][/]", "n", title=title, title_justify="left")
    rows = [
        ("Krippendorff's alpha (nominal)", block.krippendorff_alpha, False, "pairs"),
        ("Krippendorff's alpha (ordinal)", block.krippendorff_alpha_ordinal, False, "pairs"),
        ("Fleiss' kappa", block.fleiss_kappa, False, "pairs"),
        ("Gwet's AC1", block.gwet_ac1, False, "pairs"),
        ("Cohen's kappa, mean over annotator pairs", block.cohen_kappa_mean, False, "annotator pairs"),
        ("Agreement with ties (MT-Bench)", block.percent_agreement["with_ties"], True, "label pairs"),
        ("Agreement without ties", block.percent_agreement["without_ties"], True, "label pairs"),
    ]
    for name, est, pct, unit in rows:
        n = f"{est.n:,} {unit}" if est.defined else ""
        table.add_row(name, _est(est, pct), n)
    return table


def _cohen_table(pairs) -> Table:
    table = Table("annotator", "annotator", "shared pairs", "Cohen's kappa [dim][CI][/]",
                  title="Cohen's kappa per pair of annotators", title_justify="left")
    for p in pairs:
        a, b = p.annotators
        table.add_row(safe(a), safe(b), f"{p.n_shared:,}", _est(p.kappa))
    return table


def _blocks_table(blocks, title: str, first: str, factor: bool = False) -> Table:
    headers = [first, "pairs", "labels", "alpha", "Fleiss", "AC1", "agree", "agree (no ties)"]
    if factor:
        headers.append("n/a")
    table = Table(*headers, title=title, title_justify="left")
    for key, b in blocks.items():
        row = [
            safe(b.name or key), f"{b.n_pairs:,}", f"{b.n_labels:,}",
            _short(b.krippendorff_alpha), _short(b.fleiss_kappa), _short(b.gwet_ac1),
            _short(b.percent_agreement["with_ties"], True),
            _short(b.percent_agreement["without_ties"], True),
        ]
        if factor:
            row.append(f"{b.na_answers or 0:,}")
        table.add_row(*row)
    return table


def _annotator_table(records) -> Table:
    table = Table("annotator", "labels", "agrees with others", "attention", "picks first [dim](p)[/]",
                  "ties", "median s", "fast", title="Annotators", title_justify="left")
    table.columns[0].no_wrap = True
    for r in records:
        first = r.first_position_rate
        first_cell = _short(first, True)
        p_value = first.extra.get("p_value")
        if p_value is not None:
            mark = "[yellow]" if p_value < 0.05 else "[dim]"
            first_cell += f" {mark}(p={p_value:.2g})[/]"
        fast = f"{r.fast_labels:,}"
        if r.flag_fast:
            fast = f"[red]{fast} ⚑[/]"
        median = None if r.median_seconds != r.median_seconds else r.median_seconds
        table.add_row(
            safe(r.annotator), f"{r.n_labels:,}",
            _est(r.agreement_with_others, True) if r.agreement_with_others.defined else DASH,
            _short(r.attention_accuracy, True), first_cell, _short(r.tie_rate, True),
            _num(median, 1), fast,
        )
    return table


def _annotator_judge_table(records, judges: list[str]) -> Table:
    """Each annotator's agreement (with ties) with each judge: judges as rows, so long run
    names and many annotators both fit."""
    table = Table("judge run", *[safe(r.annotator) for r in records],
                  title="Annotators against each judge (agreement, ties a class)", title_justify="left")
    table.columns[0].no_wrap = True
    for j in judges:
        table.add_row(safe(j), *[
            _short(r.judges[j]["agreement_with_ties"], True) if j in r.judges else DASH for r in records
        ])
    return table


def _judge_table(judges) -> tuple[Table, list[str]]:
    """The judges against the humans (``analysis.report.JudgeAgreement``), and the reasons
    of its undefined cells (written once below the table instead of in tall cells)."""
    table = Table("judge run", "pairs", "same both orders", "agrees with humans", "without ties",
                  "kappa vs majority", title="Judges against the humans", title_justify="left")
    table.columns[0].no_wrap = True
    reasons: dict[str, list[str]] = {}

    def cell(est, column: str, run: str, pct: bool = True) -> str:
        if not est.defined and est.reason:
            reasons.setdefault(f"{column}: {est.reason}", []).append(run)
            return DASH
        return _est(est, pct)

    for j in judges:
        table.add_row(
            safe(j.run), f"{j.labelled_pairs_with_verdict:,}",
            _short(j.position_consistency, True),
            cell(j.agreement_with_humans["with_ties"], "agrees with humans", j.run),
            cell(j.agreement_with_humans["without_ties"], "without ties", j.run),
            _short(j.cohen_kappa_with_majority),
        )
    notes = [f"{reason} ({', '.join(runs) if len(runs) < len(judges) else 'every judge'})"
             for reason, runs in reasons.items()]
    return table, notes


def _disputed_table(pairs, categories: list[str]) -> Table:
    table = Table("pair", "domain", *[f"votes {safe(c)}" for c in categories], "majority",
                  "entropy", "adjudicate", title="Most disputed pairs", title_justify="left")
    for p in pairs.most_disputed:
        table.add_row(
            safe(p.pair_id), safe(p.domain),
            *[str(p.votes.get(c, 0)) for c in categories],
            safe(str(p.majority or "—")), _num(p.entropy_bits, 2),
            f"[yellow]{safe(p.reason)}[/]" if p.needs_adjudication else
            f"[green]adjudicated: {safe(p.adjudication['choice'])}[/] ({safe(p.adjudication['reason'])})"
            if p.adjudication else "",
        )
    return table


def print_report(report) -> None:
    """The agreement report (``analysis.report.AgreementReport``) as rich tables (text from
    the data is sanitised and escaped, never markup)."""
    b = report.bootstrap
    overall = report.overall
    console.print(
        f"[bold]Agreement[/] — task [bold]{safe(report.task)}[/]: {overall.n_pairs:,} labelled pairs "
        f"({overall.n_pairs_multiply_labelled:,} by two or more), {overall.n_labels:,} labels, "
        f"{overall.n_annotators} annotator(s)"
    )
    from .judges_report import bootstrap_caption

    console.print(f"[dim]{safe(bootstrap_caption(b))}[/]")
    for note in report.notes:
        console.print(f"[yellow]note:[/] {safe(note)}")

    console.print(_overall_table(overall, "Overall preference"))
    print_both_bad(report.both_bad)
    if overall.cohen_kappa_pairs:
        console.print(_cohen_table(overall.cohen_kappa_pairs))
    if report.per_domain:
        console.print(_blocks_table(report.per_domain, "Per domain", "domain"))
    if report.per_factor:
        console.print(_blocks_table(report.per_factor, "Per factor (A more / equal / B more)",
                                    "factor", factor=True))
    if report.per_annotator:
        console.print(_annotator_table(report.per_annotator))
        if report.judges:
            console.print(_annotator_judge_table(report.per_annotator, [j.run for j in report.judges]))
    if report.judges:
        table, notes = _judge_table(report.judges)
        rule = report.order_rule or {}
        if rule:
            caption = f"order rule: {rule['name']} — {rule['rule']}"
            if report.reference:
                caption += f"; kappa against the {reference_caption(report.reference)}"
            table.caption = safe(caption)
            table.caption_justify = "left"
        console.print(table)
        for note in notes:
            console.print(f"[dim]— {safe(note)}[/]")
    pairs = report.pairs
    if pairs.n_pairs_multiply_labelled:
        settled = f"; {pairs.adjudicated:,} settled by an adjudicator" if pairs.adjudicated else ""
        console.print(
            f"{pairs.needs_adjudication:,} pair(s) need adjudication "
            f"({pairs.no_majority:,} without a majority; threshold {pairs.adjudication_threshold:.0%}{settled})."
        )
        if pairs.most_disputed:
            console.print(_disputed_table(pairs, report.categories))
    elif pairs.n_pairs:
        console.print(f"0 pair(s) need adjudication (0 without a majority; threshold "
                      f"{pairs.adjudication_threshold:.0%}): no pair has two or more labels.")
    agg = report.aggregate
    mv = ", ".join(f"{safe(c)} {n:,}" for c, n in agg.majority_vote["labels"].items())
    if agg.majority_vote.get("split"):
        mv += f", split (no majority) {agg.majority_vote['split']:,}"
    console.print(f"Majority vote: {mv}")
    ds = agg.dawid_skene
    if ds.get("reason"):
        console.print(f"Dawid-Skene: [dim]undefined: {safe(ds['reason'])}[/]")
    else:
        labels = ", ".join(f"{safe(c)} {n:,}" for c, n in ds["labels"].items())
        state = "converged" if ds["converged"] else "[yellow]not converged[/]"
        console.print(f"Dawid-Skene: {labels} ({state} after {ds['iterations']} iterations; "
                      f"{ds['changed_from_majority']:,} pair(s) differ from the majority vote)")


@stats.command("agreement")
@task_option()
@json_option
@click.option("--bootstrap", "resamples", type=click.IntRange(min=0), default=None,
              help=f"Bootstrap resamples over pairs for the intervals (0: none; default {DEFAULT_RESAMPLES:,}, "
                   "fewer on tasks over 50,000 labelled pairs, so that resamples x pairs stays under 50 million).")
@seed_option
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level of the intervals.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=ADJUDICATION_THRESHOLD, show_default=True,
              help="A pair needs adjudication when its majority holds less than this share of the votes.")
@click.option("--disputed", type=click.IntRange(min=0), default=DISPUTED_LIMIT, show_default=True,
              help="How many of the most disputed pairs to list.")
@order_rule_option
@include_incomplete_option
@reference_option
@exclude_option
@both_bad_option
@pass_cli
def agreement_command(cli: CliContext, task_name: str | None, as_json: bool, resamples: int | None, seed: int,
                      confidence: float, threshold: float, disputed: int, order_rule: str,
                      include_incomplete: bool, reference: str, exclude: tuple[str, ...], both_bad: str) -> None:
    """Agreement between annotators (alpha, kappas, AC1, raw agreement), per factor and domain,
    annotator quality, judges against the humans, and the most disputed pairs."""
    from threadpoolctl import threadpool_limits

    from annotator.analysis.report import task_agreement_report

    store = cli.open_store()
    name = pick_task(store, task_name)
    check_exclusions(store, name, exclude)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=as_json) as progress:
        progress.add_task(f"computing agreement for {safe(name)}", total=None)
        # BLAS on one thread, as in the report and the leaderboard: the bootstrap's products are
        # thin (a few columns), so extra BLAS threads mostly spin; the numbers are the same
        with threadpool_limits(limits=1, user_api="blas"):
            report = task_agreement_report(store, name, resamples=resamples, seed=seed, confidence=confidence,
                                           threshold=threshold, disputed=disputed, order_rule=order_rule,
                                           include_incomplete=include_incomplete, exclude=exclude,
                                           reference=reference, both_bad=both_bad)
    if as_json:
        print_json(report.to_json())
    else:
        print_report(report)


def register(group: click.Group) -> None:
    group.add_command(stats)
