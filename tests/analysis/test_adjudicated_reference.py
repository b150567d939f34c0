"""A pair settled by ``annotator adjudicate`` is settled everywhere: the agreement report, the
judge report and the dashboard stop counting it among the pairs that need adjudication, and
judges are compared with the adjudicated label unless ``--reference majority``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.analysis.judge_human import task_judge_human_report
from annotator.analysis.report import task_agreement_report
from annotator.cli import main
from annotator.store import Adjudication, JudgeRun, Judgment, Label, Pair, Store, Task


def _build(store: Store) -> dict[str, int]:
    store.save_task(Task(name="t"))
    store.insert_pairs([Pair(task="t", pair_id=f"p{i}", prompt="p", response_a="a" * (10 + i), response_b="b",
                             content_hash=str(i)) for i in range(4)])
    ids = {p.pair_id: p.id for p in store.pairs("t")}
    votes = {"p0": ("A", "B"), "p1": ("A", "A"), "p2": ("B", "B"), "p3": ("B", "A")}
    store.add_labels([Label(pair=ids[pid], annotator=who, choice=c)
                      for pid, pair_votes in votes.items() for who, c in zip(("ann", "bob"), pair_votes)])
    run = store.get_or_create_run(JudgeRun(task="t", name="j", kind="llm"))
    store.save_judgments([Judgment(run=run.id, pair=ids[pid], order=o, verdict=v)
                          for pid, v in (("p0", "A"), ("p1", "A"), ("p2", "B"), ("p3", "A")) for o in ("AB", "BA")])
    return ids


def _settle(store, ids) -> None:
    store.add_adjudication(Adjudication(pair=ids["p0"], adjudicator="carol", choice="A", reason="annotator_error",
                                        note="bob misread"))


def test_a_settled_pair_needs_no_adjudication(store):
    ids = _build(store)
    before = task_agreement_report(store, "t", resamples=0).to_json()["pairs"]
    assert before["needs_adjudication"] == 2 and before["no_majority"] == 2 and before["adjudicated"] == 0
    _settle(store, ids)
    after = task_agreement_report(store, "t", resamples=0).to_json()["pairs"]
    assert after["needs_adjudication"] == 1 and after["no_majority"] == 1 and after["adjudicated"] == 1
    settled = next(p for p in after["most_disputed"] if p["pair_id"] == "p0")
    assert settled["needs_adjudication"] is False and settled["reason"] is None
    assert settled["adjudication"] == {"choice": "A", "reason": "annotator error", "note": "bob misread",
                                       "adjudicator": "carol"}


def test_judges_are_compared_with_the_adjudicated_label_by_default(store):
    ids = _build(store)
    _settle(store, ids)
    by_default = task_judge_human_report(store, "t", resamples=0).to_json()
    majority = task_judge_human_report(store, "t", resamples=0, reference="majority").to_json()
    assert by_default["reference"]["name"] == "adjudicated" and by_default["reference"]["adjudicated_pairs"] == 1
    assert majority["reference"]["name"] == "majority" and majority["reference"]["adjudications_ignored"] == 1
    humans = {r["reference"]["name"]: next(a for a in r["agents"] if a["agent"] == "humans")["verdicts"]
              for r in (by_default, majority)}
    assert humans["adjudicated"] == {"A": 2, "B": 1, "tie": 0, "split": 1}
    assert humans["majority"] == {"A": 1, "B": 1, "tie": 0, "split": 2}
    kappa = {r["reference"]["name"]: next(a for a in r["agents"] if a["agent"] == "j")["cohen_kappa_with_majority"]
             for r in (by_default, majority)}
    assert kappa["adjudicated"]["n"] == 3 and kappa["majority"]["n"] == 2  # the settled pair joins the comparison
    agreement = task_agreement_report(store, "t", resamples=0).to_json()
    assert agreement["judges"][0]["cohen_kappa_with_majority"] == kappa["adjudicated"]


@pytest.mark.parametrize("reference", ["adjudicated", "majority"])
def test_the_commands_name_their_reference(tmp_path, reference):
    db = tmp_path / "a.db"
    store = Store.open(db)
    _settle(store, _build(store))
    store.close()
    run = CliRunner().invoke(main, ["--db", str(db), "stats", "judges", "--task", "t", "--reference", reference])
    assert run.exit_code == 0, run.output
    assert f"human reference: {reference}" in " ".join(run.output.split())
    text = " ".join(CliRunner().invoke(main, ["--db", str(db), "stats", "agreement", "--task", "t"]).output.split())
    assert "1 pair(s) need adjudication (1 without a majority; threshold 60%; 1 settled by an adjudicator)" in text
    out = json.loads(CliRunner().invoke(main, ["--db", str(db), "stats", "agreement", "--task", "t", "--json",
                                                "--reference", reference]).stdout)
    assert out["reference"]["name"] == reference
