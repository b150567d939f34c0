"""``annotator stats judges`` (the judge card) and ``annotator stats leaderboard``."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from annotator.analysis.defaults import DEFAULT_FACTOR_SOURCE, DEFAULT_RESAMPLES, FACTOR_SOURCE_TEXT, FACTOR_SOURCES
from annotator.analysis.estimate import json_number
from annotator.text.numbers import verdict_colour

from .calibrate import calibrated_store
from .context import CliContext, console, err_console, pass_cli, pick_task, print_json
from .exclusion import check_exclusions
from .options import (
    both_bad_option,
    calibrated_option,
    exclude_option,
    gold_option,
    include_incomplete_option,
    json_option,
    order_rule_option,
    run_option,
    seed_option,
    task_option,
)
from .stats import print_both_bad, reference_caption, reference_option, stats
from .tables import DASH, _est, _num, _pct, _short, print_table, rule_caption as _rule_caption, safe

factor_source_option = click.option(
    "--factor-source", type=click.Choice(FACTOR_SOURCES), default=DEFAULT_FACTOR_SOURCE, show_default=True,
    help="Where a PROFILE factor's M_k on a pair comes from: extractors (`annotator factors extract`: the rule "
         "first, then profile:*, then llm:*) or checklist (the annotators' majority answer). The same default in "
         "every command; the other source is shown beside where it knows any M_k.")

def bootstrap_caption(b: dict[str, Any]) -> str:
    """The resamples an interval rests on (and the rule that chose them)."""
    if not b.get("resamples"):
        return "no bootstrap intervals (--bootstrap 0)"
    rule = b.get("resamples_rule") or ""
    rule = f" ({DEFAULT_RESAMPLES:,}, fewer on large tasks: --bootstrap N to choose)" \
        if rule.startswith(f"{DEFAULT_RESAMPLES:,}") else ""
    return (f"intervals: {b.get('confidence', 0.95):.0%} percentile bootstrap over pairs, {b['resamples']:,} "
            f"resamples{rule}, seed {b['seed']}")


def _main_table(report) -> tuple[Table, list[str]]:
    table = Table("judge", "pairs", "no verdict", "same both orders", "1st shown", "agree", "no ties", "kappa",
                  title="Judges against the humans (every human vote; intervals and verdicts below)",
                  title_justify="left", caption=safe(_rule_caption(report.order_rule)), caption_justify="left")
    table.columns[0].no_wrap = True
    reasons: dict[str, list[str]] = {}

    def cell(est, column: str, who: str, short: bool = False) -> str:
        d = est.to_dict() if est is not None else {"estimate": None, "reason": None}
        if d.get("estimate") is None:
            if d.get("reason"):
                reasons.setdefault(f"{column}: {d['reason']}", []).append(who)
            return DASH
        return _short(d, True) if short else _est(d, True)

    for a in report.agents:
        if a.kind == "humans":
            continue
        agree = a.agreement_with_humans or {}
        no_verdict = a.verdicts.get("no verdict", 0)
        table.add_row(
            safe(a.agent), f"{a.pairs:,}", f"{no_verdict:,}" if no_verdict else "0",
            cell(a.position_consistency, "same both orders", a.agent, True),
            cell(a.position_bias, "1st shown", a.agent, True),
            cell(agree.get("with_ties"), "agree", a.agent, True),
            cell(agree.get("without_ties"), "no ties", a.agent, True),
            _short(a.cohen_kappa_with_majority.to_dict()) if a.cohen_kappa_with_majority else DASH,
        )
    judges = [a.agent for a in report.agents if a.kind != "humans"]
    notes = [f"{reason} ({', '.join(who) if len(who) < len(judges) else 'every judge'})"
             for reason, who in reasons.items()]
    return table, notes


def _bias_table(report) -> Table:
    table = Table("agent", "pairs", "prefers A [dim](LC)[/]", "longer", "longer vs humans", "A / B / tie / none",
                  title="Preferences and length: share of verdicts for response A (ties half), share of decisive "
                        "verdicts for the longer response, and the same minus the humans' on shared pairs",
                  title_justify="left", caption=safe(_rule_caption(report.order_rule)), caption_justify="left")
    table.columns[0].no_wrap = True
    for a in report.agents:
        wr = a.win_rate.overall
        rate, lc = json_number(wr.win_rate), json_number(wr.lc_win_rate)
        win = DASH if rate is None else f"{rate:.1f}"
        if lc is not None:
            win += f" [dim]({lc:.1f})[/]"
        vs = a.length_bias_vs_humans
        vs_cell = DASH if vs is None or not vs.defined else f"{vs.value * 100:+.1f} pts [dim](n={vs.n})[/]"
        counts = a.verdicts
        last = counts.get("no verdict", counts.get("split", 0))
        table.add_row(safe(a.agent), f"{a.pairs:,}", win, _short(a.length_bias.to_dict(), True), vs_cell,
                      f"{counts.get('A', 0)} / {counts.get('B', 0)} / {counts.get('tie', 0)} / {last}")
    return table


def _gold_table(report) -> Table | None:
    rows = [a for a in report.agents if a.gold is not None]
    if not rows:
        return None
    source = rows[0].gold.source
    # ten columns of figures: two-line headers and figures that never wrap or get cut (a cut
    # '0.7…' is a wrong number); a long run name wraps instead
    table = Table("judge", "n", "all\n%", "scored\n%", "no ties\n%", "AB\n%", "BA\n%", "both\n%", "kappa\norders",
                  "macro\nF1", "no\nverdict", box=None, pad_edge=False,
                  title=f"Accuracy against gold labels ({safe(source)}): over every pair (all; no verdict counts "
                        "as wrong), over the pairs with a verdict (scored), over the pairs where gold and verdict "
                        "are both A or B (no ties), in the order shown A first (AB) and B first (BA), right in both "
                        "orders (both)",
                  title_justify="left", caption=safe(_rule_caption(report.order_rule)), caption_justify="left")
    table.columns[0].overflow = "fold"
    for column in table.columns[1:]:
        column.no_wrap = True
        column.justify = "right"

    def pct(est) -> str:
        d = est.to_dict()
        return DASH if d["estimate"] is None else f"{100 * d['estimate']:.1f}"

    for a in rows:
        g = a.gold
        table.add_row(safe(a.agent), f"{g.n:,}", pct(g.accuracy), pct(g.accuracy_scored), pct(g.accuracy_no_ties),
                      pct(g.accuracy_first),
                      pct(g.accuracy_second), pct(g.both_correct), _short(g.kappa_between_orders.to_dict()),
                      _num(g.macro_f1), f"{g.n_unscored:,}")
    return table


def _subset_table(report) -> Table | None:
    rows = [a for a in report.agents if a.gold is not None and a.gold.per_subset]
    if not rows:
        return None
    table = Table("judge", "subset", "n", "accuracy", "no verdict", title="Accuracy against gold per domain / subset",
                  title_justify="left")
    for a in rows:
        for name, s in a.gold.per_subset.items():
            table.add_row(safe(a.agent), safe(name), f"{s['n']:,}", _short(s["accuracy"].to_dict(), True),
                          f"{s['n_unscored']:,}")
    return table


def _domain_table(report) -> Table | None:
    rows = [(a.agent, d, v) for a in report.agents if a.agreement_per_domain for d, v in a.agreement_per_domain.items()]
    if not rows or len({d for _, d, _ in rows}) < 2:
        return None
    table = Table("judge", "domain", "pairs", "agree", "no ties", title="Agreement with the humans per domain",
                  title_justify="left")
    for agent, domain, v in rows:
        table.add_row(safe(agent), safe(domain), f"{v.pairs:,}", _pct(v.with_ties), _pct(v.without_ties))
    return table


def _print_cards(report) -> None:
    ceiling = report.human_ceiling["with_ties"]
    console.print(f"[bold]Human-human ceiling[/]: agreement {_est(ceiling.to_dict(), True)}, without ties "
                  f"{_est(report.human_ceiling['without_ties'].to_dict(), True)}")
    for a in report.agents:
        if a.card is None:
            continue
        colour = verdict_colour(a.card.verdict)
        console.print(f"[bold]{safe(a.agent)}[/]: [{colour}]{a.card.verdict}[/] — {safe('; '.join(a.card.reasons))}")
        agree = a.agreement_with_humans or {}
        lines = [f"agreement with the humans over every pair asked (no verdict matches no vote) "
                 f"{_est(agree.get('with_ties'), True)}, without ties {_est(agree.get('without_ties'), True)}"] \
            if agree else []
        scored = a.agreement_scored_only or {}
        if scored and agree and agree.get("with_ties") is not None and agree["with_ties"].defined:
            lines.append(f"over the pairs with a verdict only (MT-Bench) {_est(scored.get('with_ties'), True)}, "
                         f"without ties {_est(scored.get('without_ties'), True)}")
        alt = a.alt_test
        if alt is not None:
            if alt.passed is None:
                lines.append(f"alternative annotator test: undefined ({alt.reason})")
            else:
                lines.append(f"alternative annotator test: winning rate {alt.winning_rate:.0%}, advantage probability "
                             f"{alt.advantage_probability:.2f} (epsilon {alt.epsilon:g}, alpha {alt.alpha:g}, "
                             f"{len(alt.per_annotator)} annotators with {alt.min_pairs}+ shared pairs): "
                             f"{'passes' if alt.passed else 'fails'}")
        cal = a.calibration
        if cal is not None:
            ties = (f"; {cal.n_ties_left_out:,} pair{'s' if cal.n_ties_left_out != 1 else ''} with a tied or split "
                    "human majority left out") if cal.n_ties_left_out else ""
            lines.append(f"calibration: ECE {cal.ece:.3f} ({cal.n_bins} equal-width bins of P(A)), Brier "
                         f"{cal.brier:.3f} on {cal.n:,} pairs{ties}" if cal.n
                         else f"calibration: undefined ({cal.reason})")
        if a.labels_needed and a.labels_needed.pairs_needed is not None:
            lines.append(a.labels_needed.text("+-"))
        rb = a.rewardbench or {}
        if rb:
            def pct(v):
                return "n/a" if v is None else f"{v:.1f}"
            lines.append("RewardBench: " + ", ".join(f"{k} {pct(v)}" for k, v in rb["sections"].items())
                         + f"; score {pct(rb['score'])}")
        sv = a.sample_variance or {}
        if sv.get("verdict_variance") is not None:
            sd = "" if sv["win_rate_sd"] is None else f", win rate of A {sum(sv['win_rates']) / len(sv['win_rates']):.1f} (sd {sv['win_rate_sd']:.1f}) across samples"
            lines.append(f"{sv['samples']} samples per order: verdict variance {sv['verdict_variance']:.3f}, agreement "
                         f"between samples {sv['agreement']:.0%}{sd}")
        if a.style_bias:
            lines.append("chooses the response with more ... than the humans do: " + ", ".join(
                f"{f} {'n/a' if v is None else f'{v * 100:+.0f} pts'}" for f, v in a.style_bias.items()))
        cost = f"${a.cost_per_1000_pairs:.2f}" if a.cost_per_1000_pairs is not None else "unknown"
        latency = f"{a.median_latency_s:.2f} s" if a.median_latency_s is not None else "unknown"
        lines.append(f"cost per 1,000 pairs {cost}; median latency per call {latency}")
        if a.run and not a.run.get("complete", True):
            lines.append(f"[red]incomplete run[/]: {a.run['finished']} of {a.run['planned']} judgments finished")
        for line in lines:
            console.print(f"  [dim]{line}[/]")


def _pairwise_table(report) -> Table | None:
    if not report.judge_agreement:
        return None
    table = Table("judge", "judge", "pairs", "same verdict", "kappa", title="Agreement between judges",
                  title_justify="left", caption=safe(_rule_caption(report.order_rule)), caption_justify="left")
    for row in report.judge_agreement:
        a, b = row.judges
        table.add_row(safe(a), safe(b), f"{row.n:,}", _short(row.agreement, True), _short(row.cohen_kappa))
    return table


def factor_source_caption(fa) -> str:
    """The factor source under a factor table (``defaults.FACTOR_SOURCE_TEXT``)."""
    beside = f"; {fa.other_source.source} beside" if fa.other_source else ""
    return f"M_k source: {fa.source} — {FACTOR_SOURCE_TEXT[fa.source]}{beside}"


def _factor_tables(report) -> list[Table]:
    fa = report.factor_alignment
    if not fa:
        return []
    agents = report.agents
    names = fa.factors
    headers = [a.agent for a in agents]
    width = 18 + 12 + sum(max(len(h), 6) + 3 for h in headers)
    legend = []
    if width > console.width:
        legend = [f"J{i} = {h}" for i, h in enumerate(headers[1:], 1)]
        headers = [headers[0], *[f"J{i}" for i in range(1, len(headers))]]
    t = Table("factor", "known M_k", *[safe(h) for h in headers],
              title="Factor scores (PROFILE tau_14, evaluation setting: +1 = prefers the response showing the "
                    "factor more)",
              caption=safe("; ".join([factor_source_caption(fa), *legend])), caption_justify="left",
              title_justify="left")
    t.columns[0].no_wrap = True
    for key, name in names.items():
        cells = []
        for a in agents:
            score = fa.scores[a.agent][key].get("score")
            cells.append(DASH if score is None else f"{score:+.2f}")
        t.add_row(safe(name), str(fa.known_manifestations[key]), *cells)
    tables = [t]
    if fa.judges:
        other = fa.other_source
        t = Table("judge", "tau_b", "Spearman", "Pearson", "factors", "most misaligned",
                  *([f"tau_b ({other.source})", f"most misaligned ({other.source})"] if other else []),
                  title="Factor-level alignment with the humans", title_justify="left")
        reasons = set()

        def worst(block) -> str:
            return ", ".join(f"{safe(names[m.factor])} ({m.judge_score:+.2f} vs {m.human_score:+.2f})"
                             for m in block.misaligned[:2]) or DASH

        for judge, block in fa.judges.items():
            al = block.alignment
            beside = []
            if other:
                theirs = other.judges[judge]
                beside = [_num(theirs.alignment["kendall_tau_b"]), worst(theirs)]
            t.add_row(safe(judge), _num(al["kendall_tau_b"]), _num(al["spearman"]), _num(al["pearson"]),
                      str(al["factors"]), worst(block), *beside)
            if al.get("undefined_reason"):
                reasons.add(al["undefined_reason"])
        t.caption = safe(factor_source_caption(fa) + ("; undefined: " + "; ".join(sorted(reasons)) if reasons else ""))
        t.caption_justify = "left"
        tables.append(t)
    return tables


@stats.command("judges")
@task_option()
@json_option
@order_rule_option
@include_incomplete_option
@gold_option
@click.option("--bootstrap", "resamples", type=click.IntRange(min=0), default=None,
              help=f"Bootstrap resamples over pairs for the agreement intervals and the ceiling (0: none; default "
                   f"{DEFAULT_RESAMPLES:,}, fewer on tasks over 50,000 labelled pairs: the rule of `stats agreement`, "
                   "so the human-human ceiling has one interval everywhere).")
@seed_option
@click.option("--epsilon", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="Alternative annotator test: how much worse than an annotator the judge may be (0.2 for "
                   "experts, 0.1 for crowd workers).")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True,
              help="Alternative annotator test: false discovery rate (Benjamini-Yekutieli).")
@click.option("--alt-min-pairs", type=click.IntRange(min=2), default=30, show_default=True,
              help="Alternative annotator test: annotators sharing fewer pairs with the others and the judge "
                   "are left out (30: the paper's minimum for its t-test).")
@factor_source_option
@reference_option
@run_option("disagreements_of", "List the pairs where this judge run and the human majority disagree, with its "
            "explanation.", aliases=("--disagreements",))
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many disagreements to list.")
@exclude_option
@calibrated_option
@both_bad_option
@pass_cli
def judges_command(cli: CliContext, task_name: str | None, as_json: bool, order_rule: str, include_incomplete: bool,
                   gold: str, resamples: int | None, seed: int, epsilon: float, alpha: float, alt_min_pairs: int,
                   factor_source: str, reference: str, disagreements_of: str | None, limit: int,
                   exclude: tuple[str, ...], calibrated: bool, both_bad: str) -> None:
    """How far each judge is from the humans: agreement beside the human-human ceiling, kappa,
    position and length bias, gold accuracy, the alternative annotator test, calibration, cost,
    and a one-line verdict per judge; PROFILE factor-level alignment."""
    from threadpoolctl import threadpool_limits

    from annotator.analysis.judge_human import task_judge_human_report

    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    check_exclusions(store, name, exclude)
    used = None
    if calibrated:
        store, used = calibrated_store(store, name)
    with console.status("computing the judge report", spinner="dots") if not as_json and err_console.is_terminal \
            else _null():
        with threadpool_limits(limits=1, user_api="blas"):  # as `stats agreement` (thin products)
            report = task_judge_human_report(store, name, order_rule=order_rule, include_incomplete=include_incomplete,
                                             gold="none" if gold == "none" else gold, resamples=resamples, seed=seed,
                                             epsilon=epsilon, alpha=alpha, alt_min_pairs=alt_min_pairs,
                                             exclude=exclude, factor_source=factor_source, reference=reference,
                                             both_bad=both_bad)
    listed = _disagreements(store, name, disagreements_of, order_rule, include_incomplete, limit, exclude, reference,
                            both_bad) if disagreements_of else None
    if as_json:
        data = report.to_json()
        if listed is not None:
            data["disagreements"] = {"run": disagreements_of, "pairs": listed}
        if used is not None:
            data["calibrated"] = used
        print_json(data)
        return
    console.print(f"[bold]Judge validation — task {safe(name)}[/]")
    if used is not None:
        console.print(f"[yellow]note:[/] {safe(used['note'])}")
    console.print(f"[dim]{safe(_rule_caption(report.order_rule, full=True))}[/]")
    if report.reference:
        console.print(f"[dim]{safe(reference_caption(report.reference))}[/]")
    print_both_bad(report.both_bad)
    console.print(f"[dim]{safe(bootstrap_caption(report.bootstrap))}[/]")
    console.print(f"[dim]defaults: {safe(', '.join(f'{k} {v:g}' for k, v in report.defaults.items()))}[/]")
    for note in report.notes:
        console.print(f"[yellow]note:[/] {safe(note)}")
    if any(a.kind != "humans" for a in report.agents):
        table, notes = _main_table(report)
        console.print(table)
        for note in notes:
            console.print(f"[dim]— {safe(note)}[/]")
        _print_cards(report)
        _print_style_baselines(report)
        console.print(f"[dim]card rules: {safe(report.card_rules)}[/]")
    console.print(_bias_table(report))
    for table in (_gold_table(report), _subset_table(report), _domain_table(report), _pairwise_table(report)):
        if table is not None:
            console.print(table)
    for table in _factor_tables(report):
        console.print(table)
    _print_hints(report, name)
    if listed is not None:
        _print_disagreements(disagreements_of, listed)


def _print_hints(report, task: str) -> None:
    """One factor hint per judge (``judge_human.factor_hints``), and why others have none."""
    from annotator.analysis.judge_human import hint_reasons

    for hint in report.hints(task):
        judges = hint.judges
        console.print(
            f"[dim]hint: {safe(', '.join(judges))} weigh{'s' if len(judges) == 1 else ''} {safe(hint.factor)} unlike "
            f"the humans ({hint.judge_score:+.2f} vs {hint.human_score:+.2f}); PROFILE found that guidance on such a "
            "factor raises agreement:[/]")
        # the command on a line of its own, never wrapped, so it can be copied
        console.print(f"[dim]  {safe(hint.command)}[/]", soft_wrap=True)
    for reason in hint_reasons(report):
        console.print(f"[dim]— {safe(reason)}[/]")


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _disagreements(store, task: str, run: str, order_rule: str, include_incomplete: bool, limit: int,
                   exclude: tuple[str, ...] = (), reference: str = "adjudicated", both_bad: str = "tie"):
    from annotator.analysis.judge_human import task_disagreements

    from .context import fail

    try:
        return task_disagreements(store, task, run, order_rule=order_rule, limit=limit, exclude=exclude,
                                  reference=reference, both_bad=both_bad)
    except LookupError as e:
        fail(str(e))


def _print_disagreements(run: str, listed: list[dict]) -> None:
    from annotator.text.sanitize import sanitize

    table = Table("pair", "domain", "humans", "judge", "AB / BA", "explanation", title=f"Where {safe(run)} and the "
                  "human majority disagree", title_justify="left")
    for d in listed:
        text = " | ".join(f"{o}: {sanitize(t, limit=300)}" for o, t in d["explanations"].items() if t)
        table.add_row(safe(d["pair_id"]), safe(d["domain"]),
                      f"{d['humans']} ({d['human_share']:.0%})", d["judge"] or "no verdict",
                      f"{d['verdict_ab'] or '-'} / {d['verdict_ba'] or '-'}", safe(text) or DASH)
    console.print(table)


def _print_style_baselines(report) -> None:
    """"Pick the longer" / "pick the one with more lists" per domain: a subset that a trivial
    rule solves shows it."""
    rows = [b for b in report.style_baselines if b["n"]]
    if not rows:
        return
    table = Table("domain", *[b["feature"] for b in rows if b["domain"] == rows[0]["domain"]], box=None,
                  title=f"Trivial baselines: accuracy of \"pick the one with more ...\" against the "
                        f"{safe(rows[0]['reference'])} (equal counts: half)", title_justify="left")
    for domain in dict.fromkeys(b["domain"] for b in rows):
        mine = [b for b in rows if b["domain"] == domain]
        table.add_row(f"{safe(domain)} ({mine[0]['n']:,})", *[f"{b['accuracy']:.0%}" for b in mine])
    print_table(console, table)
