"""Running judges against the loopback server through the command line."""


import pytest

from annotator.judge import RunOptions, load_judge, prepare, run_online
from tests.judge.sample_pairs import N_PAIRS, expected_verdict


def _by_pair(db_store, run_name):
    run = db_store.get_run("demo", run_name)
    index = {pid: ext for ext, (pid, _) in db_store.pair_index("demo").items()}
    return run, {(index[j.pair], j.order): j for j in db_store.judgments(run.id)}


def test_both_orders_canonical_verdicts_and_everything_stored(cli, server, db_store):
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url,
                   "--model", "content", "--price", "1,2")
    assert out["planned"] == 2 * N_PAIRS and out["scored"] == 2 * N_PAIRS
    assert len(server.chat_requests) == 2 * N_PAIRS
    run, judgments = _by_pair(db_store, "mt-bench-pair@content")
    assert run.model == "content" and run.endpoint == server.url
    assert run.template_version.startswith("1+")
    assert run.params["judge"]["parser"] == "mt-bench" and run.params["price"] == {"input": 1.0, "output": 2.0}
    for i in range(N_PAIRS):
        for order in ("AB", "BA"):
            j = judgments[(f"p{i}", order)]
            # The judge picks the GOOD response whichever side it was shown on; the stored
            # verdict is in canonical order.
            assert j.verdict == expected_verdict(i)
            assert j.raw_output.endswith(("[[A]]", "[[B]]")) and j.explanation.startswith("Assistant")
            assert j.messages[0]["role"] == "system" and f"Question {i}" in j.messages[1]["content"]
            assert j.prompt_tokens > 0 and j.completion_tokens > 0 and j.latency_s > 0
            assert j.cost == pytest.approx((j.prompt_tokens * 1 + j.completion_tokens * 2) / 1e6)
            assert len(j.cache_key) == 64
    # The request the server saw is the one stored, in the presented order.
    shown_first = [r["messages"][1]["content"] for r in server.chat_requests]
    assert any(judgments[("p0", "BA")].messages[1]["content"] == c for c in shown_first)
    show = cli.json("judge", "show", "mt-bench-pair@content")
    assert show["verdicts"] == {"A": N_PAIRS, "B": N_PAIRS, "tie": 0}  # 3 pairs each, both orders
    assert show["position"]["consistency"] == 1.0 and show["unscored"] == {}
    assert show["cost"] == pytest.approx(sum(j.cost for j in judgments.values()))


def test_position_biased_judge_is_exposed(cli, server):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "first")
    show = cli.json("judge", "show", "mt-bench-pair@first")
    assert show["position"]["consistency"] == 0.0
    assert show["position"]["first_position_rate"] == 1.0
    # Always "the first shown" is A in order AB and B in order BA: half and half canonically.
    assert show["verdicts"] == {"A": N_PAIRS, "B": N_PAIRS, "tie": 0}
    assert show["cost"] is None and "without a known cost" in show["cost_note"]
    text = cli("judge", "show", "mt-bench-pair@first").stdout
    assert "consistency 0.0%" in text and "first shown wins 100.0%" in text


def test_soft_verdict_from_logprobs_in_canonical_order(cli, server, db_store):
    cli("judge", "run", "--judge", "worldalignment", "--base-url", server.url, "--model", "content")
    assert all(r["logprobs"] is True and r["top_logprobs"] == 5 and r["max_tokens"] == 1
               for r in server.chat_requests)
    run, judgments = _by_pair(db_store, "worldalignment@content")
    p_chosen = 0.8 / (0.8 + 0.15)  # the server's first-token distribution
    for i in range(N_PAIRS):
        for order in ("AB", "BA"):
            j = judgments[(f"p{i}", order)]
            assert j.verdict == expected_verdict(i)
            expected = p_chosen if expected_verdict(i) == "A" else 1 - p_chosen
            assert j.p_a == pytest.approx(expected)
            assert j.top_logprobs and {t for t, _ in j.top_logprobs} >= {"m", "M"}


def test_reparse_recomputes_the_soft_verdict_from_stored_logprobs(cli, server, db_store):
    cli("judge", "run", "--judge", "worldalignment", "--base-url", server.url, "--model", "content")
    run, judgments = _by_pair(db_store, "worldalignment@content")
    before = {k: j.p_a for k, j in judgments.items()}
    for j in judgments.values():  # spoil the stored soft verdicts
        j.p_a = None
    db_store.save_judgments(list(judgments.values()))
    sent = len(server.chat_requests)
    cli("judge", "run", "--judge", "worldalignment", "--model", "content", "--reparse")
    _, after = _by_pair(db_store, "worldalignment@content")
    assert {k: j.p_a for k, j in after.items()} == pytest.approx(before)
    assert len(server.chat_requests) == sent  # no model call


