"""``annotator generate``: PROFILE's generation side (responses at each score level)."""

from __future__ import annotations

import asyncio

import click

from annotator.text.sanitize import sanitize_line

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json
from .options import json_option, task_option


@click.command("generate")
@task_option()
@click.option("--model", required=True, help="The model that writes the responses.")
@click.option("--score-levels", "levels", default="1-5", show_default=True, metavar="LOW-HIGH",
              help="The score levels to write a response at, e.g. 1-5.")
@click.option("--into", default=None, metavar="TASK", help="The task the responses are stored in (default: TASK-gen).")
@click.option("--base-url", default=None, help="OpenAI-compatible server (default: $OPENAI_BASE_URL, else OpenAI).")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 1000), help="Requests in flight at once.")
@click.option("--price", default=None, metavar="IN,OUT", help="USD per million input,output tokens (when --model has no known price).")
@click.option("--max-cost", type=float, default=None, help="Stop starting new calls once this many USD would be exceeded.")
@json_option
@pass_cli
def generate_cmd(cli: CliContext, task_name: str | None, model: str, levels: str, into: str | None,
                 base_url: str | None, concurrency: int, price: str | None, max_cost: float | None,
                 as_json: bool) -> None:
    """PROFILE's generation setting: MODEL writes a response at each score level for every
    instruction of the task (one call per instruction, through the judge runner: cached,
    priced, resumable); the responses become pairs of a new task, and the levels the
    generator's preference (`stats factors --task TASK-gen`, generation setting)."""
    from annotator.judge import MissingCredentials, RunError, resolve_endpoint
    from annotator.judge.config import load_judge
    from annotator.judge.generation import GENERATE_JUDGE, generate
    from annotator.judge.parsers import score_range

    from .judge import RichProgress, _parse_price

    try:
        score_range(levels)
    except ValueError as e:
        fail(f"--score-levels: {e}")
    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    judge = load_judge(GENERATE_JUDGE)
    try:
        endpoint = resolve_endpoint(base_url, judge.base_url, judge.api_key_env)
        report = asyncio.run(generate(store, name, model, endpoint, levels=levels, into=into, concurrency=concurrency,
                                      price=_parse_price(price), max_cost=max_cost,
                                      progress=None if as_json else RichProgress()))
    except (RunError, MissingCredentials) as e:
        fail(str(e))
    except KeyboardInterrupt:
        err_console.print("interrupted: finished calls are saved; run the same command again to resume.")
        raise SystemExit(130) from None
    if as_json:
        print_json(report.as_dict())
        return
    run = report.run
    console.print(sanitize_line(f"{report.model} on task {report.task}: {run.requested} call(s) made, "
                                f"{run.already_done + run.from_cache} from earlier runs or the cache; "
                                f"{report.instructions} instruction(s) with a response at every level {report.levels}"),
                  markup=False, soft_wrap=True)
    for reason, n in report.unscored.items():
        console.print(sanitize_line(f"  no responses: {reason} x{n}"), markup=False)
    console.print(sanitize_line(f"task {report.into}: {report.pairs_added} pair(s) added, {report.pairs_total} in all; "
                                f"the generator's preference is run generator:{report.model}"), markup=False,
                  soft_wrap=True)


def register(group: click.Group) -> None:
    group.add_command(generate_cmd)
