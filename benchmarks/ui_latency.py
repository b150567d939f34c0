"""How long an annotator waits: save key -> next pair fully on screen, and start-up time.

Run: ``python benchmarks/ui_latency.py [--pairs 60] [--measure 50]`` from the repository root.

What it does
* Generates long pairs itself (4,000-8,000 characters of Markdown each: headings, lists,
  tables, Python code blocks), loads them into a temporary database through the store.
* Drives the app headless (Textual's pilot, 160x45) and, for ``--measure`` pairs, times
  from the moment the save key (Enter) is posted to the first screen paint after both
  panes hold the next pair. Paints are observed by wrapping the screen's compositor
  refresh; the frame's text is checked to contain the new pair (outside the timing).
  Before each save the benchmark lets the app go idle (pre-rendering finished), as it is
  after the seconds an annotator spends reading a pair.
* The same run with ``prefetch = false`` (every pair rendered on demand) and with the
  stock Textual ``Markdown`` widget (``renderer = "stock"``) gives the baselines.
* Scale: the "fast" run again on a task of ``--big-pairs`` pairs (default 100,000) and on one
  of ``--base-pairs`` (default 1,000): the same long pairs, open, among short ones that
  already have all their labels (overlap 3: about 300,000 labels at 100,000 pairs).
  Save-to-next-pair at 100,000 must stay within 1.5x of the run at 1,000 (p95): choosing,
  claiming and saving do not grow with the task.
* Start-up: wall time from starting a fresh Python process that runs ``annotator --db DB
  annotate --task T --annotator NAME`` (the command line's own entry point: its imports,
  opening the database, loading settings, building the app) to the first pair painted,
  headless (``App.run`` replaced by a headless run); median of ``--startup-runs``.
* Every save figure is the median of ``--repeat`` runs (default 3), each as its own
  annotator; beside the latency, the UI thread's CPU time per save (``time.thread_time``):
  up to the paint, and up to the end of the save (label written, confirmation shown).
* Every step (``--steps`` rounds, default 10; 0 skips them), at ``--base-pairs`` and
  ``--big-pairs`` on a copy of the scale task with a factor checklist: save, skip, back
  (``u``), go to a position (``:#N``), go to an unseen pair by its id (``:b17``, a claim),
  flag (``!``), a factor answer, help (``?``), search (``/``). Each is timed from its key to
  the first paint showing its result (any screen's compositor refresh is observed), with
  the UI thread's CPU to that paint and to the end of the step's database work; p50, p95,
  and per step the ratio 100k / 1k (the product rule: no interactive step gets slower as a
  task grows; target p95 ratio <= 1.5). One done pair in 50 carries a flag, as a big task's
  do. The steps' annotator has labelled every done pair before the first step
  (``--steps-history done``, the default: their history grows with the task, as a
  long-serving annotator's does, so a step that reads it all, such as search, shows in the
  ratio), or only what the steps label (``--steps-history none``).

* ``--against REF`` (e.g. ``--against main``) runs the same measurements, in the same
  invocation and on the same generated pairs, against the code of git revision REF (taken
  with ``git archive`` into a temporary folder and run in a child process with
  ``--code-root``), then prints both and the change: "before" is REF, "after" this tree.

Prints the figures, then (last line) one JSON object with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_root() -> Path:
    """The annotator code to measure: ``--code-root DIR`` (read before the imports below), else this tree."""
    if "--code-root" in sys.argv:
        return Path(sys.argv[sys.argv.index("--code-root") + 1]).resolve()
    return ROOT


CODE_ROOT = _code_root()
sys.path.insert(0, str(CODE_ROOT))

from textual import events  # noqa: E402
from textual.screen import Screen  # noqa: E402

from annotator.store import Label, Pair, Store, Task  # noqa: E402
from annotator.tasks.profile import PROFILE_FACTORS  # noqa: E402
from annotator.tui.app import create_app  # noqa: E402
from annotator.tui.config import Settings  # noqa: E402

SIZE = (160, 45)
TASK = "bench"

WORDS = (
    "model response answer function value result data method return list number string "
    "error case input output test example loop index memory performance cache request "
    "server client query table column type class object instance argument parameter "
    "because however therefore although which while when where this that these those "
    "quickly simply carefully directly usually often never always first second finally"
).split()


MATHS = [r"$x^2 + y^2 = r^2$", r"$\frac{a+b}{2}$", r"\(\sum_{i=1}^{n} i\)", r"$\alpha \leq \beta$",
         r"$\sqrt{b^2 - 4ac}$", r"$O(n \log n)$"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.15:
        words.insert(rng.randrange(1, len(words)), rng.choice(MATHS))
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"`{words[i]}()`"
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    return " ".join(words) + "."


def code_block(rng: random.Random) -> str:
    name = rng.choice(WORDS)
    lines = [f"def {name}_{rng.randint(1, 99)}(items, limit={rng.randint(1, 50)}):",
             '    """' + sentence(rng) + '"""', "    result = []"]
    for _ in range(rng.randint(4, 12)):
        var = rng.choice(WORDS)
        lines.append(f"    for {var} in items[:limit]:")
        lines.append(f"        if {var} % {rng.randint(2, 9)} == 0:")
        lines.append(f"            result.append({var} * {rng.randint(2, 99)})  # {rng.choice(WORDS)}")
    lines.append("    return result")
    return "```python\n" + "\n".join(lines) + "\n```"


def response(rng: random.Random, marker: str) -> str:
    """Markdown of 4,000 to 8,000 characters; the first line names the pair and side."""
    target = rng.randint(4000, 8000)
    parts = [f"Response {marker}: " + sentence(rng)]
    while sum(len(p) + 2 for p in parts) < target:
        kind = rng.random()
        if kind < 0.15:
            parts.append(f"## {sentence(rng)[:40]}")
        elif kind < 0.35:
            parts.append(code_block(rng))
        elif kind < 0.5:
            parts.append("\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(2, 5))))
        elif kind < 0.55:
            rows = ["| name | value | note |", "|---|---|---|"]
            rows += [f"| {rng.choice(WORDS)} | {rng.randint(1, 999)} | {rng.choice(WORDS)} |"
                     for _ in range(rng.randint(3, 6))]
            parts.append("\n".join(rows))
        else:
            parts.append(" ".join(sentence(rng) for _ in range(rng.randint(3, 6))))
    text = "\n\n".join(parts)
    return text[: max(target, 4000)] if len(text) > 8000 else text


def build_database(path: Path, n_pairs: int, seed: int = 0, filler: int = 0) -> dict[str, str]:
    """Create the task and its pairs; returns the response sizes.

    ``filler``: that many more short pairs, each already labelled by three annotators (the
    task's overlap is then 3), so the long pairs are the open ones among many done; one in 50
    of them flagged.
    """
    rng = random.Random(seed)
    store = Store.open(path)
    # Each measured run labels as its own annotator: every pair open to each of them.
    store.save_task(Task(name=TASK, title="Latency benchmark", overlap=3 if filler else 10, seed=seed))
    pairs = []
    for i in range(n_pairs):
        pairs.append(Pair(task=TASK, pair_id=f"b{i}", prompt=sentence(rng) + "\n\n" + sentence(rng),
                          response_a=response(rng, f"b{i}-A"), response_b=response(rng, f"b{i}-B"),
                          content_hash=f"b{i}"))
    store.insert_pairs(pairs)
    lengths = [len(p.response_a) for p in pairs] + [len(p.response_b) for p in pairs]
    if filler:
        store.insert_pairs(Pair(task=TASK, pair_id=f"f{i}", prompt=f"Filler question {i}?",
                                response_a=f"Filler answer A {i}.", response_b=f"Filler answer B {i}.",
                                content_hash=f"f{i}") for i in range(filler))
        ids = [pid for pid, in store.db.execute("SELECT id FROM pairs WHERE pair_id LIKE 'f%'").fetchall()]
        for who in ("x", "y", "z"):
            store.add_labels(Label(pair=pid, annotator=who, choice="A", origin="import") for pid in ids)
        # A big task has many flags: one done pair in 50 flagged (2,000 at 100,000 pairs).
        with store.atomic():
            store.db.conn.executemany(
                "INSERT INTO flags (pair, task, annotator, reason, created_at) VALUES (?, ?, 'x', 'filler', "
                "'2026-01-01T00:00:00+00:00')", [(pid, TASK) for pid in ids[::50]])
    store.close()
    return {"min_chars": min(lengths), "max_chars": max(lengths), "median_chars": statistics.median(lengths)}


def copy_with_checklist(src: Path, dst: Path, history: list[str] = ()) -> None:
    """A copy of a benchmark database whose task has a factor checklist (PROFILE's first three
    factors, optional), so the checklist step can be timed; the queue is the same.

    ``history``: annotators given a label on every done (filler) pair, so that their history
    grows with the task as a long-serving annotator's does (the queue is unchanged: those
    pairs have their three labels already)."""
    import shutil

    shutil.copyfile(src, dst)
    store = Store.open(dst)
    task = store.require_task(TASK)
    task.factors = [PROFILE_FACTORS[k] for k in list(PROFILE_FACTORS)[:3]]
    store.save_task(task, replace=True)
    if history:
        ids = [pid for pid, in store.db.execute("SELECT id FROM pairs WHERE pair_id LIKE 'f%' ORDER BY id")]
        for who in history:
            store.add_labels(Label(pair=pid, annotator=who, choice="A", seconds=5.0, origin="import")
                             for pid in ids)
    store.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def measure(db: Path, annotator: str, settings: Settings, n: int) -> dict:
    """``n`` saves timed; also the UI thread's CPU time per save (``time.thread_time`` of the
    thread running the app's event loop): up to the paint of the next pair, and up to the end
    of the save (its label written, the confirmation shown)."""
    store = Store.open(db)
    app = create_app(store, TASK, annotator, settings)
    latencies: list[float] = []
    cpu_paint: list[float] = []
    cpu_save: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        watch: dict = {"from": None, "painted": None, "cpu": None}
        painted = asyncio.Event()
        original = screen._compositor_refresh

        def observed_refresh() -> None:
            original()
            if watch["from"] is None or watch["painted"] is not None:
                return
            nxt = screen.pair
            if nxt is not None and nxt.id != watch["from"]:
                keys = (screen.left.shown_key, screen.right.shown_key)
                if all(k is not None and k[0] == nxt.id for k in keys):
                    watch["painted"], watch["cpu"] = time.perf_counter(), time.thread_time()
                    painted.set()

        screen._compositor_refresh = observed_refresh
        for _ in range(n):
            # The annotator reads: the app finishes its background work meanwhile.
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("1")
            await app.workers.wait_for_complete()
            await pilot.pause()
            watch["from"], watch["painted"] = screen.pair.id, None
            painted.clear()
            cpu = time.thread_time()
            start = time.perf_counter()
            app._driver.send_message(events.Key("enter", None))
            try:  # (an event, not a polling loop: the waiting costs the UI thread nothing)
                await asyncio.wait_for(painted.wait(), 30)
            except TimeoutError:
                raise RuntimeError(f"the next pair did not appear within 30 s: {watch} {screen.pair and screen.pair.id} {screen.left.shown_key} {screen.right.shown_key}") from None
            latencies.append(watch["painted"] - start)
            cpu_paint.append(watch["cpu"] - cpu)
            while getattr(screen, "_saving", False):  # the label still on its way to the database
                await asyncio.sleep(0.001)
            cpu_save.append(time.thread_time() - cpu)
            watch["from"] = None
            nxt = screen.pair
            # Outside the timing: the painted frame holds the new pair's first lines.
            frame = app.export_screenshot().replace("&#160;", " ")
            marker = f"Response {nxt.pair_id}-"
            if marker not in frame:
                raise RuntimeError(f"pair {nxt.pair_id} not on screen after the paint")
    store.close()
    return {
        "n": len(latencies),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * percentile(latencies, 0.95), 1),
        "max_ms": round(1000 * max(latencies), 1),
        "ui_cpu_to_paint_ms": round(1000 * statistics.median(cpu_paint), 1),
        "ui_cpu_per_save_ms": round(1000 * statistics.median(cpu_save), 1),
    }


def measure_repeated(db: Path, annotator: str, settings: Settings, n: int, repeat: int) -> dict:
    """``measure`` ``repeat`` times (each as its own annotator, from an unlabelled queue); every
    figure is the median over the repeats, each repeat's kept under ``runs``."""
    runs = [asyncio.run(measure(db, f"{annotator}-{i}", settings, n)) for i in range(repeat)]
    keys = [k for k in runs[0] if k != "n"]
    return {"n": runs[0]["n"], "repeats": repeat,
            **{k: round(statistics.median(r[k] for r in runs), 1) for k in keys}, "runs": runs}


