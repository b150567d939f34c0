"""Benchmark: every export of a 100,000-pair task, end to end, against pandas alone.

Builds (or reuses, with ``--db``) a database with one task of ``--pairs`` pairs (default
100,000; responses of about 1,500 characters each, a 300-character prompt), overlap 3 from a
pool of 12 annotators (300,000 labels with 5 factor answers each, a rationale on one label in
five), and one judge run in both orders (200,000 judgments with a short raw output). Building
is not timed.

Then runs each export as a user does, ``annotator --db DB export KIND --format F --out FILE
--force``, in a fresh process (``/usr/bin/time``-style: wall time, and peak resident memory
from ``/proc/self/status``), ``--repeat`` times (median of 3 by default), and, in the same run,
the baseline: the same rows written by the library alone from a table already in memory
(pyarrow's CSV and Parquet writers; orjson for JSON Lines and JSON), median of as many runs.
The ratio is export time (start-up included) over library time; the machine's load average
is printed beside, and so is the start-up floor (a fresh process importing the CLI, pandas,
pyarrow, orjson and the ADBC driver, median of as many runs) with the ratios it leaves
(``ratio_after_startup``, ``cpu_ratio_after_startup``): on a 55 MB CSV the floor alone is about
twice pyarrow's time to write it.

A second baseline sits beside it (``whole_job_*`` in the JSON, the line under each export): the
libraries doing the whole job in a fresh process, as the export runs: the columns the export
reads, read through the ADBC driver, and the table written by pyarrow (or orjson), start-up
included. The issue's ratio compares the export with writing alone (no start-up, no read: a
55 MB CSV is a quarter of a second); this one with the least any program reading the same
database could do, which is what is left for the export's own work to close.

Targets (issue 22): gold CSV <= 3x pyarrow, gold Parquet <= 2x pyarrow, gold JSON Lines <= 3x
orjson, labels CSV <= 3x pyarrow, judgments JSON Lines <= 3x orjson. The last line printed is
one JSON object with every figure.

    .venv/bin/python benchmarks/export_bench.py [--pairs 100000] [--db /tmp/export-bench.db] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.store import Factor, JudgeRun, Judgment, Label, Pair, Store, Task  # noqa: E402

FACTOR_KEYS = ["receptiveness", "helpfulness", "misinformation", "coherence", "length"]
CHOICES = np.array(["A", "B", "tie"], dtype=object)
ANSWERS = np.array(["A", "B", "equal", "na"], dtype=object)
WORDS = ("the of and to in is that for it as with was on be by this are or an from at which "
         "function return value error case step result equation proof code test answer data "
         "= + - @ `x` **bold** - item 1. 2. $x^2$ \\frac{a}{b}").split()
N_ANNOTATORS = 12
OVERLAP = 3


def _text(rng: np.random.Generator, chars: int) -> str:
    words = rng.choice(WORDS, size=chars // 5)
    return " ".join(words)[:chars]


def build(path: Path, n_pairs: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    store = Store.open(path)
    store.save_task(Task(
        name="bench", title="Export benchmark", overlap=OVERLAP,
        factors=[Factor(key=k, name=k.title(), definition=k, question=k) for k in FACTOR_KEYS],
    ))
    domains = ("instruction", "math", "code")
    # a pool of texts, recombined per pair (building stays quick; every pair differs)
    pool = [_text(rng, 1500) for _ in range(200)]
    prompts = [_text(rng, 300) for _ in range(200)]
    store.insert_pairs(
        Pair(task="bench", pair_id=f"p{i}", prompt=f"{i}: {prompts[i % 200]}",
             response_a=f"{pool[i % 200]} [{i}]", response_b=f"{pool[(i * 7 + 3) % 200]} ({i})",
             model_a="candidate", model_b="baseline", domain=domains[i % 3], content_hash=f"h{i}")
        for i in range(n_pairs)
    )
    ids = np.array(sorted(v[0] for v in store.pair_index("bench").values()))
    truth = rng.choice(3, size=n_pairs, p=[0.45, 0.4, 0.15])
    who = np.array([rng.choice(N_ANNOTATORS, size=OVERLAP, replace=False) for _ in range(n_pairs)])
    rationale = [_text(rng, 200) for _ in range(50)]
    for slot in range(OVERLAP):
        labels = []
        right = rng.random(n_pairs) < 0.75
        choice = np.where(right, truth, rng.integers(0, 3, n_pairs))
        factors = rng.integers(0, 4, (n_pairs, len(FACTOR_KEYS)))
        orders = np.where(rng.random(n_pairs) < 0.5, "AB", "BA")
        seconds = rng.gamma(4, 15, n_pairs)
        with_rationale = rng.random(n_pairs) < 0.2
        for i in range(n_pairs):
            labels.append(Label(
                pair=int(ids[i]), annotator=f"annotator{who[i, slot] + 1:02d}", choice=CHOICES[choice[i]],
                shown_order=str(orders[i]), seconds=float(seconds[i]), confidence=int(1 + i % 5),
                rationale=rationale[i % 50] if with_rationale[i] else "",
                factors={k: ANSWERS[factors[i, j]] for j, k in enumerate(FACTOR_KEYS)},
            ))
        store.add_labels(labels)
    run = store.get_or_create_run(JudgeRun(task="bench", name="judge", model="bench-model"))
    verdicts = np.where(rng.random((2, n_pairs)) < 0.8, truth, rng.integers(0, 3, (2, n_pairs)))
    store.save_judgments(
        Judgment(run=run.id, pair=int(ids[i]), order=order, verdict=CHOICES[verdicts[o, i]],
                 raw_output=f"Output ({'a' if verdicts[o, i] == 0 else 'b'}) is better. " + rationale[i % 50][:120],
                 prompt_tokens=900, completion_tokens=40, latency_s=0.8, cost=0.0004)
        for o, order in enumerate(("AB", "BA")) for i in range(n_pairs)
    )
    store.close()


EXPORTS = [
    ("gold", "jsonl"), ("gold", "csv"), ("gold", "parquet"), ("gold", "chosen-rejected"), ("gold", "alpaca-eval"),
    ("soft-labels", "jsonl"), ("labels", "jsonl"), ("labels", "csv"), ("labels", "parquet"),
    ("judgments", "jsonl"), ("judgments", "csv"),
]

RUNNER = """
import resource, sys, time
start = time.perf_counter()
from annotator.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # VmHWM: this program's own peak (ru_maxrss would include the parent's, copied at fork)
    peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print(time.perf_counter() - start, usage.ru_utime + usage.ru_stime, peak, file=sys.stderr)
