"""``annotator stats dataset``: WorldAlignment's dataset profile (section 3.2, Figures 2 and 3)."""

from __future__ import annotations

from dataclasses import asdict

import click
from rich.table import Table

from annotator.text.sanitize import plain_text

from .context import CliContext, console, fail, pass_cli, pick_task, print_json
from .options import json_option, task_option

DASH = "—"


def _n(value, digits: int = 1) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def _p(value) -> str:
    return DASH if value is None else f"{value:.2g}"


def _profile(store, name: str, by_domain: bool, unit: str) -> dict:
    from annotator.analysis.dataset import dataset_profile

    return {"task": name, **dataset_profile((asdict(p) for p in store.pairs(name)), store.scores_frame(name),
                                            by_domain=by_domain, unit=unit)}


def _print(profile: dict) -> None:
    console.print(plain_text(f"{profile['task']}: lengths in {profile['unit']}", style="bold"))
    table = Table("domain", "instructions", "median", "mean", "q1-q3", "responses", "median", "mean", "q1-q3",
                  "r", "p", "rho", "p (rho)")
    for domain, block in [("all", profile["all"]), *profile["per_domain"].items()]:
        i, r, c = block["instructions"], block["responses"], block["correlation"]
        table.add_row(plain_text(domain), str(i["n"]), _n(i["median"]), _n(i["mean"]),
                      f"{_n(i['q1'])}-{_n(i['q3'])}", str(r["n"]), _n(r["median"]), _n(r["mean"]),
                      f"{_n(r['q1'])}-{_n(r['q3'])}", _n(c["pearson_r"], 2), _p(c["pearson_p"]),
                      _n(c["spearman_rho"], 2), _p(c["spearman_p"]))
    console.print(table)
    reason = profile["all"]["correlation"].get("reason")
    if reason:
        console.print(plain_text(f"  no correlation: {reason}"))
    from annotator.analysis.scores import TARGET_NAMES

    for entry in profile["scorers"]:
        scorer = Table("scored", "domain", "n", "mean", "sd", "median", "q1-q3")
        for target, block in entry["targets"].items():
            for domain, d in [("all", block["all"]), *block["per_domain"].items()]:
                scorer.add_row(TARGET_NAMES.get(target, target), plain_text(domain), str(d["scored"]), _n(d["mean"], 2),
                               _n(d["sd"], 2), _n(d["median"]), f"{_n(d['q1'])}-{_n(d['q3'])}")
        console.print(plain_text(f"scorer {entry['run']}", style="bold"))
        console.print(scorer)


@click.command("dataset")
@task_option()
@click.option("--by", "by", type=click.Choice(["domain"]), default=None, help="Add rows per domain.")
@click.option("--reference", "reference", default=None, metavar="TASK",
              help="Profile this task too, beside the first (e.g. the benchmark a new one is compared with).")
@click.option("--unit", "unit", type=click.Choice(["words", "characters"]), default="words", show_default=True,
              help="Length unit: whitespace-separated words or characters.")
@json_option
@pass_cli
def dataset_cmd(cli: CliContext, task_name: str | None, by: str | None, reference: str | None, unit: str,
                as_json: bool) -> None:
    """The dataset profile (WorldAlignment section 3.2): instruction and response lengths per
    domain, how they correlate (Pearson r, Spearman rho, with p), and each pointwise scorer's
    distribution per domain; beside a reference task with --reference."""
    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    profiles = [_profile(store, name, by == "domain", unit)]
    if reference:
        if store.get_task(reference) is None:
            fail(f"no task named {reference!r} (annotator tasks list)")
        profiles.append(_profile(store, reference, by == "domain", unit))
    if as_json:
        print_json({**profiles[0], **({"reference": profiles[1]} if reference else {})})
        return
    for profile in profiles:
        _print(profile)


def register(group: click.Group) -> None:
    group.commands["stats"].add_command(dataset_cmd)
