"""PROFILE's generation side (section 4, appendix E.1.1): a model writes a response at each
score level for every instruction of a task; the responses become the candidates of a new
task, and the model's own levels become its preference (the generation setting of tau_14).

1. One call per distinct instruction (judge ``profile-generate``, scope "prompt", so pairs
   that share an instruction share the call) through the judge runner: cached, priced,
   budgeted (``max_cost``) and resumable. The run (kind "generation") is named
   ``generate:<model>`` on the source task; the parser ``score-levels:LOW-HIGH`` reads the
   "SCORE N RESPONSE:" blocks, and an answer missing a level is unscored with the reason.
2. The responses are stored as pairs of a new task (default ``<task>-gen``; the source task's
   description and factor checklist copied): for each instruction, every two levels i < j
   make a pair (A the level-i response, B the level-j one; models ``<model>@score<i>``).
   Pairs already there are kept, so a rerun adds what is new.
3. A pointwise run ``generator:<model>`` on the new task holds each response's level as its
   score: ``stats factors`` takes it as an agent of the generation setting (its preference is
   the higher level), beside factor values from ``factors extract`` on the new task.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

from annotator.store import JudgeRun, Judgment, Pair, Store, Task

from .config import load_judge
from .credentials import Endpoint
from .parsers import parse, score_range
from .planning import RunOptions, RunReport
from .steps import run_judge

GENERATE_JUDGE = "profile-generate"


@dataclass
class GenerationReport:
    task: str
    into: str
    model: str
    levels: str
    run: RunReport
    instructions: int = 0  # instructions with a response at every level
    unscored: dict[str, int] = field(default_factory=dict)  # why other instructions have none
    pairs_added: int = 0
    pairs_total: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "into": self.into, "model": self.model, "levels": self.levels,
                "instructions": self.instructions, "unscored": self.unscored, "pairs_added": self.pairs_added,
                "pairs_total": self.pairs_total, "run": self.run.as_dict()}


def _instruction_id(prompt: str, source: str) -> str:
    return hashlib.sha256(f"{prompt}\x00{source}".encode()).hexdigest()[:12]


def _level_values(levels: str):
    low, high = score_range(levels)
    text = ", ".join(str(v) for v in range(low, high + 1))
    return lambda pair, target: {"score_levels": text}


async def generate(store: Store, task: str, model: str, endpoint: Endpoint, *, levels: str = "1-5",
                   into: str | None = None, concurrency: int = 16, price: tuple[float, float] | None = None,
                   max_cost: float | None = None, progress=None) -> GenerationReport:
    low, high = score_range(levels)
    source = store.require_task(task)
    judge = replace(load_judge(GENERATE_JUDGE), parser=f"score-levels:{levels}")
    options = RunOptions(run_name=f"generate:{model}", model=model, concurrency=concurrency, price=price,
                         max_cost=max_cost, kind="generation", values=_level_values(levels),
                         params={"generation": {"levels": levels, "into": into or f"{task}-gen"}})
    prep, run_report = await run_judge(store, task, judge, options, endpoint, progress=progress)
    into = into or f"{task}-gen"
    report = GenerationReport(task, into, model, levels, run_report)

    pairs = {p.id: p for p in store.pairs(task)}
    responses: dict[str, tuple[Pair, tuple[str, ...]]] = {}
    for j in store.judgments(prep.run.stored_id):
        pair = pairs.get(j.pair)
        if pair is None:
            continue
        key = _instruction_id(pair.prompt, pair.source)
        if key in responses:
            continue
        result = parse(judge.parser, j.raw_output)
        if result.items:
            responses[key] = (pair, tuple(result.items))
        else:
            reason = j.unscored_reason or result.unscored_reason or "unparseable"
            report.unscored[reason] = report.unscored.get(reason, 0) + 1
    report.instructions = len(responses)

    if store.get_task(into) is None:
        store.save_task(Task(name=into, title=f"{source.title or task}: {model} at score levels {levels}",
                             guidelines=source.guidelines, allow_tie=source.allow_tie, factors=source.factors))
    existing = {p.pair_id for p in store.pairs(into)}
    new = []
    for key, (pair, texts) in sorted(responses.items()):
        for i, k in combinations(range(low, high + 1), 2):
            pair_id = f"{key}:{model}:s{i}-s{k}"
            if pair_id in existing:
                continue
            new.append(Pair(task=into, pair_id=pair_id, prompt=pair.prompt, source=pair.source,
                            response_a=texts[i - low], response_b=texts[k - low], model_a=f"{model}@score{i}",
                            model_b=f"{model}@score{k}", domain=pair.domain,
                            metadata={"generated_by": model, "levels": [i, k], "from_pair": pair.pair_id},
                            content_hash=pair_id))
    if new:
        store.insert_pairs(new)
    report.pairs_added = len(new)
    stored = list(store.pairs(into))
    report.pairs_total = len(stored)

    run = store.get_run(into, f"generator:{model}") or store.get_or_create_run(JudgeRun(
        task=into, name=f"generator:{model}", kind="pointwise", model=model, endpoint=endpoint.url,
        template=GENERATE_JUDGE, params={"generated_from": {"task": task, "run": prep.run.name, "levels": levels}}))
    have = {(s[0], s[3]) for s in store.judgment_slots(run.stored_id)} if run.id else set()
    scores = []
    for p in stored:
        if p.metadata.get("generated_by") != model:
            continue
        for target, level in zip(("A", "B"), p.metadata.get("levels", [])):
            if (p.stored_id, target) not in have:
                scores.append(Judgment(run=run.stored_id, pair=p.stored_id, target=target, score=float(level),
                                       explanation=f"written at score level {level}"))
    if scores:
        store.save_judgments(scores)
    return report
