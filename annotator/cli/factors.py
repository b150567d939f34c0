"""``annotator factors ...``: measure PROFILE factors on a task's pairs (rules, or PROFILE's
LLM extractors), and look at the atomic facts an extractor found."""

from __future__ import annotations

import asyncio

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from annotator.analysis.defaults import ORDER_RULE_TEXT
from annotator.factors.names import LLM_FACTORS
from annotator.factors.rules import RULE_FACTORS
from annotator.text import numbers
from annotator.text.sanitize import plain_text, sanitize_line

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json
from .judges_report import factor_source_option
from .options import json_option, order_rule_option, task_option
from .stats import reference_caption, reference_option

EXTRACTORS = ("rule", "profile")


@click.group()
def factors() -> None:
    """Extract PROFILE factor values (which response shows a factor more) for a task's pairs."""


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


@factors.command("extract")
@task_option()
@click.option("--extractor", type=click.Choice(EXTRACTORS), default="rule", show_default=True,
              help="rule: Length and Novel Words, offline; profile: PROFILE's LLM extractors (atomic facts, "
                   "yes/no questions and 1-5 ratings) for the other factors, through the judge runner.")
@click.option("--factor", "factor_keys", multiple=True, type=click.Choice((*RULE_FACTORS, *LLM_FACTORS)),
              help="Factor to measure (repeatable; default: the task's factors that the extractor covers).")
@click.option("--model", default=None, help="profile: the model to call (default: the extractor judges' model).")
@click.option("--base-url", default=None, help="profile: an OpenAI-compatible server (default: $OPENAI_BASE_URL, else OpenAI).")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 1000), help="profile: requests in flight at once.")
@click.option("--price", default=None, metavar="IN,OUT", help="profile: USD per million input,output tokens (when --model has no known price).")
@click.option("--max-cost", type=float, default=None, help="profile: stop starting new calls once this many USD would be exceeded.")
@click.option("--prompts", type=click.Choice(["paper", "tool"]), default="paper", show_default=True,
              help="profile: the paper's printed extraction prompts (extractor profile:paper:MODEL) or the tool's own "
                   "earlier wording (extractor profile:MODEL).")
@click.option("--few-shot", "few_shot", type=click.Path(exists=True, dir_okay=False), default=None,
              help="profile: a JSON object of few-shot text per factor key (\"facts\" for the atomic-fact step), "
                   "for the prompts' {FEW SHOT} slot.")
@json_option
@pass_cli
def extract(cli: CliContext, task_name: str | None, extractor: str, factor_keys: tuple[str, ...], model: str | None,
            base_url: str | None, concurrency: int, price: str | None, max_cost: float | None, prompts: str,
            few_shot: str | None, as_json: bool) -> None:
    """Measure factors on every pair and store them (rule: Length, Novel Words; profile: the
    rest, as PROFILE defines them: see docs/factors.md)."""
    store = cli.open_store(create=False)
    task_name = pick_task(store, task_name)
    if extractor == "profile":
        _extract_profile(store, task_name, list(factor_keys), model, base_url, concurrency, price, max_cost, as_json,
                         prompts=prompts, few_shot=few_shot)
        return
    wrong = [f for f in factor_keys if f not in RULE_FACTORS]
    if wrong:
        fail(f"--factor {wrong[0]}: no rule measures it; use --extractor profile (rules exist for {', '.join(RULE_FACTORS)})")
    with Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True, disable=as_json or not err_console.is_terminal) as progress:
        bar = progress.add_task("extract", total=None)
        try:
            from annotator.factors.extract import extract_rule_factors

            counts = extract_rule_factors(store, task_name, list(factor_keys) or None,
                                          progress=lambda n, total: progress.update(bar, completed=n, total=total))
        except (LookupError, KeyError) as e:
            fail(str(e.args[0]))
    if as_json:
        print_json({"task": task_name, "extractor": "rule", "values": counts})
        return
    if not counts:
        console.print(f"The task's factors have no rule-based extractor (rules exist for {', '.join(RULE_FACTORS)}); "
                      "pass --factor to measure one anyway, or use --extractor profile for the others.",
                      markup=False, soft_wrap=True)
    pairs = store.task_counts(task_name)["pairs"]
    for factor, n in counts.items():
        why = NOT_MEASURED.get(factor, "")
        missed = f", {pairs - n:,} not ({why})" if n < pairs and why else ""
        console.print(f"{factor}: {n:,} pair(s) measured{missed}", markup=False, soft_wrap=True)