"""


def run_export(db: Path, kind: str, fmt: str, out: Path) -> dict:
    """One export in a fresh process: wall and CPU time (including start-up), peak RSS in MB."""
    args = [sys.executable, "-c", RUNNER, "--db", str(db), "export", kind, "--format", fmt,
            "--out", str(out), "--force"]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"export {kind} {fmt} failed:\n{done.stdout}\n{done.stderr}")
    _, cpu, rss_kb = done.stderr.strip().splitlines()[-1].split()
    return {"seconds": round(wall, 2), "cpu_seconds": round(float(cpu), 2), "peak_mb": round(int(rss_kb) / 1024, 1),
            "bytes": out.stat().st_size}


BASELINE = """
import statistics, sys, time
fmt, out, target, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if fmt in ("csv", "parquet"):
    import pyarrow.csv as pcsv, pyarrow.parquet as pq
    table = pcsv.read_csv(out) if fmt == "csv" else pq.read_table(out)
    write = (lambda: pcsv.write_csv(table, target)) if fmt == "csv" else (lambda: pq.write_table(table, target))
else:
    import orjson
    if fmt == "alpaca-eval":
        rows = orjson.loads(open(out, "rb").read())
        def write():
            with open(target, "wb") as f:
                f.write(orjson.dumps(rows))
    else:
        rows = [orjson.loads(line) for line in open(out, "rb")]
        def write():
            with open(target, "wb") as f:
                f.write(b"\\n".join(map(orjson.dumps, rows)) + b"\\n")
walls, cpus = [], []
for _ in range(repeat):
    start, cpu = time.perf_counter(), time.process_time()
    write()
    walls.append(time.perf_counter() - start)
    cpus.append(time.process_time() - cpu)
