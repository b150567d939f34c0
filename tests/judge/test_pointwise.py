"""Pointwise judges (a score per response or per instruction), reference-guided judging and
judges routed by domain, against the loopback server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.judge import parsers
from annotator.judge.config import JudgeConfigError, judge_from_dict
from annotator.store import Store
from tests.judge.sample_pairs import N_PAIRS


@pytest.mark.parametrize("text,score,reason", [
    ("Good answer.\nRating: [[8]]", 8.0, ""),
    ("Rating: [[3]] ... on reflection Rating: [[4]]", 4.0, ""),  # the last explicit one counts
    ("Score: 7/10", 7.0, ""),
    ("I give it 6 out of 10.", 6.0, ""),
    ("  9 ", 9.0, ""),
    ("Rating: [[11]]", None, "out of range 1-10: 11"),
    ("Rating: [[7.5]]", None, "not an integer: 7.5"),
    ("It is a fine answer overall.", None, "unparseable"),
    ("", None, "empty"),
])
def test_score_parser(text, score, reason):
    result = parsers.parse("score:1-10", text)
    assert (result.score, result.unscored_reason) == (score, reason)
    assert result.verdict is None


def test_yes_no_and_list_parsers():
    assert parsers.parse("yes-no", "The core question is answered.\nAnswer: yes").score == 1.0
    assert parsers.parse("yes-no", "No, it does not.").score == 0.0
    facts = parsers.parse("facts", "Here they are:\n- Water boils at 100 C.\n2. It is wet.\n")
    assert facts.items == ("Water boils at 100 C.", "It is wet.") and facts.score == 2.0
    assert parsers.parse("facts", '["a", "b", "c"]').score == 3.0
    assert parsers.parse("facts", "NONE").items == () and parsers.parse("facts", "NONE").score == 0.0
    labels = parsers.parse("fact-labels", "1. yes\n2. no\n3. yes\n4. yes")
    assert labels.items == (True, False, True, True) and labels.score == 0.75
    assert parsers.parse("fact-labels", "1. yes\n3. no").unscored_reason.startswith("unparseable")


def test_judge_config_checks_parser_and_scope(tmp_path):
    (tmp_path / "t.txt").write_text("{output}")
    base = {"template": "t.txt", "model": "m"}
    with pytest.raises(JudgeConfigError, match="LOW-HIGH"):
        judge_from_dict({**base, "parser": "score:10-1", "scope": "response"}, tmp_path / "j.toml")
    with pytest.raises(JudgeConfigError, match="does not fit scope"):
        judge_from_dict({**base, "parser": "score:1-10"}, tmp_path / "j.toml")  # scope defaults to pair
    with pytest.raises(JudgeConfigError, match="does not fit scope"):
        judge_from_dict({**base, "parser": "mt-bench", "scope": "response"}, tmp_path / "j.toml")
    with pytest.raises(JudgeConfigError, match="scope must be one of"):
        judge_from_dict({**base, "parser": "score:1-10", "scope": "everything"}, tmp_path / "j.toml")
    ok = judge_from_dict({**base, "parser": "score:0-5", "scope": "response"}, tmp_path / "j.toml")
    assert ok.targets == ("A", "B") and ok.pointwise


def test_pointwise_judge_scores_each_response_and_stats_scores(cli, server, db_store):
    out = cli.json("judge", "run", "--judge", "mt-bench-single", "--base-url", server.url, "--model", "content")
    # one call per response: 2 per pair, never swapped
    assert out["planned"] == 2 * N_PAIRS and len(server.chat_requests) == 2 * N_PAIRS
    assert out["scored"] == 2 * N_PAIRS
    run = db_store.get_run("demo", "mt-bench-single@content")
    assert run.kind == "pointwise"
    judgments = db_store.judgments(run.id)
    assert {j.order for j in judgments} == {"AB"} and {j.target for j in judgments} == {"A", "B"}
    # the GOOD response gets 8, the BAD one 3 (scripted); the prompt shows one response only
    pairs = {p.id: p for p in db_store.pairs("demo")}
    for j in judgments:
        text = pairs[j.pair].response_a if j.target == "A" else pairs[j.pair].response_b
        assert j.score == (8.0 if "GOOD" in text else 3.0)
        shown = j.messages[-1]["content"]
        assert text in shown and (pairs[j.pair].response_b if j.target == "A" else pairs[j.pair].response_a) not in shown
    # a pointwise run is not a judge of preference
    assert db_store.judgments_frame("demo").empty
    data = cli.json("stats", "scores")
    entry = data["runs"][0]
    assert entry["run"] == "mt-bench-single@content"
    # A is GOOD on even pairs (3 of 6): scores A = 8, 3, 8, 3, 8, 3
    a = entry["targets"]["A"]["all"]
    assert a["scored"] == 6 and a["mean"] == pytest.approx(5.5) and a["histogram"] == {"3": 3, "8": 3}
    assert entry["pairs"] == {"n": 6, "a_higher": 3, "b_higher": 3, "equal": 0}
    shown = cli("judge", "show", "mt-bench-single@content").stdout
    assert "response A: 6 scored, mean 5.50" in shown
    again = cli.json("judge", "run", "--judge", "mt-bench-single", "--base-url", server.url, "--model", "content")
    assert again["requested"] == 0 and again["already_done"] == 2 * N_PAIRS  # resumable like any run


def test_instruction_scorer_and_out_of_range_is_unscored(cli, server, db_store):
    out = cli.json("judge", "run", "--judge", "wa-difficulty", "--base-url", server.url, "--model", "content")
    assert out["planned"] == N_PAIRS  # one call per instruction
    run = db_store.get_run("demo", "wa-difficulty@content")
    assert {j.target for j in db_store.judgments(run.id)} == {"prompt"}
    assert {j.score for j in db_store.judgments(run.id)} == {5.0}
    bad = cli.json("judge", "run", "--judge", "wa-realism", "--base-url", server.url, "--model", "outofrange")
    assert bad["scored"] == 0 and bad["unscored"] == {"out of range 1-10: 11": N_PAIRS}
    data = cli.json("stats", "scores", "--run", "wa-realism@outofrange")
    assert data["runs"][0]["targets"]["prompt"]["all"]["unscored"] == N_PAIRS


TASK_TOML = """
[task]
name = "ref"
[task.routing]
math = "mt-bench-pair-ref"
"*" = "mt-bench-pair"

