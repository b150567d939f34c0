"""LLM factor extraction: a factor-measuring judge run becomes factor values.

``annotator judge run --judge factor-compare --factor KEY`` asks a model, for every pair and
in both orders, which response shows MORE of one factor ([[A]], [[B]], or [[C]] for equal).
The run (kind "factor") keeps every call, its cost and cache like any judge run; this module
turns its verdicts into ``FactorValue`` rows with the extractor ``llm:<model>``:

* both orders give the same answer: that response ("A" / "B"), or "equal" for [[C]];
* the answer flips when the responses are swapped: "equal" (no difference the model can
  tell apart from its position bias);
* one order only: that order's answer.

Pairs without a scored verdict get no value. ``value_a`` / ``value_b`` hold the soft verdict
P(A) and 1 - P(A) when the model gave logprobs, else they are empty.

A *pointwise* judge (scope "response", e.g. a lab's own extractor prompt) run with
``--factor KEY`` scores each response: ``value_a`` / ``value_b`` are the mean scores of A and
B (over samples), and M_k is the response with the larger value ("equal" when they are the
same); pairs missing either score get no value. Its extractor is ``pointwise:<run name>``.
"""

from __future__ import annotations

from annotator.store import FactorValue, JudgeRun, Store


def factor_of_run(run: JudgeRun) -> str | None:
    """The factor a run measured, or None for a judge run of another kind."""
    return run.params.get("factor") if run.kind == "factor" else None


def is_pointwise_run(run: JudgeRun) -> bool:
    return bool(run.params.get("fingerprint", {}).get("scope"))


def factor_extractor(run: JudgeRun) -> str:
    """The extractor name a factor-measuring run's values are stored under."""
    return f"pointwise:{run.name}" if is_pointwise_run(run) else f"llm:{run.model}"


def _store_pointwise(store: Store, run: JudgeRun, factor: str) -> int:
    from .rules import manifestation

    scores = store.scores_frame(run.task, include_factor_runs=True)
    scores = scores[(scores["run"] == run.id) & scores["score"].notna() & scores["target"].isin(["A", "B"])]
    means = scores.groupby(["pair", "target"])["score"].mean()
    values = []
    for pair in sorted({int(p) for p, _ in means.index}):
        a, b = means.get((pair, "A")), means.get((pair, "B"))
        if a is None or b is None:
            continue
        values.append(FactorValue(pair=pair, factor=factor, extractor=factor_extractor(run), value_a=float(a),
                                  value_b=float(b), manifestation=manifestation(float(a), float(b))))
    return store.save_factor_values(values)


def store_factor_run(store: Store, run: JudgeRun) -> int:
    """Write (or replace) the factor values of a factor-measuring run; returns how many."""
    from annotator.analysis.verdicts import judge_verdicts

    factor = factor_of_run(run)
    if factor is None:
        raise ValueError(f"run {run.name!r} does not measure a factor")
    if is_pointwise_run(run):
        return _store_pointwise(store, run, factor)
    judgments = store.judgments_frame(run.task, include_factor_runs=True)
    judgments = judgments[judgments["run"] == run.id]
    # a factor answer that changes with the order shown counts as "equal" (MT-Bench's rule);
    # a pair without any scored answer gets no factor value
    verdicts = judge_verdicts(judgments, "mt-bench")
    verdicts = verdicts[verdicts["verdict"].notna()]
    soft = judgments[judgments["p_a"].notna()].groupby("pair")["p_a"].mean()
    values = []
    for pair, verdict in zip(verdicts["pair"], verdicts["verdict"]):
        p_a = soft.get(pair)
        values.append(FactorValue(
            pair=int(pair), factor=factor, extractor=f"llm:{run.model}",
            value_a=None if p_a is None else float(p_a), value_b=None if p_a is None else 1 - float(p_a),
            manifestation="equal" if verdict == "tie" else verdict,
        ))
    return store.save_factor_values(values)
