"""Every typed section that the report reads back from JSON comes back equal: serialised in
one place (``serialise``), read back typed (``read_back``)."""

from __future__ import annotations

import json

from annotator.analysis.judge_human import FactorAlignment, JudgePair, task_judge_human_report
from annotator.analysis.report import PairsSummary, task_agreement_report
from annotator.analysis.serialise import read_back, serialise
from annotator.store import Adjudication, Store


def _campaign() -> Store:
    from tests.report.report_data import build

    store = Store.memory()
    build(store)
    return store


def _through_json(value):
    return json.loads(json.dumps(serialise(value)))


def test_sections_come_back_as_they_were():
    store = _campaign()
    agreement = task_agreement_report(store, "campaign", resamples=0)
    pair = agreement.pairs.most_disputed[0].pair
    store.add_adjudication(Adjudication(pair=pair, adjudicator="carol", choice="A", reason="guidelines_gap"))
    agreement = task_agreement_report(store, "campaign", resamples=20)
    judges = task_judge_human_report(store, "campaign", resamples=20, factor_source="checklist")
    pairs = read_back(PairsSummary, _through_json(agreement.pairs))
    assert serialise(pairs) == serialise(agreement.pairs)
    assert pairs.adjudicated == 1 and any(p.adjudication for p in pairs.most_disputed)
    fa = read_back(FactorAlignment, _through_json(judges.factor_alignment))
    assert serialise(fa) == _through_json(judges.factor_alignment)
    assert fa.judges["gpt-judge"].misaligned == judges.factor_alignment.judges["gpt-judge"].misaligned
    [first, *_] = judges.judge_agreement
    back = read_back(JudgePair, _through_json(first))
    assert back.agreement.value == first.agreement.value and back.judges == first.judges
    store.close()
