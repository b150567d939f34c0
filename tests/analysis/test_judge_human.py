"""The judge-validation report on a hand-built task whose answers are known."""

import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.analysis.agents import load_agents
from annotator.analysis.judge_human import (
    HUMANS,
    human_majority,
    judge_human_report,
    manifestations,
    task_judge_human_report,
)
from annotator.cli import main
from annotator.store import JudgeRun, Judgment, Label, Pair, Store, Task
from annotator.tasks.profile import PROFILE_FACTORS

N = 12


def _build(store: Store) -> None:
    """12 pairs; A is longer on even pairs. Three annotators all prefer A on pairs 0-7 and B on
    8-11, and answer the length factor truthfully. Judge 'first' always picks the response
    shown first; judge 'long' always picks the longer one."""
    store.save_task(Task(name="t", factors=[PROFILE_FACTORS["length"], PROFILE_FACTORS["coherence"]]))
    pairs = []
    for i in range(N):
        long_a = i % 2 == 0
        pairs.append(Pair(task="t", pair_id=str(i), prompt="p", domain="math" if i < 6 else "code",
                          response_a="a" * (300 if long_a else 100), response_b="b" * (100 if long_a else 300),
                          content_hash=str(i)))
    store.insert_pairs(pairs)
    labels = []
    for pid in range(1, N + 1):
        choice = "A" if pid <= 8 else "B"
        longer = "A" if (pid - 1) % 2 == 0 else "B"
        for who in ("ann", "bob", "cid"):
            labels.append(Label(pair=pid, annotator=who, choice=choice, factors={"length": longer, "coherence": "na"}))
    store.add_labels(labels)
    first = store.get_or_create_run(JudgeRun(task="t", name="first"))
    long = store.get_or_create_run(JudgeRun(task="t", name="long", kind="llm"))
    js = []
    for pid in range(1, N + 1):
        longer = "A" if (pid - 1) % 2 == 0 else "B"
        js.append(Judgment(run=first.id, pair=pid, order="AB", verdict="A"))
        js.append(Judgment(run=first.id, pair=pid, order="BA", verdict="B"))
        js.append(Judgment(run=long.id, pair=pid, order="AB", verdict=longer))
    store.save_judgments(js)


@pytest.fixture
def report(store):
    _build(store)
    return task_judge_human_report(store, "t").to_json()


def _agent(report, name):
    return next(a for a in report["agents"] if a["agent"] == name)


def test_humans_win_rate_and_length_bias(report):
    humans = _agent(report, HUMANS)
    assert humans["pairs"] == N and humans["verdicts"] == {"A": 8, "B": 4, "tie": 0, "split": 0}
    assert humans["win_rate"]["overall"]["win_rate"] == pytest.approx(100 * 8 / 12)
    assert humans["win_rate"]["per_domain"]["math"]["win_rate"] == pytest.approx(100.0)
    # humans chose the longer response on pairs 0,2,4,6 (A) and 9,11 (B): 6 of 12
    assert humans["length_bias"]["estimate"] == pytest.approx(0.5)
    # LC needs ten pairs: per domain (6 pairs) it is undefined with a reason
    assert humans["win_rate"]["per_domain"]["math"]["lc_win_rate"] is None
    assert "needs at least 50" in humans["win_rate"]["per_domain"]["math"]["lc_reason"]


def test_position_biased_judge_is_exposed(report):
    first = _agent(report, "first")
    assert first["position_bias"]["estimate"] == 1.0
    assert first["position_bias"]["p_value"] < 0.001
    assert first["position_consistency"]["estimate"] == 0.0
    # every pair is inconsistent: no verdict under the default order rule (not a tie), counted
    assert first["verdicts"] == {"A": 0, "B": 0, "tie": 0, "no verdict": N}
    assert first["statuses"]["inconsistent"] == N and first["order_rule"] == "both"


def test_length_biased_judge_is_exposed(report):
    long = _agent(report, "long")
    assert long["kind"] == "llm" and _agent(report, HUMANS)["kind"] == "humans"
    assert long["length_bias"]["estimate"] == 1.0
    assert long["agreement_with_humans"]["with_ties"]["estimate"] == pytest.approx(6 / 12)


