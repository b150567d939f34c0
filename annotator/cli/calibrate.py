"""``annotator judge calibrate``: map a judge run's P(A) to the human majority (Platt or
isotonic), fit on calibration pairs and measured on held-out pairs; the mapping is stored
with the run and used by ``stats judges --calibrated`` and ``stats leaderboard --calibrated``."""

from __future__ import annotations

import click

from annotator.text.sanitize import plain_text

from .context import CliContext, console, fail, pass_cli, pick_task, print_json
from .options import json_option, run_argument_or_option, task_option

DASH = "—"


def _num(value) -> str:
    return DASH if value is None else f"{value:.4f}"


@click.command("calibrate")
@run_argument_or_option("run", "The judge run whose P(A) is calibrated (or give it as the argument).")
@task_option()
@click.option("--method", type=click.Choice(["platt", "isotonic"]), required=True,
              help="platt: logistic regression on logit P(A) (statsmodels); isotonic: a non-decreasing step "
                   "function (scipy).")
@click.option("--split", "share", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.3,
              show_default=True, help="Share of the pairs held out to measure the mapping (the rest fits it).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split.")
@click.option("--bins", type=click.IntRange(2, 100), default=10, show_default=True,
              help="Equal-width bins of P(A) for the expected calibration error.")
@json_option
@pass_cli
def calibrate_cmd(cli: CliContext, run: str, task_name, method: str, share: float, seed: int, bins: int,
                  as_json: bool) -> None:
    """Fit a mapping of a run's P(A) to the human majority on calibration pairs; report ECE and
    Brier before and after on the held-out pairs; store the mapping with the run."""
    from annotator.analysis.recalibration import CalibrationError, calibrate_run

    store = cli.open_store(create=False)
    task = pick_task(store, task_name)
    found = store.get_run(task, run)
    if found is None:
        fail(f"no judge run {run!r} on task {task} (see `annotator judge list`)")
    try:
        mapping, report = calibrate_run(store, task, found.name, method, split=share, seed=seed, bins=bins)
    except CalibrationError as e:
        fail(str(e))
    report["replaced_earlier"] = store.save_calibration(found.stored_id, method, mapping.as_dict(), report)
    if as_json:
        print_json(report)
        return
    split = report["split"]
    console.print(plain_text(
        f"Calibration of run {found.name} (task {task}): {report['method_rule']}; fit on {split['calibration']} "
        f"pairs, measured on {split['held_out']} held out ({share:.0%}, seed {seed}, stratified by domain)"),
        style="bold", soft_wrap=True)
    from rich.table import Table  # imported when a table is printed, not when `judge` registers

    table = Table("pairs", "n", "ECE before", "ECE after", "Brier before", "Brier after")
    for label, key in (("held out", "held_out"), ("calibration (fit)", "calibration_part")):
        part = report[key]
        table.add_row(label, str(part["before"]["n"]), _num(part["before"]["ece"]), _num(part["after"]["ece"]),
                      _num(part["before"]["brier"]), _num(part["after"]["brier"]))
    console.print(table)
    console.print(f"ECE: {bins} equal-width bins of P(A); outcome: the human majority (A = 1, B = 0); "
                  f"{report['n_ties_left_out']} pair(s) with a tied or split majority left out.",
                  style="dim", soft_wrap=True, markup=False)
    console.print(plain_text(f"stored with run {found.name}" + (" (replacing the earlier calibration)"
                                                                 if report["replaced_earlier"] else "")
                             + ": `stats judges --calibrated` and `stats leaderboard --calibrated` use it"),
                  soft_wrap=True)


def calibrated_store(store, task: str):
    """The store with the task's calibrated runs' P(A) mapped, and a note naming them."""
    from annotator.analysis.recalibration import CalibratedStore, Mapping

    found = store.run_calibrations(task)
    if not found:
        return store, {"runs": {}, "note": f"--calibrated: no run of task {task} is calibrated "
                                           "(`annotator judge calibrate`): raw P(A) used"}
    used = {name: c["method"] for name, c in found.items()}
    note = "calibrated P(A): " + ", ".join(f"{name} ({method})" for name, method in used.items())
    return (CalibratedStore(store, {name: Mapping.from_dict(c["mapping"]) for name, c in found.items()}),
            {"runs": used, "note": note})


def register(group: click.Group) -> None:
    group.commands["judge"].add_command(calibrate_cmd)  # type: ignore[attr-defined]
