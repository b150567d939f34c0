"""``judge calibrate`` (annotator/analysis/recalibration.py): Platt and isotonic mappings of a
run's P(A), ECE and Brier before and after on held-out pairs, stored and used on request."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.optimize import minimize

from annotator.analysis.recalibration import Mapping, fit_isotonic, fit_platt
from annotator.cli import main


def test_isotonic_is_pool_adjacent_violators_hand_worked():
    m = fit_isotonic(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.0, 1.0, 0.0, 1.0]))
    assert m.params["y"] == pytest.approx([0.0, 0.5, 0.5, 1.0])
    # linear between the points, constant beyond them
    assert m.apply(np.array([0.0, 0.15, 0.35, 0.9])) == pytest.approx([0.0, 0.25, 0.75, 1.0])
    tied = fit_isotonic(np.array([0.5, 0.5, 0.7]), np.array([1.0, 0.0, 1.0]))  # equal P(A) pooled first
    assert tied.params == {"x": [0.5, 0.7], "y": [0.5, 1.0]}


def test_platt_maximises_the_likelihood_of_platts_smoothed_targets():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, 200)
    y = (rng.uniform(size=200) < 0.5 + 0.3 * (p - 0.5)).astype(float)
    m = fit_platt(p, y)
    z = np.log(p / (1 - p))
    t = np.where(y == 1, (y.sum() + 1) / (y.sum() + 2), 1 / (len(y) - y.sum() + 2))

    def nll(w):
        q = 1 / (1 + np.exp(-(w[0] + w[1] * z)))
        return -np.sum(t * np.log(q) + (1 - t) * np.log(1 - q))

    best = minimize(nll, [0.0, 1.0], method="BFGS").x
    assert [m.params["a"], m.params["b"]] == pytest.approx(list(best), abs=1e-4)
    assert 0 < m.params["b"] < 1  # the judge is overconfident: its logit is shrunk
    assert Mapping.from_dict(m.as_dict()) == m


def _task(tmp_path, n=600, seed=0):
    """One annotator; an overconfident judge: true P(A) q, the judge says q pushed to the ends."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        q = rng.uniform(0.1, 0.9)
        human = "A" if rng.uniform() < q else "B"
        p = q ** 3 / (q ** 3 + (1 - q) ** 3)  # overconfident
        rows.append({"id": f"p{i}", "prompt": f"q{i}", "a": "x" * (i % 7 + 1), "b": "y" * 3, "human": human,
                     "judge": "A" if p > 0.5 else "B", "p": p, "ma": "cand", "mb": "base"})
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "task.toml").write_text(
        '[task]\nname = "t"\nbaseline = "base"\n[data]\npath = "pairs.jsonl"\nid = "id"\nprompt = "prompt"\n'
        'response_a = "a"\nresponse_b = "b"\nmodel_a = "ma"\nmodel_b = "mb"\n'
        '[labels]\nannotators = ["human"]\nmap = { A = "A", B = "B" }\n'
        '[[judge_labels]]\nname = "j"\nverdict = "judge"\np_a = "p"\norder = "AB"\nmap = { A = "A", B = "B" }\n',
        encoding="utf-8")
    db = tmp_path / "a.db"
    assert CliRunner().invoke(main, ["--db", str(db), "tasks", "add", str(folder)]).exit_code == 0
    return db


def _run(db, *args, code=0):
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibrate_lowers_held_out_ece_and_is_used_only_when_asked(tmp_path, method):
    db = _task(tmp_path)
    before_card = json.loads(_run(db, "stats", "judges", "--json", "--bootstrap", "0").stdout)
    report = json.loads(_run(db, "judge", "calibrate", "j", "--method", method, "--json").stdout)
    assert report["split"] == {"share_held_out": 0.3, "seed": 0, "calibration": 420, "held_out": 180,
                               "stratified_by": "domain"}
    held = report["held_out"]
    assert held["after"]["ece"] < held["before"]["ece"] and held["after"]["brier"] < held["before"]["brier"]
    assert held["before"]["n"] == held["after"]["n"] == 180
    assert report["replaced_earlier"] is False
    # the stored mapping is used by the card and the leaderboard only with --calibrated, and named
    plain = json.loads(_run(db, "stats", "judges", "--json", "--bootstrap", "0").stdout)
    assert plain == before_card
    card = json.loads(_run(db, "stats", "judges", "--json", "--bootstrap", "0", "--calibrated").stdout)
    assert card["calibrated"]["runs"] == {"j": method}
    raw_j = next(a for a in plain["agents"] if a["agent"] == "j")["calibration"]
    cal_j = next(a for a in card["agents"] if a["agent"] == "j")["calibration"]
    assert cal_j["brier"] < raw_j["brier"]
    board = json.loads(_run(db, "stats", "leaderboard", "--json", "--bootstrap", "0", "--calibrated").stdout)
    raw_board = json.loads(_run(db, "stats", "leaderboard", "--json", "--bootstrap", "0").stdout)
    assert board["calibrated"]["note"] == f"calibrated P(A): j ({method})" and "calibrated" not in raw_board
    text = _run(db, "stats", "leaderboard", "--calibrated", "--bootstrap", "0").stdout
    assert f"calibrated P(A): j ({method})" in text
    again = json.loads(_run(db, "judge", "calibrate", "--run", "j", "--method", method, "--json").stdout)
    assert again["replaced_earlier"] is True


