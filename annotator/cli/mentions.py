"""``annotator stats mentions``: how often each judge's explanations mention each factor
(PROFILE F.2.3), beside its factor scores."""

from __future__ import annotations

import click
from rich.table import Table

from annotator.text.sanitize import plain_text

from .context import CliContext, console, pass_cli, pick_task, print_json
from .options import json_option, run_option, task_option

DASH = "—"


@click.command("mentions")
@task_option()
@run_option("runs", "Only this judge run (repeatable; default: every preference judge run).", multiple=True)
@json_option
@pass_cli
def mentions_cmd(cli: CliContext, task_name: str | None, runs: tuple[str, ...], as_json: bool) -> None:
    """What judges say (PROFILE F.2.3): per judge run, the share of its explanations that
    mention each factor (a documented keyword method), beside its factor score in the
    evaluation setting."""
    from annotator.analysis.factor_report import task_factor_report
    from annotator.analysis.mentions import judge_mentions

    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    task = store.require_task(name)
    factors = {f.key: f.name for f in task.factors}
    chosen = [r for r in store.runs(name) if r.kind == "llm" and (not runs or r.name in runs)]
    texts = {r.name: [j.explanation or "" for j in store.judgments(r.id)] for r in chosen}
    scores = task_factor_report(store, name).scores["extractors"]["evaluation"] if factors else {}
    result = {"task": name, **judge_mentions(texts, factors, scores)}
    if as_json:
        print_json(result)
        return
    if not chosen:
        console.print("No preference judge runs yet (annotator judge run --judge NAME).")
        return
    if not factors:
        console.print("The task has no factor checklist ([task] factors in task.toml).")
        return
    console.print(plain_text(f"What judges say — task {name} (method: keywords, docs/factors.md)"), style="bold")
    for run, entry in result["runs"].items():
        table = Table("factor", "mentions", "share", "factor score (evaluation)")
        for key, block in entry["factors"].items():
            share = DASH if block["share"] is None else f"{block['share']:.0%}"
            score = DASH if block["factor_score"] is None else f"{block['factor_score']:+.2f}"
            table.add_row(plain_text(factors.get(key, key)), str(block["mentions"]), share, score)
        console.print(plain_text(f"{run}: {entry['explained']:,} judgment(s) with an explanation"))
        console.print(table)


def register(group: click.Group) -> None:
    group.commands["stats"].add_command(mentions_cmd)
