"""Benchmark: `annotator stats agreement` and `annotator stats judges` end to end, as a user
runs them (a fresh process with the command's defaults), on a 100,000-pair task with two
labels a pair and one judge in both orders, and on a 1,000-pair task of the same shape.

Each command is run ``--repeats`` times as a subprocess; the figures are the median wall
time and the peak resident memory of the child process (``resource.getrusage``). The
baseline, measured in the same run: ``annotator --help`` (the process start-up and imports
every command pays; it does not read the database) and reading the same label rows with
pandas alone (``pd.read_sql`` of the labels joined with their pairs), which is the floor of
any report built from them.

Targets (judge-validation issue): at 100,000 pairs both commands under 6 s and 500 MB; at
1,000 pairs under 1.5 s. Issue 22: the read they share (``Store.labels_frame``) within 1.5x
of pandas reading the same columns (``read_path``), and each command's CPU time against the
columnar read (pyarrow's ADBC read of the same rows), with the floor beneath it measured
alone (``floor``: start-up imports, the read, the judgments' read, the bootstrap's seeded
draws; the rest is the statistics and the printing). The last line printed is one JSON object with every figure and the machine's
load average.

    .venv/bin/python benchmarks/stats_scale_bench.py [--pairs 100000] [--small 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.store import JudgeRun, Judgment, Label, Pair, Store, Task  # noqa: E402

CHOICES = np.array(["A", "B", "tie"], dtype=object)


def build(path: Path, n_pairs: int, seed: int = 0) -> None:
    """n_pairs pairs (3 domains), annotators a1..a4 each labelling half of the pairs so that
    every pair has two labels, and one judge in both orders."""
    rng = np.random.default_rng(seed)
    store = Store.open(path)
    store.save_task(Task(name="big", title="Scale", overlap=2))
    domains = np.array(["instruction", "math", "code"], dtype=object)
    lengths = rng.integers(200, 3000, size=(n_pairs, 2))
    store.insert_pairs(
        Pair(task="big", pair_id=f"p{i}", prompt=f"prompt {i % 5000}", response_a="a" * int(lengths[i, 0]),
             response_b="b" * int(lengths[i, 1]), model_a=f"model{i % 7}", model_b="baseline",
             domain=domains[i % 3])
        for i in range(n_pairs)
    )
    index = store.pair_index("big")
    ids = np.array([index[f"p{i}"][0] for i in range(n_pairs)])
    truth = rng.choice(3, size=n_pairs, p=[0.45, 0.4, 0.15])
    for first, second in (("a1", "a2"), ("a3", "a4")):
        half = slice(0, n_pairs // 2) if first == "a1" else slice(n_pairs // 2, n_pairs)
        labels = []
        for who, accuracy in ((first, 0.8), (second, 0.7)):
            right = rng.random(n_pairs) < accuracy
            choice = np.where(right, truth, rng.integers(0, 3, n_pairs))
            orders = np.where(rng.random(n_pairs) < 0.5, "AB", "BA")
            for i in range(n_pairs)[half]:
                labels.append(Label(pair=int(ids[i]), annotator=who, choice=CHOICES[choice[i]],
                                    shown_order=orders[i], seconds=30.0, origin="bench"))
        store.add_labels(labels)
    run = store.get_or_create_run(JudgeRun(task="big", name="judge", kind="imported"))
    verdicts = np.where(rng.random((2, n_pairs)) < 0.8, truth, rng.integers(0, 3, (2, n_pairs)))
    store.save_judgments(
        Judgment(run=run.id, pair=int(ids[i]), order=order, verdict=CHOICES[verdicts[o, i]])
        for o, order in enumerate(("AB", "BA")) for i in range(n_pairs)
    )
    store.close()


def run_child(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command in a fresh process."""
    code = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
            "w = time.perf_counter() - t; u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(json.dumps([w, u.ru_maxrss / 1024, u.ru_utime + u.ru_stime, p.returncode, p.stderr.decode()[-500:]]))")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    wall, rss, cpu, rc, err = json.loads(out.stdout)
    if rc != 0:
        raise RuntimeError(f"{args} failed: {err}")
    return wall, rss, cpu


def measure(args: list[str], repeats: int) -> dict:
    """Median wall and CPU seconds (CPU time is what a loaded shared machine distorts least)
    and the largest peak RSS over the repeats."""
    runs = [run_child(args) for _ in range(repeats)]
    return {"median_s": round(statistics.median(w for w, _, _ in runs), 3),
            "median_cpu_s": round(statistics.median(c for _, _, c in runs), 3),
            "peak_mb": round(max(r for _, r, _ in runs), 1)}


def pandas_read(path: Path) -> float:
    import pandas as pd

    start = time.perf_counter()
    with sqlite3.connect(path) as conn:
        pd.read_sql("SELECT l.pair, l.annotator, l.choice, p.domain FROM current_labels l "
                    "JOIN pairs p ON p.id = l.pair", conn)
    return time.perf_counter() - start