print(statistics.median(walls), statistics.median(cpus))
"""
LIBRARY = {"csv": "pyarrow", "parquet": "pyarrow"}  # every other format: orjson


def baseline(fmt: str, out: Path, repeat: int) -> tuple[float, float]:
    """Median seconds (wall, CPU) the library alone (pyarrow for CSV and Parquet, orjson for
    JSON) takes to write the rows the export wrote, from a table already in memory (read
    back from the export first, untimed), in its own process."""
    target = out.with_name(out.name + ".baseline")
    done = subprocess.run([sys.executable, "-c", BASELINE, fmt, str(out), str(target), str(repeat)],
                          capture_output=True, text=True, check=True)
    target.unlink()
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


# The second baseline: the libraries doing the whole job, in a fresh process like the export
# (interpreter start and imports included): the columns the export reads from the database,
# read with the ADBC driver (one streamed query each, a connection for all), and the first
# query's rows written by pyarrow (CSV, Parquet) or orjson (JSON Lines, from Arrow's rows).
# What it leaves out is the export's own work: aggregation, pseudonyms, the OWASP cell rule,
# the columns computed from others. The first query is the table written; the others are read.
WHOLE_JOB_READS = {
    "gold": ["SELECT id, pair_id, domain, prompt, source, response_a, response_b, model_a, model_b FROM pairs "
             "WHERE task = 'bench' ORDER BY id",
             "SELECT id, pair, annotator, choice, factors FROM labels WHERE task = 'bench' ORDER BY id"],
    "labels": ["SELECT id, pair, annotator, revision, choice, shown_order, factors, confidence, rationale, seconds, "
               "origin, created_at FROM labels WHERE task = 'bench' ORDER BY id",
               "SELECT id, pair_id, domain FROM pairs WHERE task = 'bench' ORDER BY id"],
    "judgments": ["SELECT j.id, j.run, j.pair, j.\"order\", j.sample, j.verdict, j.p_a, j.unscored_reason, "
                  "j.prompt_tokens, j.completion_tokens, j.latency_s, j.cost, j.raw_output, j.explanation, j.created_at "
                  "FROM judgments j ORDER BY j.id",
                  "SELECT id, pair_id, domain FROM pairs WHERE task = 'bench' ORDER BY id"],
}
WHOLE_JOB = """
import resource, sys, time
import adbc_driver_manager, adbc_driver_sqlite, pyarrow as pa
fmt, db, out, queries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
database = adbc_driver_sqlite.connect("file:" + db + "?mode=ro")
connection = adbc_driver_manager.AdbcConnection(database)

def batches(sql):
    statement = adbc_driver_manager.AdbcStatement(connection)
    statement.set_options(**{"adbc.sqlite.query.batch_rows": "16384"})
    statement.set_sql_query(sql)
    handle, _ = statement.execute_query()
    yield from pa.RecordBatchReader._import_from_c(handle.address)
    statement.close()

for sql in queries[1:]:
    for batch in batches(sql):
        pass
reader = batches(queries[0])
first = next(reader)
if fmt == "csv":
    import pyarrow.csv as pcsv
    writer = pcsv.CSVWriter(out, first.schema)
elif fmt == "parquet":
    import pyarrow.parquet as pq
    writer = pq.ParquetWriter(out, first.schema)
else:
    import orjson
    f = open(out, "wb")
    class writer:
        def write_batch(batch):
            f.write(b"\\n".join(map(orjson.dumps, batch.to_pylist())) + b"\\n")
        def close():
            f.close()
writer.write_batch(first)
for batch in reader:
    writer.write_batch(batch)
