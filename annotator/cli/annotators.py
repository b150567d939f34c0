"""``annotator annotators add | list | disable | enable | reset-code``: who may sign in to
``annotator serve``, and how each annotator is doing."""

from __future__ import annotations

import math

import click
from rich import box
from rich.table import Table
from rich.text import Text

from annotator.store import AccountExists
from annotator.store.accounts import ROLES

from .context import CliContext, console, fail, pass_cli, print_json
from .options import json_option, task_option
from .tables import print_table


def _check_new_name(name: str) -> str:
    from annotator.text.sanitize import sanitize_line
    from annotator.tui.screens.annotator_name import check_name

    name = name.strip()
    problem = check_name(name)
    if problem:
        fail(f"annotator name {sanitize_line(name)!r}: {problem}")
    return name


def _existing(store, name: str):
    from annotator.text.sanitize import sanitize_line

    account = store.account(name)
    if account is None:
        known = [a.name for a in store.accounts()]
        fail(f"no account named {sanitize_line(name)!r} (accounts: {', '.join(map(sanitize_line, known)) or 'none'}; "
             "add one with `annotator annotators add NAME`)")
    return account


def _show_code(name: str, code: str, verb: str) -> None:
    from annotator.text.sanitize import sanitize_line

    console.print(Text.assemble(f"{verb} {sanitize_line(name)}. Access code (shown once, only its hash is stored):\n\n    ",
                                (code, "bold"), "\n\nGive it to them with the address of `annotator serve`; "
                                "`annotator annotators reset-code NAME` makes a new one."), soft_wrap=True)


@click.group()
def annotators() -> None:
    """Annotator accounts for the browser mode (annotator serve), and each annotator's work."""


@annotators.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="annotator", show_default=True,
              help="annotator: labels pairs; researcher: may also open researcher screens.")
@json_option
@pass_cli
def add(cli: CliContext, name: str, role: str, as_json: bool) -> None:
    """Create an account for NAME and print its one-time access code."""
    from annotator.web.codes import hash_code, new_code

    name = _check_new_name(name)
    store = cli.open_store()
    code = new_code()
    try:
        store.add_account(name, role, hash_code(code))
    except AccountExists:
        fail(f"{name!r} already has an account (a new code: `annotator annotators reset-code {name}`)")
    if as_json:
        print_json({"name": name, "role": role, "code": code})
        return
    _show_code(name, code, f"Added {role}")


@annotators.command("reset-code")
@click.argument("name")
@json_option
@pass_cli
def reset_code(cli: CliContext, name: str, as_json: bool) -> None:
    """Give NAME a new access code (the old one stops working, open sessions end) and enable the account."""
    from annotator.web.codes import hash_code, new_code

    store = cli.open_store()
    _existing(store, name)
    code = new_code()
    store.set_code(name, hash_code(code))
    if as_json:
        print_json({"name": name, "code": code})
        return
    _show_code(name, code, "New code for")


def _set_disabled(cli: CliContext, name: str, disabled: bool, as_json: bool) -> None:
    from annotator.text.sanitize import sanitize_line

    store = cli.open_store()
    _existing(store, name)
    store.set_disabled(name, disabled)
    if as_json:
        print_json({"name": name, "disabled": disabled})
        return
    console.print(Text(f"{sanitize_line(name)} can no longer sign in; their labels are kept "
                       "(`annotator annotators enable NAME` undoes this)." if disabled
                       else f"{sanitize_line(name)} can sign in again."), soft_wrap=True)


@annotators.command("disable")
@click.argument("name")
@json_option
@pass_cli
def disable(cli: CliContext, name: str, as_json: bool) -> None:
    """Stop NAME from signing in (open browser sessions end within a minute). Labels are kept."""
    _set_disabled(cli, name, True, as_json)


@annotators.command("enable")
@click.argument("name")
@json_option
@pass_cli
def enable(cli: CliContext, name: str, as_json: bool) -> None:
    """Let a disabled NAME sign in again, with the code they had."""
    _set_disabled(cli, name, False, as_json)


def annotator_rows(store, task_name: str | None) -> list[dict]:
    """One record per annotator and task (accounts without labels too): the account, labels,
    pace and quality from ``annotator.analysis.annotators``."""
    from annotator.analysis.annotators import annotator_quality
    from annotator.analysis.ratings import ratings_from_frame
    from annotator.analysis.report import to_json

    accounts = {a.name: a for a in store.accounts()}
    tasks = [t for t in store.tasks() if task_name in (None, t.name)]
    records, seen = [], set()
    for task in tasks:
        labels = store.labels_frame(task.name)
        if not len(labels):
            continue
        ratings = ratings_from_frame(labels, "choice", task.choices)
        last = labels.groupby("annotator")["created_at"].max().to_dict()
        for quality in annotator_quality(labels, ratings):
            name = quality.annotator
            seen.add(name)
            records.append({"annotator": name, "task": task.name, **_account_fields(accounts.get(name)),
                            "last_label": last.get(name), **to_json(quality)})
    _add_training(store, tasks, records, accounts, seen)
    for name, account in accounts.items():
        if name not in seen:
            records.append({"annotator": name, "task": None, **_account_fields(account), "last_label": None,
                            "n_labels": 0})
    return sorted(records, key=lambda r: (r["annotator"], r["task"] or ""))