STEPS = ("save", "skip", "back", "jump_position", "jump_id", "flag", "factor", "help", "search")


class StepWatch:
    """Times one step: from its key sent to the first paint (of whatever screen is active)
    after which ``done()`` holds; every screen's compositor refresh is observed."""

    def __init__(self):
        self.done = None
        self.painted: float | None = None
        self.cpu: float | None = None
        self.event = asyncio.Event()
        self.original = Screen._compositor_refresh
        watch = self

        def observed(screen) -> None:
            watch.original(screen)
            if watch.done is not None and watch.painted is None and screen is screen.app.screen and watch.done():
                watch.painted, watch.cpu = time.perf_counter(), time.thread_time()
                watch.event.set()

        Screen._compositor_refresh = observed

    def close(self) -> None:
        Screen._compositor_refresh = self.original


def pending(app) -> bool:
    """A step's database work still on its way (the pair screen's flag; absent: none)."""
    screen = app.screen
    return any(bool(getattr(s, "_saving", False)) for s in (screen, *app.screen_stack))


async def idle(app, pilot) -> None:
    """As after the seconds an annotator reads: background work done, nothing pending."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    while pending(app):
        await asyncio.sleep(0.001)
    await pilot.pause()


def showing(screen, pair_id: int | None = None, other_than: int | None = None) -> bool:
    """The pair screen is on top, both panes hold its pair, (which is ``pair_id``, or any
    pair but ``other_than``)."""
    if type(screen).__name__ != "PairScreen" or screen.pair is None:
        return False
    pid = screen.pair.id
    if (pair_id is not None and pid != pair_id) or (other_than is not None and pid == other_than):
        return False
    keys = (screen.left.shown_key, screen.right.shown_key)
    return all(k is not None and k[0] == pid for k in keys)


async def timed(app, pilot, watch: StepWatch, key: str, done, record: dict, step: str) -> None:
    """Send ``key`` (as a terminal would), wait for ``done`` painted, then for the step's
    database work to end; record latency and UI-thread CPU (to the paint, to the end)."""
    watch.done, watch.painted = done, None
    watch.event.clear()
    character = key if len(key) == 1 else None
    cpu = time.thread_time()
    start = time.perf_counter()
    app._driver.send_message(events.Key(key, character))
    try:
        await asyncio.wait_for(watch.event.wait(), 30)
    except TimeoutError:
        raise RuntimeError(f"step {step}: nothing painted within 30 s") from None
    while pending(app):
        await asyncio.sleep(0.001)
    end_cpu = time.thread_time()
    watch.done = None
    record.setdefault(step, []).append((watch.painted - start, watch.cpu - cpu, end_cpu - cpu))


async def type_into(pilot, text: str) -> None:
    names = {" ": "space", ":": "colon", "#": "number_sign", "-": "minus"}
    await pilot.press(*[names.get(ch, ch) for ch in text])


async def measure_steps(db: Path, annotator: str, settings: Settings, n: int, long_pairs: int) -> dict:
    """``n`` rounds of every interactive step of the pair screen, each timed from its key to
    the paint that shows its result (and on to the end of its database work):

    save (1, then Enter timed: the next pair on screen), skip (x: the next pair), back (u:
    the last labelled pair), jump_position (``:#N`` Enter timed: back to the fresh pair),
    jump_id (``:b17`` Enter timed: an unseen pair claimed and shown), flag (``!`` reason,
    Enter timed: the flag in the top bar), factor (f, then → timed: an answer of the
    checklist changed), help (? timed: the key list on screen), search (/ and text, its
    last character timed: the hits listed).
    """
    store = Store.open(db)
    app = create_app(store, TASK, annotator, settings)
    record: dict[str, list] = {}
    watch = StepWatch()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await idle(app, pilot)
            screen = app.screen
            session = app.session
            progress = screen.query_one("#progress")
            used: set[str] = set()
            for round_ in range(n):
                # save
                await pilot.press("1")
                await idle(app, pilot)
                first = screen.pair.id
                await timed(app, pilot, watch, "enter", lambda f=first: showing(app.screen, other_than=f),
                            record, "save")
                await idle(app, pilot)
                # skip
                here = screen.pair.id
                await timed(app, pilot, watch, "x", lambda h=here: showing(app.screen, other_than=h), record, "skip")
                await idle(app, pilot)
                # back (u): the last labelled pair
                last = session.history[-1]
                await timed(app, pilot, watch, "u", lambda pid=last: showing(app.screen, pair_id=pid), record, "back")
                await idle(app, pilot)
                # go to a position: the fresh pair again
                fresh = session.fresh.id
                await pilot.press("colon")
                await type_into(pilot, f"#{len(session.history) + 1}")
                await idle(app, pilot)
                await timed(app, pilot, watch, "enter", lambda pid=fresh: showing(app.screen, pair_id=pid),
                            record, "jump_position")
                await idle(app, pilot)
                # go to a pair by its id: an unseen one, claimed
                seen = {pid for pid, in store.db.execute(  # the long pairs this annotator labelled
                    "SELECT p.pair_id FROM labels l JOIN pairs p ON p.id = l.pair WHERE l.task = ? AND "
                    "l.annotator = ? AND p.pair_id LIKE 'b%'", [TASK, annotator])} | used
                seen |= {p.pair_id for p in (session.fresh, session._upcoming) if p is not None}
                seen |= {store.get_pair(pid).pair_id for pid in store.skipped_pairs(TASK, annotator)}
                target = next(f"b{i}" for i in range(long_pairs - 1, -1, -1) if f"b{i}" not in seen)
                used.add(target)
                await pilot.press("colon")
                await type_into(pilot, target)
                await idle(app, pilot)
                await timed(app, pilot, watch, "enter",
                            lambda t=target: showing(app.screen) and app.screen.pair.pair_id == t, record, "jump_id")
                await idle(app, pilot)
                # flag
                reason = f"prompt cut off {round_}"
                await pilot.press("exclamation_mark")
                await type_into(pilot, reason)
                await idle(app, pilot)
                await timed(app, pilot, watch, "enter",
                            lambda r=reason: app.screen is screen and progress.flag == r, record, "flag")
                await idle(app, pilot)
                # a factor of the checklist
                await pilot.press("f")
                await idle(app, pilot)
                key = app.label_task.factors[0].key
                before = screen.answer.factors.get(key)
                await timed(app, pilot, watch, "right", lambda b=before, k=key: screen.answer.factors.get(k) != b,
                            record, "factor")
                await pilot.press("escape")
                await idle(app, pilot)
                # help
                await timed(app, pilot, watch, "question_mark", lambda: type(app.screen).__name__ == "HelpScreen",
                            record, "help")
                await pilot.press("escape")
                await idle(app, pilot)
                # search
                await pilot.press("slash")
                await type_into(pilot, "Response ")
                await idle(app, pilot)
                search = app.screen
                search.hits = None
                await timed(app, pilot, watch, "b", lambda s=search: app.screen is s and isinstance(s.hits, list)
                            and bool(s.hits), record, "search")
                await pilot.press("escape")
                await idle(app, pilot)
    finally:
        watch.close()
        store.close()
    out = {}
    for step in STEPS:
        rows = record.get(step, [])
        latencies = [r[0] for r in rows]
        out[step] = {
            "n": len(rows),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p95_ms": round(1000 * percentile(latencies, 0.95), 1),
            "max_ms": round(1000 * max(latencies), 1),
            "ui_cpu_to_paint_ms": round(1000 * statistics.median(r[1] for r in rows), 1),
            "ui_cpu_per_step_ms": round(1000 * statistics.median(r[2] for r in rows), 1),
        }
    return out


def measure_steps_repeated(db: Path, annotator: str, settings: Settings, n: int, repeat: int,
                           long_pairs: int) -> dict:
    """``measure_steps`` ``repeat`` times (each as its own annotator); per step, every figure
    is the median over the repeats."""
    runs = [asyncio.run(measure_steps(db, f"{annotator}-{i}", settings, n, long_pairs)) for i in range(repeat)]
    out = {}
    for step in STEPS:
        keys = [k for k in runs[0][step] if k != "n"]
        out[step] = {"n": runs[0][step]["n"], "repeats": repeat,
                     **{k: round(statistics.median(r[step][k] for r in runs), 1) for k in keys}}
    return out


def show_steps(size: int, steps: dict) -> None:
    for step, r in steps.items():
        print(f"  {step:>14} [{size:>7,} pairs]: p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   "
              f"max {r['max_ms']:7.1f} ms   UI-thread CPU {r['ui_cpu_to_paint_ms']:5.1f} ms to the paint, "
              f"{r['ui_cpu_per_step_ms']:5.1f} ms per step   (n={r['n']}, median of {r['repeats']})", flush=True)


STARTUP_CHILD = r"""
import asyncio, sys
sys.path.insert(0, {root!r})
import textual.app

def headless_run(app, *args, **kwargs):
    # `annotate` runs the app: here headless, until the first pair is painted.
    async def main():
        async with app.run_test(size={size!r}) as pilot:
            while True:
                screen = app.screen
                left = getattr(screen, "left", None) if type(screen).__name__ == "PairScreen" else None
                if left is not None and left.shown_key is not None:
                    break
                await asyncio.sleep(0.002)
            await pilot.pause()
            print("READY", flush=True)
    asyncio.run(main())

textual.app.App.run = headless_run
from annotator.cli import main
main(["--db", {db!r}, "annotate", "--task", {task!r}, "--annotator", "startup"], standalone_mode=False)
"""


def startup_seconds(db: Path, runs: int) -> float:
    code = STARTUP_CHILD.format(root=str(CODE_ROOT), db=str(db), task=TASK, size=SIZE)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                env={"ANNOTATOR_CONFIG": str(db.parent / "no-config.toml"),
                                     "PATH": "/usr/bin:/bin"})
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        proc.wait(timeout=60)
        if line.strip() != "READY":
            raise RuntimeError("start-up child failed")
        times.append(elapsed)
    return statistics.median(times)


RUNS = ("fast", "fast_no_prefetch", "stock_markdown")


def run_against(ref: str, args) -> dict:
    """The same benchmark on the code of git revision ``ref`` (a child process); its JSON."""
    with tempfile.TemporaryDirectory() as old:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", old], input=archive.stdout, check=True)
        command = [sys.executable, str(Path(__file__).resolve()), "--code-root", old, "--pairs", str(args.pairs),
                   "--measure", str(args.measure), "--startup-runs", str(args.startup_runs),
                   "--repeat", str(args.repeat), "--runs", ",".join(args.runs), "--big-pairs", "0"]
        child = subprocess.run(command, capture_output=True, text=True)
        if child.returncode != 0:
            raise RuntimeError(f"the benchmark of {ref} failed:\n{child.stderr[-2000:]}")
        return json.loads(child.stdout.strip().splitlines()[-1])


def show(name: str, r: dict) -> None:
    print(f"save -> next pair on screen [{name:>16}]: p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   "
          f"max {r['max_ms']:7.1f} ms   UI-thread CPU {r['ui_cpu_to_paint_ms']:5.1f} ms to the paint, "
          f"{r['ui_cpu_per_save_ms']:5.1f} ms per save   (n={r['n']}, median of {r['repeats']})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=60, help="pairs generated (default 60)")
    parser.add_argument("--measure", type=int, default=50, help="saves timed per renderer (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement, median taken (default 3)")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--big-pairs", type=int, default=100_000,
                        help="pairs of the scale run (default 100,000; 0 skips it)")
    parser.add_argument("--base-pairs", type=int, default=1_000,
                        help="pairs of the scale run's baseline (default 1,000)")
    parser.add_argument("--runs", type=lambda v: v.split(","), default=list(RUNS),
                        help=f"comma-separated runs to make (default all: {','.join(RUNS)})")
    parser.add_argument("--steps", type=int, default=10,
                        help="rounds of every pair-screen step (save, skip, back, go to, flag, factor, help, "
                             "search) at --base-pairs and --big-pairs (default 10; 0 skips them)")
    parser.add_argument("--steps-history", choices=("done", "none"), default="done",
                        help="the history of the steps' annotator: a label on every done pair, so that it "
                             "grows with the task (done, default), or only the steps' own labels (none)")
    parser.add_argument("--against", metavar="REF", help="also measure git revision REF (before) in this invocation")
    parser.add_argument("--code-root", help="measure the annotator code in this folder (used by --against)")
    args = parser.parse_args()
    if args.measure > args.pairs - 1:
        parser.error("--measure must be below --pairs")
    if args.repeat * len(args.runs) > 9:
        parser.error("--repeat times the runs must be at most 9 (each run labels as its own annotator; overlap 10)")
    unknown = set(args.runs) - set(RUNS)
    if unknown:
        parser.error(f"unknown runs: {', '.join(sorted(unknown))}")
    load_before = [round(x, 2) for x in os.getloadavg()]
    before = None
    if args.against:
        print(f"measuring {args.against} (before) ...", flush=True)
        before = run_against(args.against, args)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        sizes = build_database(db, args.pairs)
        print(f"{args.pairs} pairs, responses of {sizes['min_chars']:,} to {sizes['max_chars']:,} "
              f"characters (median {sizes['median_chars']:,.0f}); terminal {SIZE[0]}x{SIZE[1]}")
        runs = {
            "fast": Settings(),
            "fast_no_prefetch": Settings(prefetch=False),
            "stock_markdown": Settings(renderer="stock"),
        }
        runs = {name: runs[name] for name in args.runs}
        results = {}
        for name, settings in runs.items():
            # A different annotator per run, so each starts from an unlabelled queue.
            results[name] = measure_repeated(db, name, settings, args.measure, args.repeat)
            show(name, results[name])
        startup = startup_seconds(db, args.startup_runs)
        print(f"start-up to first pair on screen (`annotator annotate`): {startup:.2f} s "
              f"(median of {args.startup_runs})", flush=True)
        scale: dict[str, dict] = {}
        steps: dict[str, dict] = {}
        # the scale runs measure this tree only (a --code-root child is the "before" of --against)
        if args.big_pairs > args.pairs and "fast" in args.runs and not args.code_root:
            for size in (args.base_pairs, args.big_pairs):
                scale_db = Path(tmp) / f"scale-{size}.db"
                started = time.perf_counter()
                build_database(scale_db, args.pairs, filler=max(0, size - args.pairs))
                print(f"{size:,}-pair task built in {time.perf_counter() - started:.0f} s "
                      f"({args.pairs} long pairs open, {max(0, size - args.pairs):,} done with 3 labels each)",
                      flush=True)
                steps_db = Path(tmp) / f"steps-{size}.db"
                if args.steps:  # the same task with a factor checklist, for the steps (before any label)
                    copy_with_checklist(scale_db, steps_db, history=[f"steps-{i}" for i in range(args.repeat)]
                                        if args.steps_history == "done" else [])
                scale[str(size)] = measure_repeated(scale_db, "scale", Settings(), args.measure, args.repeat)
                show(f"fast, {size:,}", scale[str(size)])
                if args.steps:
                    print(f"every step of the pair screen, {args.steps} rounds, {size:,} pairs, the annotator's "
                          f"history: {args.steps_history} ({max(0, size - args.pairs) if args.steps_history == 'done' else 0:,}"
                          " labels before the first step):", flush=True)
                    steps[str(size)] = measure_steps_repeated(steps_db, "steps", Settings(), args.steps,
                                                              args.repeat, args.pairs)
                    show_steps(size, steps[str(size)])

    summary = {"pairs": args.pairs, "measured": args.measure, "repeat": args.repeat, "response_chars": sizes,
               **{name: {k: v for k, v in r.items() if k != "runs"} for name, r in results.items()},
               "repeats": {name: r["runs"] for name, r in results.items()},
               "startup_s": round(startup, 3),
               # 1-, 5- and 15-minute load: a figure taken above the core count is not a quiet one
               "load_avg_before": load_before,
               "load_avg": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count()}
    fast, stock = results.get("fast"), results.get("stock_markdown")
    if fast and stock:
        summary["speedup_p50"] = round(stock["p50_ms"] / fast["p50_ms"], 1)
        summary["speedup_p95"] = round(stock["p95_ms"] / fast["p95_ms"], 1)
        print(f"speed-up over the stock Markdown widget: {summary['speedup_p50']}x (p50), "
              f"{summary['speedup_p95']}x (p95)")
    if fast:
        summary["targets_met"] = {"p95_at_most_50ms": fast["p95_ms"] <= 50, "startup_under_1_0s": startup < 1.0}
        if stock:
            summary["targets_met"]["at_least_10x"] = stock["p50_ms"] / fast["p50_ms"] >= 10
    base, big = scale.get(str(args.base_pairs)), scale.get(str(args.big_pairs))
    summary["scale"] = {size: {k: v for k, v in r.items() if k != "runs"} for size, r in scale.items()} or None
    summary["big_pairs"] = args.big_pairs if big else 0
    summary["big_p95_ratio"] = round(big["p95_ms"] / base["p95_ms"], 2) if big and base else None
    if big and base:
        summary["targets_met"]["big_p95_within_1_5x"] = big["p95_ms"] <= 1.5 * base["p95_ms"]
        print(f"{args.big_pairs:,}-pair task over {args.base_pairs:,}-pair task, p95: {summary['big_p95_ratio']}x "
              "(target <= 1.5)")
    base_steps, big_steps = steps.get(str(args.base_pairs)), steps.get(str(args.big_pairs))
    summary["steps"] = steps or None
    summary["steps_rounds"] = args.steps if steps else 0
    summary["steps_history"] = args.steps_history if steps else None
    if base_steps and big_steps:
        # The product rule: no interactive step gets slower as a task grows.
        ratios = {step: {"p50": round(big_steps[step]["p50_ms"] / base_steps[step]["p50_ms"], 2),
                         "p95": round(big_steps[step]["p95_ms"] / base_steps[step]["p95_ms"], 2),
                         "ui_cpu": (round(big_steps[step]["ui_cpu_per_step_ms"] / base_steps[step]["ui_cpu_per_step_ms"], 2)
                                    if base_steps[step]["ui_cpu_per_step_ms"] > 0 else None)}
                  for step in STEPS}
        summary["steps_big_ratio"] = ratios
        summary["targets_met"]["every_step_big_p95_within_1_5x"] = all(r["p95"] <= 1.5 for r in ratios.values())
        print(f"{args.big_pairs:,}-pair task over {args.base_pairs:,}-pair task, per step (target p95 <= 1.5):")
        for step, r in ratios.items():
            print(f"  {step:>14}: p50 {r['p50']}x   p95 {r['p95']}x   UI-thread CPU {r['ui_cpu']}x")
    else:
        summary["steps_big_ratio"] = None
    if before is not None:
        print(f"before ({args.against}) -> after (this tree), same pairs, same invocation:")
        for name in args.runs:
            b, a = before[name], results[name]
            print(f"  {name:>16}: p50 {b['p50_ms']:7.1f} -> {a['p50_ms']:7.1f} ms   "
                  f"p95 {b['p95_ms']:7.1f} -> {a['p95_ms']:7.1f} ms   "
                  f"UI CPU per save {b.get('ui_cpu_per_save_ms')} -> {a['ui_cpu_per_save_ms']} ms")
        print(f"  {'start-up':>16}: {before['startup_s']:.2f} -> {startup:.2f} s")
        summary["against"] = {"ref": args.against, "before": before}
    print(f"machine load (1, 5, 15 min) {load_before} -> {summary['load_avg']} on {os.cpu_count()} cores")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
