"""Paired tests between models, their multiple-comparison correction (against statsmodels'
multipletests) and the compact letter display groups (hand-worked)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats
from statsmodels.stats.multitest import multipletests

from annotator.analysis import significance as sig
from annotator.analysis.leaderboard import leaderboard
from annotator.cli import main


def _table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": (rng.random(n) < 0.8).astype(float), "y": (rng.random(n) < 0.5).astype(float),
                         "z": (rng.random(n) < 0.45).astype(float), "base": 0.5})


@pytest.mark.parametrize("test", ["bootstrap", "sign", "wilcoxon"])
@pytest.mark.parametrize("correction, method", [("holm", "holm"), ("by", "fdr_by")])
def test_correction_is_statsmodels_multipletests(test, correction, method):
    table = _table()
    order = ["x", "y", "base", "z"]
    tests = sig.pairwise_tests(table, order, agent="h", domain="all", test=test, correction=correction)
    assert len(tests) == 6
    raw = [t.p_value for t in tests]
    reject, adjusted, _, _ = multipletests(raw, alpha=0.05, method=method)
    assert [t.p_adjusted for t in tests] == pytest.approx(list(adjusted))
    assert [t.significant for t in tests] == list(reject)
    assert all(t.correction == sig.CORRECTION_NAMES[correction] for t in tests)


def test_sign_and_wilcoxon_are_scipys():
    table = _table()
    d = (table["x"] - table["y"]).to_numpy()
    (sign,) = sig.pairwise_tests(table, ["x", "y"], agent="h", domain="all", test="sign")
    nz = d[d != 0]
    assert sign.p_value == pytest.approx(stats.binomtest(int((nz > 0).sum()), len(nz)).pvalue)
    (wil,) = sig.pairwise_tests(table, ["x", "y"], agent="h", domain="all", test="wilcoxon")
    assert wil.p_value == pytest.approx(stats.wilcoxon(nz).pvalue)
    assert sign.difference == pytest.approx(100 * d.mean())
    # hand-worked: 8 instructions favour x, 2 favour y, 2 tie -> two-sided binomial 112/1024
    hand = pd.DataFrame({"x": [1.0] * 8 + [0.0] * 2 + [0.5] * 2, "y": [0.0] * 8 + [1.0] * 2 + [0.5] * 2})
    (t,) = sig.pairwise_tests(hand, ["x", "y"], agent="h", domain="all", test="sign")
    assert t.p_value == pytest.approx(112 / 1024) and t.n == 12 and t.difference == pytest.approx(50.0)


def test_bootstrap_p_and_interval_of_a_clear_difference():
    # x beats y on every one of 150 instructions: no bootstrap spread, the exact sign test 2 / 2^150
    hand = pd.DataFrame({"x": [1.0] * 150, "y": [0.0] * 150})
    (t,) = sig.pairwise_tests(hand, ["x", "y"], agent="h", domain="all")
    assert t.p_value == pytest.approx(2 * 0.5 ** 150) and (t.ci_low, t.ci_high) == (100.0, 100.0)
    assert "paired bootstrap" in t.test and "1000 resamples" in t.test and "sign test" in t.note
    # otherwise z = mean / bootstrap SE: the replicates' spread, two-sided normal
    table = _table()
    d = (table["x"] - table["y"]).to_numpy()
    (t,) = sig.pairwise_tests(table, ["x", "y"], agent="h", domain="all", seed=5)
    replicates = d[np.random.default_rng(5).integers(0, len(d), size=(1000, len(d)))].mean(axis=1)
    assert t.p_value == pytest.approx(2 * stats.norm.sf(abs(d.mean()) / replicates.std(ddof=1)))
    assert t.ci_low == pytest.approx(100 * np.percentile(replicates, 2.5))
    same = pd.DataFrame({"x": [1.0, 0.0] * 60, "y": [1.0, 0.0] * 60})
    (t,) = sig.pairwise_tests(same, ["x", "y"], agent="h", domain="all")
    assert t.p_value == 1.0 and t.difference == 0


def test_few_shared_instructions_say_underpowered():
    table = pd.DataFrame({"x": [1.0, 0.0, 1.0] * 10 + [np.nan] * 100, "y": [0.0] * 130})
    (t,) = sig.pairwise_tests(table, ["x", "y"], agent="h", domain="all")
    assert t.n == 30 and "underpowered: 30 shared instructions" in t.note
    one = pd.DataFrame({"x": [1.0, np.nan], "y": [0.0, 1.0]})
    (t,) = sig.pairwise_tests(one, ["x", "y"], agent="h", domain="all")
    assert t.to_json()["p_value"] is None and "no test" in t.note and t.significant is None


def test_compact_letter_display_hand_worked():
    order = ["A", "B", "C", "D"]
    assert sig.letter_groups(order, set()) == {m: "a" for m in order}
    # only A-C and A-D differ: {A, B} and {B, C, D}
    got = sig.letter_groups(order, {frozenset("AC"), frozenset("AD")})
    assert got == {"A": "a", "B": "ab", "C": "b", "D": "b"}
    every = {frozenset((x, y)) for i, x in enumerate(order) for y in order[i + 1:]}
    assert sig.letter_groups(order, every) == {"A": "a", "B": "b", "C": "c", "D": "d"}
    # A-C, A-D and B-D differ: {A, B}, {B, C}, {C, D}
    got = sig.letter_groups(order, {frozenset("AC"), frozenset("AD"), frozenset("BD")})
    assert got == {"A": "a", "B": "ab", "C": "bc", "D": "c"}


def _board(test="bootstrap", correction="holm"):
    rng = np.random.default_rng(1)
    rows, prefs, pid = [], {}, 0
    for inst in range(150):
        for m, q in [("strong", 0.85), ("mid", 0.55), ("weak", 0.5)]:
            pid += 1
            rows.append((pid, m, "base", 100, 100, "d", inst))
            prefs[pid] = float(rng.random() < q)
    pairs = pd.DataFrame(rows, columns=["pair", "model_a", "model_b", "len_a", "len_b", "domain", "instruction"])
    return leaderboard({"h": pd.Series(prefs)}, {}, pairs, baseline="base", bootstrap=0, test=test,
                       correction=correction)


def test_leaderboard_carries_pairwise_and_groups():
    board = _board()
    data = board.to_json()
    keys = {"agent", "domain", "model_a", "model_b", "n", "difference", "ci_low", "ci_high", "p_value",
            "p_adjusted", "test", "correction"}
    assert len(data["pairwise"]) == 6 and keys <= set(data["pairwise"][0])
    first = data["pairwise"][0]
    assert (first["model_a"], first["model_b"], first["n"]) == ("strong", "mid", 150)
    groups = {g["model"]: g["group"] for g in data["groups"]}
    assert groups["strong"] == "a" and set(groups) == {"strong", "mid", "weak", "base"}
    assert data["pairwise_test"] == "bootstrap" and data["pairwise_correction"] == "holm"
    assert _board("sign", "by").pairwise[0].correction.startswith("Benjamini-Yekutieli")


def test_command_prints_groups_and_the_rule(tmp_path):
    from tests.analysis.test_leaderboard import _model_store

    db = str(tmp_path / "a.db")
    _model_store(db, baseline=True)
    out = CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--bootstrap", "0",
                                    "--test", "wilcoxon", "--correction", "by"])
    assert out.exit_code == 0, out.output
    assert "group" in out.output and "--test wilcoxon" in out.output and "--correction by" in out.output
    assert "underpowered" in out.output
    data = json.loads(CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--json",
                                                "--bootstrap", "0"]).output)
    assert data["pairwise"] and data["groups"]
    assert all(p["n"] < 100 and "underpowered" in p["note"] for p in data["pairwise"] if p["n"] > 1)


@pytest.mark.parametrize("n", [1, 7, 99, 100, 101, 250_001])
def test_bootstrap_means_are_the_fancy_indexed_means_to_the_bit(n):
    """The paired bootstrap draws its resamples as 32-bit integers and averages them a block
    at a time (issue 22): the same draws and the same means, to the bit, as drawing 64-bit
    integers and averaging ``d[idx]`` at once, whatever the block boundaries."""
    d = np.random.default_rng(n).normal(size=n)
    idx = np.random.default_rng(3).integers(0, n, size=(sig.PAIRED_RESAMPLES, n))
    assert np.array_equal(sig._draws(n, 3), idx)
    assert np.array_equal(sig._bootstrap_means(d, 3), d[idx].mean(axis=1))


def test_pairs_sharing_their_instructions_share_one_draw(monkeypatch):
    """Every model pair of a table without gaps has the same shared instructions, so the same
    resamples: drawn once, not once a pair."""
    calls = []
    draws = sig._draws
    monkeypatch.setattr(sig, "_draws", lambda n, seed: calls.append(n) or draws(n, seed))
    tests = sig.pairwise_tests(_table(), ["x", "y", "base", "z"], agent="h", domain="all")
    assert len(tests) == 6 and calls == [120]


def test_the_correction_leaves_the_garbage_collector_as_it_found_it(monkeypatch):
    """statsmodels' Holm correction runs a full gc.collect() on every call; the tests run it with
    the process's objects frozen (so it only looks at new ones) and thaw them afterwards."""
    import gc

    seen = []
    real = sig.multipletests
    monkeypatch.setattr(sig, "multipletests", lambda *a, **kw: seen.append(gc.get_freeze_count()) or real(*a, **kw))
    frozen = gc.get_freeze_count()
    sig.pairwise_tests(_table(), ["x", "y", "base"], agent="h", domain="all")
    assert seen and seen[0] > frozen and gc.get_freeze_count() == frozen
