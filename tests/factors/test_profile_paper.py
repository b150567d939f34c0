"""PROFILE's extraction prompts as printed (appendix D.2): the tests quote the paper's
sentences and check the shipped templates hold them; the paper's set runs end to end against
the loopback server (its scripted JSON answers: tests/judge/fake_openai.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.judge.config import load_judge
from annotator.judge.parsers import parse
from annotator.judge.templates import load_template
from annotator.store import Pair, Store, Task
from annotator.tasks.profile import PROFILE_FACTORS
from tests.judge.fake_openai import FakeOpenAI

PRINTED = {
    "profile-paper-facts": [
        "Your task is to extract atomic facts from the INPUT. These are self-contained units of information that "
        "are unambiguous and require no further splitting.", "INPUT:", "OUTPUT:"],
    "profile-paper-receptiveness": [
        "Does the response clearly address the query from the original post? First determine the core question or "
        "purpose of the original post from the user, and evaluate whether the response clearly serves as the proper "
        "answer to the question.",
        "format, with a 'yes' or 'no' decision regarding the response's receptiveness to the original post, along "
        "with justifications.:", "INPUT: Post:", "Response :"],
    "profile-paper-off-focus": [
        "You have been provided a statement. Can you determine if it is related to the main focus of the post? The "
        "main focus of a post is the core subject around which all the content revolves. Format your response in "
        "JSON, containing a 'yes' or 'no' decision for each statement in the set, along with justifications.",
        "Reddit Post:"],
    "profile-paper-hallucination": [
        "You have been provided with a set of statements. Does the factual information within each statement "
        "accurately match the post? A statement is considered accurate if it does not introduce details that are "
        "unmentioned in the post, or contradicts the post's existing information. Provide your response in JSON "
        "format, with a 'yes' or 'no' decision for each statement in the set, along with justifications."],
    "profile-paper-formality-alignment": [
        "You have been provided an original post and a summary. First determine the formality (formal, informal) "
        "for both the post and the summary. Then, decide if the formalities align. If they match perfectly, return "
        "\"Aligned\", if they are similar in terms of formality (e.g., both informal) but have slight differences in "
        "how much formal/informal they are, return \"Partially Aligned\", and if they don't match, return \"Not "
        "Aligned\". Format your response in JSON as follows: Output Format: {\"decision\": , \"justification\": }",
        "Reddit Post:", "Summary :"],
    "profile-paper-helpfulness": [
        "You have been provided a statement. Can you determine if this statement provides helpful information, "
        "although not directly necessary to answer the question?", "INPUT: question:", "statements:"],
    "profile-paper-misinformation": [
        "You have been provided a statement. Can you determine if it contains potentially incorrect or misleading "
        "information? Potential misleading information include assumptions about user; medical, legal, financial "
        "advice; conspiracy theories; claims to take real world action and more."],
}


@pytest.mark.parametrize("name", sorted(PRINTED))
def test_paper_prompts_hold_the_printed_text_and_a_few_shot_slot(name):
    template = load_template(load_judge(name).template_path)
    for sentence in PRINTED[name]:
        assert sentence in template.user, sentence
    assert "{#if examples}\n{examples}\n{/if}" in template.user  # the {FEW SHOT} slot


def test_intent_alignment_is_not_off_focus_repeated():
    # The PDF prints Off Focus's template under Intent Alignment; the shipped one asks about intent.
    intent = load_template(load_judge("profile-paper-intent-alignment").template_path).user
    assert "main focus of the post" not in intent and "decide if the intents align" in intent
    # Source Coverage is Hallucination's prompt with the direction reversed (D.1)
    coverage = load_template(load_judge("profile-paper-source-coverage").template_path).user
    assert PRINTED["profile-paper-hallucination"][0] in coverage and "INPUT: {source_facts}" in coverage


def test_formality_levels_map_to_values():
    def value(level):
        return parse("json-decision", json.dumps({"decision": level, "justification": "j"})).score

    assert (value("Aligned"), value("Partially Aligned"), value("Not Aligned"), value("Misaligned")) == (1, 0.5, 0, 0)
    inverted = parse("json-labels:invert", '[{"decision": "yes"}, {"decision": "no"}, {"decision": "no"}]')
    assert inverted.items == (False, True, True) and inverted.score == pytest.approx(2 / 3)


FACTORS = ["number_of_facts", "off_focus", "helpfulness", "misinformation", "hallucination", "source_coverage",
           "receptiveness", "intent_alignment", "formality_alignment"]


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
        Pair(task="t", pair_id="egg", prompt="How do I boil an egg?",
             response_a="Eggs boil in nine minutes. INVENTED Eggs explode at noon.",
             response_b="Cool it in ice water.",
             source="Eggs boil in nine minutes. Cool it in ice water. Salt is optional.", content_hash="1"),
        Pair(task="t", pair_id="memo", prompt="Summarise the memo.",
             response_a="HELPFUL The meeting moves to Monday CASUAL.",
             response_b="OFFTOPIC INFORMAL EVADE OFFINTENT WRONG the cat.",
             source="Dear team, the meeting is moved to Monday.", content_hash="2"),
    ])
    store.close()
    return path


def invoke(db, *args, code=0):
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_paper_prompts_extract_end_to_end(db, server, tmp_path):
    shots = tmp_path / "shots.json"
    shots.write_text(json.dumps({"formality_alignment": "EXAMPLE: Reddit Post: Hi! Summary : Hello. -> Aligned"}))
    out = json.loads(invoke(db, "factors", "extract", "--extractor", "profile", "--base-url", server.url,
                            "--model", "content", "--few-shot", str(shots), "--json").stdout)
    assert out["extractor"] == "profile:paper:content"
    store = Store.open(db)
    ids = {p.pair_id: p.id for p in store.pairs("t")}
    values = {(v.pair, v.factor): (v.value_a, v.value_b, v.manifestation)
              for v in store.factor_values("t", extractor="profile:paper:content")}
    egg = lambda f: values[(ids["egg"], f)]  # noqa: E731
    memo = lambda f: values[(ids["memo"], f)]  # noqa: E731
    assert egg("number_of_facts") == (2, 1, "A")
    # Hallucination: "does it accurately match the post?" no for A's INVENTED fact: 1 of 2
    assert egg("hallucination") == (0.5, 0.0, "A")
    # Source Coverage: one of the source's three facts is in each response
    assert egg("source_coverage") == (pytest.approx(1 / 3), pytest.approx(1 / 3), "equal")
    # Formality Alignment: Partially Aligned (0.5) against Not Aligned (0)
    assert memo("formality_alignment") == (0.5, 0.0, "A")
    assert egg("formality_alignment") == (1.0, 1.0, "equal")
    assert memo("intent_alignment") == (1.0, 0.0, "A") and memo("receptiveness") == (1.0, 0.0, "A")
    # Off Focus: "is it related to the main focus?" no for OFFTOPIC: B 1 of 1
    assert memo("off_focus") == (0.0, 1.0, "B")
    assert memo("helpfulness") == (1.0, 0.0, "A") and memo("misinformation") == (0.0, 1.0, "B")
    runs = {r.name: r for r in store.runs("t")}
    assert {"profile-paper-facts@content", "profile-paper-formality-alignment@content"} <= set(runs)
    formality = store.judgments(runs["profile-paper-formality-alignment@content"].id)
    assert all("EXAMPLE: Reddit Post: Hi!" in j.messages[-1]["content"] for j in formality)
    facts = store.judgments(runs["profile-paper-facts@content"].id)
    assert all("EXAMPLE" not in j.messages[-1]["content"] for j in facts)  # no shots given for this step
    store.close()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"formallity": "x"}))
    assert "unknown key(s) formallity" in invoke(db, "factors", "extract", "--extractor", "profile", "--base-url",
                                                 server.url, "--model", "content", "--few-shot", str(bad),
                                                 code=1).stderr