def _add_training(store, tasks, records, accounts, seen) -> None:
    """Each annotator's training score (their latest attempt) on the tasks with [training]:
    answers kept apart from the labels, shown here only."""
    from annotator.tasks.training import training_summary

    by_key = {(r["annotator"], r["task"]): r for r in records}
    for task in tasks:
        for name, score in training_summary(store, task).items():
            record = by_key.get((name, task.name))
            if record is None:
                record = {"annotator": name, "task": task.name, **_account_fields(accounts.get(name)),
                          "last_label": None, "n_labels": 0}
                records.append(record)
                seen.add(name)
            record["training"] = score


def _training_cell(record: dict) -> str:
    t = record.get("training")
    return f"{t['correct']}/{t['items']} {t['state']}" if t else "-"


def _account_fields(account) -> dict:
    if account is None:
        return {"role": None, "status": "no account", "last_sign_in": None}
    return {"role": account.role, "status": "disabled" if account.disabled else "active",
            "last_sign_in": account.last_sign_in}


def _share(estimate: dict | None) -> str:
    if not estimate or estimate.get("estimate") is None:
        return "-"
    low, high = estimate.get("ci_low"), estimate.get("ci_high")
    interval = f" ({low:.2f}-{high:.2f})" if low is not None and high is not None else ""
    return f"{estimate['estimate']:.2f}{interval}"


def _pace(seconds) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


@annotators.command("list")
@task_option(every=True)
@json_option
@pass_cli
def list_cmd(cli: CliContext, task_name: str | None, as_json: bool) -> None:
    """Accounts and each annotator's work: labels, pace and quality, per task.

    Pace is the median seconds per label (time on the pair); agreement is leave-one-out (each
    label against the strict majority of the other annotators on that pair, pairs without one
    left out); attention is the accuracy on gold pairs; "fast" is the share of labels given
    faster than the responses can be skimmed (see `stats agreement`). Intervals are 95 %
    Wilson intervals; n is the number of labels each figure rests on.
    """
    from annotator.text.sanitize import sanitize_line

    store = cli.open_store(create=False)
    if task_name is not None and store.get_task(task_name) is None:
        fail(f"no task named {sanitize_line(task_name)!r}")
    records = annotator_rows(store, task_name)
    if as_json:
        print_json(records)
        return
    if not records:
        console.print("No annotators yet: add one with `annotator annotators add NAME` "
                      "(labels from the terminal app appear here too).")
        return
    table = Table(title="Annotators", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    attention = any((r.get("attention_accuracy") or {}).get("estimate") is not None for r in records)
    training = any(r.get("training") for r in records)
    columns = ["annotator", "account", "task", "labels", "pace", "agreement", *(["attention"] if attention else []),
               "fast", *(["training"] if training else []), "last label"]
    for column in columns:  # never broken: a table too wide for the terminal is stacked instead
        table.add_column(column, no_wrap=True)
    for r in records:
        fast = "-" if not r.get("timed_labels") else f"{r['fast_share']:.0%}" + ("!" if r.get("flag_fast") else "")
        account = r["status"] if r["status"] != "active" else r["role"]
        cells = [Text(sanitize_line(r["annotator"])), account, Text(sanitize_line(r["task"] or "-")),
                 str(r.get("n_labels", 0)), _pace(r.get("median_seconds")), _share(r.get("agreement_with_others")),
                 *([_share(r.get("attention_accuracy"))] if attention else []), fast,
                 *([_training_cell(r)] if training else []),
                 (r["last_label"] or "-")[5:16].replace("T", " ")]
        table.add_row(*cells)
    print_table(console, table)
    console.print("pace: median seconds per label; agreement: leave-one-out against the other annotators' strict "
                  "majority, with its 95 % interval (--json: n and the rule's counts); attention: accuracy on gold pairs; fast: share of "
                  "labels given faster than skimming both responses ('!' flags 25 % or more); last label: month-day "
                  "time (UTC)" + ("; training: practice pairs answered as expected in the latest attempt, of the "
                                  "task's [training] pairs (kept apart from the labels)" if training else "") + ".",
                  soft_wrap=True)


def register(group: click.Group) -> None:
    group.add_command(annotators)
