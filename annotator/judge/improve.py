"""``annotator experiment improve``: PROFILE appendix F.2, feedback-driven improvement.

For every distinct instruction of a task:

1. **Baseline** r_init: the task's existing response (response A of the instruction's first
   pair, in the task's order; no call), or with ``baseline="generate"`` the model's response
   (judge ``profile-respond``, run ``improve-baseline:<model>``, one call per instruction).
2. **Feedback** from the judge model (judge ``profile-feedback``, scope "prompt": one call per
   instruction and arm), in one of two arms: ``plain`` (the feedback prompt alone) or
   ``factor`` (the prompt lists the task's checklist factors, or PROFILE's 13 when the task has
   none, as aspects to consider).
3. **Revision** r_post by the model (judge ``profile-revise``): the instruction, r_init and
   the feedback. Every call goes through the judge runner: cached, priced, budgeted
   (``max_cost`` over the whole experiment) and resumable. Runs are of kind "generation"
   (not scorers of the task), named ``improve-feedback:<arm>:<judge>`` and
   ``improve-revise:<arm>:<model>``.
4. **Factor score of improvement** (F.2.2, eq. 1): r_post is the preferred response of each
   (r_post, r_init) pair; M_k(r_post, r_init) from the rule extractors (offline: Length, and
   Novel Words where the pair has a source); tau_14 = (|C| - |D|) / (|C| + |D| + |T|), the
   generation setting (a tied manifestation counts in T).
5. **Delta tau** (F.2.2): Kendall's tau_b between the arm's improvement scores and the humans'
   evaluation-setting factor scores on the task (same factors, same rule extractor), through
   ``analysis.factor_alignment.alignment``: undefined (null, with the reason) below three
   factors scored by both, which is always the case offline with the two rule factors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotator.analysis.agents import human_majority
from annotator.analysis.factor_alignment import alignment, factor_score
from annotator.analysis.factor_report import agent_scores, factor_values_frame, manifestation_table
from annotator.analysis.report import to_json
from annotator.factors import rules
from annotator.factors.extract import extract_rule_factors
from annotator.store import Pair, Store
from annotator.tasks.profile import PROFILE_FACTORS

from .config import load_judge
from .credentials import Endpoint
from .parsers import parse
from .planning import RunOptions, RunReport
from .runner import RunError
from .steps import run_judge

ARMS = ("plain", "factor")
FEEDBACK_JUDGE = "profile-feedback"
REVISE_JUDGE = "profile-revise"
RESPOND_JUDGE = "profile-respond"
BASELINES = ("existing", "generate")
SIGN = {"A": 1, "B": -1, "equal": 0}  # A = r_post, B = r_init


class ImproveError(RuntimeError):
    """An improvement experiment that cannot go on; the message says why and what to do."""


@dataclass
class ImproveOptions:
    model: str
    judge_model: str | None = None  # the evaluator giving feedback (default: the model)
    arms: tuple[str, ...] = ARMS
    baseline: str = "existing"  # or "generate" (BASELINES)
    concurrency: int = 16
    price: tuple[float, float] | None = None
    max_cost: float | None = None


def instruction_key(pair: Pair) -> str:
    return hashlib.sha256(f"{pair.prompt}\x00{pair.source}".encode()).hexdigest()[:12]


def improvement_scores(baseline: dict[str, str], revised: dict[str, str], sources: dict[str, str],
                       factors=rules.RULE_FACTORS) -> dict[str, dict[str, Any]]:
    """tau_14 of improvement per factor: M_k(r_post, r_init) over the instructions with both."""
    out = {}
    for factor in factors:
        signs = []
        for key in sorted(set(baseline) & set(revised)):
            m = rules.extract(factor, revised[key], baseline[key], sources.get(key, "")).manifestation
            signs.append(None if m is None else SIGN[m])
        out[factor] = factor_score([1] * len(signs), signs, "generation").as_dict()
    return out


def delta_tau(improvement: dict[str, dict[str, Any]], other: dict[str, float | None]) -> dict[str, Any]:
    """Kendall's tau_b between the improvement scores and another agent's factor scores."""
    keys = sorted(improvement)
    nan = float("nan")
    a = np.array([nan if improvement[k]["score"] is None else improvement[k]["score"] for k in keys], dtype=float)
    b = np.array([nan if other.get(k) is None else other[k] for k in keys], dtype=float)
    return alignment(a, b).as_dict()


def _factor_list(task) -> str:
    factors = task.factors or list(PROFILE_FACTORS.values())
    return "\n".join(f"- {f.name}: {f.definition}" for f in factors)


class ImproveExperiment:
    def __init__(self, store: Store, task: str, endpoint: Endpoint, options: ImproveOptions, progress=None):
        unknown = [a for a in options.arms if a not in ARMS]
        if unknown:
            raise ImproveError(f"unknown arm(s) {', '.join(unknown)}: the arms are {', '.join(ARMS)}")
        if options.baseline not in BASELINES:
            raise ImproveError(f"baseline must be one of {', '.join(BASELINES)}")
        self.store, self.task_name, self.endpoint, self.o = store, task, endpoint, options
        self.task = store.require_task(task)
        self.progress = progress or (lambda: None)
        self.reports: list[RunReport] = []

    async def _run(self, judge_name: str, run_name: str, model: str, arm: str, values) -> dict[str, str]:
        """One step for every instruction; instruction key -> the answer text."""
        judge = load_judge(judge_name)
        spent = sum(r.spent for r in self.reports)
        options = RunOptions(run_name=run_name, model=model, concurrency=self.o.concurrency, price=self.o.price,
                             max_cost=None if self.o.max_cost is None else max(self.o.max_cost - spent, 0.0),
                             kind="generation", values=values,
                             params={"experiment": {"kind": "improve", "arm": arm}})
        try:
            prep, report = await run_judge(self.store, self.task_name, judge, options, self.endpoint,
                                           progress=self.progress())
        except RunError as e:
            raise ImproveError(str(e)) from e
        self.reports.append(report)
        failed = sum(n for reason, n in report.unscored.items() if reason.startswith("error"))
        if failed or report.stopped or report.not_started:
            raise ImproveError(f"run {run_name!r}: {failed} call(s) failed, {report.not_started} not started "
                               f"({report.stopped or 'see the server'}); run the same command again to resume "
                               "(finished calls are kept), or raise --max-cost")
        pairs = {p.id: p for p in self.store.pairs(self.task_name)}
        out: dict[str, str] = {}
        for j in self.store.judgments(prep.run.stored_id):
            pair = pairs.get(j.pair)
            if pair is not None:
                result = parse(judge.parser, j.raw_output)
                if result.items:
                    out.setdefault(instruction_key(pair), result.items[0])
        return out

    async def run(self) -> dict[str, Any]:
        o = self.o
        judge_model = o.judge_model or o.model
        baseline: dict[str, str] = {}
        sources: dict[str, str] = {}
        for pair in self.store.pairs(self.task_name):
            key = instruction_key(pair)
            sources.setdefault(key, pair.source)
            if key not in baseline and pair.response_a.strip():
                baseline[key] = pair.response_a
        if o.baseline == "generate":
            baseline = await self._run(RESPOND_JUDGE, f"improve-baseline:{o.model}", o.model, "baseline", None)
        if not baseline:
            raise ImproveError(f"task {self.task_name} has no instruction with a response to improve")
        human = self._human_scores()
        factors = _factor_list(self.task)
        arms = []
        for arm in o.arms:
            listed = factors if arm == "factor" else ""
            feedback = await self._run(
                FEEDBACK_JUDGE, f"improve-feedback:{arm}:{judge_model}", judge_model, arm,
                lambda pair, target, listed=listed: (
                    {"baseline": baseline[k], "factor_list": listed} if (k := instruction_key(pair)) in baseline
                    else None))
            revised = await self._run(
                REVISE_JUDGE, f"improve-revise:{arm}:{o.model}", o.model, arm,
                lambda pair, target, feedback=feedback: (
                    {"baseline": baseline[k], "feedback": feedback[k]} if (k := instruction_key(pair)) in feedback
                    else None))
            scores = improvement_scores(baseline, revised, sources)
            arms.append({
                "name": arm, "instructions": len(baseline), "feedback": len(feedback), "revised": len(revised),
                "improvement": scores,
                "delta_tau": {"humans": delta_tau(scores, human["scores"]) if human["scores"] else
                              {"kendall_tau_b": None, "undefined_reason": human["reason"]}},
                "runs": {"feedback": f"improve-feedback:{arm}:{judge_model}",
                         "revise": f"improve-revise:{arm}:{o.model}"},
                "cost": self.reports[-2].spent + self.reports[-1].spent,
            })
        return to_json({"task": self.task_name, "model": o.model, "judge": judge_model, "baseline": o.baseline,
                        "factors": list(rules.RULE_FACTORS), "extractor": "rule", "setting": "generation",
                        "human_scores": human, "arms": arms, "spent": sum(r.spent for r in self.reports)})

    def _human_scores(self) -> dict[str, Any]:
        """The humans' evaluation-setting factor scores on the task (rule extractor)."""
        labels = self.store.labels_frame(self.task_name)
        majority = human_majority(labels, self.task.choices).dropna()
        if majority.empty:
            return {"scores": {}, "reason": "no pair of the task has a human majority"}
        extract_rule_factors(self.store, self.task_name, list(rules.RULE_FACTORS))
        table = manifestation_table("extractors", labels, factor_values_frame(self.store, self.task_name),
                                    list(rules.RULE_FACTORS), "rule")
        found = agent_scores(majority, table, "evaluation")
        return {"scores": {k: v["score"] for k, v in found.items()}, "pairs": len(majority)}
