"""Interruption and resumption, the cache, the budget, dry runs and re-parsing."""

import asyncio

import pytest

from annotator.judge import RunOptions, load_judge, prepare, run_online
from annotator.judge.credentials import Endpoint
from tests.judge.sample_pairs import N_PAIRS

ALL = 2 * N_PAIRS  # both orders, one sample


def test_limit_then_rest_repeats_nothing(cli, server):
    first = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url,
                     "--model", "content", "--limit", "2")
    assert first["requested"] == 4 and len(server.chat_requests) == 4
    second = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content")
    assert second["already_done"] == 4 and second["requested"] == ALL - 4
    assert len(server.chat_requests) == ALL  # every call made exactly once
    third = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content")
    assert third["already_done"] == ALL and third["requested"] == 0 and len(server.chat_requests) == ALL


class CancelAfter:
    """A progress sink that cancels the run after ``n`` judgments, like Ctrl-C would."""

    def __init__(self, n):
        self.n, self.seen, self.task = n, 0, None

    def start(self, total, description):
        self.task = asyncio.current_task()

    def advance(self, *, failed, cost):
        self.seen += 1
        if self.seen == self.n:
            self.task.cancel()

    def stop(self):
        pass


def test_interrupted_run_resumes_without_repeating_saved_calls(db_store, server):
    judge = load_judge("mt-bench-pair")
    options = RunOptions(model="content;delay=0.05", concurrency=3)
    endpoint = Endpoint(server.url, "k")

    async def interrupted():
        prep = prepare(db_store, "demo", judge, options, server.url)
        with pytest.raises(asyncio.CancelledError):
            await run_online(db_store, prep, endpoint, CancelAfter(4))

    asyncio.run(interrupted())
    saved = db_store.judgments(db_store.get_run("demo", "mt-bench-pair@content;delay=0.05").id)
    assert 4 <= len(saved) < ALL  # everything finished before the interruption was written
    sent_before = len(server.chat_requests)
    prep = prepare(db_store, "demo", judge, options, server.url)
    assert prep.report.already_done == len(saved) and len(prep.calls) == ALL - len(saved)
    report = asyncio.run(run_online(db_store, prep, endpoint))
    assert report.requested == ALL - len(saved)
    assert len(server.chat_requests) - sent_before == ALL - len(saved)
    assert len(db_store.judgments(report.run_id)) == ALL


def test_budget_stops_the_run_and_a_rerun_finishes_it(cli, server, db_store):
    plan = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                    "--price", "1000,1000", "--dry-run")
    # The budget reserves each call's worst case (the prompt at one token per byte, the full
    # max_tokens out), so a call only starts when the spend so far plus that fits the budget.
    per_call = plan["worst_case_cost"] / plan["calls"]
    budget = per_call * 1.5
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                   "--price", "1000,1000", "--max-cost", str(budget), "--concurrency", "1")
    assert out["stopped"].startswith("budget of") and out["not_started"] > 0
    assert out["requested"] >= 1 and out["requested"] + out["not_started"] == ALL
    assert 0 < out["spent"] <= budget
    sent = len(server.chat_requests)
    rest = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                    "--price", "1000,1000")
    assert rest["requested"] == ALL - out["requested"] and len(server.chat_requests) == sent + rest["requested"]


def test_dry_run_makes_no_request_writes_nothing_and_needs_no_key(cli, server, db_store):
    plan = cli.json("judge", "run", "--judge", "worldalignment", "--dry-run")
    assert plan["calls"] == ALL and plan["endpoint"] == "https://api.openai.com/v1"
    assert plan["estimated_cost"] > 0 and plan["estimated_batch_cost"] == pytest.approx(plan["estimated_cost"] / 2)
    text = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--dry-run").stdout
    assert f"{ALL} calls to make" in text and "estimated cost: at most $" in text
    unknown = cli("judge", "run", "--judge", "mt-bench-pair", "--model", "other", "--dry-run").stdout
    assert "estimated cost: unknown (no price known for model other" in unknown
    assert server.chat_requests == [] and db_store.runs() == []


