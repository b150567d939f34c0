"""Fixtures for the judge tests: a loopback OpenAI-compatible server and a task with pairs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Factor, Store, Task
from tests.judge.fake_openai import FakeOpenAI
from tests.judge.sample_pairs import make_pairs


@pytest.fixture
def server():
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No key, endpoint or user config leaks in from the machine running the tests."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANNOTATOR_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANNOTATOR_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "annotator.db"
    store = Store.open(path)
    custom = Factor(key="politeness", name="Politeness", definition="How courteous the response is.",
                    question="Which response is more polite?", custom=True)
    store.save_task(Task(name="demo", title="Demo task", guidelines="Pick the better answer.", factors=[custom]))
    store.insert_pairs(make_pairs("demo"))
    store.close()
    return path


@pytest.fixture
def db_store(db_path):
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def cli(db_path):
    """Invoke ``annotator --db DB ...``; returns the click result (asserting the exit code)."""
    runner = CliRunner()

    def invoke(*args, code: int = 0, env: dict | None = None, input: str | None = None):
        result = runner.invoke(main, ["--db", str(db_path), *args], env=env, input=input, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    invoke.json = lambda *args, **kw: json.loads(invoke(*args, "--json", **kw).stdout)
    return invoke