def test_factor_alignment(report):
    # the default source is the extractors: none ran, so every M_k is unknown there and the
    # checklist (the annotators' answers) is shown beside
    default = report["factor_alignment"]
    assert default["source"] == "extractors" and default["known_manifestations"] == {"length": 0, "coherence": 0}
    assert default["other_source"]["source"] == "checklist"
    assert default["other_source"]["known_manifestations"] == {"length": N, "coherence": 0}


def test_factor_alignment_from_the_checklist(store):
    _build(store)
    fa = task_judge_human_report(store, "t", factor_source="checklist").to_json()["factor_alignment"]
    assert fa["source"] == "checklist" and fa["other_source"] is None  # no extracted value: nothing beside
    assert fa["known_manifestations"] == {"length": N, "coherence": 0}
    # humans vs length: C = pairs where the preferred response is longer = 6, D = 6 -> 0
    assert fa["scores"][HUMANS]["length"]["score"] == pytest.approx(0.0)
    assert fa["scores"]["long"]["length"]["score"] == pytest.approx(1.0)
    assert fa["scores"][HUMANS]["coherence"]["score"] is None  # no manifestation known
    misaligned = fa["judges"]["long"]["misaligned"]
    assert misaligned[0]["factor"] == "length" and misaligned[0]["direction"] == "less"
    assert fa["judges"]["long"]["alignment"]["kendall_tau_b"] is None  # one factor: undefined


def test_each_factor_source_is_one_source_never_mixed():
    labels = pd.DataFrame({"pair": [1, 1, 3], "factors": [{"length": "A"}, {"length": "B"}, {"length": "A"}]})
    values = pd.DataFrame({"pair": [1, 2], "factor": ["length", "length"], "extractor": ["rule", "rule"],
                           "manifestation": ["B", "A"]})
    extracted = manifestations(labels, values, ["length"])  # the default: extractors
    assert extracted["length"].to_dict() == {1: "B", 2: "A"}  # pair 3's checklist answer is not used
    checklist = manifestations(labels, values, ["length"], "checklist")
    assert checklist["length"].dropna().to_dict() == {3: "A"}  # 1-1 split: unknown; the rule does not fill in
    with pytest.raises(ValueError):
        manifestations(labels, values, ["length"], "both")


def test_majority_follows_the_house_rule():
    # a 1-1 split is reported as "split", not as a tie (annotator.analysis.pairs); 2-1 is a majority
    labels = pd.DataFrame({"pair": [1, 1, 2, 2, 2], "annotator": ["x", "y", "x", "y", "z"],
                           "choice": ["A", "B", "B", "B", "A"]})
    assert human_majority(labels).to_dict() == {1: "split", 2: "B"}


def test_report_without_labels_or_judges_is_undefined_not_broken(store):
    store.save_task(Task(name="e"))
    report = task_judge_human_report(store, "e").to_json()
    assert any("no human labels" in n for n in report["notes"])
    humans = _agent(report, HUMANS)
    assert humans["pairs"] == 0 and math.isnan(humans["win_rate"]["overall"]["win_rate"] or math.nan)


def test_stats_judges_command(tmp_path):
    db = tmp_path / "j.db"
    store = Store.open(db)
    _build(store)
    store.close()
    runner = CliRunner()
    text = runner.invoke(main, ["--db", str(db), "stats", "judges", "--task", "t", "--factor-source", "checklist"])
    assert text.exit_code == 0, text.output
    assert "shown" in text.output and "first" in text.output
    assert "M_k source: checklist" in text.output
    # 12 pairs with a known length: too few for a factor hint (MIN_FACTOR_HINT_PAIRS), said
    assert "guide length=less" not in text.output and "no factor hint" in text.output
    as_json = runner.invoke(main, ["--db", str(db), "stats", "judges", "--json"])
    assert as_json.exit_code == 0
    import json
    assert {a["agent"] for a in json.loads(as_json.output)["agents"]} == {HUMANS, "first", "long"}