def _extract_profile(store, task_name, factor_keys, model, base_url, concurrency, price, max_cost, as_json,
                     prompts: str = "paper", few_shot: str | None = None) -> None:
    from annotator.factors.profile_llm import Extraction, load_judge
    from annotator.judge import MissingCredentials, RunError, resolve_endpoint

    from .judge import RichProgress, _parse_price

    wrong = [f for f in factor_keys if f not in LLM_FACTORS]
    if wrong:
        fail(f"--factor {wrong[0]}: a rule measures it; use --extractor rule")
    task = store.get_task(task_name)
    wanted = factor_keys or [f.key for f in task.factors if f.key in LLM_FACTORS]
    if not wanted:
        fail(f"task {task_name} has no factor that PROFILE's LLM extractors measure "
             f"(they measure {', '.join(LLM_FACTORS)}); pass --factor KEY")
    judge = load_judge("profile-facts")
    try:
        endpoint = resolve_endpoint(base_url, judge.base_url, judge.api_key_env)
    except MissingCredentials as e:
        fail(str(e))
    from annotator.factors.fewshot import read_few_shot

    try:
        shots = read_few_shot(few_shot) if few_shot else {}
    except ValueError as e:
        fail(str(e))
    extraction = Extraction(store, task_name, endpoint, model=model, concurrency=concurrency,
                            price=_parse_price(price), max_cost=max_cost,
                            progress=None if as_json else RichProgress, prompts=prompts, few_shot=shots)
    try:
        report = asyncio.run(extraction.run(wanted))
    except (RunError, KeyError) as e:
        fail(str(e.args[0]) if isinstance(e, KeyError) else str(e))
    except KeyboardInterrupt:
        err_console.print("interrupted: finished calls are saved; run the same command again to resume.")
        raise SystemExit(130) from None
    if as_json:
        print_json({"task": task_name, **report.as_dict()})
        return
    console.print(f"extractor {sanitize_line(report.extractor)} on task {sanitize_line(task_name)}: "
                  f"{len(report.runs)} judge run(s), spent {_money(None if report.cost_unknown else report.spent)}",
                  markup=False, soft_wrap=True)
    for factor in wanted:
        missing = report.missing.get(factor, {})
        why = "; ".join(f"{n:,} {reason}" for reason, n in missing.items())
        console.print(f"{factor}: {report.values.get(factor, 0):,} pair(s) measured" + (f" (not measured: {why})" if why else ""),
                      markup=False, soft_wrap=True)
    stopped = [r for r in report.runs if r.stopped or r.not_started]
    for r in stopped:
        console.print(f"  {sanitize_line(r.run)} stopped: {r.stopped or 'interrupted'}; {r.not_started} calls not started "
                      "(run again to continue)", markup=False, soft_wrap=True)


@factors.command("facts")
@click.argument("pair_id")
@task_option()
@click.option("--extractor", default=None, help="Extractor whose facts to show, e.g. profile:gpt-4o-mini (default: every one).")
@json_option
@pass_cli
def facts_cmd(cli: CliContext, pair_id: str, task_name: str | None, extractor: str | None, as_json: bool) -> None:
    """Show the atomic facts an extractor found in a pair's responses (and source), with the
    label each fact got for each fact-based factor."""
    store = cli.open_store(create=False)
    task_name = pick_task(store, task_name)
    pair = store.get_pair_by_external_id(task_name, pair_id)
    if pair is None:
        fail(f"no pair {pair_id!r} in task {task_name}")
    extractors = [extractor] if extractor else store.fact_extractors(task_name)
    out = []
    for name in extractors:
        found = store.atomic_facts(task_name, name)
        labels = [fl for fl in store.fact_labels(task_name, name) if fl.pair == pair.id]
        for target in ("A", "B", "source"):
            item = found.get((pair.id, target))
            if item is None:
                continue
            by_factor = {fl.factor: fl.labels for fl in labels
                         if (fl.target == target and fl.factor != "source_coverage")
                         or (target == "source" and fl.factor == "source_coverage")}
            if target == "source":  # coverage labels are per response: show both
                by_factor = {f"source_coverage in {fl.target}": fl.labels for fl in labels if fl.factor == "source_coverage"}
            out.append({"extractor": name, "target": target, "facts": item.facts, "labels": by_factor})
    if as_json:
        print_json({"task": task_name, "pair_id": pair_id, "facts": out})
        return
    if not out:
        console.print(f"no atomic facts stored for pair {sanitize_line(pair_id)} (run `annotator factors extract --extractor profile`)",
                      markup=False, soft_wrap=True)
        return
    for block in out:
        table = Table("#", "fact", *block["labels"],
                      title=plain_text(f"{sanitize_line(block['extractor'])}: "
                                       f"{'source' if block['target'] == 'source' else 'response ' + block['target']}"),
                      title_justify="left")
        for i, fact in enumerate(block["facts"]):
            marks = ["yes" if i < len(v) and v[i] else "no" if i < len(v) else "" for v in block["labels"].values()]
            table.add_row(str(i + 1), plain_text(fact), *marks)
        console.print(table)


