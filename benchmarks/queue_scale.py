"""Choosing, claiming and saving at 100 pairs and at 1,000,000: one annotator, no contention.

Run: ``python benchmarks/queue_scale.py [--sizes 100,1000000] [--ops 300]`` from the
repository root.

For each size, builds a task (overlap 3) through the store; on every size a fifth of the
pairs already have all three labels (from annotators x, y, z) and another fifth one label.
Then one annotator, through the store's own calls, repeats ``--ops`` times: ``next_pair``
(choose and claim, one transaction) and ``add_label`` (save, one transaction), each timed.
Also times ``queue_progress`` (what the progress line reads after every save).

Prints p50 / p99 per call and size, the ratio of the largest size to the smallest (target:
about 1), and as the last line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.store import Label, Pair, Store, Task  # noqa: E402

TASK = "scale"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def build(path: Path, n: int) -> float:
    start = time.perf_counter()
    store = Store.open(path)
    store.save_task(Task(name=TASK, overlap=3, seed=5))
    with store.atomic():
        store.insert_pairs(Pair(task=TASK, pair_id=f"s{i}", prompt=f"Question {i}?", response_a="A.",
                                response_b="B.", content_hash=f"s{i}") for i in range(n))
    ids = [r[0] for r in store.db.execute("SELECT id FROM pairs ORDER BY id").fetchall()]
    fifth = len(ids) // 5
    labels = [Label(pair=pid, annotator=who, choice="A", origin="import")
              for pid in ids[:fifth] for who in ("x", "y", "z")]
    labels += [Label(pair=pid, annotator="x", choice="B", origin="import") for pid in ids[fifth:2 * fifth]]
    store.add_labels(labels)
    store.close()
    return time.perf_counter() - start


def measure(path: Path, ops: int) -> dict:
    store = Store.open(path)
    task = store.get_task(TASK)
    times: dict[str, list[float]] = {"next_pair": [], "add_label": [], "queue_progress": []}
    for _ in range(ops):
        t0 = time.perf_counter()
        pair = store.next_pair(task, "ann")
        t1 = time.perf_counter()
        store.add_label(Label(pair=pair.id, annotator="ann", choice="A"))
        t2 = time.perf_counter()
        store.queue_progress(task, "ann")
        t3 = time.perf_counter()
        times["next_pair"].append(t1 - t0)
        times["add_label"].append(t2 - t1)
        times["queue_progress"].append(t3 - t2)
    store.close()
    return {name: {"p50_ms": round(1000 * statistics.median(v), 3), "p99_ms": round(1000 * percentile(v, 0.99), 3)}
            for name, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000000", help="task sizes, comma-separated")
    parser.add_argument("--ops", type=int, default=300, help="picks and saves timed per size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            built = build(Path(tmp) / f"{n}.db", n)
            results[n] = measure(Path(tmp) / f"{n}.db", min(args.ops, n * 3 // 5))  # pairs open to ann
            r = results[n]
            print(f"{n:>9,} pairs (built in {built:.0f} s): "
                  + "   ".join(f"{name} p50 {v['p50_ms']:.2f} ms p99 {v['p99_ms']:.2f} ms" for name, v in r.items()),
                  flush=True)
    small, big = results[sizes[0]], results[sizes[-1]]
    ratios = {name: round(big[name]["p50_ms"] / small[name]["p50_ms"], 2) for name in big}
    print(f"p50 ratio, {sizes[-1]:,} over {sizes[0]:,} pairs: "
          + ", ".join(f"{name} {ratio}x" for name, ratio in ratios.items()))
    print(json.dumps({"sizes": sizes, "results": {str(n): r for n, r in results.items()}, "p50_ratio": ratios}))


if __name__ == "__main__":
    main()
