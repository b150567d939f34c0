"""Style beyond length: the judge's style bias relative to the humans, the trivial "pick the
one with more" baselines, and the style-controlled win rate (the LC fit generalised)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.leaderboard import leaderboard
from annotator.analysis.style import style_bias, trivial_baselines
from annotator.analysis.winrate import length_controlled_win_rates
from annotator.cli import main


def _features(rows):
    """rows: pair -> (lists_a, lists_b); every other feature equal except length."""
    out = []
    for pair, (la, lb) in rows.items():
        out.append({"pair": pair, "length_a": 10 + pair, "length_b": 10, "headers_a": 0, "headers_b": 0,
                    "lists_a": la, "lists_b": lb, "bold_a": 0, "bold_b": 0, "code_a": 1, "code_b": 1})
    return pd.DataFrame(out)


def test_style_bias_hand_worked():
    feats = _features({1: (3, 0), 2: (0, 2), 3: (1, 1), 4: (2, 0), 5: (5, 0)})
    judge = pd.Series({1: "A", 2: "B", 3: "A", 4: "A", 5: "tie"})
    humans = pd.Series({1: "A", 2: "A", 3: "B", 4: "B", 5: "A"})
    values, detail = style_bias(judge, humans, feats)
    # lists differ on pairs 1, 2, 4, 5; both decisive on 1, 2, 4: judge picks more lists 3/3, humans 1/3
    assert detail["lists"]["n"] == 3 and values["lists"] == pytest.approx(1 - 1 / 3)
    # length: A longer everywhere; decisive on 1-4: judge A on 1, 3, 4 (3/4), humans A on 1, 2 (2/4)
    assert values["length"] == pytest.approx(0.25) and detail["length"]["n"] == 4
    # code and headers never differ: undefined, with the reason
    assert values["code"] is None and "differ in code" in detail["code"]["reason"]
    assert values["headers"] is None


def test_trivial_baselines_per_domain():
    feats = _features({1: (3, 0), 2: (0, 2), 3: (1, 1), 4: (2, 0)})
    gold = pd.Series({1: "A", 2: "B", 3: "A", 4: "B"})
    domains = pd.Series({1: "x", 2: "x", 3: "y", 4: "y"})
    out = {(b["domain"], b["feature"]): b for b in trivial_baselines(gold, feats, domains, "gold labels")}
    # pick more lists: right on 1, 2; equal on 3 (half); wrong on 4 -> 2.5 / 4
    assert out[("all", "lists")]["accuracy"] == pytest.approx(2.5 / 4)
    assert out[("x", "lists")]["accuracy"] == 1.0 and out[("y", "lists")]["accuracy"] == pytest.approx(0.25)
    assert out[("all", "length")]["rule"] == "pick the longer"
    assert out[("all", "length")]["accuracy"] == pytest.approx(0.5)  # A longer: right on 1, 3


def _lists_judge(n_inst=120, seed=2):
    """Two candidates against a baseline; 'listy' writes lists, 'plain' does not; the judge
    prefers whichever response has more lists (a coin flip when equal)."""
    rng = np.random.default_rng(seed)
    rows, prefs, style, pid = [], {}, [], 0
    for inst in range(n_inst):
        for name, lists in (("listy", 4), ("plain", 0)):
            pid += 1
            base_lists = int(rng.integers(0, 2)) * 4
            la, lb = 100 + int(rng.integers(0, 50)), 100 + int(rng.integers(0, 50))
            rows.append((pid, name, "base", la, lb, "", inst))
            mine = lists + (int(rng.integers(0, 2)) if lists else 0)
            p = 0.85 if mine > base_lists else (0.15 if mine < base_lists else 0.5)
            prefs[pid] = float(rng.random() < p)
            style.append({"pair": pid, "length_a": la, "length_b": lb, "headers_a": 0, "headers_b": 0,
                          "lists_a": mine, "lists_b": base_lists, "bold_a": 0, "bold_b": 0, "code_a": 0,
                          "code_b": 0})
    pairs = pd.DataFrame(rows, columns=["pair", "model_a", "model_b", "len_a", "len_b", "domain", "instruction"])
    return pairs, {"j": pd.Series(prefs)}, pd.DataFrame(style)


def test_style_control_removes_a_list_preference():
    pairs, prefs, style = _lists_judge()
    board = leaderboard(prefs, {}, pairs, baseline="base", bootstrap=0, style=style)
    rows = {r.model: r for r in board.rows}
    assert rows["listy"].win_rate > 60 and rows["plain"].win_rate < 45
    # the judge prefers lists, not either model: style-controlled, both move towards 50
    assert abs(rows["listy"].sc_win_rate - 50) < abs(rows["listy"].win_rate - 50) - 5
    assert abs(rows["plain"].sc_win_rate - 50) < abs(rows["plain"].win_rate - 50)
    assert "style-controlled" in board.to_json()["sc_method"]
    assert board.to_json()["rows"][0]["sc_win_rate"] is not None


def test_style_control_reduces_to_lc_with_length_only():
    """No style covariate (the counts equal everywhere, or none given): the SC fit is the LC fit."""
    pairs, prefs, style = _lists_judge()
    flat = style.assign(lists_a=0, lists_b=0)
    board = leaderboard(prefs, {}, pairs, baseline="base", bootstrap=0, style=flat)
    for r in board.rows:
        assert r.sc_win_rate == pytest.approx(r.lc_win_rate, abs=1e-9)
    frame = pd.DataFrame({"candidate": np.repeat(["a", "b"], 60), "instruction": np.tile(range(60), 2),
                          "p_win": np.random.default_rng(0).random(120), "len_candidate": np.arange(120) % 17,
                          "len_baseline": 8.0})
    plain = length_controlled_win_rates(frame)
    generalised = length_controlled_win_rates(frame, covariates=())
    for c in ("a", "b"):
        assert generalised.results[c].lc_win_rate == plain.results[c].lc_win_rate


def test_without_a_varying_style_feature_the_lc_fit_is_not_run_twice(monkeypatch):
    """Where no style column varies (texts without markdown), the SC fit is the LC fit: the
    leaderboard fits once per agent and domain and shows the same figure (issue 22: at 100,000
    pairs each fit costs seconds)."""
    import annotator.analysis.leaderboard as module

    pairs, prefs, style = _lists_judge()
    flat = style.assign(lists_a=0, lists_b=0)
    fits = []
    fit = module.length_controlled_win_rates
    monkeypatch.setattr(module, "length_controlled_win_rates", lambda *a, **kw: fits.append(kw) or fit(*a, **kw))
    board = module.leaderboard(prefs, {}, pairs.assign(domain=np.where(pairs["instruction"] % 2, "x", "y")),
                               baseline="base", bootstrap=0, style=flat, by_domain=True)
    assert len(fits) == 3  # all, x and y: one fit each
    assert all(r.sc_win_rate == r.lc_win_rate for r in board.rows if r.model != "base")
    fits.clear()
    module.leaderboard(prefs, {}, pairs, baseline="base", bootstrap=0, style=style)
    assert [bool(kw.get("covariates")) for kw in fits] == [False, True]  # lists vary: LC, then SC


def test_fits_in_worker_processes_give_the_same_leaderboard_to_the_bit(monkeypatch):
    """``jobs`` > 1 runs every LC and SC fit in forked worker processes (none in this one):
    the leaderboard's JSON is the same, byte for byte, as with every fit here."""
    import annotator.analysis.leaderboard as module

    pairs, prefs, style = _lists_judge()
    pairs = pairs.assign(domain=np.where(pairs["instruction"] % 2, "x", "y"))
    prefs["k"] = 1 - prefs["j"].sample(frac=1.0, random_state=1).set_axis(prefs["j"].index)
    here = []
    fit = module.length_controlled_win_rates
    monkeypatch.setattr(module, "length_controlled_win_rates", lambda *a, **kw: here.append(1) or fit(*a, **kw))
    monkeypatch.setattr(module, "PARALLEL_MIN_PREFERENCES", 0)
    boards, fitted_here = {}, {}
    for jobs in (1, 2):
        here.clear()
        boards[jobs] = json.dumps(module.leaderboard(prefs, {}, pairs, baseline="base", bootstrap=20, style=style,
                                                     by_domain=True, jobs=jobs).to_json())
        fitted_here[jobs] = len(here)
    assert fitted_here == {1: 12, 2: 0}  # 2 agents x 3 domains x (LC, SC)
    assert boards[1] == boards[2]
    assert '"sc_win_rate": null' not in boards[1]  # the SC fits ran (the lists vary)


