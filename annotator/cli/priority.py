"""``annotator tasks prioritise``: which pairs people should label next
(``annotator.analysis.priority``)."""

from __future__ import annotations

import click
from rich.table import Table

from annotator.tasks.taskfile import PRIORITIES
from annotator.text.sanitize import plain_text

from .context import CliContext, console, fail, pass_cli, pick_task, print_json
from .options import json_option, order_rule_option, run_option, task_option

DASH = "—"


def _cell(value) -> str:
    return DASH if value is None or value != value else f"{value:.2f}"


@click.command("prioritise")
@task_option()
@click.option("--by", "rule", type=click.Choice(PRIORITIES), default=None,
              help="judge-uncertain: pairs where judges disagree, flip between orders, give P(A) near 0.5, or "
                   "where the first human votes split come first; stratified: the judge's verdicts walked "
                   "proportionally; none: back to the plain seeded order (default: [task] priority).")
@click.option("--stratify", is_flag=True, help="Same as --by stratified.")
@run_option("runs", "Judge run whose verdicts count (repeatable; default: every judge run; --stratify needs "
            "exactly one).", multiple=True, aliases=("--judge",))
@click.option("--uniform-share", type=click.FloatRange(0, 1), default=None,
              help="Share of the pairs that ignore the priority and stay uniformly random (default: [task] "
                   "uniform_share, else 0.2), so estimates from them stay unbiased.")
@order_rule_option
@click.option("--seed", type=int, default=None, help="Seed of the stratified walk (default: the task's seed).")
@click.option("--top", type=click.IntRange(0), default=10, show_default=True, help="How many of the first pairs to list.")
@click.option("--dry-run", is_flag=True, help="Compute and show the priorities; do not change what annotators are served.")
@click.option("--estimate", is_flag=True, help="Change nothing; for the priorities in effect, each judge's "
              "agreement with the human majority: the plain mean over the labelled pairs beside the weighting "
              "estimator's (unbiased under prioritised labelling, with its interval).")
@json_option
@pass_cli
def prioritise_cmd(cli: CliContext, task_name, rule, stratify, runs, uniform_share, order_rule, seed, top, dry_run,
                   estimate, as_json) -> None:
    """Order the pairs annotators are served by what a label would tell the most (see
    docs/prioritise.md); a uniform share stays random, and the statistics weight it."""
    from annotator.analysis.priority import COMPONENTS, priority_scores, stratified_scores
    from annotator.analysis.verdicts import judge_verdicts

    store = cli.open_store()
    name = pick_task(store, task_name)
    task = store.get_task(name)
    if estimate:
        _estimate(store, name, task, runs, order_rule, as_json)
        return
    rule = "stratified" if stratify else rule or task.settings.get("priority", "none")
    share = uniform_share if uniform_share is not None else float(task.settings.get("uniform_share", 0.2))
    judgments = store.judgments_frame(name)
    known = sorted(set(judgments["run_name"])) if len(judgments) else []
    for run in runs:
        if run not in known:
            fail(f"no judge run {run!r} with judgments on task {name} (runs: {', '.join(known) or 'none'})")
    if runs:
        judgments = judgments[judgments["run_name"].isin(runs)]
    pair_ids = [int(p) for p in store.pairs_frame(name)["pair"]]
    if rule == "judge-uncertain":
        scores = priority_scores(judgments, store.labels_frame(name), pair_ids, task.choices, order_rule)
        values = scores["score"]
    elif rule == "stratified":
        chosen = runs or known
        if len(chosen) != 1:
            fail(f"--stratify walks one judge's verdicts: name it with --run (runs: {', '.join(known) or 'none'})")
        verdicts = judge_verdicts(judgments[judgments["run_name"] == chosen[0]], order_rule).set_index("pair")["verdict"]
        values = stratified_scores(verdicts, pair_ids, task.seed if seed is None else seed)
        scores = values.rename("score").to_frame().assign(stratum=verdicts.reindex(values.index).fillna("no verdict"))
    else:
        scores, values = None, None
    applied = False
    if not dry_run:
        if rule == "none":
            store.clear_pair_priorities(name)
        else:
            # only the ordinary pairs are walked by priority (attention checks and the
            # calibration batch are served apart)
            ordinary = {r["pair"] for r in store.priority_design(name)}
            try:
                store.set_pair_priorities(name, {int(p): float(v) for p, v in values.items() if int(p) in ordinary},
                                          uniform_share=share)
            except (LookupError, ValueError) as e:
                fail(f"the priorities could not be stored: {e.args[0] if e.args else e}")
        applied = True
    first = [] if values is None else [int(p) for p in values.sort_values(ascending=False, kind="stable").index[:top]]
    index = {row.pair: row.pair_id for row in store.pairs_frame(name).itertuples()}
    listed = [{"pair_id": index[p], "score": float(values[p]),
               **({k: (None if scores.loc[p, k] != scores.loc[p, k] else float(scores.loc[p, k])) for k in COMPONENTS}
                  if rule == "judge-uncertain" else {"stratum": str(scores.loc[p, "stratum"])})} for p in first]
    result = {"task": name, "by": rule, "uniform_share": share, "order_rule": order_rule, "runs": list(runs or known),
              "pairs": len(pair_ids), "with_signal": None if values is None else int((values > 0).sum()),
              "applied": applied, "first": listed}
    if rule == "judge-uncertain":
        result["signals"] = {k: int(scores[k].notna().sum()) for k in COMPONENTS}
    if as_json:
        print_json(result)
        return
    if rule == "none":
        console.print(plain_text(f"task {name}: plain seeded order, no priorities" + (" (applied)" if applied else "")))
    else:
        what = (f"{result['with_signal']:,} of {len(pair_ids):,} pairs score above 0" if rule == "judge-uncertain"
                else f"{len(pair_ids):,} pairs in {scores['stratum'].nunique()} strata of the judge's verdict")
        console.print(plain_text(
            f"task {name}: priority {rule}, {what}; a uniform share of {share:.0%} stays random"
            + ("; applied" if applied else "")), soft_wrap=True)
        if rule == "judge-uncertain":
            console.print(plain_text("signals: " + ", ".join(f"{k} on {n:,} pairs" for k, n in result["signals"].items())),
                          soft_wrap=True)
        if listed:
            extra = list(COMPONENTS) if rule == "judge-uncertain" else ["stratum"]
            table = Table("pair", "score", *extra)
            for row in listed:
                table.add_row(plain_text(row["pair_id"]), _cell(row["score"]),
                              *[(_cell(row[k]) if k != "stratum" else plain_text(row[k])) for k in extra])
            console.print(table)


