"""Batch API mode (submit, poll, collect, resume) and the API key staying out of storage."""

import asyncio
import json
from pathlib import Path

import pytest

from annotator.judge import RunOptions, load_judge, prepare
from annotator.judge.batch import run_batch
from annotator.judge.credentials import Endpoint
from tests.judge.sample_pairs import N_PAIRS, expected_verdict

ALL = 2 * N_PAIRS
SECRET = "sk-test-DO-NOT-STORE-0123456789abcdef"


def test_batch_mode_submits_polls_and_collects(cli, server, db_store, db_path):
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                   "--price", "1,2", "--batch", "--poll-interval", "0.01")
    assert out["scored"] == ALL and out["batch_id"] == "batch_1"
    assert server.chat_requests == [] and server.batch_lines == ALL
    run = db_store.get_run("demo", "mt-bench-pair@content")
    assert "batch" not in run.params and run.params["batches"][0]["status"] == "completed"
    request_file = run.params["batches"][0]["request_file"]
    lines = [json.loads(line) for line in Path(request_file).read_text().splitlines()]
    assert len(lines) == ALL and lines[0]["url"] == "/v1/chat/completions" and lines[0]["body"]["model"] == "content"
    index = {pid: ext for ext, (pid, _) in db_store.pair_index("demo").items()}
    for j in db_store.judgments(run.id):
        assert j.verdict == expected_verdict(int(index[j.pair][1:]))
        # Batch price: half the online price.
        assert j.cost == pytest.approx((j.prompt_tokens * 1 + j.completion_tokens * 2) / 1e6 * 0.5)
    again = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                     "--price", "1,2", "--batch", "--poll-interval", "0.01")
    assert again["requested"] == 0 and len(server.batches) == 1


def test_batch_interrupted_while_waiting_resumes_the_same_batch(cli, server, db_store, tmp_path):
    judge = load_judge("mt-bench-pair")
    options = RunOptions(model="content", poll_interval_s=30)
    prep = prepare(db_store, "demo", judge, options, server.url)

    async def interrupt_while_waiting():
        # Interrupted once the batch is created and recorded (what is waited for, not a fixed
        # second, which a loaded machine could spend before the batch exists).
        running = asyncio.create_task(run_batch(db_store, prep, Endpoint(server.url, "k"), tmp_path))
        for _ in range(6000):  # a bound against a hang (60 s), never reached when it works
            run = db_store.get_run("demo", "mt-bench-pair@content")
            if running.done() or (run is not None and "batch" in run.params):
                break
            await asyncio.sleep(0.01)
        assert not running.done()  # still polling (every 30 s)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

    asyncio.run(interrupt_while_waiting())
    run = db_store.get_run("demo", "mt-bench-pair@content")
    assert run.params["batch"]["id"] == "batch_1" and db_store.judgments(run.id) == []
    # An online run refuses while a batch is pending, rather than paying twice.
    result = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", code=1)
    assert "batch_1" in result.stderr and "--batch" in result.stderr
    assert "batch_1" in cli("judge", "show", "mt-bench-pair@content").stdout
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                   "--batch", "--poll-interval", "0.01")
    assert out["batch_id"] == "batch_1" and out["scored"] == ALL
    assert len(server.batches) == 1 and server.batch_lines == ALL and server.chat_requests == []


def _stored_bytes(db_path):
    data = b""
    for suffix in ("", "-wal", "-shm"):
        path = db_path.parent / (db_path.name + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


def test_api_key_is_sent_but_never_stored(cli, server, db_path, tmp_path):
    env = {"OPENAI_API_KEY": SECRET}
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", env=env)
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "notjson", env=env)
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "second",
        "--batch", "--poll-interval", "0.01", "--name", "b", env=env)
    assert server.headers[0]["Authorization"] == f"Bearer {SECRET}"
    outputs = [cli("judge", "show", name, "--judgments", "--json").stdout
               for name in ("mt-bench-pair@content", "mt-bench-pair@notjson", "b")]
    outputs.append(cli("judge", "list", "--json").stdout)
    assert all(SECRET not in text for text in outputs)
    assert SECRET.encode() not in _stored_bytes(db_path)
    batch_files = list((db_path.parent / "batches").glob("*.jsonl"))
    assert batch_files and all(SECRET.encode() not in f.read_bytes() for f in batch_files)


def test_key_from_named_variable_and_from_config_file(cli, server, tmp_path, monkeypatch):
    own = tmp_path / "own.toml"
    own.write_text('model = "content"\ntemplate = "mt-bench-pair"\nparser = "mt-bench"\napi_key_env = "MY_KEY"\n')
    cli("judge", "run", "--judge", str(own), "--base-url", server.url, "--orders", "AB", env={"MY_KEY": "k-one"})
    assert server.headers[-1]["Authorization"] == "Bearer k-one"
    config = tmp_path / "config.toml"
    config.write_text('[api_keys]\nOPENAI_API_KEY = "k-two"\n')
    monkeypatch.setenv("ANNOTATOR_CONFIG", str(config))
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "second", "--orders", "AB")
    assert server.headers[-1]["Authorization"] == "Bearer k-two"
    # A local server with no key configured gets a placeholder key.
    monkeypatch.setenv("ANNOTATOR_CONFIG", str(tmp_path / "none.toml"))
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "first", "--orders", "AB")
    assert server.headers[-1]["Authorization"] == "Bearer no-key-needed"


def test_a_refused_key_stops_the_run_at_the_first_call(cli, server, db_store):
    """Every call would get 401: one request is sent, nothing is stored, the exit is non-zero."""
    result = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                 "--concurrency", "8", "--name", "gate", env={"OPENAI_API_KEY": "sk-wrong"}, code=1)
    assert len(server.chat_requests) == 1
    assert "refused the credentials (HTTP 401: Incorrect API key provided" in result.output
    assert "stopped after 1 request(s)" in result.output and "run the same command again" in result.output
    run = db_store.get_run("demo", "gate")
    assert run is None or list(db_store.judgments(run.id)) == []
    # once the server accepts the key, the same run does every call
    done = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                    "--name", "gate", env={"OPENAI_API_KEY": "sk-right"})
    assert done["scored"] == done["planned"] > 0 and done["already_done"] == 0


def test_credentials_in_the_base_url_are_used_but_never_stored(cli, server, db_path):
    host = server.url.removeprefix("http://")
    url = f"http://alice:pa55word-xyz@{host}"
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", url, "--model", "content", "--orders", "AB")
    assert server.chat_requests  # the server was reached through that URL
    listed = cli("judge", "list", "--json").stdout + cli("judge", "show", "mt-bench-pair@content", "--json").stdout
    assert "***@" in listed
    for secret in ("pa55word-xyz", "alice"):
        assert secret not in listed
        assert secret.encode() not in _stored_bytes(db_path)