[data]
path = "pairs.jsonl"
id = "id"
prompt = "prompt"
response_a = "a"
response_b = "b"
domain = "domain"
reference = "ref"
"""


def _ref_task(tmp_path, with_reference_everywhere=False):
    folder = tmp_path / "ref"
    folder.mkdir()
    (folder / "task.toml").write_text(TASK_TOML)
    rows = [
        {"id": "m1", "domain": "math", "prompt": "2+2?", "a": "It is 5.", "b": "The answer is 4.", "ref": "4"},
        {"id": "m2", "domain": "math", "prompt": "3*3?", "a": "9, because 3*3=9", "b": "6", "ref": "9"},
        {"id": "i1", "domain": "instruction", "prompt": "Greet.", "a": "GOOD hello", "b": "BAD hi",
         "ref": "hello" if with_reference_everywhere else ""},
    ]
    (folder / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return folder


def _invoke(db, *args, code=0):
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_reference_guided_judge_needs_references(tmp_path, server):
    db = tmp_path / "a.db"
    _invoke(db, "tasks", "add", str(_ref_task(tmp_path)))
    store = Store.open(db)
    assert store.get_pair_by_external_id("ref", "m1").reference == "4"
    # the instruction pair has no reference: the reference-guided judge refuses the whole task
    refused = _invoke(db, "judge", "run", "--judge", "mt-bench-pair-ref", "--base-url", server.url,
                      "--model", "reference", code=1)
    assert "1 of 3 pairs have none (e.g. i1)" in refused.stderr and "[task.routing]" in refused.stderr
    assert server.chat_requests == []


def test_routed_judges_and_the_routed_agent(tmp_path, server):
    db = tmp_path / "a.db"
    _invoke(db, "tasks", "add", str(_ref_task(tmp_path)))
    out = json.loads(_invoke(db, "judge", "route", "--base-url", server.url, "--model", "reference", "--json").stdout)
    assert out["routes"] == {"math": "mt-bench-pair-ref@reference", "*": "mt-bench-pair@reference"}
    assert {r["run"]: r["pairs"] for r in out["runs"]} == {"mt-bench-pair-ref@reference": 2, "mt-bench-pair@reference": 1}
    # the math pairs were judged with their reference answer; the instruction pair without
    sent = ["\n".join(m["content"] for m in r["messages"]) for r in server.chat_requests]
    assert sum("[The Start of Reference Answer]\n4\n" in t for t in sent) == 2  # m1, both orders
    assert sum("Greet." in t and "Reference Answer" not in t for t in sent) == 2
    store = Store.open(db)
    routed = store.get_run("ref", "routed")
    assert routed.kind == "routed" and routed.params["routes"]["math"] == "mt-bench-pair-ref@reference"
    report = json.loads(_invoke(db, "stats", "judges", "--json").stdout)
    agent = next(a for a in report["agents"] if a["agent"] == "routed")
    # behaviour "reference": the response containing the reference wins (B on m1, A on m2, in both
    # orders); the instruction pair has no reference in its prompt: a tie
    assert agent["pairs"] == 3 and agent["verdicts"] == {"A": 1, "B": 1, "tie": 1, "no verdict": 0}


def test_routing_table_is_checked(tmp_path):
    folder = _ref_task(tmp_path)
    (folder / "task.toml").write_text(TASK_TOML.replace('math = "mt-bench-pair-ref"', "math = 3"))
    result = _invoke(tmp_path / "a.db", "tasks", "add", str(folder), code=1)
    assert "[task.routing]" in result.stderr


def test_pointwise_judge_through_the_batch_api(cli, server, db_store):
    out = cli.json("judge", "run", "--judge", "mt-bench-single", "--base-url", server.url, "--model", "content",
                   "--batch", "--poll-interval", "0.01")
    # one request per response, each slot named with its target, none lost or mixed up
    assert out["scored"] == 2 * N_PAIRS and server.batch_lines == 2 * N_PAIRS and server.chat_requests == []
    run = db_store.get_run("demo", "mt-bench-single@content")
    pairs = {p.id: p for p in db_store.pairs("demo")}
    for j in db_store.judgments(run.id):
        text = pairs[j.pair].response_a if j.target == "A" else pairs[j.pair].response_b
        assert j.score == (8.0 if "GOOD" in text else 3.0)
