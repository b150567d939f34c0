"""The judge runner against a hostile or broken server (the loopback server of tests/judge):
every wait, read and bill bounded; every failure named; a run that cannot succeed stops at once."""

from __future__ import annotations

import asyncio

import pytest

from annotator.judge import RunOptions, load_judge, prepare, run_online
from annotator.judge.calls import RAW_OUTPUT_LIMIT
from annotator.judge.credentials import Endpoint
from tests.judge.sample_pairs import N_PAIRS, expected_verdict


def _run(db_store, server, model, *, judge="mt-bench-pair", retries=None, **options):
    config = load_judge(judge)
    if retries is not None:
        config.max_retries = retries
    prep = prepare(db_store, "demo", config, RunOptions(model=model, orders="AB", **options), server.url)
    # A bound on the whole run: a wait that is not capped fails the test instead of hanging it.
    return asyncio.run(asyncio.wait_for(run_online(db_store, prep, Endpoint(server.url, "k")), 60))


@pytest.mark.parametrize("asked,note", [
    ("3600", "Retry-After over the cap of 0.05 s (e.g. '3600'): waited the cap"),
    ("inf", "Retry-After not a usable wait (e.g. 'inf'): exponential backoff instead"),
    ("nan", "Retry-After not a usable wait (e.g. 'nan'): exponential backoff instead"),
])
def test_retry_after_is_capped_and_said(db_store, server, asked, note):
    report = _run(db_store, server, f"content;retryafter={asked}", retry_cap_s=0.05, retry_base_s=0.001)
    assert report.scored == N_PAIRS and report.requests_sent == 2 * N_PAIRS
    assert report.notes == {note: N_PAIRS}


def test_timeout_is_a_total_per_request_not_per_read(db_store, server):
    # Each piece of the answer comes well within the timeout; the whole answer does not.
    report = _run(db_store, server, "content;trickle=3", retries=0, timeout=0.5, concurrency=N_PAIRS)
    assert report.scored == 0
    assert report.failures == {"timeout": {"count": N_PAIRS, "example": "no whole answer within 0.5 s"}}


def test_a_huge_answer_is_stored_cut_with_its_verdict(db_store, server):
    report = _run(db_store, server, f"content;big={3 * RAW_OUTPUT_LIMIT}")
    assert report.scored == N_PAIRS
    cut = [note for note in report.notes if "stored cut" in note]
    assert len(cut) == 1 and report.notes[cut[0]] == N_PAIRS
    stored = db_store.judgments(report.run_id)
    index = {p.id: int(p.pair_id[1:]) for p in db_store.pairs("demo")}
    for j in stored:
        assert j.verdict == expected_verdict(index[j.pair])
        assert len(j.raw_output) < RAW_OUTPUT_LIMIT + 200 and "characters cut: the answer was" in j.raw_output
        assert j.raw_output.rstrip().endswith(("[[A]]", "[[B]]"))  # the end is kept: reparse still reads it


@pytest.mark.parametrize("model,said", [
    ("content;big=2000000", "an answer of 2,00"),  # its Content-Length says so: not read at all
    ("content;big=2000000;trickle=0.2", "an answer of over 1,000,000 bytes"),  # chunked: read up to the limit
])
def test_an_answer_over_the_limit_is_not_read(db_store, server, model, said):
    report = _run(db_store, server, model, max_answer_bytes=1_000_000)
    assert report.scored == 0 and list(report.failures) == ["answer too large"]
    assert report.failures["answer too large"]["example"].startswith(said)
    assert all(j.failed for j in db_store.judgments(report.run_id))  # retried on the next run


def test_a_malformed_answer_is_an_unscored_judgment_with_the_reason(cli, server, db_store):
    out = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "badchoices",
              "--orders", "AB").stdout
    assert "Traceback" not in out
    assert f"failed: malformed answer x{N_PAIRS}, e.g. choices is str, not list" in out
    run = db_store.get_run("demo", "mt-bench-pair@badchoices")
    assert all(j.failed and j.unscored_reason.startswith("error: malformed answer") for j in db_store.judgments(run.id))


@pytest.mark.parametrize("usage,why", [
    ("-1000", "prompt_tokens is negative"), ("1e15", "prompt_tokens over the most the call can use"),
    ("2.5", "prompt_tokens is not a whole number"),
])
def test_impossible_usage_figures_are_refused_not_billed(db_store, server, usage, why):
    report = _run(db_store, server, f"content;usage={usage}", price=(1.0, 1.0))
    assert report.scored == N_PAIRS and report.spent == 0.0
    assert report.notes == {f"usage figures refused ({why})": N_PAIRS}
    assert report.without_cost == N_PAIRS
    assert all(j.cost is None and j.prompt_tokens is None for j in db_store.judgments(report.run_id))


