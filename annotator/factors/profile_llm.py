"""PROFILE's LLM extractors (appendix D.2), as the paper defines each factor.

Every call goes through the judge runner (cache, cost, resume), one run per step, each run
of kind "factor" named ``<judge>@<model>``. The factor values are stored with the extractor
``profile:paper:<model>`` (the paper's prompts, the default) or ``profile:<model>`` (the
tool's own prompts, ``prompts="tool"``; the name earlier versions stored). ``few_shot`` fills
each prompt's ``{FEW SHOT}`` slot (``{examples}``): text per factor key, ``facts`` for the
atomic-fact step; the paper does not print its examples, so the slot is empty by default.

1. **Atomic facts.** ``profile-facts`` breaks each response into atomic facts; they are
   stored per response and extractor (``atomic_facts``). ``profile-source-facts`` does the
   same for the source document, for Source Coverage.
2. **Fact-based factors**, a ratio or a count per response, then M_k by comparing A and B:

   - Number of Facts: the number of atomic facts;
   - Off Focus: the share of the facts not related to the main focus of the input;
   - Hallucination: the share of the facts incorrect against the source (needs a source);
   - Helpfulness: the share of the facts that give additional helpful information;
   - Misinformation: the share of the facts with potentially incorrect or misleading
     information;
   - Source Coverage: the share of the *source's* facts that the response states.

   A labelling judge answers yes / no for every numbered fact (``fact_labels``); an answer
   whose count of labels differs from the count of facts is unscored ("unparseable: 3
   labels for 4 facts"), never padded. A response without any fact has no ratio: the pair
   gets no value for that factor (a ratio of nothing is undefined, not 0).
3. **Judged per response**: Receptiveness, Intent Alignment and Formality Alignment are
   yes / no questions (1 / 0); Fluency and Coherence are LLM ratings from 1 to 5. PROFILE
   scores Fluency and Coherence with UniEval, a T5 model whose weights cannot be fetched or
   run offline here; the LLM rating is the substitute (documented in docs/factors.md).
   Several samples of one response are averaged.

M_k: the response with the larger value shows the factor more ("A" / "B"), equal values are
"equal" (``rules.manifestation``, no tolerance). Length and Novel Words are rules
(``annotator.factors.rules``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import fmean

from annotator.judge.config import load_judge
from annotator.judge.credentials import Endpoint
from annotator.judge.parsers import parse
from annotator.judge.runner import Progress, RunOptions, RunReport
from annotator.judge.steps import run_judge
from annotator.store import AtomicFacts, FactLabels, FactorValue, Pair, Store

from .names import (  # noqa: F401
    COUNT_FACTORS,
    DEFAULT_PROMPTS,
    FACT_LABEL_JUDGES,
    LLM_FACTORS,
    NEEDS_SOURCE,
    PROMPT_SETS,
    RESPONSE_JUDGES,
)
from .rules import manifestation

FACTS_JUDGE = "profile-facts"
SOURCE_FACTS_JUDGE = "profile-source-facts"
# factor key -> the judge that labels each atomic fact for it


def extractor_name(model: str, prompts: str = "tool") -> str:
    return f"profile:{model}" if prompts == "tool" else f"profile:{prompts}:{model}"


def numbered(facts: list[str]) -> str:
    """The ``{facts}`` placeholder: one fact a line, numbered from 1."""
    return "\n".join(f"{i}. {fact}" for i, fact in enumerate(facts, start=1))


@dataclass
class ExtractionReport:
    extractor: str
    values: dict[str, int] = field(default_factory=dict)  # factor -> pairs with a value
    missing: dict[str, dict[str, int]] = field(default_factory=dict)  # factor -> reason -> pairs
    runs: list[RunReport] = field(default_factory=list)

    @property
    def spent(self) -> float:
        return sum(r.spent for r in self.runs)

    @property
    def cost_unknown(self) -> bool:
        return any(r.cost_unknown for r in self.runs)

    def as_dict(self) -> dict:
        return {"extractor": self.extractor, "values": self.values, "missing": self.missing,
                "spent": None if self.cost_unknown else self.spent, "runs": [r.as_dict() for r in self.runs]}


class Extraction:
    """The steps of one PROFILE extraction over a task (see the module docstring)."""

    def __init__(self, store: Store, task: str, endpoint: Endpoint, *, model: str | None = None,
                 concurrency: int = 16, price: tuple[float, float] | None = None, max_cost: float | None = None,
                 progress: Callable[[], Progress] | None = None, prompts: str = DEFAULT_PROMPTS,
                 few_shot: dict[str, str] | None = None):
        if prompts not in PROMPT_SETS:
            raise KeyError(f"prompts must be one of {', '.join(PROMPT_SETS)}, found {prompts!r}")
        self.store, self.task, self.endpoint = store, task, endpoint
        self.prompts = prompts
        self.facts_judge, self.source_facts_judge, self.label_judges, self.response_judges = PROMPT_SETS[prompts]
        self.few_shot = dict(few_shot or {})
        self.model = model or load_judge(self.facts_judge).model
        self.concurrency, self.price, self.max_cost = concurrency, price, max_cost
        self.progress = progress or (lambda: None)
        self.extractor = extractor_name(self.model, prompts)
        self.report = ExtractionReport(self.extractor)
        self.pairs: dict[int, Pair] = {p.id: p for p in store.pairs(task)}

    def _options(self, judge_name: str, params: dict, **kw) -> RunOptions:
        budget = None if self.max_cost is None else max(self.max_cost - self.report.spent, 0.0)
        return RunOptions(run_name=f"{judge_name}@{self.model}", model=self.model, concurrency=self.concurrency,
                          price=self.price, max_cost=budget, kind="factor",
                          params={"extractor": self.extractor, **params}, **kw)

    async def _run(self, judge_name: str, params: dict, **kw):
        judge = load_judge(judge_name)
        prep, report = await run_judge(self.store, self.task, judge, self._options(judge_name, params, **kw),
                                       self.endpoint, progress=self.progress())
        self.report.runs.append(report)
        return prep.run, judge

    async def facts(self, target_kind: str = "response") -> dict[tuple[int, str], list[str]]:
        """Decompose every response (or source) into atomic facts; store and return them."""
        name = self.facts_judge if target_kind == "response" else self.source_facts_judge
        shots = self.few_shot.get("facts", "")
        run, judge = await self._run(name, {"step": "atomic facts"}, values=lambda pair, target: {"examples": shots})
        found: dict[tuple[int, str], list[str]] = {}
        stored = []
        for j in self.store.judgments(run.id):
            if j.score is None:
                continue
            facts = list(parse(judge.parser, j.raw_output).items)
            found[(j.pair, j.target)] = facts
            stored.append(AtomicFacts(pair=j.pair, target=j.target, extractor=self.extractor, facts=facts, run=run.id))
        self.store.save_atomic_facts(stored)
        return found

    async def label_facts(self, factor: str, facts: dict[tuple[int, str], list[str]]) -> dict[tuple[int, str], float]:
        """One yes / no per fact for ``factor``; returns (pair, response) -> share of yes."""
        source = factor == "source_coverage"

        def values(pair: Pair, target: str) -> dict[str, str] | None:
            key = (pair.id, "source") if source else (pair.id, target)
            listed = facts.get(key)
            if not listed:
                return None
            return {"source_facts" if source else "facts": numbered(listed), "examples": self.few_shot.get(factor, "")}

        run, judge = await self._run(self.label_judges[factor], {"profile_factor": factor}, values=values)
        shares: dict[tuple[int, str], float] = {}
        labels, broken = [], []
        for j in self.store.judgments(run.id):
            if j.score is None:
                continue
            expected = facts.get((j.pair, "source") if source else (j.pair, j.target), [])
            got = list(parse(judge.parser, j.raw_output).items)
            if len(got) != len(expected):
                j.score, j.unscored_reason = None, f"unparseable: {len(got)} labels for {len(expected)} facts"
                broken.append(j)
                continue
            labels.append(FactLabels(pair=j.pair, target=j.target, factor=factor, extractor=self.extractor,
                                     labels=got, run=run.id))
            shares[(j.pair, j.target)] = sum(got) / len(got)
        if broken:
            self.store.save_judgments(broken)
        self.store.save_fact_labels(labels)
        return shares

    async def score_responses(self, factor: str) -> dict[tuple[int, str], float]:
        """Yes / no or a rating per response; several samples are averaged."""
        shots = self.few_shot.get(factor, "")
        run, _ = await self._run(self.response_judges[factor], {"profile_factor": factor},
                                 values=lambda pair, target: {"examples": shots})
        scores: dict[tuple[int, str], list[float]] = defaultdict(list)
        for j in self.store.judgments(run.id):
            if j.score is not None:
                scores[(j.pair, j.target)].append(j.score)
        return {key: fmean(values) for key, values in scores.items()}

    def save(self, factor: str, per_response: dict[tuple[int, str], float]) -> None:
        """Factor values from per-response values; pairs missing either side are counted."""
        values, missing = [], defaultdict(int)
        for pair in self.pairs.values():
            if factor in NEEDS_SOURCE and not pair.source.strip():
                missing["no source document"] += 1
                continue
            a, b = per_response.get((pair.id, "A")), per_response.get((pair.id, "B"))
            if a is None or b is None:
                missing["no value for one or both responses (no facts, or unscored)"] += 1
                continue
            values.append(FactorValue(pair=pair.id, factor=factor, extractor=self.extractor, value_a=a,
                                      value_b=b, manifestation=manifestation(a, b)))
        self.store.save_factor_values(values)
        self.report.values[factor] = len(values)
        if missing:
            self.report.missing[factor] = dict(missing)

    async def run(self, factors: list[str]) -> ExtractionReport:
        unknown = [f for f in factors if f not in LLM_FACTORS]
        if unknown:
            raise KeyError(f"no PROFILE LLM extractor for {', '.join(unknown)} (extractors exist for "
                           f"{', '.join(LLM_FACTORS)}; Length and Novel Words are rules)")
        facts: dict[tuple[int, str], list[str]] = {}
        if any(f in COUNT_FACTORS or (f in FACT_LABEL_JUDGES and f != "source_coverage") for f in factors):
            facts = await self.facts("response")
        if "source_coverage" in factors:
            facts.update(await self.facts("source"))
        for factor in factors:
            if factor in COUNT_FACTORS:
                self.save(factor, {key: float(len(v)) for key, v in facts.items() if key[1] in ("A", "B")})
            elif factor in FACT_LABEL_JUDGES:
                self.save(factor, await self.label_facts(factor, facts))
            else:
                self.save(factor, await self.score_responses(factor))
        return self.report