def test_profile_and_factor_guided_judges(cli, server, db_store):
    cli("judge", "run", "--judge", "profile-eval", "--base-url", server.url, "--model", "content")
    cli("judge", "run", "--judge", "factor-guided", "--base-url", server.url, "--model", "content",
        "--guide", "politeness=more", "--orders", "AB")
    profile, pj = _by_pair(db_store, "profile-eval@content")
    assert all(j.verdict == expected_verdict(int(k[0][1:])) for k, j in pj.items())
    assert "Pick the better answer." in pj[("p0", "AB")].messages[1]["content"]  # task description
    guided, gj = _by_pair(db_store, "factor-guided@content+politeness=more")
    assert len(gj) == N_PAIRS and {k[1] for k in gj} == {"AB"}
    system = gj[("p0", "AB")].messages[0]["content"]
    assert "- Length: Number of words in the output. Guidance: this must not sway" in system
    assert "- Politeness: How courteous the response is. Guidance: prefer the response that shows more" in system
    assert guided.params["guidance"] == {"length": "neutral", "politeness": "more"}
    result = cli("judge", "run", "--judge", "factor-guided", "--base-url", server.url,
                 "--guide", "verbosity=less", code=1)
    assert "unknown factor 'verbosity'" in result.stderr


@pytest.mark.parametrize("model,reason", [
    ("malformed", "unparseable"), ("empty", "empty"), ("refuse", "refusal"), ("refusal-field", "refusal"),
])
def test_unusable_outputs_are_unscored_with_a_reason(cli, server, model, reason):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", model, "--orders", "AB")
    show = cli.json("judge", "show", f"mt-bench-pair@{model}")
    assert show["verdicts"] == {"A": 0, "B": 0, "tie": 0}
    assert show["unscored"] == {reason: N_PAIRS}
    assert show["position"]["consistency"] is None and show["position"]["consistency_reason"]


def test_retries_on_429_and_500_then_succeeds(cli, server):
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url,
                   "--model", "content;429=2;500=1", "--orders", "AB")
    assert out["scored"] == N_PAIRS and out["requests_sent"] == 4 * N_PAIRS
    assert len(server.chat_requests) == 4 * N_PAIRS


def test_persistent_server_errors_are_stored_as_errors_and_retried_next_time(tmp_path, db_store, server):
    judge = load_judge("mt-bench-pair")
    judge.max_retries = 1
    options = RunOptions(model="content;500=2", orders="AB", retry_base_s=0.001)
    prep = prepare(db_store, "demo", judge, options, server.url)
    from annotator.judge.credentials import Endpoint
    report = __import__("asyncio").run(run_online(db_store, prep, Endpoint(server.url, "k")))
    assert report.scored == 0 and report.unscored == {"error": N_PAIRS}
    errors = db_store.judgments(report.run_id)
    assert all(j.unscored_reason == "error: HTTP 500: The server had an error" for j in errors)
    assert report.failures == {"HTTP 500": {"count": N_PAIRS, "example": "The server had an error"}}
    assert all(j.failed and j.status == "failed" for j in errors)
    from annotator.judge.summary import summarise
    run = db_store.get_run_by_id(report.run_id)
    pending = summarise(run, db_store.judgment_summaries(run.id))
    assert (pending["planned"], pending["to_do"]) == (N_PAIRS, N_PAIRS)  # failed calls are still to do
    # The next run retries only the failed calls; the third attempt of each succeeds.
    prep = prepare(db_store, "demo", judge, options, server.url)
    assert len(prep.calls) == N_PAIRS and prep.report.already_done == 0
    report = __import__("asyncio").run(run_online(db_store, prep, Endpoint(server.url, "k")))
    assert report.scored == N_PAIRS
    done = summarise(db_store.get_run_by_id(report.run_id), db_store.judgment_summaries(report.run_id))
    assert done["to_do"] == 0


