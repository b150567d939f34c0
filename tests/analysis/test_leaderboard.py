"""The leaderboard: candidate-vs-baseline win rates whichever side the candidate is on, the
joint length-controlled fit, Bradley-Terry ratings and rank correlation."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.bradley_terry import bradley_terry
from annotator.analysis.leaderboard import choose_baseline, leaderboard
from annotator.cli import main


def _pairs(rows):
    """rows: (pair, model_a, model_b, len_a, len_b, domain, instruction)."""
    return pd.DataFrame(rows, columns=["pair", "model_a", "model_b", "len_a", "len_b", "domain", "instruction"])


def test_win_rate_is_the_candidates_whichever_side_it_is_on():
    # m1 is on side A in pairs 1-2 and on side B in pairs 3-4 (the baseline 'base' opposite).
    pairs = _pairs([(1, "m1", "base", 10, 20, "", 1), (2, "m1", "base", 10, 20, "", 2),
                    (3, "base", "m1", 20, 10, "", 3), (4, "base", "m1", 20, 10, "", 4)])
    # P(A): m1 wins pair 1 (A), loses pair 2, wins pair 3 (B won: P(A) = 0), ties pair 4
    prefs = {"judge": pd.Series([1.0, 0.0, 0.0, 0.5], index=[1, 2, 3, 4])}
    board = leaderboard(prefs, {}, pairs, baseline="base", bootstrap=0)
    (row,) = board.rows
    # candidate preferences 1, 0, 1, 0.5 -> mean 0.625
    assert row.model == "m1" and row.win_rate == pytest.approx(62.5)
    assert (row.n_wins, row.n_wins_base, row.n_draws, row.n) == (2, 1, 1, 4)
    assert row.discrete_win_rate == pytest.approx(62.5)
    # standard error of (100, 0, 100, 50) over 4 pairs: sd 47.87 / 2
    assert row.standard_error == pytest.approx(np.std([100, 0, 100, 50], ddof=1) / 2)
    assert row.avg_length == 10
    # fewer than 50 preferences (defaults.MIN_LC_PREFERENCES): the LC is undefined, with its reason beside it
    assert math.isnan(row.lc_win_rate) and "needs at least 50" in row.reason
    assert row.to_json()["lc_win_rate"] is None


def test_baseline_choice_is_stated():
    pairs = _pairs([(1, "x", "gpt", 1, 1, "", 1), (2, "y", "gpt", 1, 1, "", 2)])
    assert choose_baseline(pairs, None)[0] == "gpt"
    assert "side B of every pair" in choose_baseline(pairs, None)[1]
    assert choose_baseline(pairs, "x") == ("x", "named by the task ([task] baseline)")
    mixed = _pairs([(1, "x", "y", 1, 1, "", 1), (2, "y", "z", 1, 1, "", 2)])
    assert choose_baseline(mixed, None) == (None, "")
    board = leaderboard({"j": pd.Series([1.0, 0.0], index=[1, 2])}, {}, mixed, bootstrap=0)
    assert board.rows == [] and "no baseline" in board.notes[0]


def test_unscored_pairs_are_counted_not_hidden():
    pairs = _pairs([(i, "m", "base", 5, 5, "", i) for i in range(1, 6)])
    prefs = {"j": pd.Series([1.0, 1.0, np.nan, np.nan, 0.0], index=[1, 2, 3, 4, 5])}
    board = leaderboard(prefs, {"j": pd.Index([3, 4])}, pairs, bootstrap=0)
    (row,) = board.rows
    assert row.n == 3 and row.n_unscored == 2 and row.win_rate == pytest.approx(200 / 3)


def test_bradley_terry_two_models_hand_worked():
    # 75 wins in 100: R_A - R_B = 400 log10(0.75 / 0.25) = 190.85 Elo (the ridge moves it by 0.1)
    ratings = bradley_terry(["A"] * 100, ["B"] * 100, [1.0] * 75 + [0.0] * 25, anchor="B", resamples=50)
    a, b = ratings.rating
    assert b == 1000 and a == pytest.approx(1000 + 400 * math.log10(3), abs=0.5)
    assert ratings.ci_low[0] < a < ratings.ci_high[0]
    # a tie is half a win for each side: 50 ties -> equal ratings
    even = bradley_terry(["A"] * 50, ["B"] * 50, [0.5] * 50, anchor="B", resamples=0)
    assert even.rating[0] == pytest.approx(1000, abs=1e-6)


def test_bradley_terry_three_models_transitive():
    # A beats B 3:1, B beats C 3:1, A beats C 9:1 -> on the logit scale ln 3 steps: BT fits exactly
    a = ["A"] * 4 + ["B"] * 4 + ["A"] * 10
    b = ["B"] * 4 + ["C"] * 4 + ["C"] * 10
    p = [1, 1, 1, 0] + [1, 1, 1, 0] + [1] * 9 + [0]
    ratings = bradley_terry(a, b, p, anchor="C", resamples=0)
    step = 400 * math.log10(3)
    assert ratings.rating == pytest.approx([1000 + 2 * step, 1000 + step, 1000], abs=2)


def test_rank_correlation_against_the_reference():
    pairs = _pairs([(i * 10 + k, f"m{i}", "base", 5, 5, "", k) for i in range(4) for k in range(4)])
    # humans: m_i wins i of its 4 pairs -> m0 0, m1 25, m2 50, m3 75
    humans = {i * 10 + k: (1.0 if k < i else 0.0) for i in range(4) for k in range(4)}
    judge = dict(humans)
    judge[0] = 1.0  # m0 wins one more: m0 = m1 = 25, a tie in the judge's ranking only
    board = leaderboard({"humans": pd.Series(humans), "judge": pd.Series(judge)}, {}, pairs, bootstrap=0)
    (rc,) = board.rank_correlation
    assert rc.agent == "judge" and rc.reference == "humans" and rc.n_models == 4
    # gold 0, 25, 50, 75; judge 25, 25, 50, 75: one tie in the metric only -> tau_14 = 5/6
    assert rc.tau_14 == pytest.approx(5 / 6)
    assert rc.spearman == pytest.approx(pd.Series([0, 25, 50, 75]).corr(pd.Series([25, 25, 50, 75]), method="spearman"))


@pytest.mark.realdata
@pytest.mark.slow  # the joint length-controlled fit of 12 models x 805 instructions
def test_alpaca_eval_leaderboard_through_the_command(shared_data, alpaca_eval_task):
    """The 12 AlpacaEval 2.0 models as one task, `stats leaderboard --json`: win rate,
    standard error and counts reproduce the published leaderboard exactly; the LC is within
    the issue's targets (every model within 2 points; measured max 1.21, median 0.80)."""
    db, _ = alpaca_eval_task  # the results folder imported once per session
    result = CliRunner().invoke(main, ["--db", str(db), "stats", "leaderboard", "--json", "--bootstrap", "20"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    board = pd.read_csv(shared_data / "alpacaeval2/leaderboards/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
                        index_col=0)
    assert data["baseline"] == "gpt4_1106_preview"
    rows = {r["model"]: r for r in data["rows"]}
    assert len(rows) == 12
    for name, r in rows.items():
        pub = board.loc[name]
        assert r["win_rate"] == pytest.approx(pub["win_rate"], rel=1e-12), name
        assert r["standard_error"] == pytest.approx(pub["standard_error"], rel=1e-9, abs=1e-12), name
        assert (r["n_wins"], r["n_wins_base"], r["n_draws"], r["n"]) == (
            pub["n_wins"], pub["n_wins_base"], pub["n_draws"], pub["n_total"]), name
        assert r["discrete_win_rate"] == pytest.approx(pub["discrete_win_rate"]), name
        if name != "alpaca-7b_verbose":  # its published length (537) differs from its outputs here (539.87)
            assert int(r["avg_length"]) == pub["avg_length"], name
    candidates = [n for n in rows if n != "gpt4_1106_preview"]
    ours = np.array([rows[n]["lc_win_rate"] for n in candidates])
    published = board.loc[candidates, "length_controlled_winrate"].to_numpy()
    errors = np.abs(ours - published)
    assert np.median(errors) < 1 and errors.max() < 2, dict(zip(candidates, errors.round(2)))
    assert pd.Series(ours).corr(pd.Series(published), method="spearman") >= 0.97
    assert rows["gpt4_1106_preview"]["lc_win_rate"] == 50.0
    # its LC is 50 by construction: no standard error, and the reason says why (never 0.0)
    assert rows["gpt4_1106_preview"]["lc_standard_error"] is None
    assert "by construction" in rows["gpt4_1106_preview"]["reason"]
    # Bradley-Terry: the baseline anchors the scale, the best candidate is above the worst
    assert rows["gpt4_1106_preview"]["bt_rating"] == pytest.approx(1000)
    assert rows["claude-2.1"]["bt_rating"] > rows["alpaca-7b_concise"]["bt_rating"]
    # AlpacaEval annotations record no presentation order: the judge's position bias is unknown
    judges = CliRunner().invoke(main, ["--db", str(db), "stats", "judges", "--json", "--bootstrap", "0"])
    (agent,) = [a for a in json.loads(judges.output)["agents"] if a["kind"] != "humans"]
    assert agent["position_bias"]["estimate"] is None and agent["position_bias"]["reason"].startswith("unknown")
    assert agent["position_consistency"]["estimate"] is None


@pytest.mark.realdata
def test_faireval_humans_on_the_leaderboard(shared_data, tmp_path):
    """FairEval's 80 aggregated human verdicts, ChatGPT against Vicuna-13B: 41 / 25 / 14
    (published counts), a win rate of (41 + 14 / 2) / 80 = 60 %."""
    folder = tmp_path / "fe"
    folder.mkdir()
    (folder / "task.toml").write_text(f'[task]\nname = "fe"\n[data]\npath = "{shared_data}/faireval"\n'
                                      'format = "faireval"\n', encoding="utf-8")
    db = tmp_path / "fe.db"
    assert CliRunner().invoke(main, ["--db", str(db), "tasks", "add", str(folder), "--allow-outside"]).exit_code == 0
    result = CliRunner().invoke(main, ["--db", str(db), "stats", "leaderboard", "--json", "--bootstrap", "0"])
    (row,) = json.loads(result.output)["rows"]
    assert row["agent"] == "humans" and row["model"].startswith("gpt-3.5-turbo")
    assert (row["n_wins"], row["n_wins_base"], row["n_draws"], row["n"]) == (41, 25, 14, 80)
    assert row["win_rate"] == pytest.approx(60.0)
    # one candidate: the LC fit has no instruction difficulty, and says so
    assert row["lc_method"].startswith("single-candidate fit") and row["lc_standard_error"] > 0


def test_unscored_pairs_without_the_baseline_are_no_candidates_unscored_pairs():
    """m1 against m2 (no baseline) is no pair of m2 against the baseline: when the judge
    has no preference on it, it is not one of m2's unscored pairs."""
    pairs = _pairs([(1, "m2", "base", 5, 5, "", 1), (2, "base", "m2", 5, 5, "", 2),
                    (3, "m1", "m2", 5, 5, "", 3), (4, "m2", "base", 5, 5, "", 4)])
    prefs = {"j": pd.Series([1.0, 0.0, np.nan, np.nan], index=[1, 2, 3, 4])}
    board = leaderboard(prefs, {"j": pd.Index([3, 4])}, pairs, baseline="base", bootstrap=0)
    (row,) = board.rows
    # m2 won pairs 1 and 2 (on side B in pair 2: P(A) = 0); pair 4 has no preference
    assert (row.model, row.n, row.n_unscored) == ("m2", 2, 1)


def test_an_agent_without_any_preference_keeps_its_rows():
    """A judge whose every verdict is unscored is not dropped from the leaderboard: its
    candidates get a row with n 0, the unscored pairs counted and the win rate undefined."""
    pairs = _pairs([(1, "m1", "base", 5, 5, "", 1), (2, "m1", "base", 5, 5, "", 2),
                    (3, "m2", "base", 5, 5, "", 3)])
    prefs = {"ok": pd.Series([1.0, 0.0, 1.0], index=[1, 2, 3]),
             "dud": pd.Series([np.nan, np.nan, np.nan], index=[1, 2, 3])}
    board = leaderboard(prefs, {"dud": pd.Index([1, 2, 3])}, pairs, baseline="base", bootstrap=0)
    dud = {r.model: r for r in board.rows if r.agent == "dud"}
    assert set(dud) == {"m1", "m2"}
    assert (dud["m1"].n, dud["m1"].n_unscored, dud["m2"].n_unscored) == (0, 2, 1)
    assert math.isnan(dud["m1"].win_rate) and "no preference" in dud["m1"].reason
    assert dud["m1"].to_json()["win_rate"] is None


def test_the_baseline_against_itself_is_a_draw_whatever_side_wins():
    """A pair of the baseline against itself says nothing about the baseline against itself:
    its win rate is 50 by construction (AlpacaEval's baseline row: every pair a draw), even
    when the judge preferred one side."""
    pairs = _pairs([(1, "base", "base", 5, 9, "", 1), (2, "base", "base", 5, 9, "", 2),
                    (3, "m1", "base", 5, 9, "", 3)])
    prefs = {"j": pd.Series([1.0, 1.0, 0.0], index=[1, 2, 3])}
    board = leaderboard(prefs, {}, pairs, baseline="base", bootstrap=0)
    base = next(r for r in board.rows if r.model == "base")
    assert base.win_rate == 50.0 and base.lc_win_rate == 50.0
    assert (base.n, base.n_wins, base.n_wins_base, base.n_draws) == (2, 0, 0, 2)


def test_constant_win_rates_give_a_reason_and_no_warning_on_stderr():
    """A judge giving every candidate the same win rate has no rank correlation: undefined
    with its reason, without scipy's ConstantInputWarning printed under the table."""
    import warnings

    pairs = _pairs([(i * 10 + k, f"m{i}", "base", 5, 5, "", k) for i in range(3) for k in range(4)])
    humans = pd.Series({i * 10 + k: float(k < i) for i in range(3) for k in range(4)})
    flat = pd.Series(0.5, index=humans.index)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        board = leaderboard({"humans": humans, "flat": flat}, {}, pairs, bootstrap=0)
    (rc,) = board.rank_correlation
    assert math.isnan(rc.spearman) and rc.reason == "every candidate has the same win rate for one agent"


def test_printed_length_is_alpaca_evals_integer_part():
    """AlpacaEval prints avg_length as its integer part (claude-2.1: 1096.897 -> 1096): the
    table shows the same number, not a rounded 1097."""
    from annotator.cli.context import console
    from annotator.cli.leaderboard import _print_leaderboard

    pairs = _pairs([(1, "m1", "base", 1096, 20, "", 1), (2, "m1", "base", 1097, 20, "", 2),
                    (3, "m1", "base", 1098, 20, "", 3), (4, "m1", "base", 1097, 20, "", 4),
                    (5, "m1", "base", 1096, 20, "", 5), (6, "m1", "base", 1097, 20, "", 6),
                    (7, "m1", "base", 1097, 20, "", 7), (8, "m1", "base", 1097, 20, "", 8),
                    (9, "m1", "base", 1097, 20, "", 9), (10, "m1", "base", 1096, 20, "", 10)])
    board = leaderboard({"j": pd.Series(1.0, index=range(1, 11))}, {}, pairs, bootstrap=0)
    assert board.rows[0].avg_length == pytest.approx(1096.8)
    board.order_rule = {"name": "both", "rule": "a verdict counts when both orders agree"}
    with console.capture() as captured:
        _print_leaderboard(board)
    row = next(line for line in captured.get().splitlines() if line.startswith("m1"))
    assert " 1096 " in row and "1097" not in row


def test_a_model_without_a_win_has_no_bradley_terry_rating():
    """A model that lost every comparison has no finite maximum-likelihood rating: before, the
    ridge gave it -184.7 [-218.6, -145.8] Elo, a number that did not move when the data
    doubled. Now undefined, with the reason; the others keep their ratings."""
    rows, prefs = [], {}
    for i in range(12):
        rows += [(100 + i, "loser", "base", 5, 5, "", i), (200 + i, "m", "base", 5, 5, "", i)]
        prefs[100 + i] = 0.0  # the loser never wins
        prefs[200 + i] = float(i % 2)
    board = leaderboard({"judge": pd.Series(prefs)}, {}, _pairs(rows), bootstrap=20)
    row = {r.model: r for r in board.rows}
    assert math.isnan(row["loser"].bt_rating) and math.isnan(row["loser"].bt_ci_low)
    assert "no finite rating: 0 wins in 12 comparisons" in row["loser"].reason
    assert row["loser"].to_json()["bt_rating"] is None
    assert row["m"].bt_rating == pytest.approx(1000, abs=1)
    rated = {r.model: r for r in board.ratings}
    assert rated["loser"].wins == 0 and rated["loser"].reason.startswith("no finite rating")
    # and one that won everything
    won = {k: 1.0 - v if k < 200 else v for k, v in prefs.items()}
    board = leaderboard({"judge": pd.Series(won)}, {}, _pairs(rows), bootstrap=0)
    assert "no finite rating: won all 12 comparisons" in {r.model: r for r in board.rows}["loser"].reason


def test_round_robin_gets_bradley_terry_ratings_without_a_baseline():
    """Five models, each against each other (PandaLM's design): no baseline, so no win
    rates, but every agent's Bradley-Terry rating of every model with its interval (mean
    1000), and each judge's ranking by rating against the humans'."""
    models = ["m0", "m1", "m2", "m3", "m4"]
    rows, humans, judge = [], {}, {}
    pid = 0
    rng = np.random.default_rng(0)
    for i in range(5):
        for j in range(i + 1, 5):
            for _k in range(20):
                pid += 1
                rows.append((pid, models[i], models[j], 5, 5, "", pid))
                # the higher index is the stronger model; the judge swaps m3 and m4
                p = 1 / (1 + math.exp(-(i - j) * 0.8))
                humans[pid] = float(rng.random() < p)
                si, sj = [{3: 4, 4: 3}.get(x, x) for x in (i, j)]
                judge[pid] = float(rng.random() < 1 / (1 + math.exp(-(si - sj) * 0.8)))
    board = leaderboard({"humans": pd.Series(humans), "judge": pd.Series(judge)}, {}, _pairs(rows), bootstrap=50)
    assert board.baseline is None and board.rows == []
    assert any("no win rates" in n for n in board.notes)
    rated = {(r.agent, r.model): r for r in board.ratings}
    assert len(rated) == 10
    human = [rated[("humans", m)].bt_rating for m in models]
    assert human == sorted(human)  # m0 weakest ... m4 strongest
    assert np.mean(human) == pytest.approx(1000)
    assert all(r.bt_ci_low < r.bt_rating < r.bt_ci_high and r.n == 80 for r in board.ratings)
    (rc,) = board.rank_correlation
    assert rc.agent == "judge" and rc.by == "bt_rating" and rc.n_models == 5
    judged = [rated[("judge", m)].bt_rating for m in models]
    assert rc.kendall_tau_b == pytest.approx(stats_tau(human, judged))
    data = board.to_json()
    assert data["rows"] == [] and len(data["ratings"]) == 10 and data["bt_ridge"] > 0


def stats_tau(a, b):
    from scipy import stats
    return stats.kendalltau(a, b).statistic


def test_inconsistent_pairs_are_draws_and_counted():
    """Under `both` a pair whose two orders disagree is a draw in the win rate: it counts in
    n and n_draws, and n_inconsistent says how many of the draws it made."""
    pairs = _pairs([(i, "m", "base", 5, 5, "", i) for i in range(1, 6)])
    prefs = {"j": pd.Series([1.0, 1.0, 0.5, 0.5, 0.0], index=[1, 2, 3, 4, 5])}
    board = leaderboard(prefs, {}, pairs, bootstrap=0, inconsistent={"j": pd.Index([3])})
    (row,) = board.rows
    assert (row.n, row.n_draws, row.n_inconsistent) == (5, 2, 1)
    assert row.to_json()["n_inconsistent"] == 1


def _model_store(path, *, baseline):
    """Six pairs: m1 and m2 each against 'base' three times (baseline named), or a round robin
    of three models (no baseline); three annotators and a judge with one inconsistent pair."""
    from annotator.store import Pair, Store, Task
    from tests.analysis.store_data import add_judge, add_votes

    store = Store.open(path)
    store.save_task(Task(name="t", title="t", settings={"baseline": "base"} if baseline else {}))
    sides = ([("m1", "base")] * 3 + [("base", "m2")] * 3 if baseline
             else [("m1", "m2"), ("m2", "m3"), ("m1", "m3")] * 2)
    store.insert_pairs([Pair(task="t", pair_id=f"p{i}", prompt=f"q{i}", response_a="a" * 10, response_b="b" * 12,
                             model_a=a, model_b=b) for i, (a, b) in enumerate(sides)])
    index = store.pair_index("t")
    ids = [index[f"p{i}"][0] for i in range(6)]
    for name in ("ann", "bob", "cat"):
        add_votes(store, ids, name, "AABBAB")
    add_judge(store, "t", ids, "j", "AABBAB", "ABBBAB")  # pair p1: A in one order, B in the other
    store.close()


def test_command_says_an_inconsistent_pair_is_a_draw(tmp_path):
    """The legend used to say pairs without a verdict are left out, while a pair whose orders
    disagree counted as a draw: now the row counts it (n_inconsistent) and the legend says so."""
    db = str(tmp_path / "a.db")
    _model_store(db, baseline=True)
    out = CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--bootstrap", "0"])
    assert out.exit_code == 0, out.output
    assert "1 inc." in out.output and "count" in out.output and "as a draw" in out.output
    data = json.loads(CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--json",
                                                "--bootstrap", "0"]).output)
    row = {(r["agent"], r["model"]): r for r in data["rows"]}
    assert row[("j", "m1")]["n_inconsistent"] == 1 and row[("j", "m1")]["n_draws"] == 1 and row[("j", "m1")]["n"] == 3
    assert row[("humans", "m1")]["n_inconsistent"] == 0