NOT_MEASURED = {
    "novel_words": "Novel Words needs the pair's source document and words in both responses",
}




# -- annotator stats factors -------------------------------------------------------------------
DASH = "—"


def _show(title: str, table: Table) -> None:
    """A table under its own heading line (a title inside a narrow table wraps into a column)."""
    console.print(plain_text(title, style="bold"), soft_wrap=True)
    console.print(table)


def _score(entry: dict | None) -> str:
    if not entry or entry.get("score") is None:
        return DASH
    return f"{entry['score']:+.2f}"


def _estimate(est, pct: bool = False) -> str:
    """An estimate with its interval (``text.numbers``), or why it is undefined."""
    if numbers.as_dict(est).get("estimate") is None:
        return f"undefined: {numbers.reason(est)}"
    return numbers.with_interval(est, pct)


def _agent_headers(agents: list[str]) -> tuple[list[str], str]:
    """Agents as column headers; long names become J1, J2 ... with a legend when they would
    not fit side by side."""
    width = 22 + sum(max(len(a), 6) + 3 for a in agents)
    if width <= console.width:
        return [sanitize_line(a) for a in agents], ""
    headers = [sanitize_line(agents[0])] + [f"J{i}" for i in range(1, len(agents))]
    return headers, "; ".join(f"J{i} = {sanitize_line(a)}" for i, a in enumerate(agents[1:], 1))


def _sources(report) -> tuple[str, str]:
    """The factor source the report used and the other one (``defaults.FACTOR_SOURCES``)."""
    used = report.source
    return used, next(s for s in report.scores if s != used)


def _source_caption(report) -> str:
    used, other = _sources(report)
    beside = f"; {other} beside" if report.other_source else f"; the {other} source knows no M_k here"
    return f"M_k source: {used} — {report.manifestation_source.rule}{beside}"


def _scores_table(report, setting: str) -> Table:
    names = report.factors
    used, other = _sources(report)
    block = report.scores[used][setting]
    checklist = report.scores[other][setting].get("humans", {})
    agents = list(block)
    headers, legend = _agent_headers(agents)
    title = ("Factor scores, evaluation setting (tau_14: C - D over C + D + preference ties; pairs with M_k "
             "'equal' dropped)" if setting == "evaluation" else
             "Factor scores, generation setting (tau_14: C - D over C + D + pairs with M_k 'equal'; "
             "tied preferences left out, counted in 'ties left')")
    table = Table("factor", "M_k from", *headers, f"humans ({other})", title=title, title_justify="left",
                  caption=plain_text("; ".join(x for x in (_source_caption(report), legend) if x)),
                  caption_justify="left")
    if setting == "generation":
        table.add_column("ties left")
    table.columns[0].no_wrap = True
    extractors = report.manifestation_source.extractors
    for key, name in names.items():
        row = [plain_text(name), plain_text(extractors.get(key, DASH) if used == "extractors" else used),
               *[_score(block[a].get(key)) for a in agents], _score(checklist.get(key))]
        if setting == "generation":
            row.append(", ".join(f"{sanitize_line(a)[:12]} {block[a][key]['tied_preference_left_out']}"
                                 for a in agents if block[a].get(key, {}).get("tied_preference_left_out")) or "0")
        table.add_row(*row)
    return table


def _rankings_table(report, setting: str) -> Table | None:
    used, _ = _sources(report)
    ranks = report.rankings[used][setting]
    agents = [a for a, r in ranks.items() if r]
    if not agents:
        return None
    names = report.factors
    headers, legend = _agent_headers(agents)
    table = Table("rank", *headers, title=f"Factors each agent rewards most ({setting} setting, {used}' M_k)",
                  title_justify="left", caption=plain_text("; ".join(x for x in (_source_caption(report), legend) if x)),
                  caption_justify="left")
    depth = max(len(ranks[a]) for a in agents)
    for i in range(depth):
        cells = []
        for a in agents:
            entry = ranks[a][i] if i < len(ranks[a]) else None
            cells.append(plain_text(f"{entry['rank']}. {names.get(entry['factor'], entry['factor'])} ({entry['score']:+.2f})")
                         if entry else DASH)
        table.add_row(str(i + 1), *cells)
    return table


def _correlation_table(report) -> Table | None:
    corr = report.correlation
    keys = corr["factors"]
    if len(keys) < 2:
        return None
    names = report.factors
    table = Table("factor", *[f"F{i}" for i in range(1, len(keys) + 1)])
    for i, key in enumerate(keys):
        table.add_row(plain_text(f"F{i + 1} {names.get(key, key)}"),
                      *[DASH if v is None else f"{v:+.2f}" for v in corr["matrix"][i]])
    return table


@click.command("factors")
@task_option()
@click.option("--extractor", default=None, help="Take M_k from this extractor (e.g. rule, profile:gpt-4o-mini) "
              "instead of the default precedence (rule, then profile:*, then llm:*).")
