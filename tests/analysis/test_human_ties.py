"""Pairs the humans tied in the factor analysis: counted (the tool's default) or left out for
every agent (PROFILE section 4.1: "--human-ties exclude")."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.factor_report import factor_report
from annotator.cli import main
from annotator.store import FactorValue, Store
from tests.analysis.store_data import add_judge, add_pairs, add_votes, make_task


def test_human_tie_pairs_left_out_for_every_agent():
    # Humans prefer A, A, B, tie on pairs 1-4; the rule says A is longer on 1, 2, 4 and equal on 3.
    labels = pd.DataFrame([(1, "x", "A", {}), (2, "x", "A", {}), (3, "x", "B", {}), (4, "x", "tie", {})],
                          columns=["pair", "annotator", "choice", "factors"])
    fv = pd.DataFrame([(p, "length", "rule", m) for p, m in ((1, "A"), (2, "A"), (3, "equal"), (4, "A"))],
                      columns=["pair", "factor", "extractor", "manifestation"])
    counted = factor_report(labels, None, fv, factors=[("length", "Length")]).to_json()
    ev = counted["scores"]["extractors"]["evaluation"]["humans"]["length"]
    assert (ev["C"], ev["T"], ev["score"]) == (2, 1, pytest.approx(2 / 3))  # pair 4 is a human tie: T = 1
    assert counted["human_ties"] == {"rule": "count", "text": "pairs the humans tied count (a human preference tie)",
                                     "pairs_left_out": 0}
    excluded = factor_report(labels, None, fv, factors=[("length", "Length")], human_ties="exclude").to_json()
    ev = excluded["scores"]["extractors"]["evaluation"]["humans"]["length"]
    assert (ev["C"], ev["D"], ev["T"], ev["score"]) == (2, 0, 0, 1.0)  # section 4.1: pair 4 left out
    assert excluded["human_ties"]["pairs_left_out"] == 1


def test_stats_factors_human_ties_option(tmp_path):
    path = tmp_path / "a.db"
    store = Store.open(path)
    make_task(store)
    ids = add_pairs(store, "demo", 4)
    add_votes(store, ids, "ann", "AABT")
    add_votes(store, ids, "bob", "AABT")
    add_judge(store, "demo", ids, "longest", "AAAB")  # the judge's B on the human-tie pair is discordant
    store.save_factor_values([FactorValue(pair=p, factor="length", extractor="rule", value_a=1, value_b=0,
                                          manifestation="A") for p in ids])
    store.close()

    def run(*extra):
        result = CliRunner().invoke(main, ["--db", str(path), "stats", "factors", *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    judge = lambda data: data["scores"]["extractors"]["evaluation"]["longest"]["length"]  # noqa: E731
    counted = json.loads(run("--json").stdout)
    assert (judge(counted)["C"], judge(counted)["D"]) == (3, 1)
    excluded = json.loads(run("--human-ties", "exclude", "--json").stdout)
    assert (judge(excluded)["C"], judge(excluded)["D"]) == (3, 0) and excluded["human_ties"]["pairs_left_out"] == 1
    assert "human ties: exclude" in run("--human-ties", "exclude").stdout
