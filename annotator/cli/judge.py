"""``annotator judge ...``: run LLM judges and offline baselines, list runs, show a run."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import click
from rich.text import Text

from annotator.text.sanitize import sanitize, sanitize_line

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json
from .options import json_option, run_argument_or_option, run_option, task_option


def _money(value: float | None) -> str:
    from annotator.judge.summary import money

    return money(value)


class RichProgress:
    """The run's progress bar: done / total, failures, spend and time left (on stderr).

    Calls are counted as they finish and shown at most every 0.1 s (the bar redraws at that
    rate anyway), so a fast run does not pay for an update per call."""

    EVERY_S = 0.1

    def __init__(self, started=None):
        self.started = started  # called once the bar is up (the calls are under way)
        self.bar = None  # made at start(): the run sends its first request before rich.progress is imported
        self.task = None
        self.failures = 0
        self.spent = 0.0
        self.unshown = 0
        self.shown_at = 0.0

    def start(self, total: int, description: str) -> None:
        if self.task is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("failures {task.fields[failures]}"), TextColumn("spent {task.fields[spent]}"),
                TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                console=err_console, transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task(sanitize_line(description), total=total, failures=0, spent="$0.0000")
            if self.started is not None:
                self.started()

    def advance(self, *, failed: bool, cost: float | None) -> None:
        self.failures += failed
        self.spent += cost or 0.0
        self.unshown += 1
        now = time.monotonic()
        if now - self.shown_at >= self.EVERY_S:
            self._show()
            self.shown_at = now

    def note(self, text: str) -> None:
        """Say at once what the runner did against what the server said (once per kind)."""
        (self.bar.console if self.bar is not None else err_console).print(Text(sanitize_line(f"note: {text}")),
                                                                           soft_wrap=True)

    def _show(self) -> None:
        if self.task is not None and self.unshown:
            self.bar.update(self.task, advance=self.unshown, failures=self.failures, spent=f"${self.spent:.4f}")
            self.unshown = 0

    def stop(self) -> None:
        if self.task is not None:
            self._show()
            self.bar.stop()


class _CollectionPause:
    """Python's cyclic garbage collector paused while `judge run` imports its libraries and
    plans its first call, so that the first request leaves sooner: the collector would walk
    the objects of every module imported so far again and again (a tenth of the CPU before
    the first request), and none of them is garbage. Resumed once the calls are under way
    (``resume(freeze=True)``: what exists then lives as long as the command, kept out of
    later full collections with ``gc.freeze``, as the terminal app does), or at once on the
    paths that make no calls, or when the command ends, however it ends."""

    def __init__(self):
        import gc

        self.paused = gc.isenabled()
        if self.paused:
            gc.disable()

    def resume(self, freeze: bool = False) -> None:
        if self.paused:
            import gc

            self.paused = False
            if freeze:
                gc.freeze()
            gc.enable()

    def resume_frozen(self) -> None:
        self.resume(freeze=True)


def _import_soon(name: str) -> None:
    """Import a module on a thread while the command reads the judge, the database and the
    first prompt (the import holds the interpreter lock like the rest: it gains the main
    thread's waits on files and the database); a failure is left for the import where the
    module is used."""
    import importlib
    import threading

    def load() -> None:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S110  (raised again where the module is imported)
            pass

    threading.Thread(target=load, name=f"import {name}", daemon=True).start()


class _Started:
    """No progress shown (``--json``); ``started`` called when the calls are under way."""

    def __init__(self, started):
        self.started = started

    def start(self, total: int, description: str) -> None:
        self.started()

    def advance(self, *, failed: bool, cost: float | None) -> None:
        pass

    def stop(self) -> None:
        pass


def _parse_guidance(values: tuple[str, ...]) -> dict[str, str]:
    guidance = {}
    for value in values:
        key, sep, direction = value.partition("=")
        if not sep or not key or direction not in ("more", "less", "neutral"):
            fail(f"--guide {value!r}: expected FACTOR=more|less|neutral, e.g. --guide receptiveness=more")
        guidance[key.strip()] = direction.strip()
    return guidance


def _parse_price(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        a, b = (float(x) for x in value.split(","))
    except ValueError:
        fail(f"--price {value!r}: expected IN,OUT in USD per million tokens, e.g. --price 0.15,0.60")
    return a, b


def _factor_values(store, run) -> dict:
    """For a factor-measuring run: store its verdicts as factor values."""
    if run is None or run.id is None or run.kind != "factor":  # not one: the factors engine is not imported
        return {}
    from annotator.factors.llm import factor_extractor, factor_of_run, store_factor_run

    if factor_of_run(run) is None:
        return {}
    return {"factor": factor_of_run(run), "factor_values": store_factor_run(store, run),
            "extractor": factor_extractor(run)}


def _print_factor_values(stored: dict) -> None:
    if stored:
        console.print(f"factor {stored['factor']}: {stored['factor_values']:,} factor value(s) stored "
                      f"(extractor {stored['extractor']})", soft_wrap=True)


@click.command("run")
@click.option("--judge", "judge_name", required=True, help="A shipped judge name (see `annotator judge judges`) or a judge TOML file.")
@task_option("task")
@run_option("run_name", "Name of the run to make (default: the judge's name, plus @MODEL when --model differs).",
            aliases=("--name",))
@click.option("--base-url", default=None, help="OpenAI-compatible server, e.g. http://localhost:8000/v1 (default: the judge's, $OPENAI_BASE_URL, else OpenAI).")
@click.option("--model", default=None, help="Model to call instead of the judge's.")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 1000), help="Requests in flight at once.")
@click.option("--samples", default=None, type=click.IntRange(1, 100), help="Samples per pair and order (default: the judge's).")
@click.option("--orders", type=click.Choice(["both", "AB"]), default=None, help="Judge both orders (default) or the canonical order only.")
@click.option("--dry-run", is_flag=True, help="Show the number of calls and the estimated cost; send nothing.")
@click.option("--max-cost", type=float, default=None, help="Stop starting new calls once this many USD would be exceeded.")
@click.option("--reparse", is_flag=True, help="Parse the stored raw outputs again with the judge's parser; no model calls.")
@click.option("--batch", is_flag=True, help="Use the OpenAI Batch API (cheaper, slower); rerun to resume waiting.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N pairs of the task.")
@click.option("--factor", default=None, metavar="KEY", help="The factor a factor-measuring judge (factor-compare) measures; its verdicts become factor values.")
@click.option("--guide", "guide", multiple=True, metavar="FACTOR=DIR", help="Add guidance on a factor: DIR is more, less or neutral (repeatable).")
@click.option("--price", default=None, metavar="IN,OUT", help="USD per million input,output tokens (needed for cost when --model changes the model).")
@click.option("--timeout", type=float, default=None, help="Seconds per request in total: connecting, sending and reading the whole answer (default: the judge's request_timeout).")
@click.option("--poll-interval", type=float, default=30.0, show_default=True, help="Seconds between Batch API status checks.")
@json_option
@pass_cli
def run_cmd(cli: CliContext, judge_name, task, run_name, base_url, model, concurrency, samples, orders,
            dry_run, max_cost, reparse, batch, limit, factor, guide, price, timeout, poll_interval, as_json) -> None:
    """Run a judge (LLM or offline baseline) over a task's pairs, resuming where it stopped.

    Both orders by default; every judgment keeps its messages, raw output, verdict (in
    canonical order) or unscored reason, tokens, latency and cost. Finished calls are never
    repeated: rerun the same command after an interruption.
    """
    pause = _CollectionPause()
    click.get_current_context().call_on_close(pause.resume)
    from annotator.judge import (
        JudgeConfigError,
        MissingCredentials,
        RunError,
        RunOptions,
        estimate,
        load_judge,
        prepare,
        resolve_endpoint,
        run_baseline,
    )
    from annotator.judge.steps import reparse_named, run_judge
    from annotator.judge.summary import money, outcome_lines

    try:
        judge = load_judge(judge_name)
    except JudgeConfigError as e:
        fail(str(e))
    if judge.kind == "llm" and not (dry_run or reparse or batch):
        _import_soon("aiohttp")
    else:
        pause.resume()
    store = cli.open_store()
    # closed when the command ends, however it ends (copying the last of the write-ahead log
    # into the database file), not left to the interpreter's exit
    click.get_current_context().call_on_close(store.close)
    task_name = pick_task(store, task)

    if judge.kind == "baseline":
        if dry_run:
            console.print(f"{judge.name}: an offline baseline, {store.pair_count(task_name)} pairs, no calls, no cost.")
            return
        try:
            report = run_baseline(store, task_name, judge, run_name, limit)
        except RunError as e:
            fail(str(e))
        if as_json:
            print_json(report.as_dict())
        else:
            console.print(f"{report.run}: {report.scored} verdicts stored for task {task_name}.")
        return

    options = RunOptions(
        run_name=run_name, model=model, concurrency=concurrency, samples=samples, orders=orders,
        max_cost=max_cost, limit=limit, guidance=_parse_guidance(guide), price=_parse_price(price),
        timeout=timeout, poll_interval_s=poll_interval, factor=factor,
    )
    try:
        if reparse:
            run, outcome = reparse_named(store, task_name, judge, options)
            stored = _factor_values(store, run)
            if as_json:
                print_json({"run": run.name, "reparsed": dict(outcome), **stored})
            else:
                console.print(Text(f"{run.name}: re-parsed with {judge.parser}: "
                                   + ", ".join(f"{k} {v}" for k, v in outcome.most_common())))
                _print_factor_values(stored)
            return
        endpoint = resolve_endpoint(base_url, judge.base_url, judge.api_key_env, require_key=not dry_run)
        if dry_run:
            plan = estimate(prepare(store, task_name, judge, options, endpoint.url))
            if as_json:
                print_json(plan)
                return
            console.print(Text(f"run {plan['run']} on task {plan['task']}: model {plan['model']} at {plan['endpoint']}"))
            console.print(f"  {plan['planned']} judgments planned, {plan['already_done']} already done, "
                          f"{plan['from_cache']} from the cache, {plan['calls']} calls to make"
                          + (f" ({plan['shared']} identical calls made once)" if plan["shared"] else ""))
            console.print(f"  about {plan['estimated_prompt_tokens']:,} prompt tokens, at most "
                          f"{plan['max_completion_tokens']:,} completion tokens")
            if plan["estimated_cost"] is None:
                console.print(Text(f"  estimated cost: unknown ({plan['cost_note']})"))
            else:
                console.print(f"  estimated cost: at most {money(plan['estimated_cost'])} "
                              f"({money(plan['estimated_batch_cost'])} with --batch); --max-cost reserves the "
                              f"worst case, {money(plan['worst_case_cost'])}")
            return
        batch_dir = Path(cli.db_path).resolve().parent / "batches" if batch else None
        prep, report = asyncio.run(run_judge(store, task_name, judge, options, endpoint,
                                             progress=_Started(pause.resume_frozen) if as_json
                                             else RichProgress(started=pause.resume_frozen),
                                             batch_dir=batch_dir))
    except (RunError, MissingCredentials) as e:
        fail(str(e))
    except KeyboardInterrupt:
        err_console.print("interrupted: finished judgments are saved; run the same command again to resume.")
        raise SystemExit(130) from None
    stored = _factor_values(store, prep.run)
    if as_json:
        print_json({**report.as_dict(), **stored})
    else:
        _print_factor_values(stored)
        for line in outcome_lines(report):
            console.print(Text(sanitize_line(line)), soft_wrap=True)


@click.command("list")
@task_option("task", every=True)
@json_option
@pass_cli
def list_cmd(cli: CliContext, task, as_json) -> None:
    """List the judge runs in the database, with their judgments and cost."""
    store = cli.open_store()
    counts = store.run_judgment_counts()
    rows = []
    for run in store.runs(task):
        c = counts.get(run.id, {"judgments": 0, "scored": 0, "cost": None})
        rows.append({"id": run.id, "task": run.task, "name": run.name, "kind": run.kind, "model": run.model,
                     "endpoint": run.endpoint, "judgments": c["judgments"], "scored": c["scored"] or 0,
                     "cost": c["cost"], "pending_batch": run.params.get("batch", {}).get("id"),
                     "created_at": run.created_at})
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no judge runs yet (annotator judge run --judge NAME)")
        return
    from rich.table import Table  # here: `judge run` draws no table

    table = Table("id", "task", "kind", "judgments", "scored", "cost")
    table.add_column("run", overflow="fold")
    table.add_column("model", overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), Text(r["task"]), r["kind"], str(r["judgments"]), str(r["scored"]),
                      _money(r["cost"]) if r["kind"] in ("llm", "factor", "pointwise") else "-", Text(r["name"]), Text(r["model"]))
    console.print(table)


@click.command("show")
@run_argument_or_option("run", "The run to show (by name or id; or give it as the argument).")
@task_option("task", every=True)
@click.option("--judgments", "with_judgments", is_flag=True, help="Also list every judgment with its raw output.")
@json_option
@pass_cli
def show_cmd(cli: CliContext, run, task, with_judgments, as_json) -> None:
    """Show a run (by name or id): verdict counts, unscored reasons, cost, position consistency."""
    from annotator.judge import RunError
    from annotator.judge.steps import find_run
    from annotator.judge.summary import summarise

    store = cli.open_store()
    try:
        found = find_run(store, run, task)
    except RunError as e:
        fail(str(e))
    if found.kind in ("jury", "routed"):  # a definition: its verdicts are its members'
        definition = {"run": found.name, "id": found.id, "task": found.task, "kind": found.kind, **found.params}
        if as_json:
            print_json(definition)
        else:
            parts = (f"rule {found.params.get('rule')}, members {', '.join(found.params.get('members', []))}"
                     if found.kind == "jury" else
                     ", ".join(f"{d} -> {r}" for d, r in found.params.get("routes", {}).items()))
            console.print(Text(f"{found.kind} {found.name} on task {found.task}: {parts}; computed from its "
                               "members' judgments at every report (`annotator stats judges`)"))
        return
    summary = summarise(found, store.judgment_summaries(found.id))
    judgments = store.judgments(found.id) if with_judgments else []
    if as_json:
        if with_judgments:
            index = {p_id: ext for ext, (p_id, _) in store.pair_index(found.task).items()}
            summary["judgment_list"] = [
                {"pair_id": index.get(j.pair), "order": j.order, "sample": j.sample, "verdict": j.verdict,
                 "p_a": j.p_a, "unscored_reason": j.unscored_reason, "raw_output": j.raw_output,
                 "explanation": j.explanation, "messages": j.messages, "prompt_tokens": j.prompt_tokens,
                 "completion_tokens": j.completion_tokens, "latency_s": j.latency_s, "cost": j.cost}
                for j in judgments
            ]
        print_json(summary)
        return
    out = Text()
    out.append(f"run {summary['run']} (id {summary['id']}, {summary['kind']}) on task {summary['task']}\n")
    if summary["model"]:
        out.append(f"model     {summary['model']} at {summary['endpoint']}\n")
        out.append(f"template  {summary['template']} {summary['template_version']}\n")
    if summary["guidance"]:
        out.append("guidance  " + ", ".join(f"{k}={v}" for k, v in summary["guidance"].items()) + "\n")
    v = summary["verdicts"]
    if summary.get("scores"):
        out.append(f"judgments {summary['judgments']} on {summary['pairs']} pairs (pointwise)\n")
        for target, sc in summary["scores"].items():
            what = {"A": "response A", "B": "response B"}.get(target, target)
            mean = "-" if sc["mean"] is None else f"mean {sc['mean']:.2f}, range {sc['min']:g}-{sc['max']:g}"
            out.append(f"scores    {what}: {sc['scored']} scored, {mean}\n")
    else:
        out.append(f"judgments {summary['judgments']} on {summary['pairs']} pairs: A {v['A']}, B {v['B']}, tie {v['tie']}\n")
    if summary["unscored"]:
        out.append("unscored  " + ", ".join(f"{k} {n}" for k, n in sorted(summary["unscored"].items())) + "\n")
    for kind, entry in summary["failures"].items():
        out.append(f"failed    {kind} x{entry['count']}, e.g. {sanitize_line(entry['example'])[:160]}\n")
    if summary.get("to_do"):
        out.append(f"to do     {summary['to_do']:,} of {summary['planned']:,} planned judgments not finished "
                   "(missing or failed): run the same `judge run` command again\n")
    if summary["mean_p_a"] is not None:
        out.append(f"mean P(A) {summary['mean_p_a']:.3f}\n")
    if summary["kind"] in ("llm", "factor", "pointwise"):
        note = f" ({summary['cost_note']})" if summary["cost_note"] else ""
        out.append(f"cost      {_money(summary['cost'])}{note}; tokens {summary['prompt_tokens']:,} in, "
                   f"{summary['completion_tokens']:,} out\n")
        if summary["median_latency_s"] is not None:
            out.append(f"latency   median {summary['median_latency_s']:.2f} s\n")
    pos = summary["position"]
    if summary.get("scores"):
        pass  # pointwise: nothing is shown in two orders
    elif pos["consistency"] is None:
        out.append(f"position  consistency undefined: {pos['consistency_reason']}\n")
    else:
        out.append(f"position  consistency {pos['consistency']:.1%} ({pos['consistent_pairs']}/"
                   f"{pos['pairs_in_both_orders']} pairs same verdict in both orders)")
        out.append("\n")
        if pos["first_position_rate"] is not None:
            out.append(f"          first shown wins {pos['first_position_rate']:.1%} of decisive verdicts\n")
    if summary["pending_batch"]:
        out.append(f"batch     {summary['pending_batch']} pending (rerun with --batch to collect)\n")
    console.print(out)
    if with_judgments:
        index = {p_id: ext for ext, (p_id, _) in store.pair_index(found.task).items()}
        for j in judgments:
            head = Text(f"{index.get(j.pair)} {j.order} #{j.sample}: ", style="bold")
            if j.target:
                head.append(f"[{j.target}] ")
            head.append(j.verdict or (f"score {j.score:g}" if j.score is not None else f"unscored ({j.unscored_reason})"))
            head.append(f"  cost {_money(j.cost)}")
            console.print(head)
            console.print(Text(sanitize(j.raw_output, limit=2000) or "(no output)"))


@click.command("judges")
@json_option
def judges_cmd(as_json) -> None:
    """List the judges shipped with annotator (use a name with `annotator judge run --judge`)."""
    from annotator.judge import load_judge, shipped_judge_names

    rows = []
    for name in shipped_judge_names():
        j = load_judge(name)
        rows.append({"name": name, "kind": j.kind, "scope": j.scope, "model": j.model, "template": j.template or j.baseline,
                     "parser": j.parser, "both_orders": j.both_orders, "price_input": j.price_input,
                     "price_output": j.price_output, "description": j.description, "file": j.source_path})
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table()
    for column in ("judge", "kind", "model"):
        table.add_column(column, no_wrap=True)
    table.add_column("description")
    for r in rows:
        kind = r["kind"] if r["kind"] != "llm" else "pairwise" if r["scope"] == "pair" else f"pointwise: {r['scope']}"
        table.add_row(Text(r["name"]), kind, Text(r["model"] or "-"), Text(r["description"]))
    console.print(table)


@click.command("delete")
@run_argument_or_option("run", "The run to delete (by name or id; or give it as the argument).")
@task_option("task", every=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_cli
def delete_cmd(cli: CliContext, run, task, yes, as_json) -> None:
    """Delete a judge run (by name or id) and its judgments; labels are never touched."""
    from annotator.judge import RunError
    from annotator.judge.steps import composites_naming, find_run

    store = cli.open_store()
    try:
        found = find_run(store, run, task)
    except RunError as e:
        fail(str(e))
    users = composites_naming(store, found)
    if users:
        fail(f"run {found.name!r} is a member of {', '.join(u.name for u in users)} on task {found.task}: "
             "delete those first (`annotator judge delete NAME`)")
    if not yes:
        if not click.confirm(f"Delete run {sanitize_line(found.name)} of task {sanitize_line(found.task)} and its "
                             "judgments? Labels are not touched", default=False, err=True):
            fail("nothing deleted")
    deleted = store.delete_run(found.id)
    if as_json:
        print_json({"run": found.name, "task": found.task, "id": found.id, "judgments_deleted": deleted})
        return
    console.print(Text(sanitize_line(f"deleted run {found.name} of task {found.task}: {deleted:,} judgment(s)")))


@click.command("rename")
@click.argument("names", nargs=-1, metavar="[RUN] NEW")
@run_option("run", "The run to rename (by name or id; or give it as the first argument).")
@task_option("task", every=True)
@json_option
@pass_cli
def rename_cmd(cli: CliContext, names, run, task, as_json) -> None:
    """Rename a judge run (by name or id) to NEW; juries and routed agents that name it follow."""
    from annotator.judge import RunError
    from annotator.judge.steps import find_run, rename_run

    if len(names) != (1 if run else 2):
        raise click.UsageError("give the run and its new name: judge rename RUN NEW (or --run RUN NEW)")
    run, new_name = (run, names[0]) if run else names
    store = cli.open_store()
    try:
        found = find_run(store, run, task)
        updated = rename_run(store, found, new_name)
    except RunError as e:
        fail(str(e))
    if as_json:
        print_json({"run": new_name.strip(), "was": found.name, "task": found.task, "updated": updated})
        return
    console.print(Text(sanitize_line(f"run {found.name} of task {found.task} is now {new_name.strip()}"
                                     + (f"; updated {', '.join(updated)}" if updated else ""))))


@click.group("judge")
def judge_group() -> None:
    """Run LLM judges and offline baselines over a task's pairs, and inspect the runs."""


judge_group.add_command(run_cmd)
judge_group.add_command(list_cmd)
judge_group.add_command(show_cmd)
judge_group.add_command(judges_cmd)
judge_group.add_command(delete_cmd)
judge_group.add_command(rename_cmd)


def register(group: click.Group) -> None:
    group.add_command(judge_group)
