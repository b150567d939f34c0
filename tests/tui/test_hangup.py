"""A closed terminal gives the annotator's pairs and name back (a real process on a pty)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time

import pytest

from annotator.store import Pair, Store, Task


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_closing_the_terminal_releases_claims_and_name(tmp_path):
    db = tmp_path / "h.db"
    store = Store.open(db)
    store.save_task(Task(name="t", overlap=1))
    store.insert_pairs(Pair(task="t", pair_id=f"p{i}", prompt="q", response_a="a", response_b="b",
                            content_hash=f"h{i}") for i in range(5))
    master, slave = pty.openpty()
    env = {**os.environ, "ANNOTATOR_CONFIG": str(tmp_path / "none.toml"), "TERM": "xterm-256color",
           "COLUMNS": "120", "LINES": "35"}
    proc = subprocess.Popen([sys.executable, "-m", "annotator", "--db", str(db), "annotate", "--annotator", "ann"],
                            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    try:
        deadline = time.monotonic() + 60
        while not store.claims("t") and time.monotonic() < deadline:
            try:  # keep the terminal's output flowing
                os.set_blocking(master, False)
                os.read(master, 65536)
            except OSError:
                pass
            time.sleep(0.1)
        assert store.claims("t"), "the app never claimed a pair"
        assert [w["annotator"] for w in store.writers("t")] == ["ann"]
        os.killpg(proc.pid, signal.SIGHUP)  # what closing a terminal window does
        os.close(master)
        assert proc.wait(timeout=60) == 129
    finally:
        if proc.poll() is None:
            proc.kill()
    assert store.claims("t") == [] and store.writers("t") == []
    store.close()
