"""The dataset profile (WorldAlignment section 3.2, Figures 2 and 3): lengths per domain, the
correlation of instruction and response length, scorers per domain, beside a reference task."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.analysis.dataset import correlation, dataset_profile, text_length, texts_frame
from annotator.cli import main
from annotator.store import Pair, Store, Task


def _pair(i, prompt, a, b, domain="math", task="t"):
    return {"pair_id": f"p{i}", "prompt": prompt, "response_a": a, "response_b": b, "domain": domain, "task": task}


# instruction lengths 1, 2, 3 words; response lengths 1, 3, 2 words (both sides the same text)
PAIRS = [_pair(1, "w", "r", "r"), _pair(2, "w w", "r r r", "r r r"), _pair(3, "w w w", "r r", "r r")]


def test_correlation_hand_worked():
    # x = 1, 2, 3; y = 1, 3, 2: r = 0.5 (sums of squares 2 and 2, cross products 1); with
    # n = 3, t = r * sqrt(1 / (1 - r^2)) = 1/sqrt(3) on one degree of freedom, whose two-sided p
    # is 1 - (2 / pi) * atan(1/sqrt(3)) = 1 - 1/3 = 2/3. The ranks are the values: rho = r.
    profile = dataset_profile(PAIRS)
    c = profile["all"]["correlation"]
    assert c["n"] == 3 and c["pearson_r"] == pytest.approx(0.5) and c["pearson_p"] == pytest.approx(2 / 3)
    assert c["spearman_rho"] == pytest.approx(0.5)
    assert profile["all"]["instructions"]["n"] == 3 and profile["all"]["instructions"]["mean"] == pytest.approx(2.0)
    assert profile["all"]["responses"]["median"] == pytest.approx(2.0)


def test_shared_instruction_and_baseline_count_once():
    pairs = [_pair(i, "one instruction here", "the baseline", f"candidate {i} says") for i in range(6)]
    frame = texts_frame(pairs)
    assert len(frame) == 7  # one baseline + six candidates
    profile = dataset_profile(pairs)
    assert profile["all"]["instructions"]["n"] == 1 and profile["all"]["responses"]["n"] == 7
    # one instruction: its length is constant, so no coefficient, and why
    assert profile["all"]["correlation"]["pearson_r"] is None
    assert "same length" in profile["all"]["correlation"]["reason"]
    assert correlation(frame["instruction_length"][:2], frame["response_length"][:2])["reason"].startswith(
        "a correlation needs three")


def test_units():
    assert text_length("two  words\n", "words") == 2 and text_length("ab c", "characters") == 4
    with pytest.raises(ValueError, match="unit must be one of"):
        text_length("x", "tokens")


def test_stats_dataset_cli_by_domain_beside_a_reference(tmp_path):
    db = tmp_path / "a.db"
    store = Store.open(db)
    for name in ("t", "ref"):
        store.save_task(Task(name=name, title=name))
    store.insert_pairs([Pair(**{k: v for k, v in p.items()}, content_hash=p["pair_id"]) for p in PAIRS]
                       + [Pair(**_pair(9, "tell me a story", "once upon a time", "a story", "writing"),
                               content_hash="p9")])
    store.insert_pairs([Pair(**_pair(i, "q " * (i + 1), "a " * (2 * i + 1), "b", task="ref"), content_hash=f"r{i}")
                        for i in range(4)])
    store.close()
    result = CliRunner().invoke(main, ["--db", str(db), "stats", "dataset", "--task", "t", "--by", "domain",
                                       "--reference", "ref", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["task"] == "t" and data["unit"] == "words"
    assert set(data["per_domain"]) == {"math", "writing"}
    assert data["per_domain"]["math"]["correlation"]["pearson_r"] == pytest.approx(0.5)
    assert data["per_domain"]["writing"]["correlation"]["pearson_r"] is None  # two responses: no coefficient
    # the reference: instruction length i + 1, response lengths 2i + 1 and 1; "b" answers four
    # different instructions, so it is four responses
    ref = data["reference"]
    assert ref["task"] == "ref" and ref["all"]["instructions"]["n"] == 4 and ref["all"]["responses"]["n"] == 8
    text = CliRunner().invoke(main, ["--db", str(db), "stats", "dataset", "--task", "t", "--reference", "ref"])
    assert text.exit_code == 0 and "t: lengths in words" in text.stdout and "ref: lengths in words" in text.stdout
    bad = CliRunner().invoke(main, ["--db", str(db), "stats", "dataset", "--task", "t", "--reference", "nope"])
    assert bad.exit_code != 0 and "no task named 'nope'" in bad.output


def test_scorers_per_domain_counted_by_instruction():
    import pandas as pd

    rows = [{"run": 1, "run_name": "wa-difficulty", "kind": "pointwise", "pair": i, "pair_id": f"p{i}",
             "domain": "math" if i < 4 else "code", "target": "prompt", "sample": 0,
             "score": 7.0 if i < 4 else 3.0, "unscored_reason": "", "cost": 0.0,
             "cache_key": "k-math" if i < 4 else f"k-code{i}"} for i in range(6)]
    scores = pd.DataFrame(rows)
    profile = dataset_profile(PAIRS, scores, by_domain=True)
    prompt = profile["scorers"][0]["targets"]["prompt"]
    assert prompt["all"]["scored"] == 3  # four pairs share the math instruction: one score
    assert prompt["per_domain"]["math"]["scored"] == 1 and prompt["per_domain"]["code"]["mean"] == 3.0
    assert dataset_profile(PAIRS, scores)["scorers"][0]["targets"]["prompt"]["per_domain"] == {}
