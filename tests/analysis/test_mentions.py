"""What judges say (PROFILE F.2.3): the keyword method, counted by hand."""

from __future__ import annotations

import pytest

from annotator.analysis.mentions import judge_mentions, mention_counts

FACTORS = {"length": "Length", "misinformation": "Misinformation", "fluency": "Fluency",
           "politeness": "Politeness"}


def test_mentions_counted_per_judgment():
    texts = [
        "Output (a) is longer and more detailed, but it contains an incorrect date.",  # length, misinformation
        "Both are fine; (b) is more concise.",  # length
        "The answer of (a) is more polite and grammatical.",  # fluency (grammatical), politeness (name words)
        "",  # no explanation: not counted at all
    ]
    out = mention_counts(texts, FACTORS)
    assert out["explained"] == 3
    got = {k: v["mentions"] for k, v in out["factors"].items()}
    # "polite" does not match the name word "politeness": a custom factor is matched by its name's words
    assert got == {"length": 2, "misinformation": 1, "fluency": 1, "politeness": 0}
    assert out["factors"]["length"]["share"] == pytest.approx(2 / 3)
    assert mention_counts(["Politeness matters here."], FACTORS)["factors"]["politeness"]["mentions"] == 1


def test_a_judge_without_explanations_has_no_share_and_scores_sit_beside():
    out = judge_mentions({"wa": ["", ""], "mt": ["Too long."]}, {"length": "Length"},
                         {"mt": {"length": {"score": 0.4}}})
    assert out["method"] == "keyword"
    assert out["runs"]["wa"]["factors"]["length"] == {"mentions": 0, "share": None, "factor_score": None,
                                                     "reason": "no judgment of this judge has an explanation"}
    assert out["runs"]["mt"]["factors"]["length"] == {"mentions": 1, "share": 1.0, "factor_score": 0.4}