def test_negative_usage_cannot_defeat_the_budget(cli, server):
    plan = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model",
                    "content;usage=-100000000", "--price", "1000,1000", "--orders", "AB", "--dry-run")
    budget = plan["worst_case_cost"] / plan["calls"] * 1.5
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model",
                   "content;usage=-100000000", "--price", "1000,1000", "--orders", "AB",
                   "--max-cost", str(budget), "--concurrency", "1")
    # A negative bill would have paid for every call; refused, each call is charged its worst case.
    assert out["requested"] == 1 and out["not_started"] == N_PAIRS - 1 and out["stopped"].startswith("budget")


def test_max_cost_is_never_exceeded_with_calls_in_flight(cli, server):
    """The server bills the most a call can honestly use; the budget reserved just that."""
    model = "content;fullusage=1"
    plan = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", model,
                    "--price", "1000,1000", "--dry-run")
    budget = plan["worst_case_cost"] / plan["calls"] * 2.5
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", model,
                   "--price", "1000,1000", "--max-cost", str(budget), "--concurrency", "4")
    assert out["requested"] == 2 and out["spent"] <= budget


@pytest.mark.parametrize("status,said", [
    (404, "The model `content;status=404` does not exist"), (400, "does not exist"),
    (422, '[{"loc": ["body", "messages"], "msg": "field required"}]'),
])
def test_client_errors_stop_the_run_at_the_first_call(cli, server, db_store, status, said):
    result = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model",
                 f"content;status={status}", "--name", "wrong", "--concurrency", "8", code=1)
    assert len(server.chat_requests) == 1
    assert f"answered HTTP {status} to the first call: " in result.stderr and said in result.stderr
    assert "stopped after 1 request(s)" in result.stderr and "--base-url" in result.stderr
    run = db_store.get_run("demo", "wrong")
    assert run is None or db_store.judgments(run.id) == []


def test_a_url_with_an_unknown_scheme_is_refused_before_any_call(cli, server, db_store):
    url = server.url.replace("http://", "htp://")
    result = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", url, "--model", "content", code=1)
    assert "the scheme must be http:// or https:// (found htp://)" in result.stderr
    assert server.chat_requests == [] and db_store.runs() == []


def test_the_summary_names_each_kind_of_failure_with_an_example(cli, server, tmp_path):
    judge = tmp_path / "once.toml"
    judge.write_text('model = "content;500=9"\ntemplate = "mt-bench-pair"\nparser = "mt-bench"\nmax_retries = 0\n')
    out = cli("judge", "run", "--judge", str(judge), "--base-url", server.url, "--orders", "AB").stdout
    assert f"unscored: error {N_PAIRS}" in out
    assert f"failed: HTTP 500 x{N_PAIRS}, e.g. The server had an error (retried on the next run)" in out
    show = cli("judge", "show", "--run", "once").stdout
    assert f"failed    HTTP 500 x{N_PAIRS}, e.g. The server had an error" in show
    assert cli.json("judge", "show", "--run", "once")["failures"] == {
        "HTTP 500": {"count": N_PAIRS, "example": "The server had an error"}}


def test_a_run_that_never_answered_does_not_block_its_name(cli, server, db_store):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content;status=404",
        "--name", "mine", code=1)
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "wrong-model",
        "--name", "mine", "--orders", "AB", "--limit", "1", code=0)
    # answered now: its settings are fixed, another model under the same name is refused
    refused = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content",
                  "--name", "mine", code=1)
    assert "different model" in refused.stderr
    assert db_store.get_run("demo", "mine").model == "wrong-model"


def test_cached_pointwise_scores_are_counted_as_scored(cli, server):
    """Issue 16: the count of a cache copy used the verdict alone; a score is scored too."""
    first = cli.json("judge", "run", "--judge", "mt-bench-single", "--base-url", server.url, "--model", "content")
    assert first["scored"] == first["planned"] > 0
    copy = cli.json("judge", "run", "--judge", "mt-bench-single", "--base-url", server.url, "--model", "content",
                    "--name", "copy")
    assert (copy["from_cache"], copy["scored"], copy["unscored"]) == (first["planned"], first["planned"], {})


