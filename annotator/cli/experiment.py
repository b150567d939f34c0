"""``annotator experiment ...``: experiments that try to bring a judge closer to people,
measured on pairs it never learned from."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from rich.table import Table

from annotator.analysis.defaults import ORDER_RULE_TEXT
from annotator.text.sanitize import plain_text

from .context import CliContext, console, err_console, fail, pass_cli, pick_task, print_json
from .judges_report import factor_source_option
from .options import json_option, order_rule_option, output_options, task_option

DASH = "—"


@click.group()
def experiment() -> None:
    """Experiments on judges: guidance and few-shot examples, against a baseline, on held-out pairs."""


def _pct(value) -> str:
    return DASH if value is None else f"{100 * value:.1f} %"


def _num(value, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def _signed_pct(value) -> str:
    return DASH if value is None else f"{100 * value:+.1f}"


def print_experiment(result: dict) -> None:
    split = result["split"]
    console.print(plain_text(
        f"Experiment guide — task {result['task']}, judge {result['judge']}: {split['calibration']} calibration "
        f"pairs, {split['held_out']} held out ({split['share_held_out']:.0%}, seed {split['seed']}, stratified by domain)"),
        style="bold", soft_wrap=True)
    table = Table("arm", "n", "agreement", "no ties", "kappa", "factor tau_b", "same both orders", "cost",
                  "Δ agreement", "McNemar p")
    for arm in result["arms"]:
        if arm.get("reason"):
            table.add_row(arm["name"], str(arm["n"]), plain_text(f"not run: {arm['reason']}"), *[DASH] * 7)
            continue
        consistency = arm["position_consistency"]
        table.add_row(
            arm["name"], str(arm["n"]), _pct(arm["agreement"]),
            f"{_pct(arm['agreement_no_ties'])} (n={arm['n_no_ties']})", _num(arm["kappa"]),
            _num(arm["factor_alignment"]["kendall_tau_b"]),
            _pct(consistency.get("estimate")), DASH if arm["cost"] is None else f"${arm['cost']:.4f}",
            _signed_pct(arm["delta_agreement"]), _num(arm["p_value"], 3),
        )
    console.print(table)
    console.print(
        "Agreement: share of the held-out pairs whose verdict equals the human majority (a tie is a class; a pair "
        "without a verdict counts as wrong); no ties: pairs where neither is a tie; kappa: Cohen's, on pairs with a "
        "verdict; factor tau_b: Kendall tau_b between the arm's and the humans' PROFILE factor scores on the held-out "
        f"pairs (M_k from {result['calibration']['factor_source']}); McNemar: exact test of per-pair correctness "
        f"against the baseline. Judges' verdicts: order rule {result['order_rule']} "
        f"({ORDER_RULE_TEXT[result['order_rule']]}).", style="dim", soft_wrap=True, markup=False)
    cal = result["calibration"]
    for label, key in (("guide-mis", "misaligned"), ("guide-rand", "random")):
        if cal[key]:
            console.print(plain_text(f"{label}: " + ", ".join(
                f"{m['factor']}={m['direction']} (humans {m['human_score']:+.2f}"
                + (f", judge {m['judge_score']:+.2f})" if "judge_score" in m else ")") for m in cal[key])),
                soft_wrap=True)
    few = next((a for a in result["arms"] if a["name"] == "few-shot" and a.get("examples")), None)
    if few:
        console.print(plain_text(f"few-shot: {len(few['examples'])} of {cal['corrections']} correction(s) as examples "
                                 f"({', '.join(few['examples'])})"), soft_wrap=True)
    for note in result["notes"]:
        console.print(plain_text(f"note: {note}"), soft_wrap=True)
    spent = result["spent"]
    console.print(f"spent this time: ${spent:.4f}" if spent else "spent this time: $0 (every call was cached or free)")


@experiment.command("guide")
@task_option()
@click.option("--judge", "judge_name", required=True, help="A shipped pairwise judge or a judge TOML file.")
@click.option("--split", "share", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.3,
              show_default=True, help="Share of the human-labelled pairs held out (the rest is the calibration part).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split, the random factors and the examples.")
@click.option("--factors", "guide_factors", type=click.IntRange(1, 13), default=1, show_default=True,
              help="How many factors the guidance names (guide-mis; guide-rand takes as many).")
@click.option("--shots", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Few-shot examples drawn from the calibration pairs the judge got wrong.")
@click.option("--shot-chars", type=click.IntRange(100), default=2000, show_default=True,
              help="A response longer than this is cut in an example (the cut is marked).")
@factor_source_option
@click.option("--extractor", default=None, help="With --factor-source extractors: use this extractor only (e.g. rule).")
@order_rule_option
@click.option("--base-url", default=None, help="OpenAI-compatible server (default: the judge's, $OPENAI_BASE_URL, else OpenAI).")
@click.option("--model", default=None, help="Model to call instead of the judge's.")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 1000), help="Requests in flight at once.")
@click.option("--price", default=None, metavar="IN,OUT", help="USD per million input,output tokens (when --model has no known price).")
@click.option("--max-cost", type=float, default=None, help="Stop starting new calls once this many USD would be exceeded (all arms).")
@click.option("--batch", is_flag=True, help="Make the calls through the OpenAI Batch API (cheaper, slower).")
@click.option("--promote", "promote", type=click.Choice(["baseline", "guide-mis", "guide-rand", "few-shot"]),
              default=None, help="Write this arm as a judge file (--out): its guidance or few-shot examples, with "
                                 "its provenance and held-out agreement.")
@output_options("With --promote: the judge file to write, e.g. judges/NAME.toml.")
@json_option
@pass_cli
def guide_cmd(cli: CliContext, task_name, judge_name, share, seed, guide_factors, shots, shot_chars, factor_source,
              extractor, order_rule, base_url, model, concurrency, price, max_cost, batch, promote, out, force,
              as_json) -> None:
    """Baseline, guidance on the misaligned factors (guide-mis), guidance on random factors
    (guide-rand) and few-shot examples from the judge's corrections, each measured on a
    held-out part of the human-labelled pairs, with McNemar's test against the baseline."""
    from annotator.judge import JudgeConfigError, MissingCredentials, load_judge, resolve_endpoint
    from annotator.judge.experiment import ExperimentError, GuideExperiment, GuideOptions

    from .judge import RichProgress, _parse_price

    if (promote is None) != (out is None):
        fail("--promote ARM and --out FILE go together")
    if out is not None and out.exists() and not force:
        fail(f"{out} exists: pass --force to replace it")
    try:
        judge = load_judge(judge_name)
    except JudgeConfigError as e:
        fail(str(e))
    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    try:
        endpoint = resolve_endpoint(base_url, judge.base_url, judge.api_key_env)
    except MissingCredentials as e:
        fail(str(e))
    options = GuideOptions(
        split=share, seed=seed, guide_factors=guide_factors, shots=shots, shot_chars=shot_chars,
        factor_source=factor_source, extractor=extractor, order_rule=order_rule, model=model,
        concurrency=concurrency, price=_parse_price(price), max_cost=max_cost,
        batch_dir=Path(cli.db_path).resolve().parent / "batches" if batch else None,
    )
    try:
        result = asyncio.run(GuideExperiment(store, name, judge, endpoint, options,
                                             progress=None if as_json else RichProgress).run())
    except ExperimentError as e:
        fail(str(e))
    except KeyboardInterrupt:
        err_console.print("interrupted: finished calls are saved; run the same command again to resume.")
        raise SystemExit(130) from None
    promoted = (_promote(store, name, judge, result, promote, out, force, model, shot_chars, _parse_price(price))
                if promote else None)
    if as_json:
        print_json({**result, **({"promoted": promoted} if promoted else {})})
    else:
        print_experiment(result)
        if promoted:
            console.print(plain_text(f"promoted arm {promote} to {promoted['file']} (judge {promoted['judge']}): "
                                     f"run it with `annotator judge run --judge {promoted['file']}`"), soft_wrap=True)
            arm = next(a for a in result["arms"] if a["name"] == promote)
            if promote != "baseline" and not (arm.get("delta_agreement") or 0) > 0:
                console.print(plain_text(f"note: arm {promote} did not beat the baseline on the held-out pairs "
                                         f"(Δ agreement {_signed_pct(arm.get('delta_agreement'))} points, McNemar p "
                                         f"{_num(arm.get('p_value'))}); it was promoted as asked"), soft_wrap=True)


