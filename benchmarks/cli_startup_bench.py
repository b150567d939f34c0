"""Benchmark: `annotator --help` against `python -c "import sqlite3"` (issue 22: <= 4x).

Each is run ``--repeat`` times (default 7) in a fresh process; the medians of wall time are
compared. Also `annotator --version`, `annotator export --help` and `annotator judge run --help`
(each imports its own area's modules only).
The last line printed is one JSON object with every figure and the machine's load average.

    .venv/bin/python benchmarks/cli_startup_bench.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], repeat: int) -> float:
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    load = [os.getloadavg()[0]]
    baseline = timed([python, "-c", "import sqlite3"], args.repeat)
    runs = {
        "annotator --help": timed([python, "-m", "annotator", "--help"], args.repeat),
        "annotator --version": timed([python, "-m", "annotator", "--version"], args.repeat),
        "annotator export --help": timed([python, "-m", "annotator", "export", "--help"], args.repeat),
        # the start-up of `annotator judge run` (its area's modules, not every command's)
        "annotator judge run --help": timed([python, "-m", "annotator", "judge", "run", "--help"], args.repeat),
    }
    load.append(os.getloadavg()[0])
    print(f"python -c 'import sqlite3': {baseline:.3f} s (median of {args.repeat})")
    for name, seconds in runs.items():
        print(f"{name:<28} {seconds:.3f} s  {seconds / baseline:5.1f}x the baseline"
              + ("  (target <= 4x)" if name == "annotator --help" else ""))
    print(f"load average {statistics.median(load):.1f} on {os.cpu_count()} cores")
    print(json.dumps({"baseline": "python -c 'import sqlite3'", "baseline_seconds": round(baseline, 3),
                      "repeat": args.repeat,
                      "commands": {k: {"seconds": round(v, 3), "ratio": round(v / baseline, 2)} for k, v in runs.items()},
                      "target": {"annotator --help": 4}, "load_average": round(statistics.median(load), 2),
                      "cpu_count": os.cpu_count()}))


if __name__ == "__main__":
    main()
