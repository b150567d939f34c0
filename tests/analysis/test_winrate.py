"""Win rates: AlpacaEval's convention reproduced exactly; LC win rate behaviour."""

import gzip
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from annotator.analysis.winrate import (
    alpaca_win_rate,
    choice_win_rate,
    length_controlled_win_rate,
    length_controlled_win_rates,
)


def test_alpaca_win_rate_hand_example():
    # preferences 2 (win), 1 (loss), 1.5 (draw), 0 (read as draw), NaN (dropped)
    wr = alpaca_win_rate([2, 1, 1.5, 0, None])
    assert wr.win_rate == pytest.approx(50.0)
    assert (wr.n_wins, wr.n_wins_base, wr.n_draws, wr.n_total) == (1, 1, 2, 4)


def test_empty_win_rate_is_undefined():
    wr = alpaca_win_rate([])
    assert math.isnan(wr.win_rate) and wr.n_total == 0


def test_choice_win_rate_counts_ties_as_half():
    wr = choice_win_rate(["A", "A", "B", "tie"], candidate="A")
    assert wr.win_rate == pytest.approx(62.5)
    assert choice_win_rate(["A", "A", "B", "tie"], candidate="B").win_rate == pytest.approx(37.5)


def test_lc_removes_a_pure_length_effect():
    # The judge prefers whichever output is longer; the candidate is otherwise even.
    rng = np.random.default_rng(0)
    d = rng.normal(250, 300, 2000)  # the candidate is made verbose: longer by 250 on average
    p = 1 / (1 + np.exp(-(2.0 * np.tanh(d / d.std()))))
    y = rng.binomial(1, p).astype(float)
    shifted = length_controlled_win_rate(y, 1000 + d, np.full_like(d, 1000))
    assert shifted.win_rate > 60  # raw rate rewards verbosity
    assert shifted.lc_win_rate == pytest.approx(50, abs=5)  # LC does not
    assert shifted.phi > 1


def test_lc_undefined_with_few_rows():
    r = length_controlled_win_rate([1, 0, 1], [1, 2, 3], [1, 1, 1])
    assert math.isnan(r.lc_win_rate) and "fewer than ten" in r.reason


def _alpaca_frame(root):
    rows = []
    for folder in sorted((root / "results").iterdir()):
        if folder.name == "gpt4_1106_preview":  # the baseline against itself
            continue
        path = folder / "weighted_alpaca_eval_gpt4_turbo" / "annotations.json.gz"
        for a in json.loads(gzip.open(path).read()):
            pref = pd.to_numeric(a["preference"], errors="coerce")
            rows.append({"candidate": folder.name, "instruction": a["instruction"], "preference": pref,
                         "len_candidate": len(a["output_2"] or ""), "len_baseline": len(a["output_1"] or "")})
    frame = pd.DataFrame(rows)
    frame["p_win"] = frame["preference"].replace({0.0: 1.5}) - 1
    return frame


@pytest.mark.realdata
def test_alpaca_eval_leaderboard_reproduced(shared_data):
    root = shared_data / "alpacaeval2"
    board = pd.read_csv(root / "leaderboards" / "weighted_alpaca_eval_gpt4_turbo_leaderboard.csv", index_col=0)
    frame = _alpaca_frame(root)
    for name, group in frame.groupby("candidate"):
        wr = alpaca_win_rate(group["preference"])
        row = board.loc[name]
        assert wr.win_rate == pytest.approx(row["win_rate"], rel=1e-14), name
        assert wr.standard_error == pytest.approx(row["standard_error"], rel=1e-9), name
        assert wr.discrete_win_rate == pytest.approx(row["discrete_win_rate"], rel=1e-12), name
        assert (wr.n_wins, wr.n_wins_base, wr.n_draws, wr.n_total) == (
            row["n_wins"], row["n_wins_base"], row["n_draws"], row["n_total"]), name
    hermes = alpaca_win_rate(frame[frame.candidate == "OpenHermes-2.5-Mistral-7B"]["preference"])
    assert hermes.win_rate == 10.340415705751552
    assert (hermes.n_wins, hermes.n_wins_base, hermes.n_draws, hermes.n_total) == (75, 727, 3, 805)