READ_SQL = (
    "SELECT l.id, l.pair, l.annotator, l.choice, l.shown_order, l.factors, l.seconds FROM labels l WHERE l.task = ?",
    "SELECT id, pair_id, domain, gold, LENGTH(response_a), LENGTH(response_b) FROM pairs WHERE task = ?",
)
# The judgments both commands read beside the labels (``Store.judgments_frame(lean=True)``'s query).
JUDGMENTS_SQL = (
    'SELECT j.run, r.name AS run_name, r.kind, j.pair, j."order", j.sample, j.verdict, j.p_a, j.unscored_reason, '
    "j.status, j.latency_s, j.cost FROM judgments j JOIN judge_runs r ON r.id = j.run "
    "WHERE r.task = ? AND (? OR r.kind != 'factor') AND j.target = '' ORDER BY j.run, j.pair, j.\"order\", j.sample"
)


def read_path(path: Path, repeats: int) -> dict:
    """The statistics' read (``Store.labels_frame(lean=True)``, what `stats agreement` and
    `stats judges` load) against reading the same rows without the store: with pandas alone
    (``pd.read_sql`` of the label and pair columns it needs) and with pyarrow alone (the ADBC
    SQLite driver's ``fetch_arrow_table`` of the same two queries, the columnar floor):
    median CPU seconds in this process (issue 22: <= 1.5x). ``pyarrow_adbc_judgments_cpu_s``:
    pyarrow's read of the judgments the commands read beside them (``JUDGMENTS_SQL``), the
    rest of the rows they need."""
    import adbc_driver_sqlite.dbapi as adbc
    import pandas as pd

    store = Store.open(path)
    task = store.tasks()[0].name

    def ours():
        store.labels_frame(task, lean=True)

    def pandas():
        for sql in READ_SQL:
            pd.read_sql(sql, store.db.conn, params=[task])

    def arrow():
        with adbc.connect(f"file:{path}?mode=ro") as conn, conn.cursor() as cursor:
            for sql in READ_SQL:
                cursor.execute(sql, [task])
                cursor.fetch_arrow_table()

    def arrow_judgments():
        with adbc.connect(f"file:{path}?mode=ro") as conn, conn.cursor() as cursor:
            cursor.execute(JUDGMENTS_SQL, [task, False])
            cursor.fetch_arrow_table()

    figures = {f"{name}_cpu_s": median_cpu(work, repeats)
               for name, work in (("labels_frame", ours), ("pandas_read_sql", pandas), ("pyarrow_adbc", arrow),
                                  ("pyarrow_adbc_judgments", arrow_judgments))}
    figures["ratio"] = round(figures["labels_frame_cpu_s"] / figures["pandas_read_sql_cpu_s"], 2)
    figures["ratio_to_pyarrow"] = round(figures["labels_frame_cpu_s"] / figures["pyarrow_adbc_cpu_s"], 2)
    figures["target"] = 1.5
    store.close()
    return figures