writer.close()
u = resource.getrusage(resource.RUSAGE_SELF)
print(u.ru_utime + u.ru_stime)
"""


def whole_job(db: Path, kind: str, fmt: str, out: Path, repeat: int) -> tuple[float, float] | None:
    """Median seconds (wall, CPU) of the libraries doing the whole job (``WHOLE_JOB``) for an
    export, or None where it has no such baseline (the JSON formats built from other rows)."""
    if kind not in WHOLE_JOB_READS or fmt not in ("csv", "parquet", "jsonl"):
        return None
    target = out.with_name(out.name + ".whole")
    walls, cpus = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", WHOLE_JOB, fmt, str(db), str(target), *WHOLE_JOB_READS[kind]],
                              capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - start)
        cpus.append(float(done.stdout.split()[-1]))
    target.unlink()
    return statistics.median(walls), statistics.median(cpus)


STARTUP = ("import resource, time; start = time.perf_counter(); import annotator.cli, pandas, pyarrow, pyarrow.compute, "
           "orjson, adbc_driver_manager, adbc_driver_sqlite; u = resource.getrusage(resource.RUSAGE_SELF); "
           "print(time.perf_counter() - start, u.ru_utime + u.ru_stime)")


def startup_floor(repeat: int) -> tuple[float, float]:
    """Median seconds (wall, CPU) a fresh process takes to import the CLI and the libraries
    every export loads (pandas, pyarrow, orjson, the ADBC driver): the part of each export's
    time no export code can remove. Printed beside the ratios, which include it."""
    walls, cpus = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - start)
        cpus.append(float(done.stdout.split()[1]))
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None, help="Reuse (or build once) this database.")
    parser.add_argument("--only", default=None, help="Run only exports of this kind (gold, labels, ...).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each export and baseline (the median is kept).")
    parser.add_argument("--targets-only", action="store_true", help="Only the exports issue 22 sets a target for.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db = args.db or tmp / "bench.db"
        if not db.exists():
            start = time.perf_counter()
            build(db, args.pairs)
            print(f"built {db} ({args.pairs:,} pairs) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        results = {}
        loads = [os.getloadavg()[0]]
        floor_wall, floor_cpu = startup_floor(args.repeat)
        print(f"start-up floor (python, the CLI, pandas, pyarrow, orjson, ADBC imported): {floor_wall:.2f} s "
              f"(cpu {floor_cpu:.2f})", flush=True)
        for kind, fmt in EXPORTS:
            if (args.only and kind != args.only) or (args.targets_only and (kind, fmt) not in TARGETS):
                continue
            out = tmp / f"{kind}.{fmt}"
            runs = [run_export(db, kind, fmt, out) for _ in range(args.repeat)]
            figures = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "cpu_seconds", "peak_mb")}
            figures["bytes"] = runs[-1]["bytes"]
            wall, cpu = baseline(fmt, out, args.repeat)
            library = LIBRARY.get(fmt, "orjson")
            figures.update(baseline=library, baseline_seconds=round(wall, 3), baseline_cpu_seconds=round(cpu, 3),
                           ratio=round(figures["seconds"] / wall, 2), cpu_ratio=round(figures["cpu_seconds"] / cpu, 2),
                           # the same ratios with the start-up floor taken off the export's time
                           ratio_after_startup=round(max(figures["seconds"] - floor_wall, 0) / wall, 2),
                           cpu_ratio_after_startup=round(max(figures["cpu_seconds"] - floor_cpu, 0) / cpu, 2),
                           target=TARGETS.get((kind, fmt)))
            whole = whole_job(db, kind, fmt, out, args.repeat)
            if whole is None:
                figures.update(whole_job_seconds=None, whole_job_cpu_seconds=None, whole_job_ratio=None,
                               whole_job_cpu_ratio=None,
                               whole_job_reason="no whole-job baseline: the rows are built from other rows "
                                                "(chosen-rejected, alpaca-eval, soft labels)")
            else:
                figures.update(whole_job_seconds=round(whole[0], 3), whole_job_cpu_seconds=round(whole[1], 3),
                               whole_job_ratio=round(figures["seconds"] / whole[0], 2),
                               whole_job_cpu_ratio=round(figures["cpu_seconds"] / whole[1], 2))
            loads.append(os.getloadavg()[0])
            results[f"{kind}:{fmt}"] = figures
            print(f"export {kind:<12} {fmt:<16} {figures['seconds']:6.2f} s (cpu {figures['cpu_seconds']:5.2f})  "
                  f"{figures['peak_mb']:6.1f} MB peak  {figures['bytes'] / 1e6:6.1f} MB written  {library} alone "
                  f"{wall:5.2f} s (cpu {cpu:5.2f})  ratio {figures['ratio']:.2f} (cpu {figures['cpu_ratio']:.2f})"
                  + f"  after start-up {figures['ratio_after_startup']:.2f} (cpu {figures['cpu_ratio_after_startup']:.2f})"
                  + (f"  target <= {TARGETS[kind, fmt]}x" if (kind, fmt) in TARGETS else "")
                  + (f"\n    the libraries doing the whole job (ADBC read + {library} write, fresh process) "
                     f"{whole[0]:5.2f} s (cpu {whole[1]:5.2f})  ratio {figures['whole_job_ratio']:.2f} "
                     f"(cpu {figures['whole_job_cpu_ratio']:.2f})" if whole else ""), flush=True)
            out.unlink()
        worst_mb = max(r["peak_mb"] for r in results.values())
        load = statistics.median(loads)
        print(f"most memory {worst_mb:.0f} MB; load average {load:.1f} (median over the run) on {os.cpu_count()} cores; "
              f"medians of {args.repeat}")
        print(json.dumps({"pairs": args.pairs, "repeat": args.repeat, "exports": results, "max_peak_mb": worst_mb,
                          "startup_floor_seconds": round(floor_wall, 3), "startup_floor_cpu_seconds": round(floor_cpu, 3),
                          "cpu_count": os.cpu_count(), "load_average": round(load, 2),
                          "load_averages": [round(x, 2) for x in loads]}))


# issue 22: each export as a ratio to the library writing the same rows in the same run
TARGETS = {("gold", "csv"): 3, ("gold", "parquet"): 2, ("gold", "jsonl"): 3, ("labels", "csv"): 3,
           ("judgments", "jsonl"): 3}


if __name__ == "__main__":
    main()
