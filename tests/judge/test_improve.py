"""PROFILE F.2 (`annotator experiment improve`) against the loopback server: one feedback and
one revision call per instruction and arm, cached on a rerun; the factor score of improvement
(tau_14, generation setting) and delta tau, hand-worked."""

from __future__ import annotations

import pytest

from annotator.judge.improve import delta_tau, improvement_scores
from annotator.judge.parsers import parse
from annotator.store import Label, Pair
from tests.judge.sample_pairs import N_PAIRS


def test_text_parser_keeps_the_whole_answer():
    assert parse("text", "  Add detail.\nMore.  ").items == ("Add detail.\nMore.",)
    assert parse("text", "   ").unscored_reason == "unparseable: empty answer"


def test_improvement_scores_hand_worked():
    # paper F.2.2: r_post is preferred over r_init; Length concordant when r_post is longer
    baseline = {"a": "one two", "b": "one two three", "c": "one two"}
    revised = {"a": "one two three", "b": "one", "c": "two one"}  # longer, shorter, same length
    scores = improvement_scores(baseline, revised, {})
    length = scores["length"]
    assert (length["C"], length["D"], length["T"]) == (1, 1, 1) and length["score"] == 0.0  # (1-1)/(1+1+1)
    assert scores["novel_words"]["score"] is None  # no source: the factor does not apply


def test_delta_tau_hand_worked():
    # improvement scores (0.5, -0.2, 0.1) against the humans' (0.3, 0.1, -0.4): of the three factor
    # pairs, (x,y) concordant only for (x, y) = (length, novel)? x: 0.5>-0.2 & 0.3>0.1 (C);
    # x vs z: 0.5>0.1 & 0.3>-0.4 (C); y vs z: -0.2<0.1 & 0.1>-0.4 (D): tau = (2-1)/3
    improvement = {"x": {"score": 0.5}, "y": {"score": -0.2}, "z": {"score": 0.1}}
    out = delta_tau(improvement, {"x": 0.3, "y": 0.1, "z": -0.4})
    assert out["kendall_tau_b"] == pytest.approx(1 / 3) and out["factors"] == 3
    two = delta_tau({"x": {"score": 0.5}, "y": {"score": -0.2}}, {"x": 0.3, "y": 0.1})
    assert two["kendall_tau_b"] is None and "fewer than three" in two["undefined_reason"]


def test_experiment_improve_end_to_end(cli, server, db_store):
    p0 = next(p for p in db_store.pairs("demo") if p.pair_id == "p0")
    # another pair with instruction 0: still one feedback and one revision per instruction
    db_store.insert_pairs([Pair(task="demo", pair_id="dup", prompt=p0.prompt, response_a="x", response_b="y",
                                content_hash="dup")])
    db_store.add_labels([Label(pair=pair.id, annotator="h", choice="A", origin="test")
                         for pair in db_store.pairs("demo") if pair.pair_id != "dup"])
    out = cli.json("experiment", "improve", "--task", "demo", "--model", "content", "--base-url", server.url)
    assert len(server.chat_requests) == 2 * 2 * N_PAIRS  # 2 arms x (feedback + revision) x instructions
    assert [a["name"] for a in out["arms"]] == ["plain", "factor"]
    plain, factor = out["arms"]
    assert plain["revised"] == plain["instructions"] == N_PAIRS
    # every revision appends a sentence: Length concordant on every instruction
    assert (plain["improvement"]["length"]["C"], plain["improvement"]["length"]["score"]) == (N_PAIRS, 1.0)
    assert factor["improvement"]["length"]["score"] == 1.0
    # the humans always chose A; in words A is longer for p1, p4, shorter for p0, p2, p5, equal for p3
    # (left out in the evaluation setting): (2 - 3) / 5
    assert out["human_scores"]["scores"]["length"] == pytest.approx(-0.2)
    # two rule factors offline: delta tau is undefined, with the reason
    assert plain["delta_tau"]["humans"]["kendall_tau_b"] is None
    assert "fewer than three" in plain["delta_tau"]["humans"]["undefined_reason"]
    factor_prompts = [m["content"] for r in server.chat_requests for m in r["messages"]
                      if "consider these aspects" in (m.get("content") or "")]
    assert len(factor_prompts) == N_PAIRS  # only the factor arm lists the factors
    # resumable: a rerun makes no call
    again = cli.json("experiment", "improve", "--task", "demo", "--model", "content", "--base-url", server.url)
    assert len(server.chat_requests) == 2 * 2 * N_PAIRS and again["arms"][0]["improvement"] == plain["improvement"]
    # a shortening reviser: Length discordant everywhere
    short = cli.json("experiment", "improve", "--task", "demo", "--model", "shorten", "--arms", "plain",
                     "--base-url", server.url)
    assert short["arms"][0]["improvement"]["length"]["score"] == -1.0
    # --baseline generate: one more call per instruction; the revisions append four words to three
    before = len(server.chat_requests)
    made = cli.json("experiment", "improve", "--task", "demo", "--model", "content", "--arms", "plain",
                    "--baseline", "generate", "--base-url", server.url)
    assert len(server.chat_requests) - before == 3 * N_PAIRS and made["baseline"] == "generate"
    assert made["arms"][0]["revised"] == N_PAIRS and made["arms"][0]["improvement"]["length"]["score"] == 1.0
    revise = [m["content"] for r in server.chat_requests[before:] for m in r["messages"]
              if "Improved Response:" in (m.get("content") or "")]
    assert revise and all("Response:\nA short baseline.\n" in t for t in revise)
    table = cli("experiment", "improve", "--task", "demo", "--model", "content", "--base-url", server.url).output
    assert "plain: Δτ vs humans undefined: fewer than three factors scored by both agents" in table
    assert "1.000" in table
    cli("experiment", "improve", "--task", "demo", "--model", "content", "--arms", "nope", "--base-url", server.url,
        code=1)