def test_command_rates_a_round_robin(tmp_path):
    db = str(tmp_path / "r.db")
    _model_store(db, baseline=False)
    out = CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--bootstrap", "20"])
    assert out.exit_code == 0, out.output
    assert "Bradley-Terry ratings" in out.output and "no win rates" in out.output
    data = json.loads(CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--json",
                                                "--bootstrap", "20"]).output)
    assert data["baseline"] is None and data["rows"] == []
    assert {(r["agent"], r["model"]) for r in data["ratings"]} == {
        (a, m) for a in ("humans", "j") for m in ("m1", "m2", "m3")}
    assert data["rank_correlation"][0]["by"] == "bt_rating"
    only = CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--json", "--bootstrap", "0",
                                     "--run", "j"])
    assert {r["agent"] for r in json.loads(only.output)["ratings"]} == {"humans", "j"}
    wrong = CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "t", "--run", "nope"])
    assert wrong.exit_code != 0 and "nope" in wrong.output


def test_a_single_candidate_lc_carries_the_warning():
    """One candidate alone: its LC is a fit of its own, and the method says that one
    candidate cannot separate its length from its quality (AlpacaEval's gpt4_gamed: about 40
    alone, 12.2 published)."""
    rng = np.random.default_rng(3)
    pairs = _pairs([(i, "short", "base", 60 + rng.integers(0, 40), 2000, "", i) for i in range(80)])
    prefs = {"j": pd.Series((rng.random(80) < 0.05).astype(float), index=range(80))}
    (row,) = leaderboard(prefs, {}, pairs, bootstrap=0).rows
    assert "one candidate alone cannot separate its length from its quality" in row.lc_method
    assert "joint fit" in row.lc_method


