"""``annotator stats leaderboard``: win rates against a baseline, length-controlled win rates,
Bradley-Terry ratings (a round robin's only ranking) and each judge's ranking against the
humans'; every figure computed in ``analysis.leaderboard``, printed here."""

from __future__ import annotations

import click
from rich.table import Table

from annotator.analysis.defaults import DEFAULT_BT_RESAMPLES

from .calibrate import calibrated_store
from .context import CliContext, console, pass_cli, pick_task, print_json
from .options import (
    both_bad_option,
    calibrated_option,
    include_incomplete_option,
    json_option,
    order_rule_option,
    run_option,
    seed_option,
    task_option,
)
from .stats import print_both_bad, stats
from .tables import DASH, _num, print_table, rule_caption, safe

# -- the leaderboard ---------------------------------------------------------------------------


@stats.command("leaderboard")
@task_option()
@json_option
@run_option("judges", "Only this judge run (repeatable; default: every complete run).", multiple=True,
            aliases=("--judge",))
@click.option("--by", "by", type=click.Choice(["domain"]), default=None, help="Add rows per domain.")
@order_rule_option
@include_incomplete_option
@click.option("--reference", default=None, metavar="AGENT",
              help="Agent whose ranking of the models the others are compared with (default: the humans, "
                   "else the first judge).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=DEFAULT_BT_RESAMPLES, show_default=True,
              help="Bootstrap resamples for the Bradley-Terry intervals (0: none).")
