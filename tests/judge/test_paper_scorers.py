"""WorldAlignment's appendix D scorers as printed (the tests quote the paper's sentences and
check the shipped templates contain them), and the tool's own variants under other names."""

from __future__ import annotations

import pytest

from annotator.judge.config import load_judge
from annotator.judge.templates import load_template
from tests.judge.sample_pairs import N_PAIRS

# WorldAlignment, appendix D, as printed (../shared/papers/worldalignment-appendix-D-E.md)
D1 = [
    "You are an expert evaluator for assessing the difficulty level of instruction-questions. Please evaluate "
    "the given instruction on a scale of 1-10 based on:",
    "- Complexity of the task or question",
    "- Level of domain knowledge required",
    "- Cognitive load needed to understand and process",
    "- Technical depth and sophistication",
    "- 1-2: Very basic, elementary level knowledge",
    "- 9-10: Cutting-edge, requires highly specialized or research-level expertise",
    "Please respond with ONLY a single number (1-10) representing the difficulty score.",
]
D2 = [
    "You are an expert evaluator for assessing the realism and feasibility of instructions/prompts. Please "
    "evaluate the given instruction on a scale of 1-10 based on:",
    "- Feasibility: Can this task actually be completed in the real world?",
    "- Practicality: Does this request make sense in real-world scenarios?",
    "- Realistic context: Are the assumptions and requirements reasonable?",
    "- Real-world applicability: Would someone actually need this in practice?",
    "- Logical consistency: Are there any contradictions or impossible requirements?",
    "- 1-2: Completely unrealistic, impossible to execute, or nonsensical",
    "- 9-10: Highly realistic, completely feasible, and practically useful",
    "Please respond with ONLY a single number (1-10) representing the realism score.",
]
D3 = [
    "You are an expert evaluator for assessing the quality of instruction-response pairs. Please evaluate the "
    "given instruction-response pair on a scale of 1-10 based on:",
    "- Accuracy and correctness of the response",
    "- Completeness and thoroughness of the answer",
    "- Clarity and coherence of explanation",
    "- Alignment between instruction and response",
    "- Educational value and helpfulness",
    "- Reflection of human preferences and real-world applicability",
    "- 1-2: Poor quality, incorrect, unhelpful, or completely misaligned",
    "- 9-10: Excellent quality, comprehensive, insightful, and highly valuable",
    "Please respond with ONLY a single number (1-10) representing the quality score.",
]


@pytest.mark.parametrize("name,scope,sentences", [
    ("wa-difficulty", "prompt", D1), ("wa-realism", "prompt", D2), ("wa-quality", "response", D3)])
def test_appendix_d_scorers_ship_the_printed_system_prompt(name, scope, sentences):
    judge = load_judge(name)
    template = load_template(judge.template_path)
    for sentence in sentences:
        assert sentence in template.system, sentence
    assert judge.scope == scope and judge.parser == "score:1-10"
    # difficulty and realism rate the instruction; quality the instruction-response pair
    assert "{instruction}" in template.user
    assert ("{output}" in template.user) == (scope == "response")


@pytest.mark.parametrize("variant,paper", [
    ("wa-difficulty-explained", "wa-difficulty"), ("wa-realism-natural", "wa-realism"),
    ("wa-item-quality", "wa-quality"), ("wa-response-quality", "wa-quality")])
def test_the_tools_own_variants_keep_other_names_and_say_so(variant, paper):
    judge = load_judge(variant)
    assert judge.description.startswith("tool's variant (not the paper's prompt)")
    assert "Please respond with ONLY a single number" not in load_template(judge.template_path).system
    assert "as printed" in load_judge(paper).description


def test_judge_judges_says_which_is_the_papers(cli):
    rows = {r["name"]: r for r in cli.json("judge", "judges")}
    assert "appendix D.1, as printed" in rows["wa-difficulty"]["description"]
    assert "appendix D.3, as printed" in rows["wa-quality"]["description"]
    assert rows["wa-item-quality"]["description"].startswith("tool's variant")


