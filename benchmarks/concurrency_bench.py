"""Many annotators at once: save latency on a 100,000-pair task against a 1,000-pair one.

Run: ``python benchmarks/concurrency_bench.py [--processes 50] [--saves 40] [--quick]`` from
the repository root.

What it does
* Builds two databases through the store: a task of ``--pairs`` pairs (default 100,000) and
  one of ``--small-pairs`` (default 1,000), both with overlap 3.
* For each, starts ``--processes`` annotator processes at once. Each labels through the
  app's own code: a :class:`~annotator.tui.session.LabelSession` (writer lease, heartbeat,
  claims) on its own connection, ``save`` per pair (the label and the next claim in one
  transaction) and, after each save, ``upcoming`` (the claim the app's prefetch worker makes
  for the pair after). No reading time: every process saves as fast as it can, so the
  database's write lock is contended all the time.
* Between saves each process "reads" for a random time (exponential, mean ``--think-ms``,
  default 100 ms: ten saves a second per process, a hundred times a person's pace; 0 saves
  back to back, which measures how fairly waiters get SQLite's write lock more than the cost
  of a save).
* Times each ``save`` (what the annotator waits for after Enter, before drawing) and, apart,
  each claim ahead (``claim_ahead_p99_ms``: made while the next pair is read). Counts
  errors (any exception out of ``save``: a "database is locked" would be one) and checks the
  database afterwards: no pair labelled by more than 3 annotators, nobody labelled a pair
  twice.

Prints per task: saves, saves per second, p50 / p99 / max save latency, errors; then the
p99 ratio (big task over small task, target <= 1.5), the machine's load (``os.getloadavg()``)
before and after and, as the last line, one JSON object (``targets_met`` also says whether p99
stays under 250 ms on both tasks, issue 22's target at 50 processes).
``--quick``: 10 processes and fewer saves (under two minutes on 2 cores). ``--repeat`` (default 3):
runs per task (the small task built afresh for each, the big one reused with new annotators);
latencies are the median over the runs, errors and checks summed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.store import Pair, Store, Task  # noqa: E402
from annotator.tui.session import Answer, LabelSession  # noqa: E402

TASK = "load"
OVERLAP = 3


def build(path: Path, n_pairs: int) -> float:
    """The task and its pairs (short texts: the benchmark times the store, not rendering)."""
    start = time.perf_counter()
    store = Store.open(path)
    store.save_task(Task(name=TASK, title="Concurrency benchmark", overlap=OVERLAP, seed=11))
    store.insert_pairs(
        Pair(task=TASK, pair_id=f"c{i}", prompt=f"Question {i}?", response_a=f"Answer A to {i}.",
             response_b=f"Answer B to {i}.", content_hash=f"c{i}")
        for i in range(n_pairs))
    store.close()
    return time.perf_counter() - start


def annotator_process(path: str, name: str, saves: int, think_ms: float, go, out) -> None:
    rng = random.Random(name)
    latencies: list[float] = []
    claims: list[float] = []
    errors: list[str] = []
    try:
        store = Store.open(path, migrate=False)
        session = LabelSession(store, store.get_task(TASK), name, claim_for=timedelta(minutes=10))
        session.start()
        go.wait()
        for _ in range(saves):
            if session.current is None:
                break
            start = time.perf_counter()
            try:
                session.save(Answer(choice=rng.choice("AB")), "AB", 2.0)
            except Exception as exc:  # noqa: BLE001 (counted and reported)
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - start)
            try:
                start = time.perf_counter()
                session.upcoming()  # the app's prefetch claim, between saves (while the next pair is read)
                claims.append(time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"prefetch {type(exc).__name__}: {exc}")
            if think_ms:
                time.sleep(rng.expovariate(1000 / think_ms))  # reading the next pair
        session.close()
        store.close()
    except Exception as exc:  # noqa: BLE001
        errors.append(f"{type(exc).__name__}: {exc}")
    out.put((name, latencies, errors, claims))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(path: Path, processes: int, saves: int, think_ms: float, prefix: str = "a") -> dict:
    ctx = multiprocessing.get_context("fork")
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=annotator_process, args=(str(path), f"{prefix}{i:02d}", saves, think_ms, go, out))
             for i in range(processes)]
    for p in procs:
        p.start()
    time.sleep(1.0 + processes * 0.05)  # every process opened its session and holds its first pair
    start = time.perf_counter()
    go.set()
    results = [out.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - start
    for p in procs:
        p.join(60)
    latencies = [x for _, lat, _, _ in results for x in lat]
    errors = [e for _, _, errs, _ in results for e in errs]
    claims = [x for _, _, _, claim in results for x in claim]
    store = Store.open(path, migrate=False)
    over = store.query("SELECT COUNT(*) AS n FROM (SELECT pair FROM labels GROUP BY pair "
                       "HAVING COUNT(DISTINCT annotator) > ?)", [OVERLAP])[0]["n"]
    twice = store.query("SELECT COUNT(*) AS n FROM labels WHERE revision > 1")[0]["n"]
    leftover = len(store.claims(TASK))
    store.close()
    return {
        "processes": processes,
        "saves": len(latencies),
        "wall_s": round(wall, 2),
        "saves_per_s": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(1000 * statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(1000 * percentile(latencies, 0.99), 2) if latencies else None,
        "max_ms": round(1000 * max(latencies), 2) if latencies else None,
        "claim_ahead_p99_ms": round(1000 * percentile(claims, 0.99), 2) if claims else None,
        "errors": len(errors),
        "error_samples": errors[:5],
        "pairs_over_overlap": over,
        "labelled_twice": twice,
        "claims_left": leftover,
    }


COUNTED = ("saves", "errors", "pairs_over_overlap", "labelled_twice", "claims_left")


def median_of(runs: list[dict]) -> dict:
    """Latencies and rates: the median over the runs; errors and checks: summed."""
    out = {"repeats": len(runs), "error_samples": [e for r in runs for e in r["error_samples"]][:5]}
    for key in runs[0]:
        values = [r[key] for r in runs]
        if key in COUNTED:
            out[key] = sum(values)
        elif key != "error_samples":
            known = [v for v in values if v is not None]
            out[key] = statistics.median(known) if known else None
    out["runs"] = [{k: v for k, v in r.items() if k != "error_samples"} for r in runs]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=50, help="annotator processes (default 50)")
    parser.add_argument("--saves", type=int, default=40, help="saves per process (default 40)")
    parser.add_argument("--pairs", type=int, default=100_000, help="pairs of the big task (default 100,000)")
    parser.add_argument("--small-pairs", type=int, default=1_000, help="pairs of the small task (default 1,000)")
    parser.add_argument("--think-ms", type=float, default=100.0,
                        help="mean reading time between saves, exponential (default 100 ms: each process "
                             "saves ~10 times a second, far faster than a person)")
    parser.add_argument("--quick", action="store_true", help="10 processes, 60 saves each")
    parser.add_argument("--repeat", type=int, default=3, help="runs per task, medians reported (default 3)")
    args = parser.parse_args()
    if args.quick:
        args.processes, args.saves = 10, 60

    results = {}
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        for label, n in (("small", args.small_pairs), ("big", args.pairs)):
            repeats = []
            for i in range(args.repeat):
                path = Path(tmp) / f"{label}-{i}.db"
                if i == 0 or label == "small":  # the big task is built once (its pairs are far from used up)
                    built = build(path, n)
                    print(f"{n:>7,} pairs (overlap {OVERLAP}) built in {built:.1f} s", flush=True)
                else:
                    path = Path(tmp) / f"{label}-0.db"
                print(f"{n:>7,} pairs, run {i + 1} of {args.repeat}: {args.processes} processes x {args.saves} "
                      "saves ...", flush=True)
                r = run(path, args.processes, args.saves, args.think_ms, prefix=f"r{i}a")
                repeats.append(r)
                print(f"{n:>7,} pairs: {r['saves']} saves in {r['wall_s']} s = {r['saves_per_s']} saves/s; "
                      f"save latency p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms; "
                      f"claim ahead p99 {r['claim_ahead_p99_ms']} ms; errors {r['errors']}; pairs over overlap "
                      f"{r['pairs_over_overlap']}, labelled twice {r['labelled_twice']}, claims left "
                      f"{r['claims_left']}", flush=True)
                for sample in r["error_samples"]:
                    print(f"    error: {sample}")
            results[label] = {"pairs": n, **median_of(repeats)}
            r = results[label]
            print(f"{n:>7,} pairs, median of {args.repeat}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                  f"max {r['max_ms']} ms, claim ahead p99 {r['claim_ahead_p99_ms']} ms", flush=True)
    big, small = results["big"], results["small"]
    ratio = round(big["p99_ms"] / small["p99_ms"], 2) if big["p99_ms"] and small["p99_ms"] else None
    load_after = [round(x, 2) for x in os.getloadavg()]
    print(f"p99 ratio ({big['pairs']:,} over {small['pairs']:,} pairs): {ratio} (target <= 1.5); "
          f"machine load {load_before} -> {load_after}")
    summary = {
        "errors": big["errors"] + small["errors"],
        "saves_per_s": big["saves_per_s"],
        "p50_ms": big["p50_ms"],
        "p99_ms": big["p99_ms"],
        "max_ms": big["max_ms"],
        "p99_ratio": ratio,
        "processes": args.processes,
        "saves_per_process": args.saves,
        "think_ms": args.think_ms,
        "quick": args.quick,
        "big": {k: v for k, v in big.items() if k != "error_samples"},
        "small": {k: v for k, v in small.items() if k != "error_samples"},
        "load_before": load_before,
        "load_after": load_after,
        "targets_met": {"no_errors": big["errors"] + small["errors"] == 0,
                        "p99_ratio_at_most_1_5": ratio is not None and ratio <= 1.5,
                        "p99_under_250_ms": big["p99_ms"] is not None and big["p99_ms"] < 250
                        and small["p99_ms"] is not None and small["p99_ms"] < 250},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