@seed_option
@click.option("--lc-ridge", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Ridge on the instruction difficulties of the length-controlled fit (default 0.001).")
@click.option("--test", "test", type=click.Choice(["bootstrap", "sign", "wilcoxon"]), default="bootstrap",
              show_default=True, help="Paired test between two models on their shared instructions.")
@click.option("--correction", type=click.Choice(["holm", "by"]), default="holm", show_default=True,
              help="Multiple-comparison correction across the model pairs (Holm, or Benjamini-Yekutieli).")
@calibrated_option
@both_bad_option
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes for the length-controlled fits, one per agent and domain (default: the CPUs "
                   "available; 1: one after the other in this process). The figures are the same whatever it is.")
@pass_cli
def leaderboard_command(cli: CliContext, task_name: str | None, as_json: bool, judges: tuple[str, ...],
                        by: str | None, order_rule: str, include_incomplete: bool, reference: str | None,
                        bootstrap: int, seed: int, lc_ridge: float | None, test: str, correction: str,
                        calibrated: bool, both_bad: str, jobs: int | None) -> None:
    """Win rates of each candidate model against the baseline, per agent (humans, judges) and
    domain: raw and length-controlled, AlpacaEval's columns, Bradley-Terry ratings, and how
    each judge ranks the models against the humans."""
    from annotator.analysis.leaderboard import available_cpus, task_leaderboard
    from annotator.analysis.winrate import DIFFICULTY_RIDGE

    from .context import fail

    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    used = None
    if calibrated:
        store, used = calibrated_store(store, name)
    from threadpoolctl import threadpool_limits

    # BLAS on one thread, as in the report: the fits make many small BLAS calls where extra
    # threads only spin (20,000 pairs: 8.8 s of CPU against 13.8 s, the JSON byte-identical)
    with threadpool_limits(limits=1, user_api="blas"):
        board = task_leaderboard(store, name, order_rule=order_rule, include_incomplete=include_incomplete,
                                 agents_filter=list(judges) or None, by_domain=by == "domain", reference=reference,
                                 bootstrap=bootstrap, seed=seed, lc_ridge=lc_ridge or DIFFICULTY_RIDGE, test=test,
                                 correction=correction, both_bad=both_bad, jobs=jobs or available_cpus())
    known = {r.agent for r in board.rows} | {r.agent for r in board.ratings}
    for j in judges:
        if j not in known and (board.baseline is not None or board.ratings):
            fail(f"no complete judge run named {j!r} with preferences on task {name!r}")
    if as_json:
        print_json({**board.to_json(), **({"calibrated": used} if used is not None else {})})
        return
    if used is not None:
        console.print(f"[yellow]note:[/] {safe(used['note'])}")
    _print_leaderboard(board)


def _print_leaderboard(board) -> None:
    console.print(f"[bold]Leaderboard — task {safe(board.task)}[/]")
    if board.baseline:
        console.print(f"baseline: [bold]{safe(board.baseline)}[/] [dim]({safe(board.baseline_rule)})[/]")
    console.print(f"[dim]{safe(rule_caption(board.order_rule, full=True))}[/]")
    print_both_bad(board.both_bad)
    for note in board.notes:
        console.print(f"[yellow]note:[/] {safe(note)}")
    if not board.rows and board.ratings:
        _print_ratings(board)
    if not board.rows:
        _print_rank_correlation(board)
        return
    lc_methods = sorted({r.lc_method for r in board.rows if r.lc_method and r.model != r.baseline})
    several_domains = len({r.domain for r in board.rows}) > 1
    groups = {(g.agent, g.domain, g.model): g.group for g in board.groups}
    for agent in dict.fromkeys(r.agent for r in board.rows):
        with_sc = any(r.sc_win_rate == r.sc_win_rate for r in board.rows if r.agent == agent)
        headers = ["model", *(["domain"] if several_domains else []), "n", "WR", "SE", "LC", "SE",
                   *(["SC"] if with_sc else []), "W/L/D", "len", "BT", "BT CI", "group"]
        table = Table(*headers, box=None, pad_edge=False, title=f"{safe(agent)}: candidates against "
                      f"{safe(board.baseline or '')}", title_justify="left")
        for column in table.columns:
            column.no_wrap = True
            column.justify = "right"
        table.columns[0].justify = "left"
        mine = sorted((r for r in board.rows if r.agent == agent),
                      key=lambda r: (r.domain != "all", r.domain, -(r.win_rate if r.win_rate == r.win_rate else -1)))
        for r in mine:
            def num(v: float, digits: int = 1) -> str:
                return DASH if v != v else f"{v:.{digits}f}"

            unscored = f" [dim]+{r.n_unscored}[/]" if r.n_unscored else ""
            drawn = f"/{r.n_draws}" + (f"[dim] ({r.n_inconsistent} inc.)[/]" if r.n_inconsistent else "")
            ci = DASH if r.bt_ci_low != r.bt_ci_low else f"{r.bt_ci_low:.0f}–{r.bt_ci_high:.0f}"
            table.add_row(safe(r.model), *([safe(r.domain)] if several_domains else []), f"{r.n:,}{unscored}",
                          num(r.win_rate), f"[dim]{num(r.standard_error)}[/]", num(r.lc_win_rate),
                          f"[dim]{num(r.lc_standard_error)}[/]", *([num(r.sc_win_rate)] if with_sc else []),
                          f"{r.n_wins}/{r.n_wins_base}{drawn}",
                          DASH if r.avg_length != r.avg_length else f"{int(r.avg_length)}",  # AlpacaEval: integer part
                          num(r.bt_rating, 0), ci, groups.get((r.agent, r.domain, r.model), DASH))
        print_table(console, table)
    console.print("[dim]WR: win rate of the candidate against the baseline (percent, ties count half), SE its "
                  "standard error; LC: length-controlled win rate; W/L/D: wins, baseline wins, draws; len: mean "
                  "length (characters); BT: Bradley-Terry rating (Elo scale, baseline 1000) and its bootstrap "
                  "interval[/]")
    if any(r.n_unscored for r in board.rows):
        console.print("[dim]n: pairs with a preference; +k: pairs the agent was asked about without one "
                      "(unscored, or scored in one of its two orders only), left out of the win rates[/]")
    if any(r.n_inconsistent for r in board.rows):
        console.print("[dim]k inc.: pairs whose two presented orders gave different verdicts: each counts in n "
                      "as a draw (half a win), not left out[/]")
    for method in lc_methods:
        console.print(f"[dim]LC: {safe(method)}[/]")
    if board.sc_method and any(r.sc_win_rate == r.sc_win_rate for r in board.rows):
        console.print(f"[dim]SC: {safe(board.sc_method)}[/]")
    _print_significance(board)
    reasons = sorted({r.reason for r in board.rows if r.reason})
    for reason in reasons:
        console.print(f"[dim]— {safe(reason)}[/]")
    _print_rank_correlation(board)


def _print_significance(board) -> None:
    """The legend of the group column: the test and the correction used, and the pairs
    whose test is underpowered."""
    if not board.pairwise:
        return
    first = board.pairwise[0]
    console.print(f"[dim]group: models sharing a letter are not significantly different (compact letter display); "
                  f"test: {safe(first.test)} (--test {board.test}); correction: {safe(first.correction)} "
                  f"(--correction {board.correction}), alpha 0.05 per agent and domain; every pair in --json "
                  f"(pairwise)[/]")
    weak = sum(1 for t in board.pairwise if t.note and "underpowered" in t.note)
    if weak:
        console.print(f"[dim]— {weak} model pair(s) share fewer than 100 instructions: their test is underpowered[/]")


def _print_ratings(board) -> None:
    """A task without a baseline: each agent's Bradley-Terry rating of every model."""
    for agent in dict.fromkeys(r.agent for r in board.ratings):
        table = Table("model", "domain", "n", "wins", "BT", "BT CI", box=None, pad_edge=False,
                      title=f"{safe(agent)}: Bradley-Terry ratings (Elo scale, mean 1000)", title_justify="left")
        for column in table.columns[2:]:
            column.justify = "right"
        mine = sorted((r for r in board.ratings if r.agent == agent),
                      key=lambda r: (r.domain != "all", r.domain, -(r.bt_rating if r.bt_rating == r.bt_rating else -1e9)))
        for r in mine:
            ci = DASH if r.bt_ci_low != r.bt_ci_low else f"{r.bt_ci_low:.0f}–{r.bt_ci_high:.0f}"
            table.add_row(safe(r.model), safe(r.domain), f"{r.n:,}", f"{r.wins:g}",
                          DASH if r.bt_rating != r.bt_rating else f"{r.bt_rating:.0f}", ci)
        console.print(table)
    console.print("[dim]n: comparisons of the model; wins: comparisons won (a tie counts half); BT: rating "
                  "from every pair with both models named, and its bootstrap interval[/]")
    for reason in sorted({r.reason for r in board.ratings if r.reason}):
        console.print(f"[dim]— {safe(reason)}[/]")


def _print_separability(board) -> None:
    """Arena-Hard-Auto's separability and agreement with confidence per agent and domain."""
    rows = [s for s in board.separability if s.n_models]
    if not rows:
        return
    table = Table("agent", "domain", "models", "separability", "agree w/ conf.", "both sep.", "pair Brier",
                  title="Separability: model pairs whose Bradley-Terry intervals do not overlap",
                  title_justify="left")
    for s in rows:
        table.add_row(safe(s.agent), safe(s.domain), str(s.n_models), _num(None if s.value != s.value else s.value),
                      _num(None if s.agreement_with_confidence != s.agreement_with_confidence
                           else s.agreement_with_confidence),
                      str(s.n_both_separated) if s.reference else DASH,
                      _num(None if s.brier != s.brier else s.brier))
    print_table(console, table)
    console.print(f"[dim]intervals: {safe(rows[0].bootstrap)}; the baseline (the ratings' anchor) left out; "
                  "agreement with confidence: of the pairs both this agent and the reference separate, the share "
                  "ordered alike; pair Brier: the agent's rating-implied P(i beats j) against the reference's "
                  "order, over the pairs the reference separates[/]")
    for reason in sorted({s.reason for s in rows if s.reason}):
        console.print(f"[dim]— {safe(reason)}[/]")


def _print_rank_correlation(board) -> None:
    _print_separability(board)
    if board.rank_correlation:
        by = "Bradley-Terry rating" if board.rank_correlation[0].by == "bt_rating" else "win rate"
        table = Table("agent", "reference", "domain", "models", "Spearman", "Kendall tau_b", "tau_14", "pairwise acc",
                      title=f"Ranking of the candidates by {by} against the reference agent", title_justify="left")
        for rc in board.rank_correlation:
            table.add_row(safe(rc.agent), safe(rc.reference), safe(rc.domain), str(rc.n_models),
                          _num(None if rc.spearman != rc.spearman else rc.spearman),
                          _num(None if rc.kendall_tau_b != rc.kendall_tau_b else rc.kendall_tau_b),
                          _num(None if rc.tau_14 != rc.tau_14 else rc.tau_14),
                          _num(None if rc.pairwise_accuracy != rc.pairwise_accuracy else rc.pairwise_accuracy))
        console.print(table)
        for reason in sorted({rc.reason for rc in board.rank_correlation if rc.reason}):
            console.print(f"[dim]— {safe(reason)}[/]")