def _promote(store, task: str, judge, result: dict, arm: str, out: Path, force: bool, model, shot_chars: int,
             price) -> dict:
    """``--promote ARM --out FILE``: the arm as a judge file (annotator.judge.promote)."""
    from annotator.judge import JudgeConfigError
    from annotator.judge.promote import PromoteError, promoted_judge, write_promoted

    try:
        text = promoted_judge(store, task, judge, result, arm, out.stem, model=model, shot_chars=shot_chars,
                              price=price)
        written = write_promoted(text, out, force)
    except (PromoteError, JudgeConfigError) as e:
        fail(str(e))
    return {"arm": arm, "file": str(out), "judge": written.name, "examples": len(written.examples),
            "guidance": written.guidance}


def register(group: click.Group) -> None:
    group.add_command(experiment)


@experiment.command("improve")
@task_option()
@click.option("--model", required=True, help="The model that revises the responses.")
@click.option("--judge", "judge_model", default=None, help="The model that gives feedback (default: --model).")
@click.option("--arms", default=",".join(("plain", "factor")), show_default=True,
              help="Comma-separated arms: plain (feedback prompt alone), factor (it lists the task's factors).")
@click.option("--baseline", type=click.Choice(["existing", "generate"]), default="existing", show_default=True,
              help="The responses to improve: the task's (response A of each instruction's first pair) or --model's.")
