"""A task shaped like a real campaign, for the report and dashboard tests (and for looking at
the report by hand: ``python -m tests.report.report_data PATH.db``).

Three candidate models against one baseline in three domains; three annotators label every
pair (with factor answers, confidence, shown orders, times and rationales), a few pairs are
attention checks; an LLM-like judge gives verdicts in both orders with P(A), a second judge
imported without the order shown, and the offline baselines ``longest`` and ``random``.
Some text is hostile on purpose: markup, a ``<script>``, ANSI escapes and Markdown pipes in a
rationale, a model name and a run name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from annotator.judge.config import load_judge
from annotator.judge.runner import run_baseline
from annotator.store import Factor, JudgeRun, Judgment, Label, Pair, Store, Task

TASK = "campaign"
HOSTILE = "<script>alert('x')</script> **bold** | pipe | \x1b[31mred\x1b[0m [link](http://example.invalid)"
HOSTILE_MODEL = "<b>m3</b>"
DOMAINS = ("instruction", "math", "code")
MODELS = ("m1", "m2", HOSTILE_MODEL)
BASELINE = "base"
ANNOTATORS = (("alice", 0.85), ("bob", 0.75), ("carol", 0.65))
FACTORS = [
    Factor(key="length", name="Length", definition="number of words", question="Which is longer?"),
    Factor(key="helpfulness", name="Helpfulness", definition="helpful facts", question="Which helps more?"),
    Factor(key="coherence", name="Coherence", definition="one coherent body", question="Which is more coherent?"),
]
CHOICES = np.array(["A", "B", "tie"], dtype=object)


def build(store: Store, n_per_domain: int = 30, seed: int = 7) -> dict[str, int]:
    """Fill ``store`` with the task; returns pair_id -> database id."""
    rng = np.random.default_rng(seed)
    store.save_task(Task(name=TASK, title="Campaign <i>report</i> test", overlap=3, factors=list(FACTORS),
                         attention_rate=0.05, settings={"baseline": BASELINE}))
    pairs = []
    strength = {"m1": 0.65, "m2": 0.45, HOSTILE_MODEL: 0.3}
    for domain in DOMAINS:
        for i in range(n_per_domain):
            model = MODELS[i % 3]
            candidate_first = (i // 3) % 2 == 0
            len_c, len_b = int(rng.integers(300, 3000)), int(rng.integers(300, 3000))
            cand, base = "c " * (len_c // 2), "b " * (len_b // 2)
            pairs.append(Pair(
                task=TASK, pair_id=f"{domain[:4]}-{i:02d}", prompt=f"prompt {i % 12} of {domain}",
                response_a=cand if candidate_first else base, response_b=base if candidate_first else cand,
                model_a=model if candidate_first else BASELINE, model_b=BASELINE if candidate_first else model,
                domain=domain, gold=("A" if candidate_first else "B") if i in (5, 17) else None,
            ))
    store.insert_pairs(pairs)
    index = {pid: v[0] for pid, v in store.pair_index(TASK).items()}

    # the truth per pair: the candidate wins with its strength, longer answers a little more often
    truth = {}
    for p in pairs:
        cand_is_a = p.model_b == BASELINE
        model = p.model_a if cand_is_a else p.model_b
        win = rng.random() < strength[model] + (0.1 if len(p.response_a if cand_is_a else p.response_b)
                                                > len(p.response_b if cand_is_a else p.response_a) else -0.05)
        tie = rng.random() < 0.1
        truth[p.pair_id] = "tie" if tie else ("A" if win == cand_is_a else "B")
    if any(p.gold for p in pairs):
        for p in pairs:
            if p.gold:
                truth[p.pair_id] = p.gold

    labels = []
    for who, accuracy in ANNOTATORS:
        for k, p in enumerate(pairs):
            right = rng.random() < accuracy
            choice = truth[p.pair_id] if right else str(rng.choice(CHOICES))
            longer = "A" if len(p.response_a) > len(p.response_b) else "B"
            factors = {
                "length": longer if rng.random() < 0.9 else "equal",
                "helpfulness": choice if choice != "tie" and rng.random() < 0.7 else "equal",
                "coherence": str(rng.choice(["A", "B", "equal", "na"])),
            }
            rationale = ""
            if k % 7 == 0:
                rationale = f"{who}: the one I saw first is clearer on step {k}."
            if who == "carol" and k % 11 == 0:
                rationale = HOSTILE
            labels.append(Label(pair=index[p.pair_id], annotator=who, choice=choice,
                                shown_order="AB" if rng.random() < 0.5 else "BA", factors=factors,
                                confidence=int(rng.integers(1, 6)), rationale=rationale,
                                seconds=float(rng.integers(20, 200)), origin="test"))
    store.add_labels(labels)

    # an LLM-like judge in both orders with P(A); it likes the longer response
    run = store.get_or_create_run(JudgeRun(task=TASK, name="gpt-judge", kind="llm", model="gpt-x",
                                           endpoint="http://127.0.0.1:1/v1"))
    judgments = []
    for p in pairs:
        longer = "A" if len(p.response_a) > len(p.response_b) else "B"
        for order in ("AB", "BA"):
            if rng.random() < 0.7:
                verdict = truth[p.pair_id]
            elif rng.random() < 0.6:
                verdict = longer
            else:
                verdict = ("A" if order == "AB" else "B")  # position bias
            p_a = {"A": 0.8, "B": 0.2, "tie": 0.5}[verdict] + float(rng.normal(0, 0.08))
            judgments.append(Judgment(run=run.id, pair=index[p.pair_id], order=order, verdict=verdict,
                                      p_a=float(np.clip(p_a, 0.01, 0.99)), prompt_tokens=900,
                                      completion_tokens=2, latency_s=0.8, cost=0.0004,
                                      raw_output=f"[[{verdict}]]"))
    store.save_judgments(judgments)

    # an imported judge whose presented order was not recorded (position bias unknown)
    run = store.get_or_create_run(JudgeRun(task=TASK, name="imported <judge>", kind="imported"))
    store.save_judgments(
        Judgment(run=run.id, pair=index[p.pair_id], order="unknown",
                 verdict=truth[p.pair_id] if rng.random() < 0.6 else str(rng.choice(CHOICES)))
        for p in pairs
    )

    for name in ("longest", "random"):
        run_baseline(store, TASK, load_judge(name))
    return index


def main() -> None:
    path = Path(sys.argv[1])
    store = Store.open(path)
    build(store)
    store.close()
    print(f"task {TASK!r} written to {path}")


if __name__ == "__main__":
    main()
