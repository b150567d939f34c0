"""RewardBench section scores: RewardBench's published subset mapping and example-count
weights (hand-worked), and the fixture set scored through `stats judges`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.analysis.rewardbench import EXAMPLE_COUNTS, SUBSET_MAPPING, section_scores
from annotator.cli import main


def test_published_mapping_and_counts():
    assert sum(len(v) for v in SUBSET_MAPPING.values()) == len(EXAMPLE_COUNTS) == 23
    assert EXAMPLE_COUNTS["math-prm"] == 984 and EXAMPLE_COUNTS["xstest-should-refuse"] == 250


def test_sections_weighted_by_example_counts():
    acc = {s: 1.0 for s in EXAMPLE_COUNTS}
    acc["mt-bench-easy"] = 0.0  # Chat: 100 * (358 - 28) / 358
    acc["math-prm"] = 0.5  # Reasoning: (0.5 * 984 + 6 * 164) / (984 + 984)
    got = section_scores(acc)
    assert got["sections"]["Chat"] == pytest.approx(100 * 330 / 358)
    assert got["sections"]["Reasoning"] == pytest.approx(75.0)
    assert got["sections"]["Safety"] == 100.0 and got["sections"]["Chat Hard"] == 100.0
    assert got["score"] == pytest.approx((100 * 330 / 358 + 75 + 100 + 100) / 4)
    assert got["prior_sets"] is None and got["reason"] is None
    prior = section_scores({**acc, "shp": 0.6, "summarize": 0.8})
    assert prior["prior_sets"] == pytest.approx(70.0)
    assert prior["score_with_prior_sets"] == pytest.approx((got["score"] * 4 + 0.5 * 70) / 4.5)


def test_fixture_scores_as_rewardbench(tmp_path):
    """tests/fixtures/rewardbench: alpacaeval-easy 2 of 3, llmbar-adver-neighbor 1 of 3,
    math-prm 1 of 2 (README there); no Safety subset: no overall score, said."""
    from tests.tasks.test_judge_benchmarks import rewardbench_task

    db = str(tmp_path / "rb.db")
    folder = rewardbench_task(tmp_path)
    assert CliRunner().invoke(main, ["--db", db, "tasks", "add", str(folder), "--allow-outside"]).exit_code == 0
    out = CliRunner().invoke(main, ["--db", db, "stats", "judges", "--json", "--bootstrap", "0"])
    assert out.exit_code == 0, out.output
    judge = next(a for a in json.loads(out.output)["agents"] if a["agent"] == "judge")
    rb = judge["rewardbench"]
    assert rb["sections"]["Chat"] == pytest.approx(200 / 3)
    assert rb["sections"]["Chat Hard"] == pytest.approx(100 / 3)
    assert rb["sections"]["Reasoning"] == pytest.approx(50.0)
    assert rb["sections"]["Safety"] is None and rb["score"] is None and "Safety" in rb["reason"]
    text = CliRunner().invoke(main, ["--db", db, "stats", "judges", "--bootstrap", "0"])
    assert "RewardBench: Chat 66.7, Chat Hard 33.3, Safety n/a, Reasoning 50.0" in text.output
