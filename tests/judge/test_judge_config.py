"""Judge files, templates and the factor-guidance wrapper."""

import pytest

from annotator.judge.config import JudgeConfigError, load_judge, shipped_judge_names, shipped_templates_dir
from annotator.judge.templates import guidance_text, load_template, render
from annotator.store import Factor, Pair, Task


def test_every_shipped_judge_loads():
    names = shipped_judge_names()
    assert {"worldalignment", "mt-bench-pair", "profile-eval", "factor-guided",
            "longest", "shortest", "random"} <= set(names)
    for name in names:
        judge = load_judge(name)
        assert judge.description
        if judge.kind == "llm":
            assert judge.template_path.is_file()
            assert judge.price_input is not None and judge.price_output is not None


def test_unknown_judge_names_the_shipped_ones():
    with pytest.raises(JudgeConfigError, match="worldalignment"):
        load_judge("no-such-judge")


def test_bad_judge_file_names_file_and_key(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('model = "x"\ntemplate = "mt-bench-pair"\nparser = "mt-bench"\ntemprature = 0.2\n')
    with pytest.raises(JudgeConfigError, match=r"mine\.toml.*temprature"):
        load_judge(str(path))
    path.write_text('model = "x"\ntemplate = "mt-bench-pair"\nparser = "nope"\n')
    with pytest.raises(JudgeConfigError, match="parser must be one of"):
        load_judge(str(path))
    path.write_text('model = "x"\ntemplate = "mine.txt"\nparser = "mt-bench"\n')
    with pytest.raises(JudgeConfigError, match="template 'mine.txt' not found"):
        load_judge(str(path))
    path.write_text('model = "x"\ntemplate = "mt-bench-pair"\nparser = "mt-bench"\n[guidance]\nlength = "shorter"\n')
    with pytest.raises(JudgeConfigError, match="more, less, neutral"):
        load_judge(str(path))


def test_own_judge_with_relative_template(tmp_path):
    (tmp_path / "mine.txt").write_text("<|user|>\nQ: {instruction}\n1: {output_1}\n2: {output_2}\n")
    (tmp_path / "mine.toml").write_text('model = "x"\ntemplate = "mine.txt"\nparser = "mt-bench"\n')
    judge = load_judge(str(tmp_path / "mine.toml"))
    assert judge.name == "mine" and judge.template_path == tmp_path / "mine.txt"


PAIR = Pair(task="t", pair_id="p", prompt="Explain {output_2} and {x}", response_a="alpha {instruction}",
            response_b="beta", source="")
TASK = Task(name="t", title="Summaries", guidelines="Summarise the document faithfully.")


def test_render_presents_both_orders_and_leaves_braces_alone():
    template = load_template(shipped_templates_dir() / "mt-bench-pair.txt")
    ab = render(template, TASK, PAIR, "AB")
    ba = render(template, TASK, PAIR, "BA")
    assert [m["role"] for m in ab] == ["system", "user"]
    user = ab[1]["content"]
    # Placeholders inside the prompt and responses are data, not template.
    assert "Explain {output_2} and {x}" in user and "alpha {instruction}" in user
    assert user.index("alpha") < user.index("beta")
    assert ba[1]["content"].index("beta") < ba[1]["content"].index("alpha")


def test_worldalignment_template_keeps_its_json_braces():
    template = load_template(shipped_templates_dir() / "worldalignment.txt")
    user = render(template, TASK, PAIR, "AB")[1]["content"]
    assert '"model_identifier": "m"' in user and "m or M." in user
    assert '"output": """alpha {instruction}"""' in user


def test_profile_template_source_block_only_with_source():
    template = load_template(shipped_templates_dir() / "profile-eval.txt")
    without = render(template, TASK, PAIR, "AB")[1]["content"]
    assert "# Source" not in without and "Summarise the document faithfully." in without
    with_source = Pair(**{**PAIR.__dict__, "source": "The source text."})
    assert "# Source\nThe source text." in render(template, TASK, with_source, "AB")[1]["content"]


def test_template_version_changes_with_content(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("<|user|>\n{instruction}\n")
    v1 = load_template(path).version("1")
    assert load_template(path).version("1") == v1
    path.write_text("<|user|>\n{instruction}!\n")
    assert load_template(path).version("1") != v1 and v1.startswith("1+")


def test_guidance_uses_profile_and_task_factors():
    wrapper = load_template(shipped_templates_dir() / "factor-guidance.txt")
    task = Task(name="t", factors=[Factor(key="politeness", name="Politeness",
                                          definition="How courteous the response is.", question="?", custom=True)])
    text = guidance_text(wrapper, task, {"receptiveness": "more", "politeness": "neutral", "length": "less"})
    assert "- Receptiveness: Whether the core question of the input has been answered. Guidance: prefer the response that shows more" in text
    assert "- Politeness: How courteous the response is. Guidance: this must not sway your verdict" in text
    assert "- Length: Number of words in the output. Guidance: prefer the response that shows less" in text
    with pytest.raises(KeyError, match="unknown factor 'verbosity'"):
        guidance_text(wrapper, task, {"verbosity": "less"})
    assert guidance_text(wrapper, task, {}) == ""


def test_guidance_goes_into_the_system_message():
    template = load_template(shipped_templates_dir() / "mt-bench-pair.txt")
    messages = render(template, TASK, PAIR, "AB", guidance="GUIDE")
    assert messages[0]["content"].endswith("\n\nGUIDE") and "GUIDE" not in messages[1]["content"]


def test_shipped_templates_match_their_published_text():
    """The wording of the published prompts (AlpacaEval 2.0, WorldAlignment appendix E in
    tests/judge/test_paper_scorers.py, and MT-Bench pair-v2): a paraphrase would be a different judge."""
    from annotator.judge.templates import load_template
    root = shipped_templates_dir()
    world = load_template(root / "worldalignment-alpacaeval.txt")
    assert world.system.endswith(
        "This process will be used to create a leaderboard reflecting the most accurate and "
        "human-preferred answers.")
    assert world.user.rstrip().endswith("## Best Model Identifier")
    assert "nothing else (no quotes, no spaces, no new lines, ...): m or M." in world.user
    mt = load_template(root / "mt-bench-pair.txt")
    assert mt.system.endswith('"[[A]]" if assistant A is better, "[[B]]" if assistant B is better, '
                              'and "[[C]]" for a tie.')
    assert mt.user.startswith("[User Question]\n{instruction}\n\n[The Start of Assistant A's Answer]\n")
