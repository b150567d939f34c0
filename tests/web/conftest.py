"""A real `annotator serve` on 127.0.0.1 (its own process), with a demo task and two accounts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotator.cli import main

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(db: Path, *args: str):
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result


class Served:
    def __init__(self, db: Path, codes: dict[str, str], process: subprocess.Popen, port: int):
        self.db, self.codes, self.process, self.port = db, codes, process, port
        self.url = f"http://127.0.0.1:{port}/"
        self.origin = f"http://127.0.0.1:{port}"


def start_server(db: Path, *extra: str, port: int | None = None) -> tuple[subprocess.Popen, int]:
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "annotator", "--db", str(db), "serve", "--port", str(port), *extra],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120  # a bound against a hang: generous on a loaded machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("serve did not start listening")


NAMES = ("alice", "bob", "carol", "dora", "eve", "fred", "gina")


def add_small_task(db: Path, folder: Path, name: str = "small", n_pairs: int = 4) -> None:
    """A second task beside the demo: ``n_pairs`` short pairs, overlap 1, no training."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "task.toml").write_text(
        f'[task]\nname = "{name}"\ntitle = "Small task {name}"\noverlap = 1\n\n'
        '[data]\npath = "pairs.jsonl"\nformat = "jsonl"\nid = "id"\nprompt = "prompt"\n'
        'response_a = "a"\nresponse_b = "b"\n')
    rows = [{"id": f"{name}-{i}", "prompt": f"Question {i}?", "a": f"Answer one to {i}.",
             "b": f"Answer two to {i}."} for i in range(n_pairs)]
    (folder / "pairs.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    cli(db, "tasks", "add", str(folder))


def _serve(tmp_path: Path, *extra: str, second_task: bool = False):
    db = tmp_path / "web.db"
    cli(db, "tasks", "add", "demo")
    if second_task:
        add_small_task(db, tmp_path / "small")
    codes = {name: json.loads(cli(db, "annotators", "add", name, "--json").stdout)["code"] for name in NAMES}
    process, port = start_server(db, *extra)
    served = Served(db, codes, process, port)
    yield served
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One server for a module's tests (each test signs in with names of its own)."""
    yield from _serve(tmp_path_factory.mktemp("served"))


@pytest.fixture
def served_alone(tmp_path):
    """A server of the test's own (failed sign-ins are counted per server), at most one session."""
    yield from _serve(tmp_path, "--max-sessions", "1")


@pytest.fixture(scope="module")
def served_home(tmp_path_factory):
    """A server of two tasks (demo and "small") without --task: each person picks one."""
    yield from _serve(tmp_path_factory.mktemp("home"), second_task=True)
