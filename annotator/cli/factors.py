"""``annotator factors ...``: measure PROFILE factors on a task's pairs (rules, or PROFILE's
LLM extractors), and look at the atomic facts an extractor found."""

from __future__ import annotations

import asyncio

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from annotator.factors.extract import extract_rule_factors
from annotator.factors.profile_llm import LLM_FACTORS
from annotator.factors.rules import RULE_FACTORS
from annotator.text.sanitize import plain_text, sanitize_line

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json

EXTRACTORS = ("rule", "profile")


@click.group()
def factors() -> None:
    """Extract PROFILE factor values (which response shows a factor more) for a task's pairs."""


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


@factors.command("extract")
@click.option("--task", "task_name", default=None, help="Task whose pairs to measure (default: the only task in the database).")
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
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_cli
def extract(cli: CliContext, task_name: str | None, extractor: str, factor_keys: tuple[str, ...], model: str | None,
            base_url: str | None, concurrency: int, price: str | None, max_cost: float | None, as_json: bool) -> None:
    """Measure factors on every pair and store them (rule: Length, Novel Words; profile: the
    rest, as PROFILE defines them: see docs/factors.md)."""
    store = cli.open_store(create=False)
    task_name = pick_task(store, task_name)
    if extractor == "profile":
        _extract_profile(store, task_name, list(factor_keys), model, base_url, concurrency, price, max_cost, as_json)
        return
    wrong = [f for f in factor_keys if f not in RULE_FACTORS]
    if wrong:
        fail(f"--factor {wrong[0]}: no rule measures it; use --extractor profile (rules exist for {', '.join(RULE_FACTORS)})")
    with Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True, disable=as_json or not err_console.is_terminal) as progress:
        bar = progress.add_task("extract", total=None)
        try:
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


def _extract_profile(store, task_name, factor_keys, model, base_url, concurrency, price, max_cost, as_json) -> None:
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
    extraction = Extraction(store, task_name, endpoint, model=model, concurrency=concurrency,
                            price=_parse_price(price), max_cost=max_cost,
                            progress=None if as_json else RichProgress)
    try:
        report = asyncio.run(extraction.run(wanted))
    except (RunError, KeyError) as e:
        fail(str(e.args[0]) if isinstance(e, KeyError) else str(e))
    except KeyboardInterrupt:
        err_console.print("interrupted: finished calls are saved; run the same command again to resume.")
        raise SystemExit(130)
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
@click.option("--task", "task_name", default=None, help="Task of the pair (default: the only task in the database).")
@click.option("--extractor", default=None, help="Extractor whose facts to show, e.g. profile:gpt-4o-mini (default: every one).")
@click.option("--json", "as_json", is_flag=True, help="Print the facts and their labels as JSON.")
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


def register(group: click.Group) -> None:
    group.add_command(factors)
