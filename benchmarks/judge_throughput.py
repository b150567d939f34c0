"""Judge throughput: 2,000 judgments against a loopback server answering after 100 ms.

1,000 pairs in both orders, concurrency 50, through the real runner (its aiohttp transport,
the cache, the database writes). Baselines timed in the same run, on the same request
bodies at the same concurrency: a bare aiohttp client (what the server and the loopback
allow) and the bare official client (AsyncOpenAI ``chat.completions.create``). Targets: the
runner >= 95 % of bare aiohttp's throughput; the command line end to end (``annotator judge
run`` in a subprocess, its progress bar on a pseudo-terminal, Python start-up, imports and
planning included) >= 85 % of the ideal, 2,000 x 0.1 s / 50 = 4 s; its run phase alone (the
seconds the command reports) likewise. A re-run with everything cached: zero requests.
Client CPU per call (process time / 2,000) for the runner and bare aiohttp. The command's
wall time is split by what the server saw: start-up to the first request, the calls (first
request to last answer), and the tail (last answer to the process's exit). The loopback
server's own CPU per call (Linux /proc; null elsewhere): each wave of answers costs it
concurrency times that, which every client waits for alike. The package's bytecode is
compiled first, as an installed package has it.

The server runs in its own process (tests/judge/fake_openai.py). Medians of --repeat runs,
each on a fresh database; the machine's load (os.getloadavg) before and after. Last line:
one JSON object with the figures.

    .venv/bin/python benchmarks/judge_throughput.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402  (imported up front: the runner imports it lazily)
import openai  # noqa: E402  (the bare-client baseline)

from annotator.judge import RunOptions, load_judge, prepare, run_online  # noqa: E402
from annotator.judge.credentials import Endpoint  # noqa: E402
from annotator.store import Pair, Store, Task  # noqa: E402

PAIRS, CONCURRENCY, DELAY = 1000, 50, 0.1
JUDGMENTS = 2 * PAIRS
IDEAL_S = JUDGMENTS * DELAY / CONCURRENCY
MODEL = f"content;delay={DELAY}"


def make_store(path: Path) -> Store:
    store = Store.open(path)
    store.save_task(Task(name="bench"))
    store.insert_pairs(
        Pair(task="bench", pair_id=f"p{i}", prompt=f"Question {i}: " + "context " * 60,
             response_a=f"GOOD answer {i} " + "text " * 150, response_b=f"BAD answer {i} " + "text " * 120,
             content_hash=str(i))
        for i in range(PAIRS)
    )
    return store


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of another process, from Linux's /proc (None elsewhere): the
    loopback server's own share of each wave's time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def server_stats(url: str, reset: bool = False) -> dict:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/_stats" + ("?reset=1" if reset else "")) as response:
        return json.load(response)


def requests_seen(url: str) -> int:
    return server_stats(url)["chat_requests"]


async def bare_client(url: str, bodies: list[dict]) -> tuple[float, float]:
    """Wall and CPU seconds of a bare aiohttp client making the requests."""

    semaphore = asyncio.Semaphore(CONCURRENCY)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(body):
            async with semaphore:
                async with session.post(url + "/chat/completions", json=body) as response:
                    await response.json()

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - started, time.process_time() - cpu


async def bare_openai(url: str, bodies: list[dict]) -> float:
    """Wall seconds of the official async client making the requests (its aiohttp transport)."""
    semaphore = asyncio.Semaphore(CONCURRENCY)
    async with openai.AsyncOpenAI(base_url=url, api_key="bench-key", max_retries=0,
                                  http_client=openai.DefaultAioHttpClient()) as client:
        async def one(body):
            async with semaphore:
                await client.chat.completions.create(**body)

        started = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - started


def command_line(url: str, db: Path) -> tuple[float, float | None, dict]:
    """Wall seconds of `annotator judge run` in a subprocess (stderr, its progress bar, on a
    pseudo-terminal that is read as fast as it is written), the run phase it reports, and the
    phases seen from the server: start-up (launch to the first request arriving), the calls
    (first request to last answer sent) and the tail (last answer to the process's exit)."""
    server_stats(url, reset=True)
    master, slave = pty.openpty()

    def drain():
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    launched = time.time()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "annotator", "--db", str(db), "judge", "run", "--judge",
                           "mt-bench-pair", "--base-url", url, "--model", MODEL, "--concurrency", str(CONCURRENCY)],
                          stdout=subprocess.PIPE, stderr=slave, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    ended = launched + wall
    os.close(slave)
    reader.join(5)
    os.close(master)
    if done.returncode != 0:
        raise RuntimeError(f"annotator judge run failed: {done.stdout}")
    found = re.search(r"in ([\d.]+) s", done.stdout)
    seen = server_stats(url)
    first, last = seen["first_request_at"], seen["last_answer_at"]
    phases = {"startup_s": first - launched, "calls_s": last - first, "tail_s": ended - last} if first and last else {}
    return wall, float(found.group(1)) if found else None, phases


