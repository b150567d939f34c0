"""PROFILE's LLM extractors against the loopback server, whose scripted extractor answers
(tests/judge/fake_openai.py: one fact per sentence, markers for labels and ratings) make
every value known in advance."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Pair, Store, Task
from annotator.tasks.profile import PROFILE_FACTORS
from tests.judge.fake_openai import FakeOpenAI

FACTORS = ["number_of_facts", "off_focus", "helpfulness", "misinformation", "hallucination", "source_coverage",
           "receptiveness", "intent_alignment", "formality_alignment", "fluency", "coherence"]


@pytest.fixture
def server():
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture
def db(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANNOTATOR_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANNOTATOR_CONFIG", str(tmp_path / "no-config.toml"))
    path = tmp_path / "a.db"
    store = Store.open(path)
    store.save_task(Task(name="t", factors=[PROFILE_FACTORS[k] for k in FACTORS]))
    store.insert_pairs([
        # p1: A has 4 facts (1 off focus, 2 helpful, 1 wrong), B has 2 facts (both helpful).
        Pair(task="t", pair_id="p1", prompt="How do I boil an egg?",
             response_a="Boil water. HELPFUL Put the egg in for nine minutes. OFFTOPIC Paris is in France. "
                        "HELPFUL WRONG Cool it in ice water for one hour.",
             response_b="HELPFUL Simmer the egg for nine minutes. HELPFUL Then cool it.",
             source="Eggs boil in nine minutes. Cool it in ice water. Salt is optional.",
             content_hash="1"),
        # p2: no source; B evades, rambles and is clumsy; A has no sentence at all (no facts).
        Pair(task="t", pair_id="p2", prompt="Name a prime.", response_a="", response_b="EVADE RAMBLE CLUMSY well.",
             content_hash="2"),
    ])
    store.close()
    return path


def invoke(db, *args, code=0):
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_profile_extraction_values_are_the_papers_ratios(db, server):
    out = json.loads(invoke(db, "factors", "extract", "--extractor", "profile", "--prompts", "tool", "--base-url", server.url,
                            "--model", "content", "--json").stdout)
    assert out["extractor"] == "profile:content"
    store = Store.open(db)
    ids = {p.pair_id: p.id for p in store.pairs("t")}
    values = {(v.pair, v.factor): v for v in store.factor_values("t", extractor="profile:content")}
    p1 = lambda f: (values[(ids["p1"], f)].value_a, values[(ids["p1"], f)].value_b, values[(ids["p1"], f)].manifestation)  # noqa: E731
    # A: 4 sentences = 4 facts; B: 2.
    assert p1("number_of_facts") == (4, 2, "A")
    # Off Focus: 1 of A's 4 facts (OFFTOPIC), none of B's -> A shows it more.
    assert p1("off_focus") == (0.25, 0.0, "A")
    # Helpfulness: A 2/4 = 0.5, B 2/2 = 1.0 -> B.
    assert p1("helpfulness") == (0.5, 1.0, "B")
    assert p1("misinformation") == (0.25, 0.0, "A")
    # Hallucination: no fact is marked INVENTED -> 0 and 0: equal.
    assert p1("hallucination") == (0.0, 0.0, "equal")
    # Source Coverage: the source's 3 facts; the scripted server says yes when the fact's words
    # appear in the response: "Cool it in ice water" is in A only -> A 1/3, B 0/3.
    assert p1("source_coverage") == (pytest.approx(1 / 3), 0.0, "A")
    assert p1("receptiveness") == (1.0, 1.0, "equal")
    assert p1("fluency") == (5.0, 5.0, "equal")
    # p2: A has no facts -> no ratio (counted as missing), but Number of Facts is 0 vs 1.
    assert values[(ids["p2"], "number_of_facts")].manifestation == "B"
    assert (ids["p2"], "off_focus") not in values
    # B evades, rambles, is clumsy: receptiveness 1 vs 0 -> A; coherence / fluency 5 vs 2 -> A.
    assert values[(ids["p2"], "receptiveness")].manifestation == "A"
    assert values[(ids["p2"], "coherence")].value_b == 2.0
    assert values[(ids["p2"], "fluency")].manifestation == "A"
    # Source factors are not measured on p2 (no source), and say so.
    assert (ids["p2"], "hallucination") not in values
    assert out["missing"]["hallucination"] == {"no source document": 1}
    assert out["missing"]["off_focus"] == {"no value for one or both responses (no facts, or unscored)": 1}
    # atomic facts are stored per response and extractor
    facts = store.atomic_facts("t", "profile:content")
    assert facts[(ids["p1"], "B")].facts == ["HELPFUL Simmer the egg for nine minutes.", "HELPFUL Then cool it."]
    assert facts[(ids["p1"], "source")].facts[2] == "Salt is optional."
    assert facts[(ids["p2"], "A")].facts == []
    labels = {(fl.pair, fl.target, fl.factor): fl.labels for fl in store.fact_labels("t", "profile:content")}
    assert labels[(ids["p1"], "A", "off_focus")] == [False, False, True, False]
    # every step is a judge run of kind "factor", invisible to the judge reports
    runs = {r.name: r for r in store.runs("t")}
    assert runs["profile-facts@content"].kind == "factor"
    assert store.judgments_frame("t").empty and store.scores_frame("t").empty
    assert not store.scores_frame("t", include_factor_runs=True).empty


def test_profile_extraction_resumes_from_the_cache(db, server):
    args = ("factors", "extract", "--extractor", "profile", "--prompts", "tool", "--factor", "off_focus", "--base-url", server.url,
            "--model", "content", "--json")
    invoke(db, *args)
    sent = len(server.chat_requests)
    # decomposition of 4 responses (p2's A has no text but is still asked) + labels of the 3 with facts
    assert sent == 4 + 3
    again = json.loads(invoke(db, *args).stdout)
    assert len(server.chat_requests) == sent
    assert sum(r["requested"] for r in again["runs"]) == 0


def test_a_label_count_that_does_not_match_is_unscored_never_padded(db, server):
    out = json.loads(invoke(db, "factors", "extract", "--extractor", "profile", "--prompts", "tool", "--factor", "off_focus",
                            "--base-url", server.url, "--model", "miscount", "--json").stdout)
    assert out["values"]["off_focus"] == 0
    store = Store.open(db)
    run = store.get_run("t", "profile-off-focus@miscount")
    reasons = sorted(j.unscored_reason for j in store.judgments(run.id))
    # p1 A: 4 facts, 3 labels; p1 B: 2 facts, 1 label; p2 B: 1 fact, no label at all (empty answer)
    assert reasons == ["empty", "unparseable: 1 labels for 2 facts", "unparseable: 3 labels for 4 facts"]
    assert all(j.score is None for j in store.judgments(run.id))
    assert store.fact_labels("t", "profile:miscount") == []


def test_factors_facts_shows_the_facts_and_labels(db, server):
    invoke(db, "factors", "extract", "--extractor", "profile", "--prompts", "tool", "--factor", "off_focus", "--base-url", server.url,
           "--model", "content")
    out = invoke(db, "factors", "facts", "p1").stdout
    assert "OFFTOPIC Paris is in France." in out and "off_focus" in out
    data = json.loads(invoke(db, "factors", "facts", "p1", "--json").stdout)
    a = next(b for b in data["facts"] if b["target"] == "A")
    assert a["labels"]["off_focus"] == [False, False, True, False]


def test_fact_labelling_judges_refuse_to_run_without_facts(db, server):
    result = invoke(db, "judge", "run", "--judge", "profile-off-focus", "--base-url", server.url, code=1)
    assert "factors extract --extractor profile" in result.stderr
    assert server.chat_requests == []


def test_wrong_extractor_for_a_factor_is_refused(db, server):
    assert "use --extractor profile" in invoke(db, "factors", "extract", "--factor", "fluency", code=1).stderr
    assert "use --extractor rule" in invoke(db, "factors", "extract", "--extractor", "profile", "--prompts", "tool", "--factor", "length",
                                            "--base-url", server.url, code=1).stderr