def test_judges_are_compared_on_the_pairs_the_humans_labelled(store):
    """A judge that also covers pairs without a human label is compared with the humans on
    the labelled pairs only (its figures on every judged pair are kept apart)."""
    _build(store)
    extra = [Pair(task="t", pair_id=f"x{i}", prompt="p", domain="math", response_a="a" * 300,
                  response_b="b" * 100, content_hash=f"x{i}") for i in range(6)]
    store.insert_pairs(extra)
    ids = [p.id for p in store.pairs("t") if p.pair_id.startswith("x")]
    long = next(r for r in store.runs("t") if r.name == "long")
    store.save_judgments([Judgment(run=long.id, pair=pid, order="AB", verdict="B") for pid in ids])
    fv = pd.DataFrame({"pair": ids, "factor": "length", "extractor": "rule", "manifestation": "A"})
    report = judge_human_report(load_agents(store, "t"), fv, factors=[("length", "Length")],
                                factor_source="checklist").to_json()
    judge = _agent(report, "long")
    assert judge["pairs"] == N and judge["pairs_judged"] == N + 6
    assert judge["win_rate"]["overall"]["pairs"] == N
    assert judge["win_rate_all_pairs"]["overall"]["pairs"] == N + 6
    assert judge["length_bias"]["n"] == N and judge["length_bias"]["estimate"] == 1.0
    score = report["factor_alignment"]["scores"]["long"]["length"]
    assert score["score"] == 1.0 and score["pairs"] == N
    assert any("without a human label" in note for note in report["notes"])


def test_one_order_judge_has_undefined_consistency(store):
    """A judge run in one order only has an undefined position consistency (with a reason),
    not 0 % or 100 %."""
    _build(store)
    report = task_judge_human_report(store, "t").to_json()
    judge = _agent(report, "long")  # run in order AB only
    assert judge["position_consistency"]["estimate"] is None and judge["position_consistency"]["reason"]


def test_small_opposite_scores_are_not_called_misaligned():
    from annotator.analysis.judge_human import factor_section

    pairs = list(range(40))
    table = pd.DataFrame({"x": ["A"] * 40, "y": ["A"] * 40}, index=pd.Index(pairs, name="pair"))
    humans = pd.Series(["A"] * 21 + ["B"] * 19, index=pairs)  # x, y scores +0.05
    judge = pd.Series(["A"] * 19 + ["B"] * 21, index=pairs)  # -0.05: noise, not a misalignment
    tables = {"extractors": table, "checklist": table.iloc[0:0]}
    section = factor_section({HUMANS: humans, "j": judge}, tables, {})
    assert section.judges["j"].misaligned == []
    strong = pd.Series(["B"] * 30 + ["A"] * 10, index=pairs)  # -0.5 against +0.05
    section = factor_section({HUMANS: humans, "j": strong}, tables, {})
    assert [m.factor for m in section.judges["j"].misaligned] == ["x", "y"]


def test_a_judge_that_never_decides_gets_no_guidance_hint(report):
    first = report["factor_alignment"]["judges"]["first"]  # all ties: inconsistent in every pair
    assert first["misaligned"] == [] and first["misaligned_reason"] == "the judge gave no decisive verdict"


def test_incomplete_run_is_marked_and_left_out(store):
    """A run started for more judgments than finished is named in the notes and left out of
    the comparisons unless asked for."""
    _build(store)
    run = next(r for r in store.runs("t") if r.name == "long")
    run.params = {**run.params, "planned": 66}  # 12 of 66 calls done
    store.update_run(run)
    report = task_judge_human_report(store, "t").to_json()
    assert {a["agent"] for a in report["agents"]} == {HUMANS, "first"}
    assert any("long is incomplete (12 of 66" in n for n in report["notes"])
    assert report["runs_left_out"][0]["name"] == "long" and report["runs_left_out"][0]["complete"] is False
    forced = task_judge_human_report(store, "t", include_incomplete=True).to_json()
    long = _agent(forced, "long")
    assert long["run"]["complete"] is False and long["card"]["verdict"] == "needs review"
    assert "the run is incomplete" in long["card"]["reasons"]


def test_hint_keeps_the_runs_server_and_model(tmp_path):
    db = tmp_path / "h.db"
    store = Store.open(db)
    _length_store(store, 40, ("long",))  # enough pairs for a hint (MIN_FACTOR_HINT_PAIRS)
    run = next(r for r in store.runs("t") if r.name == "long")
    run.endpoint, run.model = "http://127.0.0.1:8011/v1", "my-local-model"
    store.update_run(run)
    store.close()
    result = CliRunner().invoke(main, ["--db", str(db), "stats", "judges", "--task", "t", "--factor-source",
                                       "checklist"])
    assert result.exit_code == 0, result.output
    hint = next(line for line in result.output.splitlines() if "--guide length=less" in line)
    assert "--base-url http://127.0.0.1:8011/v1" in hint and "--model my-local-model" in hint


