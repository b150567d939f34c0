"""Benchmark: the pair screen's word diff on long, near-identical responses.

Two responses of ``--words`` words (default 3,000, one line each side, as a model's long
paragraph) that differ every 97th word, and the same with the words cut into lines of 12
(a Markdown answer). Times, as medians of ``--repeats`` runs (default 3):

* ``word_diff_s``: :func:`annotator.text.diff.word_diff` (lines aligned first, then words
  inside changed lines; segments and hunks built);
* ``baseline_s``: the baseline library alone, in the same run: one ``difflib.SequenceMatcher``
  over the two word lists (``autojunk=False``) and its opcodes, no segments built;
* ``ratio``: ``word_diff_s / baseline_s``.

Target: ``word_diff_s`` under 2 s for 3,000 words on the project's 2-core machine (the
old wall-clock test of tests/tui/test_diff.py, moved here). The load average is printed
beside the figures. The last line printed is one JSON object with every figure.

    .venv/bin/python benchmarks/diff_bench.py [--words 3000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.text.diff import word_diff  # noqa: E402


def texts(n_words: int, per_line: int | None, seed: int = 3) -> tuple[str, str]:
    rng = random.Random(seed)
    vocabulary = [f"word{i}" for i in range(300)] + ["the", "a", "of", "and"] * 20
    words = [rng.choice(vocabulary) for _ in range(n_words)]
    changed = ["CHANGED" if i % 97 == 0 else w for i, w in enumerate(words)]

    def join(ws: list[str]) -> str:
        if per_line is None:
            return " ".join(ws)
        return "\n".join(" ".join(ws[i:i + per_line]) for i in range(0, len(ws), per_line)) + "\n"

    return join(words), join(changed)


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for shape, per_line in (("one_line", None), ("lines_of_12", 12)):
        a, b = texts(args.words, per_line)
        ours = median_seconds(lambda a=a, b=b: word_diff(a, b), args.repeats)
        base = median_seconds(
            lambda a=a, b=b: SequenceMatcher(None, a.split(), b.split(), autojunk=False).get_opcodes(), args.repeats)
        results[shape] = {"word_diff_s": round(ours, 4), "baseline_s": round(base, 4),
                          "ratio": round(ours / base, 2) if base > 0 else None}
        print(f"{shape:<12} {args.words} words: word_diff {ours:.3f} s, difflib alone {base:.3f} s, "
              f"ratio {results[shape]['ratio']}  (target word_diff < 2 s)", flush=True)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores; medians of {args.repeats}")
    print(json.dumps({"words": args.words, "repeats": args.repeats, "shapes": results,
                      "max_word_diff_s": max(r["word_diff_s"] for r in results.values()),
                      "cpu_count": os.cpu_count(), "load_average": round(load, 2)}))


if __name__ == "__main__":
    main()