def test_request_timeout_is_retried(db_store, server):
    import asyncio

    from annotator.judge.credentials import Endpoint

    # The first request of each pair hangs until dropped; the retry must then answer within the
    # timeout: 1 s, far above a loopback answer's milliseconds even on a loaded machine.
    options = RunOptions(model="content;timeout=1", orders="AB", timeout=1.0, retry_base_s=0.001, concurrency=N_PAIRS)
    prep = prepare(db_store, "demo", load_judge("mt-bench-pair"), options, server.url)
    report = asyncio.run(run_online(db_store, prep, Endpoint(server.url, "k")))
    assert report.scored == N_PAIRS and report.requests_sent == 2 * N_PAIRS


def test_non_json_body_is_an_error_not_a_crash(cli, server):
    out = cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url,
                   "--model", "notjson", "--orders", "AB")
    assert out["unscored"] == {"error": N_PAIRS}


def test_samples(cli, server, db_store):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", "--samples", "3")
    run = db_store.get_run("demo", "mt-bench-pair@content")
    judgments = db_store.judgments(run.id)
    assert len(judgments) == 3 * 2 * N_PAIRS and {j.sample for j in judgments} == {0, 1, 2}
    assert len({j.cache_key for j in judgments}) == len(judgments)


def test_baselines(cli, db_store):
    for name in ("longest", "shortest", "random"):
        cli("judge", "run", "--judge", name)
    rows = {r["name"]: r for r in cli.json("judge", "list")}
    assert {rows[n]["kind"] for n in ("longest", "shortest", "random")} == {"baseline"}
    pairs = {p.id: p for p in db_store.pairs("demo")}
    longest = db_store.judgments(db_store.get_run("demo", "longest").id)
    for j in longest:
        a, b = len(pairs[j.pair].response_a.split()), len(pairs[j.pair].response_b.split())
        assert j.verdict == ("A" if a > b else "B" if b > a else "tie") and j.order == "AB"
    shortest = {j.pair: j.verdict for j in db_store.judgments(db_store.get_run("demo", "shortest").id)}
    assert all(shortest[j.pair] == {"A": "B", "B": "A", "tie": "tie"}[j.verdict] for j in longest)
    first = [j.verdict for j in db_store.judgments(db_store.get_run("demo", "random").id)]
    cli("judge", "run", "--judge", "random", "--name", "random-again")
    again = [j.verdict for j in db_store.judgments(db_store.get_run("demo", "random-again").id)]
    assert first == again and set(first) <= {"A", "B"}


def test_judges_and_list_and_show_errors(cli):
    names = [j["name"] for j in cli.json("judge", "judges")]
    assert "worldalignment" in names and "random" in names
    assert cli.json("judge", "list") == []
    assert "no judge run 'nope'" in cli("judge", "show", "nope", code=1).stderr
    assert "no judge named 'nope'" in cli("judge", "run", "--judge", "nope", code=1).stderr
    assert "no task named 'x'" in cli("judge", "run", "--judge", "longest", "--task", "x", code=1).stderr


def test_show_judgments_prints_raw_output_as_text(cli, server, db_store):
    cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content", "--orders", "AB")
    text = cli("judge", "show", "mt-bench-pair@content", "--judgments").stdout
    assert "p0 AB #0: A" in text and "[[A]]" in text  # Rich markup-like text printed literally
    near = cli("judge", "show", "mt-bench-pair", code=1).stderr
    assert "did you mean mt-bench-pair@content?" in near
    data = cli.json("judge", "show", "mt-bench-pair@content", "--judgments")
    assert len(data["judgment_list"]) == N_PAIRS and data["judgment_list"][0]["messages"]


def test_raw_output_is_data_not_markup_or_terminal_control(cli, db_store):
    from annotator.store import JudgeRun, Judgment

    run = db_store.get_or_create_run(JudgeRun(task="demo", name="imported-x", kind="imported"))
    pair = next(db_store.pairs("demo"))
    db_store.save_judgments([Judgment(run=run.id, pair=pair.id, verdict="A",
                                      raw_output="[bold red]loud[/] \x1b[31mred\x1b[0m [[A]]")])
    text = cli("judge", "show", "imported-x", "--judgments").stdout
    # the one terminal sanitiser (annotator.text.sanitize) shows ESC as its control picture
    assert "[bold red]loud[/]" in text and "\x1b" not in text and "\u241b[31mred" in text


def test_run_summary_fits_100_columns(cli, server):
    from annotator.cli.context import console
    saved = console._width
    console.width = 100
    try:
        out = cli("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model",
                  "content", "--name", "a-rather-long-run-name@some-model").output
    finally:
        console._width = saved
    lines = [line for line in out.splitlines() if "planned" in line or "scored" in line]
    assert lines and all(len(line) <= 100 and not line.endswith(" ") for line in lines), out