def test_order_rule_is_named_and_changes_the_verdicts(tmp_path):
    db = tmp_path / "r.db"
    store = Store.open(db)
    _build(store)
    store.close()
    runner = CliRunner()
    both = json.loads(runner.invoke(main, ["--db", str(db), "stats", "judges", "--json"]).output)
    mt = json.loads(runner.invoke(main, ["--db", str(db), "stats", "judges", "--json", "--order-rule", "mt-bench"]).output)
    assert both["order_rule"]["name"] == "both" and mt["order_rule"]["name"] == "mt-bench"
    # judge 'first' flips in every pair: no verdict under 'both', a tie under MT-Bench's rule
    assert _agent(both, "first")["verdicts"]["no verdict"] == N
    assert _agent(mt, "first")["verdicts"]["tie"] == N
    text = runner.invoke(main, ["--db", str(db), "stats", "judges", "--order-rule", "first"]).output
    assert "order rule: first" in text


def test_gold_and_card_on_a_task_with_gold_labels(store):
    _build(store)
    # gold = the humans' choice on every pair
    store.db.execute("UPDATE pairs SET gold = CASE WHEN id <= 8 THEN 'A' ELSE 'B' END")
    report = task_judge_human_report(store, "t").to_json()
    long = _agent(report, "long")
    gold = long["gold"]
    # 'long' picks the longer response: A on odd ids 1,3,5,7 (right), B on 2,4,6,8 (wrong),
    # B on 10,12 (right) and A on 9,11 (wrong): 6 of 12
    assert gold["n"] == 12 and gold["accuracy"]["estimate"] == pytest.approx(0.5)
    assert gold["accuracy_second"]["estimate"] is None  # one order only
    assert gold["confusion"]["A"] == {"A": 4, "B": 4, "tie": 0, "no verdict": 0}
    first = _agent(report, "first")["gold"]
    assert first["accuracy"]["estimate"] == 0.0 and first["n_unscored"] == 12
    assert first["accuracy_first"]["estimate"] == pytest.approx(8 / 12)  # always A; gold A on 8
    for agent in (long, _agent(report, "first")):
        assert agent["card"]["verdict"] in ("trustworthy", "use with caution", "needs review")
        assert agent["alt_test"]["winning_rate"] is not None or agent["alt_test"]["reason"]


def test_disagreements_are_one_flag_away(tmp_path):
    """`--disagreements RUN` lists the pairs where the run and the human majority differ,
    with the judge's explanation, sanitised."""
    db = tmp_path / "d.db"
    store = Store.open(db)
    _build(store)
    long = next(r for r in store.runs("t") if r.name == "long")
    # the judge's explanation of pair 2 carries a terminal escape: it must arrive inert
    store.db.execute("UPDATE judgments SET explanation = ? WHERE run = ? AND pair = 2",
                     ["B is longer \x1b]52;c;Zm9v\x07 so B", long.id])
    store.close()
    runner = CliRunner()
    data = json.loads(runner.invoke(main, ["--db", str(db), "stats", "judges", "--json", "--disagreements",
                                           "long"]).output)
    listed = data["disagreements"]["pairs"]
    # 'long' picks the longer response; the humans prefer A on 1-8 and B on 9-12, and A is
    # longer on odd ids: they disagree on 2, 4, 6, 8 (long says B) and 9, 11 (long says A)
    assert sorted(int(p["pair_id"]) + 1 for p in listed) == [2, 4, 6, 8, 9, 11]
    text = runner.invoke(main, ["--db", str(db), "stats", "judges", "--disagreements", "long"]).output
    assert "B is longer" in text and "\x1b" not in text
    missing = runner.invoke(main, ["--db", str(db), "stats", "judges", "--disagreements", "nope"])
    assert missing.exit_code != 0 and "no judge run named 'nope'" in missing.output


def test_notes_do_not_say_no_judge_ran_when_one_was_left_out(store):
    """With the only run incomplete and left out, the note says so; it does not claim that
    no judge has run on the task."""
    _build(store)
    for run in store.runs("t"):
        run.params = {**run.params, "planned": 1000}
        store.update_run(run)
    report = task_judge_human_report(store, "t").to_json()
    assert not any("no judge has run" in note for note in report["notes"])
    assert sum("is incomplete" in note for note in report["notes"]) == 2