def test_paper_quality_scores_each_response_with_its_instruction(cli, server, db_store):
    out = cli.json("judge", "run", "--judge", "wa-quality", "--base-url", server.url, "--model", "content")
    assert out["scored"] == out["planned"] == 2 * N_PAIRS
    run = db_store.get_run("demo", "wa-quality@content")
    pairs = {p.id: p for p in db_store.pairs("demo")}
    for j in db_store.judgments(run.id):
        text = pairs[j.pair].response_a if j.target == "A" else pairs[j.pair].response_b
        assert pairs[j.pair].prompt in j.messages[-1]["content"] and text in j.messages[-1]["content"]
        assert j.raw_output.strip() in {"8", "3"}  # the bare number the prompt asks for
        assert j.score == (8.0 if "GOOD" in text else 3.0)


def _shared_task(store, instructions=3, candidates=4):
    """WorldAlignment's layout: each instruction is paired with several candidates against
    one baseline response (the same text in every pair of the instruction)."""
    from annotator.store import Pair, Task

    store.save_task(Task(name="shared", title="Shared baselines"))
    pairs = []
    for i in range(instructions):
        for c in range(candidates):
            pairs.append(Pair(task="shared", pair_id=f"i{i}-c{c}", prompt=f"Instruction {i}: SCORE=7?",
                              response_a=f"GOOD baseline answer {i}", response_b=f"BAD candidate {c} answer {i}",
                              model_a="baseline", model_b=f"c{c}", content_hash=f"s{i}-{c}"))
    store.insert_pairs(pairs)


def test_prompt_scorer_calls_and_counts_once_per_instruction(cli, server, db_store):
    _shared_task(db_store)
    plan = cli.json("judge", "run", "--judge", "wa-difficulty", "--task", "shared", "--base-url", server.url,
                    "--model", "content", "--dry-run")
    assert plan["planned"] == 12 and plan["calls"] == 3 and plan["shared"] == 9
    out = cli.json("judge", "run", "--judge", "wa-difficulty", "--task", "shared", "--base-url", server.url,
                   "--model", "content")
    assert len(server.chat_requests) == 3  # one request per instruction, not per pair
    assert out["requested"] == 3 and out["scored"] == 3 and out["shared"] == 9 and out["distinct"] == 3
    run = db_store.get_run("shared", "wa-difficulty@content")
    judgments = db_store.judgments(run.id)
    assert len(judgments) == 12 and {j.score for j in judgments} == {7.0}  # every pair still has its score
    assert sum(j.cost != 0.0 for j in judgments) == 3  # the 9 shared copies cost nothing (no request)
    prompt = cli.json("stats", "scores", "--task", "shared")["runs"][0]["targets"]["prompt"]["all"]
    assert prompt["scored"] == 3 and prompt["histogram"] == {"7": 3}  # n = instructions, not pairs
    again = cli.json("judge", "run", "--judge", "wa-difficulty", "--task", "shared", "--base-url", server.url,
                     "--model", "content")
    assert again["requested"] == 0 and again["already_done"] == 12 and len(server.chat_requests) == 3


def test_response_scorer_scores_a_shared_baseline_once(cli, server, db_store):
    _shared_task(db_store)
    out = cli.json("judge", "run", "--judge", "wa-quality", "--task", "shared", "--base-url", server.url,
                   "--model", "content")
    # 3 baseline responses (each shared by 4 pairs) + 12 candidate responses
    assert len(server.chat_requests) == 15 and out["requested"] == 15 and out["shared"] == 9
    entry = cli.json("stats", "scores", "--task", "shared")["runs"][0]
    assert entry["targets"]["A"]["all"]["scored"] == 3 and entry["targets"]["B"]["all"]["scored"] == 12
    assert entry["pairs"] == {"n": 12, "a_higher": 12, "b_higher": 0, "equal": 0}  # every pair compared


# WorldAlignment, appendix E, as printed
E_SENTENCES = [
    "You are a highly efficient assistant who evaluates and selects the best large language model (LLM) based on "
    "the quality of their responses to a given instruction. This process will be used to create a leaderboard "
    "reflecting the most accurate and human-preferred answers.",
    "I require a leaderboard for various large language models. I'll provide you with prompts given to these models "
    "and their corresponding outputs. Your task is to assess these responses and select the model that produces the "
    "best output from a human perspective.",
    "Here are the unordered outputs from the models. Each output is associated with a specific model, identified by "
    "a unique model identifier.",
    "Evaluate the models based on the quality and relevance of their outputs, and select the model that generated "
    "the best output. Answer by providing the model identifier of the best model.",
    "Important: We will use your output as the name of the best model, so make sure your output only contains one "
    "of the following model identifiers and nothing else (no quotes, no spaces, no new lines, etc.): m or M.",
    '"model_identifier": "m",', '"model_identifier": "M",',
]
# Printed as headings without their markdown ("Instruction:", "Best Model Identifier:"); the
# shipped template keeps AlpacaEval's "## Instruction" layout (documented in docs/judges.md).
E_HEADINGS = ["Instruction", "Model Outputs", "Task", "Best Model Identifier"]


