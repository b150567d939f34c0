"""Every typed section that the report reads back from JSON comes back equal: serialised in
one place (``serialise``), read back typed (``read_back``)."""

from __future__ import annotations

import json

import pytest

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


@pytest.mark.parametrize("gold, domains", [(None, None), ({1: "A", 3: "B"}, ["x", "", "y", "x", ""]),
                                           ({0: "A"}, None)])
def test_labels_take_their_pair_columns_from_a_pairs_frame_already_read(tmp_path, gold, domains):
    """``load_agents`` reads the pairs once (``pairs_frame``: every response measured once) and
    hands them to ``labels_frame``: the same frame, value for value and dtype for dtype, as
    ``labels_frame`` reading the pairs itself (gold on some pairs or none, empty domains, a
    pair nobody labelled, an unlabelled gold pair)."""
    from tests.analysis.store_data import add_pairs, add_votes, make_task

    store = Store.open(tmp_path / "t.db")
    make_task(store)
    ids = add_pairs(store, "demo", 5, gold=gold, domains=domains)
    add_votes(store, ids[1:4], "ann", "ABT")
    add_votes(store, ids[2:4], "bob", "BB")
    pairs = store.pairs_frame("demo")
    for options in ({"lean": True}, {}, {"columns": ["pair", "gold", "len_a"]}):
        own = store.labels_frame("demo", **options)
        given = store.labels_frame("demo", pairs=pairs, **options)
        assert own.equals(given) and list(own.dtypes) == list(given.dtypes)