def _silent_store(store: Store) -> None:
    """The 12 pairs and votes of ``_build``, and a judge asked in both orders that never
    answered (every call unscored)."""
    _build(store)
    silent = store.get_or_create_run(JudgeRun(task="t", name="silent", kind="llm"))
    store.save_judgments([Judgment(run=silent.id, pair=pid, order=order, verdict=None, unscored_reason="refusal")
                          for pid in range(1, N + 1) for order in ("AB", "BA")])


def test_a_judge_that_never_answered_has_no_figures(store):
    """Before: agreement 0.0 % [0, 0], kappa 0.000, and a gold note "the judge saw the pairs in
    one order only" (it was asked in both). Now each is undefined with the reason."""
    _silent_store(store)
    report = task_judge_human_report(store, "t", resamples=20).to_json()
    silent = _agent(report, "silent")
    reason = "no verdict on any pair (12 unscored: refusal 24)"
    assert silent["agreement_with_humans"]["with_ties"]["estimate"] is None
    assert silent["agreement_with_humans"]["with_ties"]["reason"] == reason
    assert silent["agreement_with_humans"]["without_ties"]["reason"] == reason
    assert silent["cohen_kappa_with_majority"]["estimate"] is None
    assert silent["position_bias"]["reason"] == reason and silent["position_consistency"]["reason"] == reason
    assert silent["card"]["verdict"] == "needs review" and reason in silent["card"]["reasons"]


def test_gold_of_a_silent_judge_asked_in_both_orders():
    from annotator.analysis.gold import gold_accuracy
    from annotator.analysis.verdicts import judge_verdicts, no_verdict_reason

    judgments = pd.DataFrame({"run_name": "j", "pair": [1, 1, 2, 2], "order": ["AB", "BA"] * 2, "sample": 0,
                              "verdict": [None] * 4, "p_a": float("nan"), "unscored_reason": ["empty"] * 4})
    rows = judge_verdicts(judgments)
    gold = pd.Series({1: "A", 2: "B"})
    # asked in both orders: never "one order only", even without a verdict
    plain = gold_accuracy(rows, gold)
    assert "one order only" not in (plain.accuracy_second.reason or "")
    reason = no_verdict_reason(rows, judgments)
    assert reason == "no verdict on any pair (2 unscored: empty 4)"
    g = gold_accuracy(rows, gold, no_verdict=reason)
    for est in (g.accuracy, g.accuracy_scored, g.accuracy_no_ties, g.accuracy_first, g.accuracy_second,
                g.kappa_between_orders):
        assert not est.defined and est.reason == reason


def test_scored_only_agreement_beside_the_all_pairs_one(store):
    """Judge 'long' answers in one order only; give it no verdict on two labelled pairs:
    all pairs (MT-Bench with no verdict matching no vote) 5/12 pairs' votes, scored only the
    same matches over the 10 pairs with a verdict."""
    _build(store)
    run = next(r for r in store.runs("t") if r.name == "long")
    store.save_judgments([Judgment(run=run.id, pair=pid, order="AB", verdict=None, unscored_reason="empty")
                          for pid in (1, 2)])
    report = task_judge_human_report(store, "t", resamples=0).to_json()
    long = _agent(report, "long")
    # 'long' picks the longer (A on odd pair ids): humans A on 1-8, B on 9-12, three votes each;
    # pairs 3..12 with a verdict: matches on 3, 5, 7 (A) and 10, 12 (B) = 5 of 10 pairs
    assert long["agreement_with_humans"]["with_ties"]["estimate"] == pytest.approx(15 / 36)
    assert long["agreement_scored_only"]["with_ties"]["estimate"] == pytest.approx(15 / 30)
    assert long["agreement_scored_only"]["with_ties"]["n"] == 30