@click.option("--base-url", default=None, help="OpenAI-compatible server (default: $OPENAI_BASE_URL, else OpenAI).")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 1000), help="Requests in flight at once.")
@click.option("--price", default=None, metavar="IN,OUT", help="USD per million input,output tokens (when the model has no known price).")
@click.option("--max-cost", type=float, default=None, help="Stop starting new calls once this many USD would be exceeded (all arms).")
@json_option
@pass_cli
def improve_cmd(cli: CliContext, task_name, model, judge_model, arms, baseline, base_url, concurrency, price, max_cost,
                as_json) -> None:
    """PROFILE F.2: the judge's feedback on each instruction's existing response, a revised
    response, the factor score of improvement (tau_14, generation setting, rule extractors) per
    factor and arm, and delta tau against the humans' factor scores."""
    from annotator.judge import MissingCredentials, resolve_endpoint
    from annotator.judge.improve import ImproveError, ImproveExperiment, ImproveOptions

    from .judge import RichProgress, _parse_price

    store = cli.open_store(create=False)
    name = pick_task(store, task_name)
    try:
        endpoint = resolve_endpoint(base_url, "", "OPENAI_API_KEY")
    except MissingCredentials as e:
        fail(str(e))
    options = ImproveOptions(model=model, judge_model=judge_model,
                             arms=tuple(a.strip() for a in arms.split(",") if a.strip()), baseline=baseline,
                             concurrency=concurrency, price=_parse_price(price), max_cost=max_cost)
    try:
        result = asyncio.run(ImproveExperiment(store, name, endpoint, options,
                                               progress=None if as_json else RichProgress).run())
    except ImproveError as e:
        fail(str(e))
    except KeyboardInterrupt:
        err_console.print("interrupted: finished calls are saved; run the same command again to resume.")
        raise SystemExit(130) from None
    if as_json:
        print_json(result)
        return
    console.print(plain_text(f"Experiment improve — task {result['task']}, feedback by {result['judge']}, revised by "
                             f"{result['model']} (baseline: "
                             + ("the task's existing responses" if result["baseline"] == "existing"
                                else f"{result['model']}'s responses") + ")"), style="bold", soft_wrap=True)
    table = Table("arm", "revised", *[f"{f} tau_14" for f in result["factors"]], "Δτ vs humans", "cost")
    for arm in result["arms"]:
        dt = arm["delta_tau"]["humans"]
        table.add_row(arm["name"], f"{arm['revised']}/{arm['instructions']}",
                      *[_num(arm["improvement"][f]["score"]) for f in result["factors"]],
                      _num(dt["kendall_tau_b"]), f"${arm['cost']:.4f}")
    console.print(table)
    for arm in result["arms"]:
        dt = arm["delta_tau"]["humans"]
        if dt["kendall_tau_b"] is None:
            console.print(plain_text(f"{arm['name']}: Δτ vs humans undefined: {dt.get('undefined_reason', '')}"),
                          soft_wrap=True)
    console.print("tau_14 of improvement: the revised response is preferred over the baseline; C, D, T count "
                  "M_k(revised, baseline) = +1, -1, 0 (rule extractors). Δτ: Kendall tau_b between these scores and "
                  "the humans' evaluation-setting factor scores (needs three factors).", style="dim", soft_wrap=True,
                  markup=False)