def test_a_pandalm_shaped_round_robin_gets_its_bradley_terry_ranking(tmp_path):
    """PandaLM compares five models with each other, the two names in cmp_key: the field rule
    splits them, and the leaderboard ranks the models by Bradley-Terry without a baseline, the
    humans' order (llama > bloom > opt > pythia > cerebras, as the fixture was made) and the
    judge's rank agreement with them."""
    from pathlib import Path

    db = str(tmp_path / "p.db")
    fixture = Path(__file__).parents[1] / "fixtures" / "pandalm"
    added = CliRunner().invoke(main, ["--db", db, "tasks", "add", str(fixture)])
    assert added.exit_code == 0, added.output
    out = CliRunner().invoke(main, ["--db", db, "stats", "leaderboard", "--task", "pandalm-mini", "--json",
                                    "--bootstrap", "20"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["baseline"] is None and data["rows"] == []
    humans = sorted((r for r in data["ratings"] if r["agent"] == "humans" and r["domain"] == "all"),
                    key=lambda r: -r["bt_rating"])
    assert [r["model"] for r in humans] == ["llama-7b", "bloom-7b", "opt-7b", "pythia-6.9b", "cerebras-gpt-6.7B"]
    assert all(r["n"] == 12 for r in humans)
    (rc,) = [r for r in data["rank_correlation"] if r["agent"] == "gpt-3.5-turbo"]
    assert rc["by"] == "bt_rating" and rc["kendall_tau_b"] == pytest.approx(1.0)