def test_sc_undefined_is_said():
    pairs, prefs, _ = _lists_judge()
    board = leaderboard(prefs, {}, pairs, baseline="base", bootstrap=0)
    row = board.rows[0]
    assert math.isnan(row.sc_win_rate) and "SC: no style features" in row.reason


def test_commands_carry_style(tmp_path):
    from tests.analysis.test_leaderboard import _model_store

    db = str(tmp_path / "a.db")
    _model_store(db, baseline=True)
    out = CliRunner().invoke(main, ["--db", db, "stats", "judges", "--task", "t", "--json", "--bootstrap", "0"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    judge = next(a for a in data["agents"] if a["agent"] == "j")
    assert set(judge["style_bias"]) == {"length", "headers", "lists", "bold", "code"}
    assert judge["style_bias"]["headers"] is None and judge["style_bias_detail"]["headers"]["reason"]
    assert judge["style_bias"]["length"] is not None  # responses of 10 and 12 characters
    assert any(b["rule"] == "pick the longer" for b in data["style_baselines"])
    text = CliRunner().invoke(main, ["--db", db, "stats", "judges", "--task", "t", "--bootstrap", "0"])
    assert text.exit_code == 0, text.output
    assert "chooses the response with more" in text.output and "Trivial baselines" in text.output
    board = json.loads(CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--json",
                                                 "--bootstrap", "0"]).output)
    assert all("sc_win_rate" in r for r in board["rows"])