def compile_bytecode() -> None:
    """Compile the package's bytecode, as an installed package has it (pip compiles at
    install; an editable checkout writes it on first use, unless PYTHONDONTWRITEBYTECODE is
    set, when every start would compile the sources again)."""
    import compileall

    compileall.compile_dir(str(REPO / "annotator"), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    args = parser.parse_args()

    load_before = os.getloadavg()
    server = subprocess.Popen([sys.executable, str(REPO / "tests" / "judge" / "fake_openai.py")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    judge = load_judge("mt-bench-pair")
    endpoint = Endpoint(url, "bench-key")
    runs: dict[str, list] = {k: [] for k in ("online", "online_cpu", "cached", "cached_requests", "scored", "bare",
                                             "bare_cpu", "openai", "cli", "cli_run", "cli_startup",
                                             "cli_calls", "cli_tail", "server_cpu_bare", "server_cpu_cli")}
    compile_bytecode()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(args.repeat):
                store = make_store(Path(tmp) / f"bench{r}.db")
                options = RunOptions(model=MODEL, concurrency=CONCURRENCY)
                prep = prepare(store, "bench", judge, options, url)
                # the baselines send the very same request bodies
                bodies = [{"model": MODEL, "messages": c.messages, **prep.params} for c in prep.calls]
                started, cpu = time.perf_counter(), time.process_time()
                report = asyncio.run(run_online(store, prep, endpoint))
                runs["online"].append(time.perf_counter() - started)
                runs["online_cpu"].append(time.process_time() - cpu)
                runs["scored"].append(report.scored)

                before = requests_seen(url)
                started = time.perf_counter()
                prep = prepare(store, "bench", judge, options, url)
                again = asyncio.run(run_online(store, prep, endpoint))
                runs["cached"].append(time.perf_counter() - started)
                runs["cached_requests"].append(requests_seen(url) - before + again.requested)
                store.close()
                served = process_cpu_s(server.pid)
                wall, cpu = asyncio.run(bare_client(url, bodies))
                after = process_cpu_s(server.pid)
                runs["server_cpu_bare"].append(None if served is None or after is None else after - served)
                runs["bare"].append(wall)
                runs["bare_cpu"].append(cpu)
                runs["openai"].append(asyncio.run(bare_openai(url, bodies)))
                db = Path(tmp) / f"cli{r}.db"
                make_store(db).close()
                served = process_cpu_s(server.pid)
                wall, run_phase, phases = command_line(url, db)
                after = process_cpu_s(server.pid)
                runs["server_cpu_cli"].append(None if served is None or after is None else after - served)
                runs["cli"].append(wall)
                runs["cli_run"].append(run_phase)
                for key in ("startup", "calls", "tail"):
                    runs[f"cli_{key}"].append(phases.get(f"{key}_s"))
    finally:
        server.stdin.close()
        server.wait(10)
    load_after = os.getloadavg()

    optional = ("cli_run", "cli_startup", "cli_calls", "cli_tail", "server_cpu_bare", "server_cpu_cli")
    med = {k: statistics.median(v) for k, v in runs.items() if k not in optional}
    for key in optional:  # None where the command's output or the server's times were missing
        seen = [v for v in runs[key] if v is not None]
        med[key] = statistics.median(seen) if seen else None
    cli_run_s = med["cli_run"]
    figures = {
        "judgments": JUDGMENTS, "concurrency": CONCURRENCY, "server_delay_s": DELAY, "repeat": args.repeat,
        "ideal_s": IDEAL_S,
        "online_s": round(med["online"], 3),
        "online_per_s": round(JUDGMENTS / med["online"], 1),
        "share_of_ideal": round(IDEAL_S / med["online"], 3),
        "bare_aiohttp_s": round(med["bare"], 3),
        # the ratio within each repeat (the two timed a few seconds apart), then the median:
        # steadier on a loaded machine than the ratio of the two medians
        "share_of_bare_aiohttp": round(statistics.median(b / o for b, o in zip(runs["bare"], runs["online"])), 3),
        "share_of_bare_aiohttp_each": [round(b / o, 3) for b, o in zip(runs["bare"], runs["online"])],
        "bare_openai_s": round(med["openai"], 3),
        "share_of_bare_openai": round(statistics.median(b / o for b, o in zip(runs["openai"], runs["online"])), 3),
        "client_cpu_ms_per_call": round(1000 * med["online_cpu"] / JUDGMENTS, 3),
        "bare_aiohttp_cpu_ms_per_call": round(1000 * med["bare_cpu"] / JUDGMENTS, 3),
        "cpu_per_call_vs_bare_aiohttp": round(med["online_cpu"] / med["bare_cpu"], 3),
        "cli_end_to_end_s": round(med["cli"], 3),
        "cli_share_of_ideal": round(IDEAL_S / med["cli"], 3),
        "cli_end_to_end_each_s": [round(x, 3) for x in runs["cli"]],
        "cli_run_phase_s": None if cli_run_s is None else round(cli_run_s, 3),
        "cli_run_phase_share_of_ideal": None if cli_run_s is None else round(IDEAL_S / cli_run_s, 3),
        # seen from the server: launch -> first request, first request -> last answer, last answer -> exit
        "cli_startup_to_first_request_s": None if med["cli_startup"] is None else round(med["cli_startup"], 3),
        "cli_calls_s": None if med["cli_calls"] is None else round(med["cli_calls"], 3),
        "cli_calls_share_of_bare_aiohttp": None if med["cli_calls"] is None else round(med["bare"] / med["cli_calls"], 3),
        "cli_tail_after_last_answer_s": None if med["cli_tail"] is None else round(med["cli_tail"], 3),
        "bytecode": "compiled before timing (compileall), as an installed package has it",
        # the loopback server's CPU per call (its process, Linux /proc): each wave of 50 answers
        # costs it 50 times this, which delays the next wave for the bare client as for the runner
        "server_cpu_ms_per_call_bare_aiohttp": None if med["server_cpu_bare"] is None
        else round(1000 * med["server_cpu_bare"] / JUDGMENTS, 3),
        "server_cpu_ms_per_call_cli": None if med["server_cpu_cli"] is None
        else round(1000 * med["server_cpu_cli"] / JUDGMENTS, 3),
        "server_cpu_note": "" if med["server_cpu_bare"] is not None
        else "no /proc/PID/stat on this system: the server's CPU is not measured",
        "cached_rerun_s": round(med["cached"], 3),
        "cached_rerun_requests": max(runs["cached_requests"]),
        "scored": min(runs["scored"]),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
    }
    figures["target_met"] = {
        "runner_vs_bare_aiohttp_ge_0.95": figures["share_of_bare_aiohttp"] >= 0.95,
        "cli_end_to_end_ge_0.85_of_ideal": figures["cli_share_of_ideal"] >= 0.85,
        "cached_rerun_no_requests": figures["cached_rerun_requests"] == 0,
    }
    print(f"{JUDGMENTS} judgments, concurrency {CONCURRENCY}, server answers after {DELAY * 1000:.0f} ms; "
          f"load {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"runner:         {med['online']:.2f} s median of {args.repeat} ({figures['online_per_s']}/s), "
          f"{figures['share_of_ideal']:.1%} of ideal ({IDEAL_S:.1f} s); "
          f"client CPU {figures['client_cpu_ms_per_call']:.3f} ms per call")
    print(f"bare aiohttp:   {med['bare']:.2f} s, CPU {figures['bare_aiohttp_cpu_ms_per_call']:.3f} ms per call; "
          f"runner at {figures['share_of_bare_aiohttp']:.1%} of it (median of the paired ratios "
          f"{figures['share_of_bare_aiohttp_each']})")
    print(f"bare openai:    {med['openai']:.2f} s; runner at {figures['share_of_bare_openai']:.1%} of it")
    print(f"command line:   {med['cli']:.2f} s end to end ({figures['cli_share_of_ideal']:.1%} of ideal), run phase "
          + ("unknown" if cli_run_s is None else f"{cli_run_s:.2f} s ({figures['cli_run_phase_share_of_ideal']:.1%})"))
    if med["cli_startup"] is not None:
        print(f"  seen from the server: start-up to the first request {med['cli_startup']:.2f} s, the calls "
              f"{med['cli_calls']:.2f} s, last answer to exit {med['cli_tail']:.2f} s")
    if med["server_cpu_bare"] is not None:
        print(f"loopback server: {figures['server_cpu_ms_per_call_bare_aiohttp']:.3f} ms CPU per call under bare "
              f"aiohttp, {figures['server_cpu_ms_per_call_cli']:.3f} under the command line (x{CONCURRENCY} a wave)")
    print(f"cached re-run:  {med['cached']:.2f} s, {figures['cached_rerun_requests']} requests")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
