"""``annotator experiment guide``: does a judge get closer to people with guidance or with
examples, measured on pairs it never learned from?

1. The human-labelled pairs are split into a calibration part and a held-out part
   (``analysis.experiment.split_pairs``: seeded, stratified by domain).
2. The **baseline** judge runs on every labelled pair (one run, named as ``judge run``
   names it, so earlier calls are reused).
3. On the calibration part only: the factors where the judge is most misaligned with the
   humans (PROFILE section 4.4), as many random other factors (the paper's control), and
   the pairs where the judge's verdict differs from the human majority (its corrections,
   some of which become few-shot examples).
4. Three more arms run on the held-out part only: **guide-mis** (guidance on the
   misaligned factors), **guide-rand** (guidance on the random factors) and **few-shot**
   (the corrections as examples). Every call goes through the judge runner: cache, cost,
   budget, resume, and the Batch API with ``batch_dir``.
5. Every arm is measured on the held-out pairs (``analysis.experiment``): agreement with
   and without ties, kappa, factor-level alignment, position consistency, cost, and the
   change against the baseline with McNemar's test.

An arm that cannot be built (no factor score on the calibration pairs, no other factor to
draw at random, no correction to learn from) is reported with its reason, never guessed.
Each arm's run records its prompt version (the template's plus a digest of the guidance or
examples), so reports can tell a judge's prompt versions apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from annotator.analysis.agents import human_majority
from annotator.analysis.defaults import DEFAULT_FACTOR_SOURCE, FACTOR_SOURCES
from annotator.analysis.experiment import (
    ArmResult,
    arm_result,
    mcnemar_p,
    misaligned_factors,
    random_factors,
    split_pairs,
)
from annotator.analysis.factor_alignment import alignment
from annotator.analysis.factor_report import agent_scores, factor_values_frame, manifestation_table
from annotator.analysis.report import to_json
from annotator.analysis.verdicts import DEFAULT_ORDER_RULE, consistency, judge_verdicts
from annotator.store.models import Pair, Task
from annotator.store.protocol import JudgeStore

from .config import JudgeConfig
from .credentials import Endpoint
from .fewshot import DEFAULT_MAX_CHARS, VERDICT_TEXT, Example, render_examples
from .parsers import split_spec
from .runner import RunError, RunOptions, RunReport, default_run_name
from .steps import run_judge

ARMS = ("baseline", "guide-mis", "guide-rand", "few-shot")
MIN_LABELLED = 4


class ExperimentError(RuntimeError):
    """An experiment that cannot start; the message says why and what to do."""


@dataclass
class GuideOptions:
    split: float = 0.3  # share of the labelled pairs held out
    seed: int = 0
    guide_factors: int = 1  # factors in the guidance of guide-mis (and of guide-rand)
    shots: int = 3  # few-shot examples
    shot_chars: int = DEFAULT_MAX_CHARS  # a longer response in an example is cut
    factor_source: str = DEFAULT_FACTOR_SOURCE  # where M_k comes from (``defaults.FACTOR_SOURCES``)
    extractor: str | None = None  # force one extractor for M_k
    order_rule: str = DEFAULT_ORDER_RULE
    model: str | None = None
    concurrency: int = 16
    price: tuple[float, float] | None = None
    max_cost: float | None = None
    batch_dir: Path | None = None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


class GuideExperiment:
    def __init__(self, store: JudgeStore, task: str, judge: JudgeConfig, endpoint: Endpoint, options: GuideOptions,
                 progress=None):
        if judge.kind != "llm" or judge.pointwise:
            raise ExperimentError(f"judge {judge.name} is not a pairwise LLM judge: the experiment needs one")
        if options.factor_source not in FACTOR_SOURCES:
            raise ExperimentError(f"--factor-source must be one of {', '.join(FACTOR_SOURCES)}")
        self.store, self.task_name, self.judge, self.endpoint, self.o = store, task, judge, endpoint, options
        found = store.get_task(task)
        if found is None:
            raise ExperimentError(f"no task named {task!r}")
        self.task: Task = found
        self.progress = progress or (lambda: None)
        self.reports: list[RunReport] = []
        self.notes: list[str] = []

    # -- running ---------------------------------------------------------------------------
    def _run_options(self, pair_ids, arm: str, **kw) -> RunOptions:
        spent = sum(r.spent for r in self.reports)
        return RunOptions(
            model=self.o.model, concurrency=self.o.concurrency, price=self.o.price, pair_ids=frozenset(pair_ids),
            max_cost=None if self.o.max_cost is None else max(self.o.max_cost - spent, 0.0),
            params={"experiment": {"kind": "guide", "arm": arm, "split": self.o.split, "seed": self.o.seed}}, **kw,
        )

    async def _run(self, options: RunOptions) -> str:
        try:
            prep, report = await run_judge(self.store, self.task_name, self.judge, options, self.endpoint,
                                           progress=self.progress(), batch_dir=self.o.batch_dir)
        except RunError as e:
            raise ExperimentError(str(e)) from e
        self.reports.append(report)
        failed = sum(n for reason, n in report.unscored.items() if reason.startswith("error"))
        if failed:
            first = next((j.unscored_reason for j in self.store.judgments(prep.run.stored_id)
                          if j.failed), "")
            raise ExperimentError(
                f"{failed} call(s) of run {prep.run.name!r} failed ({first[:200]}); the experiment needs every "
                "call answered: check the server and run the same command again (finished calls are kept)")
        if report.stopped or report.not_started:
            raise ExperimentError(
                f"run {prep.run.name!r} stopped ({report.stopped or 'interrupted'}; {report.not_started} calls not "
                "started): raise --max-cost or run the same command again to resume")
        return prep.run.name

    def _stored_pair(self, pair: int) -> Pair:
        found = self.store.get_pair(pair)
        if found is None:
            raise ExperimentError(f"pair {pair} is no longer in the database")
        return found

    # -- calibration -----------------------------------------------------------------------
    def _factor_table(self, labels: pd.DataFrame) -> pd.DataFrame:
        keys = [f.key for f in self.task.factors]
        return manifestation_table(self.o.factor_source, labels, factor_values_frame(self.store, self.task_name), keys,
                                   self.o.extractor)

    def _verdicts(self, frame: pd.DataFrame, run_name: str, pairs) -> pd.DataFrame:
        rows = frame[(frame["run_name"] == run_name) & frame["pair"].isin(pairs)]
        return judge_verdicts(rows, self.o.order_rule)

    @staticmethod
    def _scores(prefs: pd.Series, table: pd.DataFrame) -> dict[str, float | None]:
        return {k: v["score"] for k, v in agent_scores(prefs, table, "evaluation").items()}

    # -- the whole experiment ----------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        o = self.o
        labels = self.store.labels_frame(self.task_name)
        majority = human_majority(labels, self.task.choices).dropna()
        if len(majority) < MIN_LABELLED:
            raise ExperimentError(f"task {self.task_name} has {len(majority)} pair(s) with a human majority; "
                                  f"the experiment needs at least {MIN_LABELLED} (label more pairs first)")
        pairs = self.store.pairs_frame(self.task_name).set_index("pair")
        calibration, held_out = split_pairs(pairs.loc[majority.index, "domain"], o.split, o.seed)
        if not calibration or not held_out:
            raise ExperimentError(f"--split {o.split} leaves an empty part ({len(calibration)} calibration, "
                                  f"{len(held_out)} held out pairs)")
        base_options = self._run_options(list(majority.index), "baseline")
        baseline = await self._run(base_options)

        frame = self.store.judgments_frame(self.task_name)
        cal_verdicts = self._verdicts(frame, baseline, calibration).set_index("pair")["verdict"]
        table = self._factor_table(labels)
        cal_table = table[table.index.isin(calibration)]
        human_cal = self._scores(majority[majority.index.isin(calibration)], cal_table)
        judge_cal = self._scores(cal_verdicts, cal_table)
        mis = misaligned_factors(human_cal, judge_cal, o.guide_factors)
        rand = random_factors(human_cal, [m["factor"] for m in mis], o.guide_factors, o.seed)
        wrong = [p for p in calibration if pd.isna(cal_verdicts.get(p)) or cal_verdicts.get(p) != majority[p]]
        rng = np.random.default_rng([o.seed, 11])
        chosen = sorted(wrong[i] for i in rng.permutation(len(wrong))[: o.shots]) if wrong else []
        examples_text, left_out = render_examples(
            [Example(self._stored_pair(p), str(majority[p])) for p in chosen], self.judge.parser, o.shot_chars)
        if left_out:
            self.notes.append(f"{left_out} correction(s) with a human tie left out of the examples: judge "
                              f"{self.judge.name}'s answer format has no tie")

        arms: dict[str, dict[str, Any]] = {"baseline": {"run": baseline}}
        for arm, picked in (("guide-mis", mis), ("guide-rand", rand)):
            if not picked:
                arms[arm] = {"reason": "no factor with a score for both the humans and the judge on the calibration "
                                       "pairs (run `annotator factors extract`, or pass --factor-source checklist)"
                             if arm == "guide-mis" or not mis else
                             "no other factor with a human score to draw at random"}
                continue
            guidance = {m["factor"]: m["direction"] for m in picked}
            options = self._run_options(held_out, arm, guidance=guidance)
            arms[arm] = {"run": await self._run(options), "guidance": picked}
        if examples_text:
            name = default_run_name(self.judge, RunOptions(model=o.model)) + f"+fewshot-{_digest(examples_text)}"
            options = self._run_options(held_out, "few-shot", examples=examples_text, run_name=name)
            shown = VERDICT_TEXT[split_spec(self.judge.parser)[0]]
            arms["few-shot"] = {"run": await self._run(options),
                                "examples": [self._stored_pair(p).pair_id for p in chosen if majority[p] in shown],
                                "example_answers": {self._stored_pair(p).pair_id: str(majority[p])
                                                    for p in chosen if majority[p] in shown}}
        else:
            arms["few-shot"] = {"reason": "the judge agreed with the human majority on every calibration pair: "
                                          "no correction to learn from" if not wrong else
                                          "no correction the judge's answer format can show"}
        return self._measure(arms, majority, calibration, held_out, table, baseline, len(wrong), mis, rand)

    def _measure(self, arms, majority, calibration, held_out, table, baseline, corrections, mis, rand) -> dict:
        frame = self.store.judgments_frame(self.task_name)
        runs = {r.name: r for r in self.store.runs(self.task_name)}
        pair_ids = self.store.pairs_frame(self.task_name).set_index("pair")["pair_id"]
        held = majority[majority.index.isin(held_out)]
        held_table = table[table.index.isin(held_out)]
        human_scores = self._scores(held, held_table)
        keys = list(table.columns)
        results: list[dict[str, Any]] = []
        base: ArmResult | None = None
        for name in ARMS:
            info = arms[name]
            entry: dict[str, Any] = {"name": name, "n": len(held)}
            if "run" not in info:
                entry.update({"agreement": None, "agreement_no_ties": None, "kappa": None, "delta_agreement": None,
                              "p_value": None, "cost": None, "reason": info["reason"]})
                results.append(entry)
                continue
            verdicts = self._verdicts(frame, info["run"], held_out)
            result = arm_result(verdicts.set_index("pair")["verdict"], held)
            rows = frame[(frame["run_name"] == info["run"]) & frame["pair"].isin(held_out)]
            cost = rows["cost"].sum(min_count=1)
            scores = self._scores(verdicts.set_index("pair")["verdict"], held_table)
            al = alignment(np.array([np.nan if human_scores[k] is None else human_scores[k] for k in keys], dtype=float),
                           np.array([np.nan if scores[k] is None else scores[k] for k in keys], dtype=float))
            entry.update({
                "agreement": result.agreement, "agreement_no_ties": result.agreement_no_ties,
                "kappa": result.kappa.value if result.kappa.defined else None,
                "delta_agreement": None, "p_value": None,
                "cost": None if pd.isna(cost) else float(cost),
                "run": info["run"], "prompt_version": runs[info["run"]].template_version if info["run"] in runs else None,
                "n_no_ties": result.n_no_ties, "no_verdict": result.no_verdict,
                "kappa_detail": result.kappa, "position_consistency": consistency(verdicts),
                "factor_alignment": al.as_dict(),
                **({"guidance": info["guidance"]} if "guidance" in info else {}),
                **({"examples": info["examples"], "example_answers": info["example_answers"]}
                   if "examples" in info else {}),
            })
            if name == "baseline":
                base = result
            elif base is not None:  # compared with the baseline (the first arm)
                p, b, c = mcnemar_p(base.correct, result.correct)
                delta = (None if result.agreement is None or base.agreement is None
                         else result.agreement - base.agreement)  # no held-out pair: no agreement
                entry.update({"delta_agreement": delta, "p_value": p,
                              "mcnemar": {"baseline_only_correct": b, "arm_only_correct": c}})
            results.append(entry)
        spent_calibration = frame[(frame["run_name"] == baseline) & frame["pair"].isin(calibration)]["cost"].sum(min_count=1)
        return to_json({
            "task": self.task_name,
            "judge": self.judge.name,
            "split": {"calibration": len(calibration), "held_out": len(held_out), "share_held_out": self.o.split,
                      "seed": self.o.seed, "stratified_by": "domain",
                      "calibration_pairs": sorted(str(pair_ids[p]) for p in calibration)},
            "arms": results,
            "calibration": {"misaligned": mis, "random": rand, "corrections": corrections,
                            "cost": None if pd.isna(spent_calibration) else float(spent_calibration),
                            "factor_source": self.o.factor_source},
            "order_rule": self.o.order_rule,
            "notes": self.notes,
            "spent": sum(r.spent for r in self.reports),
        })