def test_a_rating_method_shows_nothing_in_an_order(store, tmp_path):
    """LLMBar's rating methods score each output alone: before, position bias 22.8 % (p 1.6e-7)
    and consistency 46 % on the real run, and the judge "needs review". Now both are unknown,
    and a score tie (5-5, which LLMBar's two games break by position: 2 / 1) is a tie."""
    from annotator.tasks import import_task_dir
    from tests.tasks.test_judge_benchmarks import llmbar_runs_task

    import_task_dir(store, llmbar_runs_task(tmp_path), allow_outside=True)
    rating = next(r for r in store.runs("runs") if r.name == "Judge-Y/Rating")
    assert rating.params["presentation"] == "scored alone"
    assert not next(r for r in store.runs("runs") if r.name == "Judge-X/Vanilla").params.get("presentation")
    agents = load_agents(store, "runs")
    rows = agents.verdicts[agents.verdicts["run_name"] == "Judge-Y/Rating"].set_index("pair")
    tie_pair = store.get_pair_by_external_id("runs", "Natural/3").id
    assert rows.loc[tie_pair, "verdict"] == "tie" and rows.loc[tie_pair, "status"] == "single"
    assert (rows["status"] != "inconsistent").all()
    report = judge_human_report(agents, resamples=0, gold=agents.pairs.set_index("pair")["gold"])
    card = next(a for a in report.agents if a.agent == "Judge-Y/Rating")
    assert not card.position_bias.defined and "scored alone" in card.position_bias.reason
    assert not card.position_consistency.defined and "scored alone" in card.position_consistency.reason
    assert not card.gold.accuracy_second.defined and "scored alone" in card.gold.accuracy_second.reason
    # scores 6-3 2-8 5-5 7-4 9-1 against labels 1 2 1 2 1: right on 1, 2, 5; a tie on 3
    assert card.gold.accuracy.value == pytest.approx(3 / 5)
    assert card.gold.accuracy_no_ties.value == pytest.approx(3 / 4) and card.gold.accuracy_no_ties.n == 4
    vanilla = next(a for a in report.agents if a.agent == "Judge-X/Vanilla")
    assert vanilla.position_consistency.defined  # a pairwise run keeps its orders


def _length_store(store: Store, n: int, runs: tuple[str, ...]) -> None:
    """``n`` pairs, A longer on even ones, humans always prefer A and answer the length factor;
    each run (same model) always picks the longer response, in one order."""
    store.save_task(Task(name="t", factors=[PROFILE_FACTORS["length"]]))
    store.insert_pairs([Pair(task="t", pair_id=str(i), prompt="p", response_a="a" * (300 if i % 2 == 0 else 100),
                             response_b="b" * (100 if i % 2 == 0 else 300), content_hash=str(i)) for i in range(n)])
    store.add_labels([Label(pair=pid, annotator=who, choice="A",
                            factors={"length": "A" if (pid - 1) % 2 == 0 else "B"})
                      for pid in range(1, n + 1) for who in ("ann", "bob")])
    for name in runs:
        run = store.get_or_create_run(JudgeRun(task="t", name=name, kind="llm", model="m"))
        store.save_judgments([Judgment(run=run.id, pair=pid, order="AB", verdict="A" if (pid - 1) % 2 == 0 else "B")
                              for pid in range(1, n + 1)])


def test_a_factor_hint_needs_enough_pairs(tmp_path):
    """Before: "weighs length unlike the humans (-1.00 vs +0.50)" from two pairs, once per run.
    Now a hint needs MIN_FACTOR_HINT_PAIRS (30) pairs with a known M_k behind both scores, and
    two identical runs share one hint."""
    from annotator.analysis.defaults import MIN_FACTOR_HINT_PAIRS

    assert MIN_FACTOR_HINT_PAIRS == 30
    few = tmp_path / "few.db"
    s = Store.open(few)
    _length_store(s, 12, ("j1",))
    s.close()
    report = CliRunner().invoke(main, ["--db", str(few), "stats", "judges", "--json", "--bootstrap", "0",
                                             "--factor-source", "checklist"])
    block = json.loads(report.output)["factor_alignment"]["judges"]["j1"]
    assert block["misaligned"] and block["hint"] is None
    assert "fewer than 30 pairs" in block["hint_reason"] and "as few as 12" in block["hint_reason"]
    text = CliRunner().invoke(main, ["--db", str(few), "stats", "judges", "--bootstrap", "0", "--factor-source", "checklist"], terminal_width=200)
    assert not any(line.startswith("hint:") for line in text.output.splitlines())
    assert "no factor hint" in text.output

    many = tmp_path / "many.db"
    s = Store.open(many)
    _length_store(s, 40, ("j1", "j2"))
    s.close()
    data = json.loads(CliRunner().invoke(main, ["--db", str(many), "stats", "judges", "--json", "--bootstrap",
                                                "0", "--factor-source", "checklist"]).output)
    hint = data["factor_alignment"]["judges"]["j1"]["hint"]
    assert hint["factor"] == "length" and hint["pairs"] == 40
    text = CliRunner().invoke(main, ["--db", str(many), "stats", "judges", "--bootstrap", "0", "--factor-source", "checklist"], terminal_width=200)
    assert sum(line.startswith("hint:") for line in text.output.splitlines()) == 1
    assert "j1, j2 weigh length" in text.output
    assert text.output.count("guide length=less") == 1


