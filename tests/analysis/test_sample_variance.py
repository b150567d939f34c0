"""Judge variance across `--samples k` (AlpacaEval's "variance"), hand-worked."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.sample_variance import sample_variance
from annotator.cli import main


def _frame(rows):
    return pd.DataFrame(rows, columns=["run_name", "pair", "order", "sample", "verdict", "p_a"])


def test_variance_agreement_and_win_rates_hand_worked():
    rows = [
        # pair 1, AB: A, A, B -> prefs 1, 1, 0: variance 2/9; agreeing pairs of samples 1 of 3
        ("j", 1, "AB", 0, "A", None), ("j", 1, "AB", 1, "A", None), ("j", 1, "AB", 2, "B", None),
        # pair 2, AB: tie x3 -> variance 0, agreement 1
        ("j", 2, "AB", 0, "tie", None), ("j", 2, "AB", 1, "tie", None), ("j", 2, "AB", 2, "tie", None),
    ]
    got = sample_variance(_frame(rows))
    assert got["samples"] == 3 and got["cells"] == 2
    assert got["verdict_variance"] == pytest.approx((2 / 9 + 0) / 2)
    assert got["agreement"] == pytest.approx((1 / 3 + 1) / 2)
    # sample 0: prefs 1, 0.5 -> 75; sample 1: 75; sample 2: 0, 0.5 -> 25
    assert got["win_rates"] == pytest.approx([75, 75, 25])
    assert got["win_rate_sd"] == pytest.approx(pd.Series([75, 75, 25]).std())


def test_probabilities_are_used_and_one_sample_is_said():
    rows = [("j", 1, "AB", 0, "A", 0.9), ("j", 1, "AB", 1, "A", 0.7)]
    assert sample_variance(_frame(rows))["verdict_variance"] == pytest.approx(0.01)
    one = sample_variance(_frame([("j", 1, "AB", 0, "A", None), ("j", 2, "AB", 0, "B", None)]))
    assert one["samples"] == 1 and "--samples k" in one["reason"] and "verdict_variance" not in one


def test_judge_card_shows_sample_variance(tmp_path):
    from annotator.store import JudgeRun, Judgment, Pair, Store, Task
    from tests.analysis.store_data import add_votes

    db = tmp_path / "s.db"
    store = Store.open(db)
    store.save_task(Task(name="t", title="t"))
    store.insert_pairs([Pair(task="t", pair_id=f"p{i}", prompt=f"q{i}", response_a="a", response_b="bb")
                        for i in range(4)])
    index = store.pair_index("t")
    ids = [index[f"p{i}"][0] for i in range(4)]
    add_votes(store, ids, "ann", "AABB")
    run = store.get_or_create_run(JudgeRun(task="t", name="j", kind="imported"))
    store.save_judgments([Judgment(run=run.id, pair=p, order="AB", sample=s, verdict=v)
                          for p, vs in zip(ids, ["AA", "AB", "BB", "BB"], strict=True) for s, v in enumerate(vs)])
    store.close()
    out = CliRunner().invoke(main, ["--db", str(db), "stats", "judges", "--task", "t", "--json", "--bootstrap", "0"])
    assert out.exit_code == 0, out.output
    judge = next(a for a in json.loads(out.output)["agents"] if a["agent"] == "j")
    assert judge["sample_variance"]["samples"] == 2
    assert judge["sample_variance"]["agreement"] == pytest.approx(3 / 4)
    text = CliRunner().invoke(main, ["--db", str(db), "stats", "judges", "--task", "t", "--bootstrap", "0"])
    assert "2 samples per order" in text.output
