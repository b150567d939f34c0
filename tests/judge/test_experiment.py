"""``annotator experiment guide`` on the demo task with three annotators, against the loopback
server's ``length`` judge: it prefers the longer response unless guidance asks for less
Length or few-shot examples mostly chose the shorter one. The annotators prefer the shorter
response on every pair, so each arm's numbers are known in advance."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.analysis.experiment import split_pairs
from annotator.cli import main
from annotator.store import Label, Store


def _invoke(db, *args, code=0):
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def demo(tmp_path):
    """The demo task, labelled by three annotators who prefer the shorter response (carol
    picks the longer one on every third pair: the majority still prefers the shorter)."""
    db = tmp_path / "a.db"
    _invoke(db, "tasks", "add", "demo")
    store = Store.open(db)
    labels = []
    for i, pair in enumerate(store.pairs("demo")):
        longer = "A" if len(pair.response_a) > len(pair.response_b) else "B"
        shorter = "B" if longer == "A" else "A"
        factors = {"length": longer, "receptiveness": "A", "coherence": "A" if i % 2 else "B", "helpfulness": "equal"}
        for annotator in ("alice", "bob", "carol"):
            choice = longer if annotator == "carol" and i % 3 == 0 else shorter
            labels.append(Label(pair=pair.id, annotator=annotator, choice=choice, factors=factors, origin="test"))
    store.add_labels(labels)
    store.close()
    return db


def test_experiment_guide_four_arms(demo, server):
    out = json.loads(_invoke(demo, "experiment", "guide", "--judge", "mt-bench-pair", "--base-url", server.url,
                             "--model", "length", "--price", "1,2", "--factor-source", "checklist", "--json").stdout)
    store = Store.open(demo)
    pairs = {p.id: p for p in store.pairs("demo")}
    domains = store.pairs_frame("demo").set_index("pair")["domain"]
    cal, held = split_pairs(domains, 0.3, 0)
    # 11 pairs in each of 3 domains: round(0.3 * 11) = 3 held out per domain
    assert out["split"]["calibration"] == len(cal) == 24 and out["split"]["held_out"] == len(held) == 9
    assert list(out) == ["task", "judge", "split", "arms", "calibration", "order_rule", "notes", "spent"]
    arms = {a["name"]: a for a in out["arms"]}
    assert list(arms) == ["baseline", "guide-mis", "guide-rand", "few-shot"]
    for arm in arms.values():
        assert {"name", "n", "agreement", "agreement_no_ties", "kappa", "delta_agreement", "p_value", "cost"} <= set(arm)
        assert arm["n"] == 9

    # calibration: length is the most misaligned factor (humans -1: they prefer the shorter; the
    # judge +1), so guide-mis says "less length"; guide-rand draws another factor with a score
    assert [(m["factor"], m["direction"]) for m in out["calibration"]["misaligned"]] == [("length", "less")]
    assert out["calibration"]["misaligned"][0]["human_score"] == -1.0
    assert out["calibration"]["misaligned"][0]["judge_score"] == 1.0
    [rand] = out["calibration"]["random"]
    assert rand["factor"] in ("receptiveness", "coherence")  # helpfulness is "equal" everywhere: no score
    assert out["calibration"]["corrections"] == 24  # the baseline is wrong on every calibration pair

    # baseline: always the longer response, the majority always the shorter: 0 of 9.
    a = sum(1 for p in held if len(pairs[p].response_a) < len(pairs[p].response_b))  # majority A
    b = 9 - a
    base = arms["baseline"]
    assert base["agreement"] == 0.0 and base["agreement_no_ties"] == 0.0
    # kappa: p_o = 0, p_e = 2ab/n^2, kappa = -p_e / (1 - p_e)
    pe = 2 * a * b / 81
    assert base["kappa"] == pytest.approx(-pe / (1 - pe))
    assert base["delta_agreement"] is None and base["p_value"] is None
    assert base["position_consistency"]["estimate"] == 1.0
    # the guidance on Length turns the judge to the shorter response: 9 of 9
    mis = arms["guide-mis"]
    assert mis["agreement"] == 1.0 and mis["kappa"] == pytest.approx(1.0) and mis["delta_agreement"] == 1.0
    # McNemar: 9 discordant pairs, all in the arm's favour: 2 * 0.5 ** 9
    assert mis["p_value"] == pytest.approx(2 * 0.5 ** 9)
    assert mis["mcnemar"] == {"baseline_only_correct": 0, "arm_only_correct": 9}
    assert mis["guidance"][0]["factor"] == "length"
    # guidance on a random factor changes nothing: the paper's control
    ctrl = arms["guide-rand"]
    assert ctrl["agreement"] == 0.0 and ctrl["delta_agreement"] == 0.0 and ctrl["p_value"] == 1.0
    # few-shot: 3 corrections as examples, all choosing the shorter response: the judge follows
    few = arms["few-shot"]
    assert len(few["examples"]) == 3 and few["agreement"] == 1.0 and few["delta_agreement"] == 1.0
    assert all(pid in {pairs[p].pair_id for p in cal} for pid in few["examples"])  # never a held-out pair
    # factor-level alignment on the held-out pairs: the baseline's factor scores are the humans'
    # with the sign flipped (tau_b -1); guide-mis and few-shot agree with them exactly (+1)
    assert base["factor_alignment"]["kendall_tau_b"] == pytest.approx(-1.0)
    assert mis["factor_alignment"]["kendall_tau_b"] == pytest.approx(1.0)
    # cost: the arm's calls on held-out pairs at $1 / $2 per million tokens, as stored
    for arm in arms.values():
        run = store.get_run("demo", arm["run"])
        held_cost = sum(j.cost for j in store.judgments(run.id) if j.pair in held)
        assert arm["cost"] == pytest.approx(held_cost) and arm["cost"] > 0
    assert few["cost"] > base["cost"]  # the examples make every prompt longer
    # only the baseline judged calibration pairs; every arm judged the held-out pairs in both orders
    assert {j.pair for j in store.judgments(store.get_run("demo", mis["run"]).id)} == set(held)
    assert len(server.chat_requests) == 2 * (33 + 9 + 9 + 9)
    # prompt versions: the guided and few-shot runs record a version of their own
    versions = {arm["prompt_version"] for arm in arms.values()}
    assert len(versions) == 4 and all(v.startswith("1+") for v in versions)

    # the table, and a rerun that makes no call
    sent = len(server.chat_requests)
    table = _invoke(demo, "experiment", "guide", "--judge", "mt-bench-pair", "--base-url", server.url,
                    "--model", "length", "--price", "1,2", "--factor-source", "checklist").stdout
    assert len(server.chat_requests) == sent
    for text in ("baseline", "guide-mis", "guide-rand", "few-shot", "McNemar", "length=less",
                 "spent this time: $0"):
        assert text in table


def test_without_extracted_values_the_guided_arms_say_why(demo, server):
    out = json.loads(_invoke(demo, "experiment", "guide", "--judge", "mt-bench-pair", "--base-url", server.url,
                             "--model", "length", "--json").stdout)
    arms = {a["name"]: a for a in out["arms"]}
    assert "factors extract" in arms["guide-mis"]["reason"] and arms["guide-mis"]["agreement"] is None
    assert arms["few-shot"]["agreement"] == 1.0
    # with the rule extractor, Length has extracted values: guide-mis runs; no other factor has one
    _invoke(demo, "factors", "extract")
    out = json.loads(_invoke(demo, "experiment", "guide", "--judge", "mt-bench-pair", "--base-url", server.url,
                             "--model", "length", "--json").stdout)
    arms = {a["name"]: a for a in out["arms"]}
    assert arms["guide-mis"]["agreement"] == 1.0
    assert arms["guide-rand"]["reason"] == "no other factor with a human score to draw at random"


def test_experiment_refuses_too_few_labels_and_pointwise_judges(tmp_path, server):
    db = tmp_path / "a.db"
    _invoke(db, "tasks", "add", "demo")
    few = _invoke(db, "experiment", "guide", "--judge", "mt-bench-pair", "--base-url", server.url, code=1)
    assert "at least 4" in few.stderr
    point = _invoke(db, "experiment", "guide", "--judge", "mt-bench-single", "--base-url", server.url, code=1)
    assert "not a pairwise LLM judge" in point.stderr
    assert server.chat_requests == []


def test_failed_calls_stop_the_experiment(demo, server):
    result = _invoke(demo, "experiment", "guide", "--judge", "mt-bench-pair", "--base-url", server.url,
                     "--model", "length;500=100", "--factor-source", "checklist", code=1)
    assert "failed" in result.stderr and "run the same command again" in result.stderr
    store = Store.open(demo)
    assert [r.name for r in store.runs("demo")] == ["mt-bench-pair@length;500=100"]  # no arm ran