def test_delete_asks_and_removes_judgments_never_labels(cli, server, db_store):
    from annotator.store import Label

    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", "--name", "gone")
    pair = next(db_store.pairs("demo"))
    db_store.add_label(Label(pair=pair.id, annotator="ann", choice="A"))
    labels = db_store.query("SELECT COUNT(*) AS n FROM labels")[0]["n"]
    assert labels == 1
    run = db_store.get_run("demo", "gone")
    kept = cli("judge", "delete", "gone", input="n\n", code=1)
    assert "nothing deleted" in kept.stderr and db_store.get_run("demo", "gone") is not None
    out = cli.json("judge", "delete", "gone", "--yes")
    assert out["judgments_deleted"] == 2 * N_PAIRS
    assert db_store.get_run("demo", "gone") is None and db_store.judgments(run.id) == []
    assert db_store.query("SELECT COUNT(*) AS n FROM labels")[0]["n"] == labels


def test_rename_moves_the_run_and_its_jury_references(cli, server, db_store):
    for name in ("a", "b"):
        cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", "--name", name)
    cli("judge", "jury", "a", "b", "--name", "j")
    out = cli.json("judge", "rename", "a", "alpha")
    assert out == {"run": "alpha", "was": "a", "task": "demo", "updated": ["j"]}
    assert db_store.get_run("demo", "j").params["members"] == ["alpha", "b"]
    assert len(db_store.judgments(db_store.get_run("demo", "alpha").id)) == 2 * N_PAIRS
    assert "already has a run named 'b'" in cli("judge", "rename", "alpha", "b", code=1).stderr
    assert "member of j" in cli("judge", "delete", "b", "--yes", code=1).stderr


def test_saving_a_judgment_again_replaces_it_in_place(db_store):
    """The runner's batched write: one row per (run, pair, order, sample, target), its id kept."""
    from annotator.store import JudgeRun, Judgment

    run = db_store.get_or_create_run(JudgeRun(task="demo", name="r"))
    pair = next(db_store.pairs("demo"))
    first = Judgment(run=run.id, pair=pair.id, verdict="A", messages=[{"role": "user", "content": "é"}],
                     top_logprobs=[["m", -0.1]], raw_output="m")
    db_store.save_judgments([first, Judgment(run=run.id, pair=pair.id, order="BA", status="failed",
                                             unscored_reason="error: timeout: x")])
    (saved_ab, saved_ba) = db_store.judgments(run.id)
    db_store.save_judgments([Judgment(run=run.id, pair=pair.id, order="BA", verdict="B", score=None, cost=0.5)])
    ab, ba = db_store.judgments(run.id)
    assert ab == saved_ab and ab.messages == [{"role": "user", "content": "é"}] and ab.top_logprobs == [["m", -0.1]]
    assert ba.id == saved_ba.id and (ba.verdict, ba.status, ba.unscored_reason, ba.cost) == ("B", "done", "", 0.5)


_BOUNDED_RUN = """
import asyncio, resource, sys
from annotator.store import Store
from annotator.judge import RunOptions, load_judge, prepare, run_online
from annotator.judge.credentials import Endpoint
db, url = sys.argv[1:3]
store = Store.open(db)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
prep = prepare(store, "demo", load_judge("mt-bench-pair"), RunOptions(model="content;flood=200", orders="AB", limit=2), url)
report = asyncio.run(run_online(store, prep, Endpoint(url, "k")))
print(report.failures["answer too large"]["count"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 - before)
"""


def test_a_200_mib_answer_is_read_in_bounded_memory(db_path, server):
    """Under an address-space limit far below the answer's size, the run ends normally."""
    import resource
    import subprocess
    import sys
    from pathlib import Path

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))

    done = subprocess.run([sys.executable, "-c", _BOUNDED_RUN, str(db_path), server.url], capture_output=True,
                          text=True, preexec_fn=limit, cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    refused, growth_mib = map(int, done.stdout.split())
    # The peak grows by far less than the 200 MiB answer (imports are measured before the run).
    assert refused == 2 and growth_mib < 100


def test_a_capped_wait_is_said_while_the_run_goes_on(db_store, server):
    class Notes:
        def __init__(self):
            self.said = []

        def start(self, total, description):
            pass

        def advance(self, *, failed, cost):
            pass

        def stop(self):
            pass

        def note(self, text):
            self.said.append(text)

    config = load_judge("mt-bench-pair")
    prep = prepare(db_store, "demo", config, RunOptions(model="content;retryafter=3600", orders="AB",
                                                        retry_cap_s=0.05), server.url)
    notes = Notes()
    report = asyncio.run(asyncio.wait_for(run_online(db_store, prep, Endpoint(server.url, "k"), notes), 60))
    assert report.scored == N_PAIRS
    assert notes.said == ["Retry-After over the cap of 0.05 s (e.g. '3600'): waited the cap"]  # once, not per call