def median_cpu(work, repeats: int) -> float:
    """Median CPU seconds of ``repeats`` calls of ``work`` in this process."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return round(statistics.median(times), 3)

# What both commands load before any work: the command line and its `stats` commands alone (as
# `annotator stats agreement` loads them: SUBCOMMAND_AREAS), the engines, the driver through its
# low-level API and pyarrow (as Store.arrow reads), and scipy.special (the exact binomial
# p-values and Dawid-Skene's logsumexp the outputs print).
IMPORTS = ("import annotator.cli, annotator.cli.stats, annotator.store, annotator.analysis.report, "
           "annotator.analysis.judge_human, adbc_driver_manager, adbc_driver_sqlite, pyarrow, scipy.special")


def floor(exe_python: str, path: Path, repeats: int) -> dict:
    """Where a command's CPU time goes beside the work proper, each measured alone (median CPU
    seconds): ``interpreter`` (``python -c pass``), ``imports`` (a fresh process importing what
    both commands load, ``IMPORTS``, interpreter included), ``bootstrap`` (the seeded draws of the
    default resamples over the task's pairs, counted per group as ``Resampler`` does) and
    ``draws`` (the generator's draws alone: the same random stream cannot cost less)."""
    from annotator.analysis.bootstrap import Resampler
    from annotator.analysis.defaults import auto_resamples

    figures = {"interpreter_cpu_s": measure([exe_python, "-c", "pass"], repeats)["median_cpu_s"],
               "imports_cpu_s": measure([exe_python, "-c", IMPORTS], repeats)["median_cpu_s"]}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        units = conn.execute("SELECT COUNT(DISTINCT pair) FROM labels").fetchone()[0]
    resamples = auto_resamples(units)

    def bootstrap():
        resampler = Resampler(units, resamples, seed=0)
        resampler.group_units(np.arange(units) % 6)
        resampler._counts_per_group()

    def draws():
        rng = np.random.default_rng(0)
        step = max(1, min(64, 4_000_000 // max(units, 1)))
        for start in range(0, resamples, step):
            rng.integers(0, units, size=(min(step, resamples - start), units), dtype=np.int64)

    figures.update({f"{name}_cpu_s": median_cpu(work, repeats) for name, work in (("bootstrap", bootstrap), ("draws", draws))})
    figures["units"], figures["resamples"] = units, resamples
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reuse", default="", help="a database path pattern with {n} to reuse instead of building")
    parser.add_argument("--command", default="", help="The annotator command line to time (default: the installed "
                        "one), e.g. another build's to compare before and after in the same conditions.")
    args = parser.parse_args()
    exe = shlex.split(args.command) if args.command else [str(Path(sys.executable).with_name("annotator"))]
    figures: dict = {"pairs": args.pairs, "small": args.small, "repeats": args.repeats,
                     "load_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        figures["startup"] = measure([*exe, "--help"], args.repeats)
        print(f"start-up (annotator --help): {figures['startup']['median_s']:.2f} s wall, "
              f"{figures['startup']['median_cpu_s']:.2f} s CPU")
        for label, n in (("large", args.pairs), ("small", args.small)):
            path = Path(tmp) / f"{label}.db"
            start = time.perf_counter()
            if args.reuse and Path(args.reuse.format(n=n)).exists():
                path = Path(args.reuse.format(n=n))
            else:
                build(path, n)
            print(f"built {n:,} pairs x 2 labels + 1 judge in both orders in {time.perf_counter() - start:.1f} s")
            figures[f"{label}_pandas_read_s"] = round(statistics.median(pandas_read(path) for _ in range(args.repeats)), 3)
            for command in ("agreement", "judges"):
                result = measure([*exe, "--db", str(path), "stats", command], args.repeats)
                figures[f"{label}_{command}"] = result
                print(f"{n:>9,} pairs  stats {command:<10} {result['median_s']:7.2f} s wall "
                      f"{result['median_cpu_s']:7.2f} s CPU  {result['peak_mb']:7.1f} MB")
            print(f"{n:>9,} pairs  pandas read of the labels {figures[f'{label}_pandas_read_s']:.3f} s")
            read = figures[f"{label}_read"] = read_path(path, args.repeats)
            print(f"{n:>9,} pairs  labels_frame {read['labels_frame_cpu_s']:.3f} s CPU, pandas read_sql of the same "
                  f"columns {read['pandas_read_sql_cpu_s']:.3f} s: ratio {read['ratio']:.2f} (target <= 1.5); pyarrow "
                  f"(ADBC) {read['pyarrow_adbc_cpu_s']:.3f} s: ratio {read['ratio_to_pyarrow']:.2f}")
            python = exe[0] if "python" in Path(exe[0]).name else sys.executable
            parts = figures[f"{label}_floor"] = floor(python, path, args.repeats)
            needed = read["pyarrow_adbc_cpu_s"] + read["pyarrow_adbc_judgments_cpu_s"]
            for command in ("agreement", "judges"):
                cpu = figures[f"{label}_{command}"]["median_cpu_s"]
                figures[f"{label}_{command}_cpu_over_pyarrow_read"] = round(cpu / max(read["pyarrow_adbc_cpu_s"], 1e-9), 1)
                # against the columnar read of every row it needs: labels, pairs and judgments
                figures[f"{label}_{command}_cpu_over_needed_read"] = round(cpu / max(needed, 1e-9), 1)
                # the breakdown: start-up (imports), the reads (labels and pairs; judgments), the
                # bootstrap's draws, the rest (the statistics and the printing)
                figures[f"{label}_{command}_breakdown_cpu_s"] = {
                    "startup": parts["imports_cpu_s"], "read": read["pyarrow_adbc_cpu_s"],
                    "judgments_read": read["pyarrow_adbc_judgments_cpu_s"], "bootstrap": parts["bootstrap_cpu_s"],
                    "rest": round(cpu - parts["imports_cpu_s"] - needed - parts["bootstrap_cpu_s"], 3)}
                print(f"{n:>9,} pairs  stats {command:<10} CPU {cpu:.2f} s = start-up {parts['imports_cpu_s']:.2f} "
                      f"(interpreter {parts['interpreter_cpu_s']:.2f}) + read {read['pyarrow_adbc_cpu_s']:.2f} + "
                      f"judgments read {read['pyarrow_adbc_judgments_cpu_s']:.2f} + bootstrap "
                      f"{parts['bootstrap_cpu_s']:.2f} (draws alone {parts['draws_cpu_s']:.2f}) + rest "
                      f"{figures[f'{label}_{command}_breakdown_cpu_s']['rest']:.2f}")
    large, small = figures["large_agreement"], figures["small_agreement"]
    figures["within_target"] = all(
        figures[f"large_{c}"]["median_s"] < 6 and figures[f"large_{c}"]["peak_mb"] < 500
        and figures[f"small_{c}"]["median_s"] < 1.5 for c in ("agreement", "judges"))
    figures["large_agreement_over_pandas_read"] = round(large["median_s"] / max(figures["large_pandas_read_s"], 1e-9), 1)
    figures["small_agreement_over_startup"] = round(small["median_s"] / max(figures["startup"]["median_s"], 1e-9), 1)
    figures["load_average"] = round(os.getloadavg()[0], 2)
    figures["cpu_count"] = os.cpu_count()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
