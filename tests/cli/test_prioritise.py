"""``annotator tasks prioritise`` on a store built by hand."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Store
from tests.analysis.store_data import add_judge, add_pairs, add_votes, make_task


def _db(tmp_path):
    path = tmp_path / "a.db"
    store = Store.open(path)
    make_task(store)
    ids = add_pairs(store, "demo", 4)
    add_judge(store, "demo", ids, "j1", "AAAB", "AABB")  # pair 3: flips between orders
    add_judge(store, "demo", ids, "j2", "ABAB", "ABAB")  # pair 2: disagrees with j1
    add_votes(store, ids, "x", "A...")
    add_votes(store, ids, "y", "B...")  # pair 1: the two votes split
    store.close()
    return path


def _invoke(path, *args, code=0):
    result = CliRunner().invoke(main, ["--db", str(path), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_prioritise_judge_uncertain(tmp_path):
    path = _db(tmp_path)
    out = json.loads(_invoke(path, "tasks", "prioritise", "--by", "judge-uncertain", "--dry-run", "--json").stdout)
    first = {row["pair_id"]: row for row in out["first"]}
    # p0: both judges A in both orders (split 0, flips 0), votes A / B: 1 bit / log2(3) -> mean 0.21
    # p1: j1 A, j2 B: judges_split 1; no flip: 0 -> score 0.5
    # p2: j1 flips (no verdict), j2 A: one decided judge, flips 1/2 -> 0.5
    # p3: both B in both orders: 0
    assert first["p1"]["judges_split"] == 1.0 and first["p1"]["score"] == 0.5
    assert first["p2"]["order_flip"] == 0.5 and first["p2"]["judges_split"] is None
    assert first["p3"]["score"] == 0.0
    assert first["p0"]["score"] == pytest.approx((0 + 0 + 1 / math.log2(3)) / 3)
    assert [row["pair_id"] for row in out["first"]] == ["p1", "p2", "p0", "p3"]
    assert out["applied"] is False and out["uniform_share"] == 0.2


def test_prioritise_stratified_needs_one_judge(tmp_path):
    path = _db(tmp_path)
    assert "--run" in _invoke(path, "tasks", "prioritise", "--stratify", "--dry-run", code=1).stderr
    out = json.loads(_invoke(path, "tasks", "prioritise", "--stratify", "--run", "j2", "--dry-run", "--json").stdout)
    # j2: A, B, A, B: the first two of the walk are one A and one B
    assert sorted(row["stratum"] for row in out["first"][:2]) == ["A", "B"]
    assert "no judge run 'nope'" in _invoke(path, "tasks", "prioritise", "--run", "nope", "--by", "judge-uncertain",
                                            code=1).stderr


def test_prioritise_applies_and_clears(tmp_path):
    path = _db(tmp_path)
    out = json.loads(_invoke(path, "tasks", "prioritise", "--by", "judge-uncertain", "--uniform-share", "0",
                             "--json").stdout)
    assert out["applied"] is True
    store = Store.open(path)
    ids = {p.pair_id: p.id for p in store.pairs("demo")}
    stored = store.pair_priorities("demo")
    assert stored[ids["p1"]] == 0.5 and ids["p3"] not in stored  # p3 scores 0
    store.close()
    _invoke(path, "tasks", "prioritise", "--by", "none")
    assert Store.open(path).pair_priorities("demo") == {}


def test_estimate_weights_the_prioritised_labels(tmp_path):
    # 8 pairs; the judge says A everywhere; people say A on p0-p3 and B on p4-p7.
    path = tmp_path / "a.db"
    store = Store.open(path)
    make_task(store)
    ids = add_pairs(store, "demo", 8)
    add_judge(store, "demo", ids, "j1", "AAAAAAAA")
    assert "no priorities in effect" in _invoke(path, "tasks", "prioritise", "--estimate", code=1).stderr
    # p0-p3 prioritised (1.0), the rest 0; the uniform share made by hand: p6 and p7
    store.set_pair_priorities("demo", {i: (1.0 if n < 4 else 0.0) for n, i in enumerate(ids)}, uniform_share=0)
    store.db.execute(f"UPDATE queue_pairs SET uniform = 1 WHERE pair IN ({ids[6]}, {ids[7]})")
    store.db.conn.commit()
    # labelled as prioritised labelling would: the prioritised pairs, then the uniform share's
    add_votes(store, [ids[0], ids[1], ids[2], ids[3], ids[6], ids[7]], "x", "AAAABB")
    store.close()
    out = json.loads(_invoke(path, "tasks", "prioritise", "--estimate", "--json").stdout)
    [row] = out["judges"]
    # plain mean over the 6 labelled pairs: right on 4 -> 0.667, biased towards the prioritised pairs.
    # tau = 1.0: p0-p3 are the stratum at tau, all labelled (weight 4/4 = 1); below tau, p4-p7, the two
    # labelled uniform pairs stand for 4 (weight 2 each): (4 x 1 + 2 x 0 + 2 x 0) / 8 = 0.5, the value
    # on all 8 pairs; the interval: at tau is a census, below has y = (0, 0): standard error 0.
    assert row["plain"] == pytest.approx(4 / 6)
    assert row["weighted"]["estimate"] == pytest.approx(0.5) and row["weighted"]["standard_error"] == 0.0
    assert out["strata"] == {"at": 4, "below": 4} and out["unlabelled_above_tau"] == 0
    table = _invoke(path, "tasks", "prioritise", "--estimate").stdout
    assert "66.7 %" in table and "50.0 %" in table
