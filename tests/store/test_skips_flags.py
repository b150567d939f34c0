"""Skips (back at the end of the queue), flags with reasons, the remembered name, search."""

import pytest

from annotator.store import Label, Pair, Task
from annotator.store.search import like_pattern


def _queue(store, task, annotator, n):
    """The next ``n`` pairs served to ``annotator``, each labelled once served."""
    served = []
    for _ in range(n):
        pair = store.next_pair(task, annotator)
        if pair is None:
            break
        served.append(pair.id)
        store.add_label(Label(pair=pair.id, annotator=annotator, choice="A"))
        store.release_claim(pair.id, annotator)
    return served


def test_skipped_pair_comes_back_last(filled_store):
    task = filled_store.get_task("t")
    first = filled_store.next_pair(task, "ann")
    filled_store.skip_pair("t", "ann", first.id, now="2024-01-01T00:00:00")
    assert filled_store.claims("t") == []  # the skip released the claim
    served = _queue(filled_store, task, "ann", 10)
    assert len(served) == 5 and served[-1] == first.id
    # A pair skipped stays recorded after it is labelled.
    assert filled_store.skipped_pairs("t", "ann") == [first.id]
    assert filled_store.skip_counts("t") == {"ann": 1}


def test_skips_ordered_by_time_and_reskipping_moves_to_the_end(filled_store):
    task = filled_store.get_task("t")
    a = filled_store.next_pair(task, "ann")
    filled_store.skip_pair("t", "ann", a.id, now="2024-01-01T00:00:01")
    b = filled_store.next_pair(task, "ann")
    filled_store.skip_pair("t", "ann", b.id, now="2024-01-01T00:00:02")
    assert filled_store.skipped_pairs("t", "ann") == [a.id, b.id]
    filled_store.skip_pair("t", "ann", a.id, now="2024-01-01T00:00:03")  # again: now after b
    assert filled_store.skipped_pairs("t", "ann") == [b.id, a.id]
    assert filled_store.query("SELECT times FROM skips WHERE pair = ?", [a.id])[0]["times"] == 2
    served = _queue(filled_store, task, "ann", 10)
    assert served[-2:] == [b.id, a.id]
    # Other annotators' queues are untouched by ann's skips.
    assert filled_store.skipped_pairs("t", "bob") == []


def test_flags_replace_clear_and_keep_history(filled_store):
    flag = filled_store.flag_pair("t", "ann", 1, "  prompt   is cut off ")
    assert (flag.reason, flag.pair_id, flag.cleared_at) == ("prompt is cut off", "p0", None)
    again = filled_store.flag_pair("t", "ann", 1, "both responses are the same")
    assert filled_store.current_flag(1, "ann").reason == "both responses are the same"
    assert [f.id for f in filled_store.flags("t")] == [again.id]
    history = filled_store.flags("t", include_cleared=True)
    assert [f.reason for f in history] == ["prompt is cut off", "both responses are the same"]
    assert history[0].cleared_at is not None
    assert filled_store.clear_flag(1, "ann") is True
    assert filled_store.clear_flag(1, "ann") is False
    assert filled_store.current_flag(1, "ann") is None and filled_store.flags("t") == []
    with pytest.raises(ValueError):
        filled_store.flag_pair("t", "ann", 1, "   ")


def test_remembered_annotator(store):
    assert store.remembered_annotator("me") is None
    store.remember_annotator("me", "alice")
    store.remember_annotator("me", "alice b")
    store.remember_annotator("other", "bob")
    assert store.remembered_annotator("me") == "alice b"
    assert store.remembered_annotator("other") == "bob"


def test_like_pattern_escapes_wildcards():
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


def test_search_labelled_pairs(store):
    store.save_task(Task(name="t", overlap=2))
    store.insert_pairs([
        Pair(task="t", pair_id="alpha", prompt="Reverse a list", response_a="use slicing",
             response_b="call reverse()", content_hash="1"),
        Pair(task="t", pair_id="beta", prompt="Sort a dict", response_a="sorted(d.items())",
             response_b="100% sure: use SORTED", content_hash="2"),
        Pair(task="t", pair_id="gamma", prompt="Reverse words", response_a="split", response_b="join",
             content_hash="3"),
    ])
    ids = {p.pair_id: p.id for p in store.pairs("t")}
    store.add_label(Label(pair=ids["gamma"], annotator="ann", choice="A", rationale="clearer"))
    store.add_label(Label(pair=ids["alpha"], annotator="ann", choice="B"))
    store.add_label(Label(pair=ids["beta"], annotator="bob", choice="B", rationale="reverse"))
    # Only ann's labelled pairs, in the order ann labelled them; ASCII case folded.
    hits = store.search_labelled("t", "ann", "REVERSE")
    assert [(h.pair_id, h.field) for h in hits] == [("gamma", "prompt"), ("alpha", "prompt")]
    assert [h.pair_id for h in store.search_labelled("t", "ann", "clearer")] == ["gamma"]
    assert store.search_labelled("t", "ann", "clearer")[0].field == "rationale"
    assert store.search_labelled("t", "ann", "  ") == []
    # Wildcards are literal: "%" matches only a percent sign.
    assert store.search_labelled("t", "ann", "%") == []
    assert [h.pair_id for h in store.search_labelled("t", "bob", "100%")] == ["beta"]
    assert store.search_labelled("t", "ann", "a", limit=1)[0].pair_id == "gamma"
