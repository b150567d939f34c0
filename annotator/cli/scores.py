"""``annotator stats scores``: distributions of pointwise judges' scores per domain."""

from __future__ import annotations

import click
from rich.table import Table

from annotator.text.sanitize import plain_text

from .context import CliContext, console, pass_cli, pick_task, print_json
from .options import json_option, run_option, task_option

DASH = "—"


def _n(value) -> str:
    return DASH if value is None else f"{value:.2f}"


@click.command("scores")
@task_option()
@run_option("runs", "Only this pointwise run (repeatable; default: every one).", multiple=True)
@json_option
@pass_cli
def scores_cmd(cli: CliContext, task_name: str | None, runs: tuple[str, ...], as_json: bool) -> None:
    """Distributions of pointwise scores (e.g. mt-bench-single, wa-difficulty) per run, per
    response or instruction, and per domain: mean, sd, quartiles, histogram."""
    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    frame = store.scores_frame(name)
    if runs:
        frame = frame[frame["run_name"].isin(runs)]
    from annotator.analysis.scores import TARGET_NAMES, score_distributions

    result = score_distributions(frame)
    if as_json:
        print_json({"task": name, "runs": result})
        return
    if not result:
        console.print("No pointwise scores yet: run a pointwise judge, e.g. "
                      "`annotator judge run --judge mt-bench-single` or `--judge wa-difficulty`.")
        return
    for entry in result:
        table = Table("scored", "domain", "n", "unscored", "mean", "sd", "min", "q1", "median", "q3", "max", "histogram")
        for target, block in entry["targets"].items():
            rows = [("all", block["all"]), *block["per_domain"].items()]
            for domain, d in rows:
                hist = " ".join(f"{k}:{v}" for k, v in d["histogram"].items())
                table.add_row(TARGET_NAMES.get(target, target), plain_text(domain), str(d["scored"]), str(d["unscored"]),
                              _n(d["mean"]), _n(d["sd"]), _n(d["min"]), _n(d["q1"]), _n(d["median"]), _n(d["q3"]),
                              _n(d["max"]), hist)
        console.print(plain_text(f"{entry['run']} ({entry['kind']})", style="bold"))
        console.print(table)
        if "pairs" in entry:
            p = entry["pairs"]
            console.print(f"  pairs scored on both sides: {p['n']:,}; A higher {p['a_higher']:,}, "
                          f"B higher {p['b_higher']:,}, equal {p['equal']:,}")


def register(group: click.Group) -> None:
    group.commands["stats"].add_command(scores_cmd)
