"""Separability with confidence (Arena-Hard-Auto): checked against a re-implementation of
Arena-Hard-Auto's computation (a DataFrame of bootstrap ratings, its 2.5 / 97.5 quantiles,
the share of model pairs whose intervals do not overlap) on the very resamples that
``bradley_terry`` draws from its seed; agreement with confidence and the pair Brier hand-worked."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.bradley_terry import bradley_terry
from annotator.analysis.leaderboard import leaderboard
from annotator.analysis.separability import separability
from annotator.cli import main


def _battles(seed=4, n=600, strengths=(0.0, 0.1, 0.5, 1.0, 1.1)):
    rng = np.random.default_rng(seed)
    models = [f"m{i}" for i in range(len(strengths))]
    a = rng.integers(0, len(models), n)
    b = (a + rng.integers(1, len(models), n)) % len(models)
    p = 1 / (1 + np.exp(-(np.array(strengths)[a] - np.array(strengths)[b])))
    won = (rng.random(n) < p).astype(float)
    return np.array(models)[a], np.array(models)[b], won


def _arena_hard_separability(bootstrap_df: pd.DataFrame) -> float:
    """Arena-Hard-Auto's definition, written after its show_result / paper code: per model the
    2.5 and 97.5 percentiles of the bootstrap ratings, then the share of model pairs whose
    intervals do not overlap."""
    lower = bootstrap_df.quantile(0.025)
    upper = bootstrap_df.quantile(0.975)
    names = list(bootstrap_df.columns)
    total = separable = 0
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            total += 1
            if lower[names[i]] > upper[names[j]] or lower[names[j]] > upper[names[i]]:
                separable += 1
    return separable / total


@dataclass
class _Row:
    agent: str
    domain: str
    model: str
    bt_rating: float
    bt_ci_low: float
    bt_ci_high: float


@pytest.mark.parametrize("seed", [0, 7])
def test_matches_arena_hard_on_the_same_bootstrap_draws(seed):
    a, b, won = _battles()
    fitted = bradley_terry(a, b, won, resamples=100, seed=seed)
    # the same resamples bradley_terry draws: one rng from the seed, n battles with replacement
    rng = np.random.default_rng(seed)
    rounds = []
    for _ in range(100):
        idx = rng.integers(0, len(won), len(won))
        again = bradley_terry(a[idx], b[idx], won[idx], resamples=0)
        rounds.append(dict(zip(again.models, again.rating, strict=True)))
    bootstrap_df = pd.DataFrame(rounds)
    assert bootstrap_df.quantile(0.025)[fitted.models].to_numpy() == pytest.approx(fitted.ci_low, abs=0.05)
    rows = [_Row("j", "all", m, r, lo, hi) for m, r, lo, hi in
            zip(fitted.models, fitted.rating, fitted.ci_low, fitted.ci_high, strict=True)]
    (got,) = separability(rows, reference=None, anchor=None, resamples=100, seed=seed)
    assert got.value == pytest.approx(_arena_hard_separability(bootstrap_df))
    assert got.n_pairs == 10 and got.n_models == 5 and "100 resamples, seed" in got.bootstrap
    assert 0 < got.value < 1


def test_agreement_with_confidence_and_brier_hand_worked():
    # humans: A [1100, 1200] > B [1000, 1050] > C [900, 950]: every pair separated
    humans = [_Row("humans", "all", "A", 1150, 1100, 1200), _Row("humans", "all", "B", 1025, 1000, 1050),
              _Row("humans", "all", "C", 925, 900, 950)]
    # judge: orders C above B with confidence (the humans: B above C), A above both
    judge = [_Row("j", "all", "A", 1100, 1080, 1120), _Row("j", "all", "B", 1000, 980, 1020),
             _Row("j", "all", "C", 1050, 1030, 1070)]
    out = {s.agent: s for s in separability(humans + judge, reference="humans", anchor=None, resamples=10, seed=0)}
    assert out["humans"].value == 1.0 and out["humans"].reference is None
    j = out["j"]
    # judge separates A-B (1080 > 1020), A-C (1080 > 1070) and B-C (1030 > 1020): all three
    assert j.value == 1.0 and j.n_both_separated == 3
    assert j.agreement_with_confidence == pytest.approx(2 / 3)  # B-C reversed
    p = lambda ri, rj: 1 / (1 + 10 ** ((rj - ri) / 400))  # noqa: E731
    brier = ((p(1100, 1000) - 1) ** 2 + (p(1100, 1050) - 1) ** 2 + (p(1000, 1050) - 1) ** 2) / 3
    assert j.brier == pytest.approx(brier)


def test_anchor_left_out_and_no_bootstrap_said():
    rows = [_Row("j", "all", "base", 1000, 1000, 1000), _Row("j", "all", "x", 1200, 1150, 1250),
            _Row("j", "all", "y", 1100, 1090, 1160)]
    (s,) = separability(rows, reference=None, anchor="base", resamples=50, seed=0)
    assert (s.n_models, s.n_pairs, s.value) == (2, 1, 0.0)
    (s,) = separability(rows, reference=None, anchor="base", resamples=0, seed=0)
    assert math.isnan(s.value) and "--bootstrap 0" in s.reason and s.to_json()["value"] is None


def test_leaderboard_json_and_text_carry_separability(tmp_path):
    from tests.analysis.test_leaderboard import _model_store

    a, b, won = _battles()
    pairs = pd.DataFrame({"pair": range(len(a)), "model_a": a, "model_b": b, "len_a": 5, "len_b": 5,
                          "domain": "", "instruction": range(len(a))})
    board = leaderboard({"humans": pd.Series(won), "j": pd.Series(1 - won)}, {}, pairs, bootstrap=50)
    sep = {s["agent"]: s for s in board.to_json()["separability"]}
    assert sep["humans"]["value"] > 0 and sep["j"]["agreement_with_confidence"] == 0.0
    db = str(tmp_path / "r.db")
    _model_store(db, baseline=False)
    out = CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--bootstrap", "20"])
    assert out.exit_code == 0, out.output
    assert "Separability" in out.output
    data = json.loads(CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--json",
                                                "--bootstrap", "20"]).output)
    assert {s["agent"] for s in data["separability"]} == {"humans", "j"}
    assert {"agent", "domain", "value", "n_pairs"} <= set(data["separability"][0])