def test_no_key_and_no_base_url_names_both_ways(cli):
    result = cli("judge", "run", "--judge", "mt-bench-pair", code=1)
    assert "OPENAI_API_KEY" in result.stderr and "--base-url" in result.stderr


def test_other_run_with_same_requests_is_served_from_the_cache(cli, server, db_store):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", "--price", "1,1")
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                   "--price", "1,1", "--name", "copy")
    assert out["from_cache"] == ALL and out["requested"] == 0 and len(server.chat_requests) == ALL
    copied = db_store.judgments(db_store.get_run("demo", "copy").id)
    assert len(copied) == ALL and all(j.verdict and j.raw_output and j.messages for j in copied)


def test_same_run_name_with_other_settings_is_refused(cli, server):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", "--name", "x")
    result = cli("judge", "run", "--judge", "profile-eval", "--base-url", server.url, "--model", "content",
                 "--name", "x", code=1)
    assert "different" in result.stderr and "template" in result.stderr and "--name" in result.stderr


def test_reparse_uses_stored_outputs_only(cli, server, tmp_path, db_store):
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('model = "content"\ntemplate = "profile-eval"\nparser = "mt-bench"\nmax_tokens = 50\n')
    right = tmp_path / "right.toml"
    right.write_text('model = "content"\ntemplate = "profile-eval"\nparser = "profile"\nmax_tokens = 50\n')
    cli("judge", "run", "--judge", str(wrong), "--base-url", server.url, "--name", "p")
    assert cli.json("judge", "show", "p")["unscored"] == {"unparseable": ALL}
    sent = len(server.chat_requests)
    out = cli.json("judge", "run", "--judge", str(right), "--name", "p", "--reparse")
    assert out["reparsed"] == {"A": N_PAIRS, "B": N_PAIRS}
    assert len(server.chat_requests) == sent
    show = cli.json("judge", "show", "p")
    assert show["verdicts"] == {"A": N_PAIRS, "B": N_PAIRS, "tie": 0} and show["position"]["consistency"] == 1.0


def test_cached_answers_are_parsed_with_the_new_runs_parser(cli, server, tmp_path, db_store):
    """A cache hit copies the model's answer, not another parser's reading of it."""
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content")
    own = tmp_path / "own.toml"
    own.write_text('model = "content"\ntemplate = "mt-bench-pair"\nparser = "profile"\n'
                   'temperature = 0.0\nmax_tokens = 1024\n')
    report = cli.json("judge", "run", "--judge", str(own), "--base-url", server.url, "--name", "own")
    assert report["from_cache"] == ALL and len(server.chat_requests) == ALL
    run = next(r for r in db_store.runs("demo") if r.name == "own")
    stored = db_store.judgments(run.id)
    assert len(stored) == ALL
    assert all(j.verdict is None and j.unscored_reason == "unparseable" for j in stored)


def test_run_served_from_the_cache_reports_what_it_found(cli, server, tmp_path):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content")
    text = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
               "--name", "copy").stdout
    assert f"{ALL} from the cache, 0 called" in text
    assert f"of these {ALL}: {ALL} scored, 0 unscored" in text
    # The same answers read by another parser: every copy unscored, and counted as such.
    own = tmp_path / "own.toml"
    own.write_text('model = "content"\ntemplate = "mt-bench-pair"\nparser = "profile"\n'
                   'temperature = 0.0\nmax_tokens = 1024\n')
    report = cli.json("judge", "run", "--judge", str(own), "--base-url", server.url, "--name", "own")
    assert (report["from_cache"], report["requested"], report["scored"]) == (ALL, 0, 0)
    assert report["unscored"] == {"unparseable": ALL}
    assert len(server.chat_requests) == ALL


def test_nothing_listening_is_reported_at_once(cli, db_store):
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", f"http://127.0.0.1:{port}/v1",
                 "--model", "content", env={"OPENAI_API_KEY": "k"}, code=1)
    assert "connection refused" in result.stderr and "timed out" not in result.stderr.lower()
    assert f"127.0.0.1:{port}" in result.stderr
    run = db_store.get_run("demo", "mt-bench-pair@content")
    # No error judgments were written for calls never answered: a rerun makes them all.
    assert run is None or db_store.judgments(run.id) == []