def test_worldalignment_judge_is_appendix_e_as_printed():
    template = load_template(load_judge("worldalignment").template_path)
    text = template.system + "\n" + template.user
    for sentence in E_SENTENCES:
        assert sentence in text, sentence
    for heading in E_HEADINGS:
        assert f"## {heading}" in template.user
    assert template.user.rstrip().endswith("## Best Model Identifier")
    # the earlier AlpacaEval 2.0 wording is kept under its own name, and differs where the paper edits it
    alpaca = load_template(load_judge("worldalignment-alpacaeval").template_path)
    assert "You are a highly efficient assistant, who evaluates" in alpaca.system
    assert "Important:" not in alpaca.user and E_SENTENCES[0] not in alpaca.system


def test_worldalignment_judge_answers_with_the_identifier(cli, server, db_store):
    out = cli.json("judge", "run", "--judge", "worldalignment", "--base-url", server.url, "--model", "content")
    assert out["scored"] == out["planned"] == 2 * N_PAIRS  # both orders
    from tests.judge.sample_pairs import expected_verdict
    pairs = {p.id: int(p.pair_id[1:]) for p in db_store.pairs("demo")}
    run = db_store.get_run("demo", "worldalignment@content")
    assert all(j.verdict == expected_verdict(pairs[j.pair]) for j in db_store.judgments(run.id))


def test_a_custom_pointwise_judge_measures_a_factor(cli, server, db_store, tmp_path):
    """A lab's own extractor wording: a pointwise judge file run with --factor stores factor values."""
    (tmp_path / "polite.txt").write_text("<|user|>\n[Response]\n{output}\n[End of Response]\n\n"
                                         "How much does the response show {factor_name}? Answer [[N]], 1-10.\n")
    (tmp_path / "polite.toml").write_text('model = "content"\ntemplate = "polite.txt"\nparser = "score:1-10"\n'
                                          'scope = "response"\n')
    out = cli.json("judge", "run", "--judge", str(tmp_path / "polite.toml"), "--factor", "politeness",
                   "--base-url", server.url)
    assert out["factor"] == "politeness" and out["factor_values"] == N_PAIRS
    assert out["extractor"] == "pointwise:polite:politeness"  # the run is named after the judge and factor
    values = db_store.factor_values("demo", extractor="pointwise:polite:politeness")
    pairs = {p.id: p for p in db_store.pairs("demo")}
    for v in values:  # the GOOD response scores 8, the BAD one 3: M_k is the GOOD side
        assert (v.value_a, v.value_b) in {(8.0, 3.0), (3.0, 8.0)}
        assert v.manifestation == ("A" if "GOOD" in pairs[v.pair].response_a else "B")
    assert db_store.get_run("demo", "polite:politeness").kind == "factor"
    # a prompt-level scorer cannot measure a factor of the responses
    refused = cli("judge", "run", "--judge", "wa-difficulty", "--factor", "politeness", "--base-url", server.url,
                  code=1)
    assert "does not measure factors" in refused.stderr


def test_stats_mentions_per_judge(cli, server):
    cli.json("judge", "run", "--judge", "mt-bench-pair", "--base-url", server.url, "--model", "content")
    cli.json("judge", "run", "--judge", "worldalignment", "--base-url", server.url, "--model", "content")
    data = cli.json("stats", "mentions")
    assert data["method"] == "keyword" and set(data["runs"]) == {"mt-bench-pair@content", "worldalignment@content"}
    mt = data["runs"]["mt-bench-pair@content"]
    assert mt["explained"] == 2 * N_PAIRS and mt["factors"]["politeness"]["share"] == 0.0
    assert data["runs"]["worldalignment@content"]["factors"]["politeness"]["share"] is None  # answers "m" / "M" only
    assert "What judges say" in cli("stats", "mentions").stdout