def test_style_controlled_bradley_terry():
    """Arena-Hard-Auto's style control: with the style differences as covariates, a judge that
    only likes lists no longer spreads the ratings; with no style difference at all the fit is
    Bradley-Terry's (within its ridge)."""
    pairs, prefs, style = _lists_judge()
    board = leaderboard(prefs, {}, pairs, baseline="base", bootstrap=0, style=style)
    rated = {r.model: r for r in board.ratings}
    assert rated["base"].sc_bt_rating == pytest.approx(1000)
    spread = rated["listy"].bt_rating - rated["plain"].bt_rating
    sc_spread = rated["listy"].sc_bt_rating - rated["plain"].sc_bt_rating
    assert spread > 100 and abs(sc_spread) < spread / 2
    assert "style-controlled Bradley-Terry" in board.to_json()["sc_bt_method"]
    row = next(r for r in board.rows if r.model == "listy")
    assert row.sc_bt_rating == rated["listy"].sc_bt_rating
    flat = style.assign(lists_a=0, lists_b=0, length_a=100, length_b=100)
    plain = leaderboard(prefs, {}, pairs, baseline="base", bootstrap=0, style=flat)
    for r in plain.ratings:
        assert r.sc_bt_rating == pytest.approx(r.bt_rating, abs=1.0)


def test_a_fit_worker_runs_blas_on_one_thread(monkeypatch):
    """A fit worker limits BLAS to one thread whatever its parent did (the report's engine
    worker may load scipy's BLAS after its own limit): more threads only spin on the fit's small
    BLAS calls (the report's leaderboard engine took 49 s of CPU instead of 20)."""
    from threadpoolctl import threadpool_info

    import annotator.analysis.leaderboard as module

    monkeypatch.setattr(module, "length_controlled_win_rates", lambda *a, **kw: [
        i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])
    monkeypatch.setattr(module, "_PENDING", [(pd.DataFrame(), 0.001, ())])
    assert set(module._fit_pending(0)) == {1}