def test_calibrate_refuses_a_run_without_p_a_and_an_unknown_run(tmp_path):
    db = _task(tmp_path, n=20)
    assert "no judge run 'nope'" in _run(db, "judge", "calibrate", "nope", "--method", "platt", code=1).output
    _run(db, "judge", "run", "--judge", "longest")
    out = _run(db, "judge", "calibrate", "longest", "--method", "platt", code=1).output
    assert "gives no probability P(A)" in out


def llmbar_ensemble_task(shared_data, folder):
    """LLMBar Natural (100 pairs, one expert gold label each) with a P(A) made from its 65
    published evaluator runs: per pair, the share of their decisive games (both orders) that
    chose output_1. Written as a task folder; returns the number of pairs."""
    import glob
    import gzip

    from annotator.tasks.formats.llmbar_run import games

    base = shared_data / "llmbar/Dataset/LLMBar/Natural"
    pairs = json.loads((base / "dataset.json").read_text(encoding="utf-8"))
    votes = [[0, 0] for _ in pairs]
    for path in sorted(glob.glob(str(base / "evaluators/*/*/result.json.gz"))):
        rows = json.load(gzip.open(path))
        assert [r["input"] for r in rows] == [p["input"] for p in pairs]
        for i, row in enumerate(rows):
            step = games(row["results"]) or {}
            for side in step.values():  # the two games; winners already in the original frame
                winner = side.get("winner") if isinstance(side, dict) else None
                if winner in ("1", "2", 1, 2):
                    votes[i][0 if str(winner) == "1" else 1] += 1
    folder.mkdir()
    with open(folder / "pairs.jsonl", "w", encoding="utf-8") as fh:
        for i, (p, (one, two)) in enumerate(zip(pairs, votes)):
            share = one / (one + two) if one + two else 0.5
            fh.write(json.dumps({"id": f"n{i}", "input": p["input"], "output_1": p["output_1"],
                                 "output_2": p["output_2"], "gold": str(p["label"]), "p": share,
                                 "v": "A" if share > 0.5 else "B" if share < 0.5 else "tie"}) + "\n")
    (folder / "task.toml").write_text(
        '[task]\nname = "llmbar-natural"\nallow_tie = false\n[data]\npath = "pairs.jsonl"\nid = "id"\n'
        'prompt = "input"\nresponse_a = "output_1"\nresponse_b = "output_2"\n'
        '[labels]\nannotators = { expert = "gold" }\nmap = { "1" = "A", "2" = "B" }\n'
        '[[judge_labels]]\nname = "llmbar-65-evaluators"\nverdict = "v"\np_a = "p"\norder = "AB"\n'
        'map = { A = "A", B = "B", tie = "tie" }\n', encoding="utf-8")
    return len(pairs)


@pytest.mark.realdata
def test_calibrating_llmbars_evaluator_ensemble(shared_data, tmp_path):
    """On public data: LLMBar Natural's expert labels, and the vote share of its 65 published
    evaluator runs as P(A); both methods lower the held-out ECE of the (under-confident)
    vote share."""
    assert llmbar_ensemble_task(shared_data, tmp_path / "llmbar") == 100
    db = tmp_path / "l.db"
    _run(db, "tasks", "add", str(tmp_path / "llmbar"))
    for method in ("platt", "isotonic"):
        report = json.loads(_run(db, "judge", "calibrate", "--run", "llmbar-65-evaluators", "--method", method,
                                 "--json").stdout)
        held = report["held_out"]
        assert report["split"]["held_out"] == 30 and held["before"]["n"] == 30
        assert held["after"]["ece"] < held["before"]["ece"], (method, held)
        assert held["before"]["ece"] == pytest.approx(0.144359, abs=1e-6)  # the raw vote share, the same for both
        assert held["after"]["ece"] == pytest.approx({"platt": 0.116994, "isotonic": 0.057368}[method], abs=1e-6)
    # the vote share is under-confident: Platt stretches its logit (b > 1)
    assert report["mapping"]["method"] == "isotonic"


def test_a_calibration_goes_with_its_run(tmp_path):
    from annotator.store import Store

    db = _task(tmp_path, n=40)
    _run(db, "judge", "calibrate", "j", "--method", "platt")
    store = Store.open(db)
    assert list(store.run_calibrations("t")) == ["j"]
    run = store.get_run("t", "j")
    with store.atomic():
        store.db.execute("DELETE FROM judgments WHERE run = ?", [run.stored_id])
        store.db.execute("DELETE FROM judge_runs WHERE id = ?", [run.stored_id])
    assert store.run_calibrations("t") == {}
    assert store.db.execute("SELECT COUNT(*) FROM run_calibrations").fetchone()[0] == 0
