"""The researcher's path on the bundled demo: three annotators label every pair, two offline
judges run, and `stats judges` / `stats leaderboard` give numbers checked here by hand from
the same labels and the responses' word counts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Label, Store

FLIP = {"A": "B", "B": "A", "tie": "tie"}


def _words(text: str) -> int:
    return len(text.split())


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo task with labels of three annotators and the judges `longest` and `random`."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db), "tasks", "add", "demo"]).exit_code == 0
    store = Store.open(db)
    pairs = list(store.pairs("demo"))
    votes: dict[str, dict[str, str]] = {}
    for who, flip_every in (("ann", 0), ("bob", 5), ("cat", 3)):
        labels = []
        for i, pair in enumerate(pairs):
            choice = pair.metadata.get("reference_verdict") or "tie"
            if flip_every and i % flip_every == 0:
                choice = FLIP[choice]
            votes.setdefault(pair.pair_id, {})[who] = choice
            labels.append(Label(pair=pair.id, annotator=who, choice=choice, origin="test",
                                shown_order="AB" if i % 2 else "BA"))
        store.add_labels(labels)
    store.close()
    for judge in ("longest", "random"):
        result = runner.invoke(main, ["--db", str(db), "judge", "run", "--judge", judge, "--task", "demo"])
        assert result.exit_code == 0, result.output
    return db, {p.pair_id: p for p in pairs}, votes


def _json(db, *args):
    result = CliRunner().invoke(main, ["--db", str(db), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_judge_card_numbers_by_hand(demo):
    db, pairs, votes = demo
    report = _json(db, "stats", "judges", "--task", "demo", "--bootstrap", "100")
    agents = {a["agent"]: a for a in report["agents"]}
    longest = agents["longest"]
    # MT-Bench agreement: each of the judge's 33 verdicts against each of the 3 votes
    matches = total = 0
    for pid, pair in pairs.items():
        a, b = _words(pair.response_a), _words(pair.response_b)
        verdict = "A" if a > b else "B" if b > a else "tie"
        for choice in votes[pid].values():
            matches += choice == verdict
            total += 1
    agree = longest["agreement_with_humans"]["with_ties"]
    assert agree["n"] == total == 99
    assert agree["estimate"] == pytest.approx(matches / total)
    assert agree["ci_low"] <= agree["estimate"] <= agree["ci_high"]
    # the human ceiling: agreeing pairs of votes over all pairs of votes (3 per pair)
    same = sum((v["ann"] == v["bob"]) + (v["ann"] == v["cat"]) + (v["bob"] == v["cat"]) for v in votes.values())
    assert report["human_ceiling"]["with_ties"]["estimate"] == pytest.approx(same / 99)
    # an offline baseline is run in one order: its consistency is undefined, with the reason
    assert longest["position_consistency"]["estimate"] is None
    assert longest["position_consistency"]["reason"] == "no pair was judged in both orders"
    assert longest["statuses"]["single"] == 33
    # the alternative annotator test is defined with three annotators on 33 pairs each
    alt = longest["alt_test"]
    assert len(alt["per_annotator"]) == 3 and 0 <= alt["winning_rate"] <= 1 and alt["passed"] in (True, False)
    assert alt["min_pairs"] == 30  # the paper's minimum per annotator: the demo's 33 pairs pass it
    strict = _json(db, "stats", "judges", "--task", "demo", "--bootstrap", "0", "--alt-min-pairs", "40")
    strict_alt = next(a for a in strict["agents"] if a["agent"] == "longest")["alt_test"]
    assert strict_alt["passed"] is None and strict_alt["min_pairs"] == 40 and len(strict_alt["left_out"]) == 3
    # gold: the demo's 3 attention checks
    gold = longest["gold"]
    expected = sum(
        ("A" if _words(p.response_a) > _words(p.response_b) else "B" if _words(p.response_b) > _words(p.response_a)
         else "tie") == p.gold for p in pairs.values() if p.gold)
    assert gold["n"] == 3 and gold["accuracy"]["estimate"] == pytest.approx(expected / 3)
    for agent in (longest, agents["random"]):
        assert agent["card"]["verdict"] in ("trustworthy", "use with caution", "needs review")
        assert agent["card"]["reasons"]
        assert agent["order_rule"] == "both"
    (pairwise,) = report["judge_agreement"]
    assert pairwise["judges"] == ["longest", "random"] and pairwise["n"] == 33


def test_leaderboard_on_the_demo_by_hand(demo):
    db, pairs, votes = demo
    board = _json(db, "stats", "leaderboard", "--task", "demo", "--bootstrap", "50")
    assert board["baseline"] == "basalt-70b" and board["baseline_rule"].startswith("named by the task")
    humans = {r["model"]: r for r in board["rows"] if r["agent"] == "humans" and r["domain"] == "all"}
    assert set(humans) == {"aurora-13b", "cirrus-8b"}
    for model, row in humans.items():
        prefs = []
        for pid, pair in pairs.items():
            if {pair.model_a, pair.model_b} != {model, "basalt-70b"}:
                continue
            value = {"A": 1.0, "B": 0.0, "tie": 0.5}
            p_a = sum(value[c] for c in votes[pid].values()) / 3  # the mean of the votes
            prefs.append(p_a if pair.model_a == model else 1 - p_a)
        assert row["n"] == len(prefs)
        assert row["win_rate"] == pytest.approx(100 * sum(prefs) / len(prefs))
        assert row["bt_rating"] is not None  # three models meet
    ranks = {r["agent"]: r for r in board["rank_correlation"]}
    assert set(ranks) == {"longest", "random"}
    assert ranks["longest"]["n_models"] == 2 and ranks["longest"]["reason"]  # two candidates: undefined, said why