def _estimate(store, name: str, task, runs, order_rule: str, as_json: bool) -> None:
    """Each judge's agreement with the human majority under the priorities in effect."""
    import pandas as pd

    from annotator.analysis.agents import human_majority
    from annotator.analysis.priority import design_weights, weighted_mean
    from annotator.analysis.report import to_json
    from annotator.analysis.verdicts import judge_verdicts

    design_rows = store.priority_design(name)
    if not design_rows or not any(r["priority"] or r["uniform"] for r in design_rows):
        fail(f"task {name} has no priorities in effect (set them with `annotator tasks prioritise --by ...`)")
    frame = pd.DataFrame(design_rows).set_index("pair")
    majority = human_majority(store.labels_frame(name), task.choices)
    majority = majority[majority.index.isin(frame.index)]
    design = design_weights(frame["priority"].astype(float), frame["uniform"].astype(bool), list(majority.index))
    judgments = store.judgments_frame(name)
    if runs:
        judgments = judgments[judgments["run_name"].isin(runs)]
    rows = []
    for run, verdicts in judge_verdicts(judgments, order_rule).groupby("run_name", sort=True):
        v = verdicts.set_index("pair")["verdict"].reindex(majority.index)
        correct = pd.Series((v == majority).fillna(False).astype(float), index=majority.index)
        rows.append({"run": str(run), "labelled_pairs": int(len(correct)),
                     "plain": float(correct.mean()) if len(correct) else None,
                     "weighted": weighted_mean(correct, design)})
    result = to_json({"task": name, "order_rule": order_rule, "labelled_pairs": int(len(majority)),
                      "unlabelled_above_tau": design.unlabelled_census, "design_reason": design.reason or None,
                      "strata": {k: int(v) for k, v in design.population.items()}, "judges": rows})
    if as_json:
        print_json(result)
        return
    console.print(plain_text(
        f"task {name}: {len(majority):,} labelled pairs under priorities; agreement of each judge with the human "
        "majority (a pair without a verdict counts as a miss), plain and weighted (docs/prioritise.md)"), soft_wrap=True)
    table = Table("judge run", "plain mean", "weighting estimator [95 % CI]")
    for row in result["judges"]:
        w = row["weighted"]
        cell = (f"undefined: {w['reason']}" if w["estimate"] is None else
                f"{100 * w['estimate']:.1f} %" + (f" [{100 * w['ci_low']:.1f}, {100 * w['ci_high']:.1f}]"
                                                  if w["ci_low"] is not None else f" ({w.get('interval_reason')})"))
        table.add_row(plain_text(row["run"]), DASH if row["plain"] is None else f"{100 * row['plain']:.1f} %",
                      plain_text(cell))
    console.print(table)
    if design.unlabelled_census:
        console.print(plain_text(f"note: {design.unlabelled_census} prioritised pair(s) above the lowest labelled "
                                 "priority are still unlabelled (in progress or skipped): the estimate is approximate"),
                      soft_wrap=True)


def register(group: click.Group) -> None:
    group.commands["tasks"].add_command(prioritise_cmd)