def test_agents_built_without_ratings_get_them_from_the_labels(store):
    """A ``TaskAgents`` made by hand without ``ratings`` (the field is optional) gives the
    same report as one loaded from the store (it used to fail on ``None.units``)."""
    import dataclasses

    _build(store)
    loaded = load_agents(store, "t")
    expected = judge_human_report(loaded).to_json()
    assert judge_human_report(dataclasses.replace(loaded, ratings=None)).to_json() == expected


def test_stats_agreement_says_the_same_of_a_silent_judge(tmp_path):
    """`stats agreement`'s judge section and the judge card give one answer: undefined."""
    db = tmp_path / "s.db"
    store = Store.open(db)
    _silent_store(store)
    store.close()
    out = CliRunner().invoke(main, ["--db", str(db), "stats", "agreement", "--json", "--bootstrap", "0"])
    assert out.exit_code == 0, out.output
    judges = {j["run"]: j for j in json.loads(out.output)["judges"]}
    silent = judges["silent"]["agreement_with_humans"]["with_ties"]
    assert silent["estimate"] is None and silent["reason"] == "no verdict on any pair (12 unscored: refusal 24)"
    assert judges["silent"]["cohen_kappa_with_majority"]["estimate"] is None


def test_win_rates_are_typed_and_read_back_typed(store):
    """The judge report's win rates are a typed section (WinRates of WinRateBlock), serialised
    in one place and read back as the same types (the report reads them by attribute)."""
    from annotator.analysis.judge_human import JudgeHumanReport, WinRateBlock, WinRates
    from annotator.analysis.serialise import read_back

    _build(store)
    typed = task_judge_human_report(store, "t")
    humans = next(a for a in typed.agents if a.agent == HUMANS)
    assert isinstance(humans.win_rate, WinRates) and isinstance(humans.win_rate.overall, WinRateBlock)
    assert humans.win_rate.overall.win_rate == pytest.approx(100 * 8 / 12)
    back = read_back(JudgeHumanReport, typed.to_json())
    again = next(a for a in back.agents if a.agent == HUMANS)
    assert again.win_rate.per_domain["math"].win_rate == pytest.approx(100.0)
    assert again.win_rate.per_domain["math"].lc_win_rate is None and again.win_rate.per_domain["math"].lc_reason


def test_labels_needed_is_typed_and_its_json_unchanged():
    """LabelsNeeded serialises to the documented JSON of each case, keys in their order."""
    from annotator.analysis.estimate import Estimate
    from annotator.analysis.judge_human import LabelsNeeded, labels_needed

    nan = float("nan")
    none = labels_needed(Estimate(nan, nan, nan, 0, "no verdict"))
    assert isinstance(none, LabelsNeeded) and none.text() == ""
    assert list(none.to_json().items()) == [("target_half_width", 0.03), ("pairs_needed", None), ("reason", "no verdict")]
    perfect = labels_needed(Estimate(1.0, 1.0, 1.0, 20)).to_json()
    assert list(perfect) == ["target_half_width", "pairs_needed", "pairs_now", "reason"] and perfect["pairs_now"] == 20
    scaled = labels_needed(Estimate(0.7, 0.6, 0.8, 100))
    assert list(scaled.to_json()) == ["target_half_width", "pairs_now", "current_half_width", "pairs_needed",
                                      "more_pairs_needed", "method"]
    assert scaled.pairs_needed == 1112 and scaled.text("+-") == "for +-3 points: 1,112 human-labelled pairs (1,012 more)"


def test_agreement_per_domain_is_typed(store):
    from annotator.analysis.judge_human import DomainAgreement, JudgeHumanReport
    from annotator.analysis.serialise import read_back

    _build(store)
    typed = task_judge_human_report(store, "t")
    judged = [a for a in typed.agents if a.agreement_per_domain]
    assert judged and all(isinstance(v, DomainAgreement) for a in judged for v in a.agreement_per_domain.values())
    back = read_back(JudgeHumanReport, typed.to_json())
    for a, b in zip(typed.agents, back.agents):
        assert (a.agreement_per_domain or {}) == (b.agreement_per_domain or {})