@click.option("--setting", type=click.Choice(["both", "evaluation", "generation"]), default="both", show_default=True,
              help="Which of PROFILE's tau_14 settings to print (the JSON holds both).")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level of the intervals.")
@order_rule_option
@factor_source_option
@reference_option
@click.option("--human-ties", "human_ties", type=click.Choice(["count", "exclude"]), default="count", show_default=True,
              help="Pairs the humans' majority tied: count them (a human preference tie) or leave them out for every "
                   "agent, as PROFILE section 4.1 does.")
@json_option
@pass_cli
def stats_factors(cli: CliContext, task_name: str | None, extractor: str | None, setting: str, confidence: float,
                  order_rule: str, factor_source: str, reference: str, human_ties: str, as_json: bool) -> None:
    """PROFILE factors: each extractor checked against the annotators' checklist (agreement,
    kappa), factor scores of humans and judges in the evaluation and generation settings,
    the factors each agent rewards most, and the factor correlation matrix."""
    from annotator.analysis.factor_report import task_factor_report

    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    report = task_factor_report(store, name, extractor=extractor, confidence=confidence, order_rule=order_rule,
                                factor_source=factor_source, reference=reference, human_ties=human_ties)
    if as_json:
        print_json(report.to_json())
        return
    console.print(plain_text(f"PROFILE factors — task {name}"), style="bold")
    ties = report.human_ties
    console.print(plain_text(f"human ties: {ties['rule']} ({ties['text']}; {ties['pairs_left_out']:,} pair(s) left out)"),
                  style="dim", soft_wrap=True)
    console.print(plain_text(f"judges' verdicts: order rule {order_rule} ({ORDER_RULE_TEXT[order_rule]})"), style="dim",
                  soft_wrap=True)
    console.print(plain_text(reference_caption(report.reference)), style="dim", soft_wrap=True)
    for note in report.notes:
        console.print(plain_text(f"note: {note}"))
    if not report.factors:
        console.print("The task has no factor checklist ([task] factors in task.toml).")
        return
    validation = report.validation
    if validation:
        table = Table("factor", "extractor", "pairs", "agrees with annotators", "Cohen's kappa")
        for v in validation:
            kappa = _estimate(v["kappa"]) + (f" ({v['note']})" if v.get("note") and numbers.as_dict(v["kappa"]).get("estimate") is not None else "")
            table.add_row(plain_text(report.factors.get(v["factor"], v["factor"])), plain_text(v["extractor"]),
                          f"{v['n']:,} of {v['pairs_with_majority']:,}", plain_text(_estimate(v["agreement"], pct=True)),
                          plain_text(kappa))
        _show("Extractors against the annotators' majority answer (A more / equal / B more; pairs: with both "
              "answers, of those with an annotators' majority)", table)
    else:
        console.print("No extractor to check yet: the annotators answered no factor that an extractor measured "
                      "(`annotator factors extract`).")
    for which in ("evaluation", "generation"):
        if setting in (which, "both"):
            table = _scores_table(report, which)
            title, table.title = str(table.title), None
            _show(title, table)
            ranking = _rankings_table(report, which)
            if ranking is not None:
                title, ranking.title = str(ranking.title), None
                _show(title, ranking)
            align = report.alignment[which]
            if align:
                other = report.other_source
                t = Table("agent", "tau_b", "Spearman", "Pearson", "factors",
                          *(["most misaligned"] if which == "evaluation" else []),
                          *([f"tau_b ({other.source})"] if other else []),
                          caption=plain_text(_source_caption(report)), caption_justify="left")
                for agent, a in align.items():
                    fmt = lambda v: DASH if v is None else f"{v:.3f}"  # noqa: E731
                    worst = [", ".join(f"{report.factors.get(m.factor, m.factor)} ({m.judge_score:+.2f} vs "
                                       f"{m.human_score:+.2f})" for m in report.misaligned[agent][:2]) or DASH] \
                        if which == "evaluation" else []
                    beside = [fmt(other.alignment[which][agent]["kendall_tau_b"])] if other else []
                    t.add_row(plain_text(agent), fmt(a["kendall_tau_b"]), fmt(a["spearman"]), fmt(a["pearson"]),
                              str(a["factors"]) + (f" ({a['undefined_reason']})" if a.get("undefined_reason") else ""),
                              *[plain_text(w) for w in worst], *beside)
                _show(f"Factor-level alignment with the humans ({which} setting)", t)
    corr = _correlation_table(report)
    if corr is not None:
        _show("Factor correlation matrix (Kendall tau_b between the factors' M_k, extractors' source, over the "
              "pairs where both are known)", corr)


def register(group: click.Group) -> None:
    group.add_command(factors)
    group.commands["stats"].add_command(stats_factors)
