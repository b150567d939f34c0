"""Calibration of a judge's P(A) against the human majority: hand-worked Brier score and
expected calibration error, and the card line that states its rule and what it left out."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.calibration import calibration
from annotator.cli import main
from annotator.store import JudgeRun, Judgment, Label, Store
from tests.analysis.store_data import add_pairs, make_task


def test_brier_and_ece_hand_worked():
    p_a = pd.Series([0.9, 0.8, 0.3, 0.6, 0.7], index=[1, 2, 3, 4, 5])
    majority = pd.Series(["A", "B", "B", "A", "tie"], index=[1, 2, 3, 4, 5])
    cal = calibration(p_a, majority)
    # pair 5's majority is a tie: left out and counted
    assert cal.n == 4 and cal.n_ties_left_out == 1
    # Brier: (0.1^2 + 0.8^2 + 0.3^2 + 0.4^2) / 4 = 0.9 / 4
    assert cal.brier == pytest.approx(0.225)
    # one pair per bin: ECE = mean |P(A) - outcome| = (0.1 + 0.8 + 0.3 + 0.4) / 4
    assert cal.ece == pytest.approx(0.4)
    assert [b["n"] for b in cal.bins] == [1, 1, 1, 1]


def test_card_line_names_the_bins_and_the_pairs_left_out(tmp_path):
    db = tmp_path / "c.db"
    store = Store.open(db)
    make_task(store, factors=[])
    ids = add_pairs(store, "demo", 5)
    for who, choices in (("h1", "ABBAT"), ("h2", "ABBAT")):
        store.add_labels([Label(pair=p, annotator=who, choice={"T": "tie"}.get(c, c), origin="t")
                          for p, c in zip(ids, choices)])
    run = store.get_or_create_run(JudgeRun(task="demo", name="probs", kind="imported"))
    store.save_judgments([Judgment(run=run.id, pair=p, order="unknown", verdict="A" if q > 0.5 else "B", p_a=q)
                          for p, q in zip(ids, [0.9, 0.8, 0.3, 0.6, 0.7])])
    store.close()
    result = CliRunner().invoke(main, ["--db", str(db), "stats", "judges", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    line = " ".join(result.output.split())
    assert "calibration: ECE 0.400 (10 equal-width bins of P(A)), Brier 0.225 on 4 pairs" in line
    assert "1 pair with a tied or split human majority left out" in line
