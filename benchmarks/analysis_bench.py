"""Benchmark: the whole ``annotator stats agreement`` on 20,000 pairs x 5 annotators x 5 factors.

Builds a temporary database (not timed), then times, as medians over ``--repeats`` runs:

* ``load_s``: reading the labels and judgments frames from the store;
* ``report_s``: the full report with ``--bootstrap`` resamples (default 200), from the store;
* ``report_no_bootstrap_s``: the same without intervals (what the bootstrap adds);
* ``cli_s``: ``annotator stats agreement --json`` end to end through click's runner;
* the vectorised bootstrap of Krippendorff's alpha against a baseline that calls the
  ``krippendorff`` package once per resample (``alpha_speedup``).

Target: ``report_s`` under 10 s on the project's 2-core machine.

``--leaderboard``: instead, the leaderboard of 50 models x 805 instructions against one
baseline, judged by 2 judges (soft preferences, like AlpacaEval's), with the Bradley-Terry
bootstrap (``--bootstrap``, default 200): ``leaderboard_s`` is the median over
``--repeats`` of ``task_leaderboard`` from the store (joint LC fits, win rates, ratings,
rank correlation), against ``read_s``, reading the same rows with pandas alone
(``pd.read_sql`` of the judgments joined with their pairs). Target: under 10 s.

The last line printed is one JSON object with every figure.

    .venv/bin/python benchmarks/analysis_bench.py [--pairs 20000] [--bootstrap 200]
    .venv/bin/python benchmarks/analysis_bench.py --leaderboard [--models 50] [--instructions 805]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.analysis import agreement  # noqa: E402
from annotator.analysis.bootstrap import Resampler  # noqa: E402
from annotator.analysis.ratings import ratings_from_frame  # noqa: E402
from annotator.analysis.report import task_agreement_report  # noqa: E402
from annotator.store import Factor, JudgeRun, Judgment, Label, Pair, Store, Task  # noqa: E402

FACTOR_KEYS = ["receptiveness", "helpfulness", "misinformation", "coherence", "length"]
CHOICES = np.array(["A", "B", "tie"], dtype=object)
ANSWERS = np.array(["A", "B", "equal"], dtype=object)


def build(path: Path, n_pairs: int, n_annotators: int, seed: int) -> None:
    """A task whose annotators agree with a hidden truth 60-90 % of the time."""
    rng = np.random.default_rng(seed)
    store = Store.open(path)
    store.save_task(Task(
        name="bench", title="Benchmark", overlap=n_annotators,
        factors=[Factor(key=k, name=k.title(), definition=k, question=k) for k in FACTOR_KEYS],
    ))
    domains = np.array(["instruction", "math", "code"], dtype=object)
    store.insert_pairs(
        Pair(task="bench", pair_id=f"p{i}", prompt=f"prompt {i}", response_a="a" * 400,
             response_b="b" * 300, domain=domains[i % 3], gold=("A" if i % 50 == 0 else None))
        for i in range(n_pairs)
    )
    index = store.pair_index("bench")
    ids = np.array([index[f"p{i}"][0] for i in range(n_pairs)])
    truth = rng.choice(3, size=n_pairs, p=[0.45, 0.4, 0.15])
    factor_truth = rng.choice(3, size=(n_pairs, len(FACTOR_KEYS)), p=[0.4, 0.4, 0.2])
    labels = []
    for a in range(n_annotators):
        accuracy = 0.6 + 0.3 * a / max(n_annotators - 1, 1)
        right = rng.random(n_pairs) < accuracy
        choice = np.where(right, truth, rng.integers(0, 3, n_pairs))
        f_right = rng.random((n_pairs, len(FACTOR_KEYS))) < accuracy
        factors = np.where(f_right, factor_truth, rng.integers(0, 3, (n_pairs, len(FACTOR_KEYS))))
        orders = np.where(rng.random(n_pairs) < 0.5, "AB", "BA")
        seconds = rng.gamma(4, 15, n_pairs)
        for i in range(n_pairs):
            labels.append(Label(
                pair=int(ids[i]), annotator=f"annotator{a + 1}", choice=CHOICES[choice[i]],
                shown_order=orders[i], seconds=float(seconds[i]), origin="bench",
                factors={k: ANSWERS[factors[i, j]] for j, k in enumerate(FACTOR_KEYS)},
            ))
    # one transaction per annotator keeps memory flat
    for a in range(n_annotators):
        store.add_labels(labels[a * n_pairs:(a + 1) * n_pairs])
    run = store.get_or_create_run(JudgeRun(task="bench", name="judge", kind="imported"))
    judge_right = rng.random((2, n_pairs)) < 0.8
    verdicts = np.where(judge_right, truth, rng.integers(0, 3, (2, n_pairs)))
    store.save_judgments(
        Judgment(run=run.id, pair=int(ids[i]), order=order, verdict=CHOICES[verdicts[o, i]])
        for o, order in enumerate(("AB", "BA")) for i in range(n_pairs)
    )
    store.close()


def build_leaderboard(path: Path, n_models: int, n_instructions: int, seed: int) -> None:
    """Models of increasing quality and varying verbosity against one baseline on the same
    instructions; two judges with soft preferences (one length-biased)."""
    rng = np.random.default_rng(seed)
    store = Store.open(path)
    store.save_task(Task(name="lb", title="Leaderboard", settings={"baseline": "baseline"}))
    quality = np.linspace(-3, 1, n_models)
    verbosity = rng.normal(0, 0.5, n_models)
    difficulty = rng.normal(0, 1, n_instructions)
    base_len = rng.integers(800, 3000, n_instructions)
    pairs = []
    for m in range(n_models):
        for i in range(n_instructions):
            length = int(base_len[i] * np.exp(verbosity[m] + rng.normal(0, 0.3)))
            pairs.append(Pair(task="lb", pair_id=f"m{m}/i{i}", prompt=f"instruction {i}", response_a="x" * length,
                              response_b="y" * int(base_len[i]), model_a=f"model{m}", model_b="baseline"))
    store.insert_pairs(pairs)
    index = store.pair_index("lb")
    judgments = []
    for name, length_weight in (("judge-a", 0.3), ("judge-b", 1.0)):
        run = store.get_or_create_run(JudgeRun(task="lb", name=name, kind="imported"))
        for m in range(n_models):
            for i in range(n_instructions):
                pair = pairs[m * n_instructions + i]
                d = np.tanh((len(pair.response_a) - len(pair.response_b)) / 1000)
                p_a = float(1 / (1 + np.exp(-(quality[m] - difficulty[i] + length_weight * d))))
                judgments.append(Judgment(run=run.id, pair=index[pair.pair_id][0], order="unknown", p_a=p_a,
                                          verdict="A" if p_a > 0.5 else "B" if p_a < 0.5 else "tie"))
    store.save_judgments(judgments)
    store.close()


def leaderboard_main(args) -> None:
    import pandas as pd

    from annotator.analysis.leaderboard import task_leaderboard

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lb.db"
        start = time.perf_counter()
        build_leaderboard(path, args.models, args.instructions, args.seed)
        build_s = time.perf_counter() - start
        print(f"built {args.models} models x {args.instructions} instructions x 2 judges in {build_s:.1f} s")
        store = Store.open(path)

        def read():
            with sqlite3.connect(path) as conn:
                return pd.read_sql('SELECT j.run, j.pair, j."order", j.verdict, j.p_a, p.model_a, p.model_b, '
                                   "p.domain, LENGTH(p.response_a) AS len_a, LENGTH(p.response_b) AS len_b, p.prompt "
                                   "FROM judgments j JOIN pairs p ON p.id = j.pair", conn)

        read_s, rows = timed(read, args.repeats)
        board_s, board = timed(lambda: task_leaderboard(store, "lb", bootstrap=args.bootstrap, seed=1), args.repeats)
        cpu_start = time.process_time()
        task_leaderboard(store, "lb", bootstrap=args.bootstrap, seed=1)
        board_cpu_s = time.process_time() - cpu_start  # what a busy shared machine distorts least
        store.close()
    figures = {
        "models": args.models, "instructions": args.instructions, "judges": 2, "judgments": int(len(rows)),
        "bootstrap": args.bootstrap, "repeats": args.repeats, "build_s": round(build_s, 1),
        "read_s": round(read_s, 3), "leaderboard_s": round(board_s, 3), "leaderboard_cpu_s": round(board_cpu_s, 3),
        "ratio_to_read": round(board_s / read_s, 1), "rows": len(board.rows),
        "target_s": 10.0, "within_target": board_s < 10.0,
    }
    print(f"pandas read of the same rows  {read_s:7.3f} s")
    print(f"leaderboard ({args.bootstrap} BT resamples) {board_s:7.3f} s wall, {board_cpu_s:.3f} s CPU  "
          f"({figures['ratio_to_read']}x the read; target < 10 s)")
    print(json.dumps(figures))


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--annotators", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--leaderboard", action="store_true", help="time the leaderboard instead")
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--instructions", type=int, default=805)
    args = parser.parse_args()
    if args.leaderboard:
        leaderboard_main(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        build(path, args.pairs, args.annotators, args.seed)
        build_s = time.perf_counter() - start
        print(f"built {args.pairs:,} pairs x {args.annotators} annotators x {len(FACTOR_KEYS)} factors "
              f"+ a judge in both orders in {build_s:.1f} s")

        store = Store.open(path)
        task_agreement_report(store, "bench", resamples=10)  # warm-up: lazy imports, caches
        load_s, (labels, _) = timed(lambda: (store.labels_frame("bench"), store.judgments_frame("bench")),
                                    args.repeats)
        report_s, report = timed(
            lambda: task_agreement_report(store, "bench", resamples=args.bootstrap, seed=1), args.repeats
        )
        plain_s, _ = timed(lambda: task_agreement_report(store, "bench", resamples=0), args.repeats)

        from click.testing import CliRunner

        from annotator.cli import main as cli

        def run_cli():
            result = CliRunner().invoke(cli, ["--db", str(path), "stats", "agreement", "--task", "bench",
                                              "--json", "--bootstrap", str(args.bootstrap)])
            assert result.exit_code == 0, result.output
            return result

        cli_s, _ = timed(run_cli, args.repeats)

        # the bootstrap of alpha: vectorised versus one library call per resample
        import krippendorff

        ratings = ratings_from_frame(labels, "choice", ("A", "B", "tie"))
        counts = ratings.counts()
        resampler = Resampler(ratings.n_units, args.bootstrap, seed=1)
        _ = resampler.weights  # drawn once in both variants; not part of either timing
        vector_s, _ = timed(
            lambda: resampler.replicate(agreement.alpha_contributions(counts), agreement.alpha_from_sums),
            args.repeats,
        )
        weights = resampler.weights.astype(int)

        def per_resample():
            return [krippendorff.alpha(value_counts=np.repeat(counts, w, axis=0), value_domain=[0, 1, 2],
                                       level_of_measurement="nominal") for w in weights]

        baseline_s, _ = timed(per_resample, 1)
        store.close()

    figures = {
        "pairs": args.pairs,
        "annotators": args.annotators,
        "factors": len(FACTOR_KEYS),
        "labels": int(len(labels)),
        "bootstrap": args.bootstrap,
        "repeats": args.repeats,
        "build_s": round(build_s, 2),
        "load_s": round(load_s, 3),
        "report_s": round(report_s, 3),
        "report_no_bootstrap_s": round(plain_s, 3),
        "bootstrap_overhead_s": round(report_s - plain_s, 3),
        "cli_s": round(cli_s, 3),
        "alpha_bootstrap_vectorised_s": round(vector_s, 4),
        "alpha_bootstrap_per_resample_s": round(baseline_s, 3),
        "alpha_speedup": round(baseline_s / vector_s, 1),
        "target_s": 10.0,
        "within_target": report_s < 10.0 and cli_s < 10.0,
        "alpha": report.overall.krippendorff_alpha.value,
        "alpha_ci": [report.overall.krippendorff_alpha.ci_low, report.overall.krippendorff_alpha.ci_high],
    }
    print(f"load frames            {load_s:7.3f} s")
    print(f"report, {args.bootstrap} resamples  {report_s:7.3f} s (target < 10 s)")
    print(f"report, no bootstrap   {plain_s:7.3f} s")
    print(f"CLI --json end to end  {cli_s:7.3f} s")
    print(f"alpha bootstrap: vectorised {vector_s:.4f} s vs per-resample library {baseline_s:.3f} s "
          f"({figures['alpha_speedup']}x)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