@pytest.mark.realdata
@pytest.mark.slow  # the joint length-controlled fit of 11 models x 805 instructions
def test_length_control_shrinks_the_verbosity_spread(shared_data):
    root = shared_data / "alpacaeval2"
    board = pd.read_csv(root / "leaderboards" / "weighted_alpaca_eval_gpt4_turbo_leaderboard.csv", index_col=0)
    frame = _alpaca_frame(root)
    # the baseline against itself says nothing about length or difficulty (LC 50 by construction)
    joint = length_controlled_win_rates(frame[frame.candidate != "gpt4_1106_preview"])
    assert joint.converged and joint.phi > 0  # the judge prefers longer outputs
    res = joint.results
    for model in ("alpaca-7b", "gpt-3.5-turbo-1106"):
        raw = res[f"{model}_verbose"].win_rate / res[f"{model}_concise"].win_rate
        lc = res[f"{model}_verbose"].lc_win_rate / res[f"{model}_concise"].lc_win_rate
        assert lc < raw, model  # relative spread between verbose and concise shrinks
    # Our LC values approach the published ones (which rest on AlpacaEval's instruction
    # difficulties from its whole leaderboard, not in ../shared/data): targets of the
    # judge-validation issue: median error under 2 points, every model under 4, Spearman
    # over models at least 0.97. Measured: median 0.80, max 2.68, Spearman 0.991.
    names = sorted(res)
    ours = np.array([res[n].lc_win_rate for n in names])
    published = np.array([board.loc[n, "length_controlled_winrate"] for n in names])
    errors = np.abs(ours - published)
    assert len(names) == 11
    assert np.median(errors) < 2 and errors.max() < 4, dict(zip(names, errors.round(2)))
    assert stats.spearmanr(ours, published).statistic >= 0.97
    # every model gets a standard error of the same order as the published ones (0.1 to 1)
    assert all(0.05 < res[n].lc_standard_error < 2 for n in names)


def test_joint_lc_controls_length_when_no_instruction_is_shared():
    """Each pair with a prompt of its own (no instruction met by two candidates): a
    difficulty per instruction fits every preference on its own and soaks up the length
    effect (LC 33.6 and 65.5 here, the raw 28.5 and 70.5 barely moved). Instructions met by
    one candidate only get no difficulty term, and the shared length term then does its
    job: two candidates even but for their lengths both come out near 50."""
    rng = np.random.default_rng(1)
    rows = []
    for name, shift in (("verbose", 150), ("concise", -150)):
        for i in range(200):
            d = rng.normal(shift, 200)  # the judge prefers the longer output, nothing else
            p = 1 / (1 + np.exp(-2.0 * np.tanh(d / 200)))
            rows.append({"candidate": name, "instruction": f"{name}-{i}", "p_win": float(rng.random() < p),
                         "len_candidate": 1000 + d, "len_baseline": 1000})
    res = length_controlled_win_rates(pd.DataFrame(rows)).results
    assert res["verbose"].win_rate == pytest.approx(70.5) and res["concise"].win_rate == pytest.approx(28.5)
    assert res["verbose"].lc_win_rate == pytest.approx(50, abs=5)
    assert res["concise"].lc_win_rate == pytest.approx(50, abs=5)

def test_joint_lc_undefined_for_a_candidate_with_few_preferences():
    """The joint fit states the single fit's rule: fewer than ten preferences give no LC."""
    rows = [{"candidate": "m1", "instruction": i, "p_win": float(i % 3 == 0), "len_candidate": 90 + i,
             "len_baseline": 100} for i in range(30)]
    rows += [{"candidate": "m2", "instruction": i, "p_win": 1.0, "len_candidate": 95, "len_baseline": 100}
             for i in range(4)]
    res = length_controlled_win_rates(pd.DataFrame(rows)).results
    assert math.isnan(res["m2"].lc_win_rate) and "fewer than ten" in res["m2"].reason
    assert not math.isnan(res["m1"].lc_win_rate)
