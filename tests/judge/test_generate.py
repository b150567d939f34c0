"""PROFILE's generation side (`annotator generate`) against the loopback server: one call per
instruction, responses at each score level stored as pairs of a new task, the generator's
levels as its preference, and the generation-setting tau_14 per factor."""

from __future__ import annotations

from annotator.judge.parsers import parse
from annotator.store import Pair
from annotator.tasks.profile import PROFILE_FACTORS
from tests.judge.sample_pairs import N_PAIRS


def test_score_levels_parser():
    ok = parse("score-levels:1-3", "SCORE 1 SUMMARY: bad.\nSCORE 2 SUMMARY: fine.\n**SCORE 3 SUMMARY:** good.")
    assert ok.items == ("bad.", "fine.", "good.") and ok.score == 3
    missing = parse("score-levels:1-3", "SCORE 1 RESPONSE: a\nSCORE 3 RESPONSE: c")
    assert missing.unscored_reason == "unparseable: no response at score level 2"
    assert parse("score-levels:1-3", "no levels here").unscored_reason == "unparseable"


def test_generate_stores_levels_as_pairs_and_the_generator_preference(cli, server, db_store):
    task = db_store.require_task("demo")
    task.factors = [*task.factors, PROFILE_FACTORS["length"]]  # copied into the generated task
    db_store.save_task(task, replace=True)
    # two more pairs share instruction 0: still one call for it
    p0 = next(p for p in db_store.pairs("demo") if p.pair_id == "p0")
    db_store.insert_pairs([Pair(task="demo", pair_id=f"dup{i}", prompt=p0.prompt, response_a="x", response_b=f"y{i}",
                                content_hash=f"dup{i}") for i in range(2)])
    out = cli.json("generate", "--task", "demo", "--model", "content", "--score-levels", "1-3",
                   "--base-url", server.url)
    assert len(server.chat_requests) == N_PAIRS and out["run"]["requested"] == N_PAIRS  # one per instruction
    assert out["instructions"] == N_PAIRS and out["into"] == "demo-gen"
    assert out["pairs_added"] == 3 * N_PAIRS and out["pairs_total"] == 3 * N_PAIRS  # levels (1,2), (1,3), (2,3)
    pairs = list(db_store.pairs("demo-gen"))
    first = next(p for p in pairs if p.model_a == "content@score1" and p.model_b == "content@score3")
    assert first.response_a == "Point 1 of 1." and first.response_b == "Point 1 of 3. Point 2 of 3. Point 3 of 3."
    run = db_store.get_run("demo-gen", "generator:content")
    scores = {(j.pair, j.target): j.score for j in db_store.judgments(run.id)}
    assert scores[(first.id, "A")] == 1.0 and scores[(first.id, "B")] == 3.0
    # the generation run on the source task is not a pointwise scorer of it
    assert cli.json("stats", "scores", "--task", "demo")["runs"] == []
    # resumable: nothing is called or added again
    again = cli.json("generate", "--task", "demo", "--model", "content", "--score-levels", "1-3",
                     "--base-url", server.url)
    assert again["run"]["requested"] == 0 and again["pairs_added"] == 0 and len(server.chat_requests) == N_PAIRS
    # generation-setting tau_14 per factor: Length grows with the level, so the generator rewards it fully
    cli("factors", "extract", "--task", "demo-gen", "--factor", "length")
    data = cli.json("stats", "factors", "--task", "demo-gen")
    length = data["scores"]["extractors"]["generation"]["generator:content"]["length"]
    assert (length["C"], length["D"], length["score"]) == (3 * N_PAIRS, 0, 1.0)


def test_generate_unscored_when_a_level_is_missing(cli, server):
    out = cli.json("generate", "--task", "demo", "--model", "miscount", "--score-levels", "1-3",
                   "--base-url", server.url)
    assert out["instructions"] == 0 and out["unscored"] == {"unparseable: no response at score level 3": N_PAIRS}
    assert out["pairs_added"] == 0
