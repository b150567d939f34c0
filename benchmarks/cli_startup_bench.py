"""Benchmark: what every command pays before its work starts (issue 22), against
`python -c "import sqlite3"` timed in the same run (`annotator --help` target: <= 4x).

Each command runs ``--repeat`` times (default 7) in a fresh process; the medians of wall time
and of the process's CPU time (user + system) are compared with the baseline's. Commands:
`annotator --help`, `--version`, `export --help`, `export gold --help`, `judge run --help` (each
imports its own area's modules only), `stats agreement` on a tiny database (33 pairs, 3
annotators: the statistics' imports plus a small computation) and `tasks add` of a one-pair
task into a new database (the store opened, migrated and written).

Bytecode: Python compiles every module it imports unless a cached ``.pyc`` exists, and this
machine sets PYTHONDONTWRITEBYTECODE=1, so the project's own modules would be compiled on every
run. By default (``--bytecode cache``) the runs use a cache in a temporary folder
(PYTHONPYCACHEPREFIX), filled by one untimed run of each command first, as an installed package
has; ``--bytecode env`` keeps the environment as it is. The JSON says which was used.
The last line printed is one JSON object with every figure and the machine's load average.

    .venv/bin/python benchmarks/cli_startup_bench.py [--repeat 7] [--bytecode cache|env]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(args: list[str], repeat: int, env: dict[str, str], before=None) -> tuple[float, float]:
    """Medians of wall and CPU seconds over ``repeat`` fresh processes (``before`` runs first,
    untimed, each time: removes what the previous run wrote)."""
    walls, cpus = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        cpu, start = _cpu(), time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=ROOT, env=env)
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def tiny_database(folder: Path, python: str, env: dict[str, str]) -> Path:
    """The demo task with 3 annotators' labels on each of its 33 pairs (a fixed seed)."""
    db = folder / "tiny.db"
    subprocess.run([python, "-m", "annotator", "--db", str(db), "tasks", "add", str(ROOT / "tasks" / "demo")],
                   check=True, capture_output=True, cwd=ROOT, env=env)
    from annotator.store import Label, Store

    store = Store.open(db)
    rng = random.Random(1)
    pairs = [row[0] for row in store.db.execute("SELECT id FROM pairs ORDER BY id").fetchall()]
    store.add_labels(Label(pair=p, annotator=a, choice=rng.choice(["A", "B", "tie"]))
                     for a in ("ann1", "ann2", "ann3") for p in pairs)
    store.close()
    return db


def one_pair_task(folder: Path) -> Path:
    task = folder / "one"
    task.mkdir()
    demo = ROOT / "tasks" / "demo"
    (task / "pairs.jsonl").write_text((demo / "pairs.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n",
                                      encoding="utf-8")
    (task / "task.toml").write_text((demo / "task.toml").read_text(encoding="utf-8")
                                    .replace('name = "demo"', 'name = "one"'), encoding="utf-8")
    (task / "guidelines.md").write_text((demo / "guidelines.md").read_text(encoding="utf-8"), encoding="utf-8")
    return task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--bytecode", choices=["cache", "env"], default="cache",
                        help="cache: a bytecode cache in a temporary folder, filled first (default); "
                             "env: the environment as it is")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("ANNOTATOR_DB", "COLUMNS")}
        if args.bytecode == "cache":
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        bytecode = ("a bytecode cache in a temporary folder (PYTHONPYCACHEPREFIX), filled by one untimed run"
                    if args.bytecode == "cache" else
                    "the environment's (PYTHONDONTWRITEBYTECODE="
                    f"{os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')}, "
                    f"PYTHONPYCACHEPREFIX={os.environ.get('PYTHONPYCACHEPREFIX', 'unset')})")
        db, task, fresh = tiny_database(folder, python, env), one_pair_task(folder), folder / "fresh.db"

        def no_fresh_database() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{fresh}{suffix}").unlink(missing_ok=True)

        annotator = [python, "-m", "annotator"]
        commands = {
            "annotator --help": (annotator + ["--help"], None),
            "annotator --version": (annotator + ["--version"], None),
            "annotator export --help": (annotator + ["export", "--help"], None),
            "annotator export gold --help": (annotator + ["export", "gold", "--help"], None),
            # the start-up of `annotator judge run` (its area's modules, not every command's)
            "annotator judge run --help": (annotator + ["judge", "run", "--help"], None),
            "annotator stats agreement (tiny db)": (annotator + ["--db", str(db), "stats", "agreement"], None),
            "annotator tasks add (one pair)": (annotator + ["--db", str(fresh), "tasks", "add", str(task)],
                                               no_fresh_database),
        }
        baseline_args = [python, "-c", "import sqlite3"]
        if args.bytecode == "cache":
            for command, before in [(baseline_args, None), *commands.values()]:
                timed(command, 1, env, before)
        load = [os.getloadavg()[0]]
        baseline, baseline_cpu = timed(baseline_args, args.repeat, env)
        runs = {name: timed(command, args.repeat, env, before) for name, (command, before) in commands.items()}
        load.append(os.getloadavg()[0])
    print(f"bytecode: {bytecode}")
    print(f"python -c 'import sqlite3': {baseline:.3f} s wall, {baseline_cpu:.3f} s CPU (medians of {args.repeat})")
    for name, (wall, cpu) in runs.items():
        print(f"{name:<38} {wall:.3f} s wall {wall / baseline:5.1f}x  {cpu:.3f} s CPU {cpu / baseline_cpu:5.1f}x"
              + ("  (target <= 4x)" if name == "annotator --help" else ""))
    print(f"load average {statistics.median(load):.1f} on {os.cpu_count()} cores")
    print(json.dumps({"baseline": "python -c 'import sqlite3'", "baseline_seconds": round(baseline, 3),
                      "baseline_cpu_seconds": round(baseline_cpu, 3), "repeat": args.repeat,
                      "bytecode": args.bytecode, "bytecode_rule": bytecode,
                      "commands": {k: {"seconds": round(w, 3), "ratio": round(w / baseline, 2),
                                       "cpu_seconds": round(c, 3), "cpu_ratio": round(c / baseline_cpu, 2)}
                                   for k, (w, c) in runs.items()},
                      "target": {"annotator --help": 4}, "load_average": round(statistics.median(load), 2),
                      "cpu_count": os.cpu_count()}))


if __name__ == "__main__":
    main()
