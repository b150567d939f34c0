"""A ranking is stored as such and expanded into one label per pair of its item (ties kept)."""

from __future__ import annotations

import pytest

from annotator.store import InvalidRanking, Ranking
from annotator.store.rankings import expand_ranking, shown_positions
from annotator.tasks import import_task_dir
from tests.ranking.taskdir import ranked_task


def test_expansion_of_three_with_a_tie_worked_by_hand():
    # Screen showed positions 3, 1, 2 (screen 1 = position 3). The annotator ranked
    # position 2 best, then 1 and 3 tied.
    expanded = expand_ranking([[2], [1, 3]], shown=[3, 1, 2])
    assert expanded == {
        (1, 2): ("B", "AB"),    # 2 ranked above 1; 1 was on screen before 2
        (1, 3): ("tie", "BA"),  # same tier; 3 was on screen before 1
        (2, 3): ("A", "BA"),    # 2 above 3; 3 was on screen before 2
    }


def test_saving_writes_the_ranking_and_its_labels_in_one_go_and_an_edit_replaces_them(tmp_path, store):
    import_task_dir(store, ranked_task(tmp_path / "t", sizes=(3,)))
    (item,) = store.ranking_items("ranked")
    pairs = store.ranking_pair_ids(item.id)
    saved = store.save_ranking(Ranking(item=item.id, annotator="ann", tiers=[[2], [1, 3]], shown=[3, 1, 2],
                                       confidence=4, rationale="2 is right", seconds=30.0))
    assert saved.revision == 1
    rows = store.query("SELECT tiers, shown, confidence, rationale, seconds FROM rankings")
    assert rows == [{"tiers": "[[2], [1, 3]]", "shown": "[3, 1, 2]", "confidence": 4, "rationale": "2 is right",
                     "seconds": 30.0}]
    labels = {lab.pair: lab for lab in store.current_labels("ranked", "ann")}
    got = {positions: (labels[pid].choice, labels[pid].shown_order, labels[pid].confidence, labels[pid].seconds)
           for positions, pid in pairs.items()}
    assert got == {(1, 2): ("B", "AB", 4, 10.0), (1, 3): ("tie", "BA", 4, 10.0), (2, 3): ("A", "BA", 4, 10.0)}
    assert {store.ranking_of_label(lab.id) for lab in labels.values()} == {saved.id}

    edit = store.save_ranking(Ranking(item=item.id, annotator="ann", tiers=[[1], [2], [3]], shown=[3, 1, 2]))
    assert edit.revision == 2
    current = store.current_labels("ranked", "ann")
    assert len(current) == 3  # never counted twice: the edit's labels are the current revisions
    assert {(lab.pair, lab.choice) for lab in current} == {(pairs[(1, 2)], "A"), (pairs[(1, 3)], "A"),
                                                           (pairs[(2, 3)], "A")}
    assert {store.ranking_of_label(lab.id) for lab in current} == {edit.id}
    assert [r.tiers for r in store.rankings("ranked")] == [[[1], [2], [3]]]


@pytest.mark.parametrize("tiers, shown", [([[1], [2]], [1, 2, 3]), ([[1], [2], [2, 3]], [1, 2, 3]),
                                          ([[1], [2], [3]], [1, 1, 3]), ([[1], [], [2, 3]], [1, 2, 3])])
def test_a_ranking_must_place_every_response_once(tmp_path, store, tiers, shown):
    import_task_dir(store, ranked_task(tmp_path / "t", sizes=(3,)))
    (item,) = store.ranking_items("ranked")
    with pytest.raises(InvalidRanking):
        store.save_ranking(Ranking(item=item.id, annotator="ann", tiers=tiers, shown=shown))
    assert store.query("SELECT COUNT(*) AS n FROM labels") == [{"n": 0}]


def test_the_screen_order_is_seeded_per_annotator_and_item():
    assert shown_positions(0, "ann", "q1", 5) == shown_positions(0, "ann", "q1", 5)
    assert sorted(shown_positions(0, "ann", "q1", 5)) == [1, 2, 3, 4, 5]
    orders = {tuple(shown_positions(0, name, "q1", 4)) for name in ("a", "b", "c", "d", "e", "f")}
    assert len(orders) > 1


def test_an_item_claimed_for_one_annotator_is_not_served_to_another_beyond_the_overlap(tmp_path, store):
    from datetime import timedelta

    from tests.ranking.taskdir import TASK_TOML

    import_task_dir(store, ranked_task(tmp_path / "t", sizes=(3, 4), toml=TASK_TOML.replace("overlap = 2", "overlap = 1")))
    task = store.require_task("ranked")
    minutes = timedelta(minutes=10)
    first = store.next_pair(task, "alice", claim_for=minutes)
    assert store.claim_item(task, "alice", first.id, claim_for=minutes) == store.ranking_item_of_pair(first.id).k * (
        store.ranking_item_of_pair(first.id).k - 1) // 2 - 1
    served: dict[int, str] = {}
    while (pair := store.next_pair(task, "bob", claim_for=minutes, exclude=set(served))) is not None:
        served[pair.id] = store.ranking_item_of_pair(pair.id).item_id
        assert len(served) <= 10
    other = {"q1": "q2", "q2": "q1"}[store.ranking_item_of_pair(first.id).item_id]
    assert served and set(served.values()) == {other}
