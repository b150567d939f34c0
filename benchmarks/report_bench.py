"""Benchmark: `annotator report` end to end, as a user runs it (a fresh process, the command's
defaults), on a 100,000-pair task with two labels a pair and one judge in both orders
(``stats_scale_bench.build``), and on a 1,000-pair task of the same shape.

Figures per size: the median wall time, CPU time (user + system) and peak resident memory of
``annotator report``, and the time each step took inside it (its ``--json``). The baseline, measured in the same run:
the three commands whose numbers the report shows (``stats agreement``, ``stats judges``,
``stats leaderboard --by domain``) run one after the other, each in its own process, as a
user would to get the same numbers as tables. The report reads the task once for the three
engines, so it should cost less than their sum; its own work (sections, figures, writing)
is what it adds.

The engines run side by side in worker processes, so on a machine shared with other work the
wall time says little; the CPU time does. ``critical_path_cpu_s`` is the main process's CPU
time (start-up, reading the task, figures, writing: the report's CPU time less the engines')
plus the slowest engine's: about the wall time on an idle machine with a CPU per engine.

The leaderboard (``stats leaderboard --by domain``) also gets a row of its own (issue 22: it was
most of the report's engine time): its median wall and CPU time and peak memory, and its ratio
to the same in-run baseline (``large_leaderboard_over_commands``,
``large_leaderboard_cpu_over_commands_cpu``).

Targets: the report of a 100,000-pair task in under 20 s (issue 10), and at most 1.2 times the
sum of the three commands (issue 16: each figure computed once; ``large_report_over_commands``
and ``large_report_cpu_over_commands_cpu``, medians of ``--repeats``, default 3). The machine's
load (``os.getloadavg``) before and after is printed beside. The last line printed is one JSON
object with every figure.

    .venv/bin/python benchmarks/report_bench.py [--pairs 100000] [--small 1000] [--repeats 3] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from stats_scale_bench import build, measure  # noqa: E402  (wall, CPU and peak memory of a fresh process)

TARGET_S = 20.0
TARGET_RATIO = 1.2  # the report against the sum of the three commands


def annotator_command(command: str = "") -> list[str]:
    """``command`` split into words (another build to compare, e.g. ``python before/launch.py``),
    else the installed ``annotator`` beside this Python, else ``python -m annotator``."""
    if command:
        return shlex.split(command)
    exe = Path(sys.executable).with_name("annotator")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "annotator"]


def steps(exe: list[str], db: Path, out: Path) -> dict:
    """The report's own account (its --json): wall seconds per step, CPU seconds per engine."""
    done = subprocess.run([*exe, "--db", str(db), "report", "--out", str(out), "--force", "--json"], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None,
                        help="Reuse this database for the large task (built there if it does not exist).")
    parser.add_argument("--command", default="", help="The annotator command line to time (default: the installed one).")
    args = parser.parse_args()
    exe = annotator_command(args.command)
    figures: dict = {"pairs": args.pairs, "small": args.small, "repeats": args.repeats, "target_s": TARGET_S,
                     "target_ratio": TARGET_RATIO, "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        for label, n in (("large", args.pairs), ("small", args.small)):
            path = args.db if (label == "large" and args.db) else Path(tmp) / f"{label}.db"
            if not path.exists():
                start = time.perf_counter()
                build(path, n)
                print(f"built {n:,} pairs x 2 labels + 1 judge in both orders in {time.perf_counter() - start:.1f} s")
            out = Path(tmp) / f"{label}-report.html"
            report = measure([*exe, "--db", str(path), "report", "--out", str(out), "--force"], args.repeats)
            figures[f"{label}_report"] = report
            own = steps(exe, path, out)
            figures[f"{label}_report_steps"] = {k: round(v, 2) for k, v in own["seconds"].items()}
            engines_cpu = own["engine_cpu_seconds"]
            figures[f"{label}_report_engine_cpu_s"] = engines_cpu
            # On an idle machine with a CPU per engine, the wall time is about the CPU time of the
            # main process plus that of the slowest engine (they run side by side): a floor
            # that a loaded, shared machine cannot distort the way it distorts wall time.
            main_cpu = report["median_cpu_s"] - sum(engines_cpu.values())
            figures[f"{label}_report_critical_path_cpu_s"] = round(main_cpu + max(engines_cpu.values()), 2)
            commands = {}
            for name, command in (("agreement", ["stats", "agreement"]), ("judges", ["stats", "judges"]),
                                  ("leaderboard", ["stats", "leaderboard", "--by", "domain"])):
                commands[name] = measure([*exe, "--db", str(path), *command], args.repeats)
            figures[f"{label}_commands"] = commands
            total = round(sum(c["median_s"] for c in commands.values()), 2)
            figures[f"{label}_commands_total_s"] = total
            figures[f"{label}_commands_total_cpu_s"] = round(sum(c["median_cpu_s"] for c in commands.values()), 2)
            figures[f"{label}_html_mb"] = round(out.stat().st_size / 1e6, 2)
            # the leaderboard alone (issue 22: it was most of the report's engine time): its
            # median against the same in-run baseline as the report's, the three commands' sum
            board = commands["leaderboard"]
            figures[f"{label}_leaderboard_over_commands"] = round(board["median_s"] / max(total, 1e-9), 2)
            figures[f"{label}_leaderboard_cpu_over_commands_cpu"] = round(
                board["median_cpu_s"] / max(figures[f"{label}_commands_total_cpu_s"], 1e-9), 2)
            print(f"{n:>9,} pairs  stats leaderboard --by domain {board['median_s']:7.2f} s (CPU "
                  f"{board['median_cpu_s']:.2f} s) {board['peak_mb']:7.1f} MB   "
                  f"{figures[f'{label}_leaderboard_over_commands']:.2f}x the three stats commands' wall time, "
                  f"{figures[f'{label}_leaderboard_cpu_over_commands_cpu']:.2f}x their CPU time "
                  f"(agreement {commands['agreement']['median_s']:.2f} s, judges {commands['judges']['median_s']:.2f} s)")
            print(f"{n:>9,} pairs  annotator report {report['median_s']:7.2f} s (CPU {report['median_cpu_s']:.2f} s) "
                  f"{report['peak_mb']:7.1f} MB   (the three stats commands: {total:.2f} s, CPU "
                  f"{figures[f'{label}_commands_total_cpu_s']:.2f} s)  steps: {figures[f'{label}_report_steps']}"
                  f"  engine CPU: {engines_cpu}  critical path CPU {figures[f'{label}_report_critical_path_cpu_s']} s")
    figures["large_report_over_commands"] = round(figures["large_report"]["median_s"]
                                                  / max(figures["large_commands_total_s"], 1e-9), 2)
    figures["large_report_cpu_over_commands_cpu"] = round(figures["large_report"]["median_cpu_s"]
                                                          / max(figures["large_commands_total_cpu_s"], 1e-9), 2)
    figures["load_after"] = os.getloadavg()
    figures["within_target_ratio"] = figures["large_report_cpu_over_commands_cpu"] <= TARGET_RATIO
    print(f"report / the three commands: wall {figures['large_report_over_commands']:.2f}x, CPU "
          f"{figures['large_report_cpu_over_commands_cpu']:.2f}x (target <= {TARGET_RATIO}x); load "
          f"{figures['load_before'][0]:.1f} -> {figures['load_after'][0]:.1f}")
    figures["within_target_wall"] = figures["large_report"]["median_s"] < TARGET_S
    figures["within_target_critical_path_cpu"] = figures["large_report_critical_path_cpu_s"] < TARGET_S
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
