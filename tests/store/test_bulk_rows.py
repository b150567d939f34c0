"""The store's bulk paths store exactly what the row-at-a-time paths store, and opening the
store imports neither numpy nor pandas (sqlite-utils would import both at start-up)."""

import subprocess
import sys

import pytest

from annotator.store import Pair, Store, Task, rows
from annotator.store.queue_walk import pair_rank, pair_ranks


def _pairs():
    return [
        Pair(task="t", pair_id="p1", prompt="Q?", response_a="A", response_b="B"),
        Pair(task="t", pair_id="p2", prompt="Q2", response_a="é", response_b="ü", model_a="m", model_b="n",
             domain="math", source="s", metadata={"z": 1, "a": ["é", None]}, gold="A", reference="r",
             content_hash="h"),
        Pair(task="t", pair_id="p3", prompt="", response_a="", response_b="", metadata={}),
    ]


def test_pair_values_are_the_rows_pair_to_row_makes():
    now = "2026-01-01T00:00:00+00:00"
    expected = [tuple(rows.pair_to_row(p)[c] for c in rows.PAIR_COLUMNS) + (now,) for p in _pairs()]
    assert rows.pair_values(_pairs(), now) == expected


def test_pair_ranks_are_pair_rank_of_each():
    ids = ["p1", "bench-000001", "é", "x" * 300, 7]
    assert pair_ranks(11, ids) == [pair_rank(11, i) for i in ids]


def test_inserted_pairs_and_queue_rows_are_the_row_at_a_time_ones():
    store = Store.memory()
    store.save_task(Task(name="t", title="T", overlap=2, seed=5))
    store.insert_pairs(_pairs())
    got = store.query("SELECT pair_id, metadata, gold, content_hash FROM pairs ORDER BY id")
    assert [r["metadata"] for r in got] == ["{}", '{"a": ["é", null], "z": 1}', "{}"]
    ranks = store.query("SELECT p.pair_id, q.rank FROM queue_pairs q JOIN pairs p ON p.id = q.pair ORDER BY p.id")
    assert [r["rank"] for r in ranks] == [pair_rank(5, r["pair_id"]) for r in ranks]


def test_opening_the_store_imports_neither_numpy_nor_pandas_and_both_still_work():
    code = (
        "import sys\n"
        "from annotator.store import Store\n"
        "store = Store.memory()\n"
        "print('numpy' in sys.modules, 'pandas' in sys.modules)\n"
        "import numpy\n"
        "print(int(numpy.arange(3).sum()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "3"]


def _queue_rows(store):
    return store.query("SELECT pair, task, stream, rank, labellers, done, uniform, priority FROM queue_pairs "
                       "ORDER BY pair")


def _two_tasks_interleaved(store):
    store.save_task(Task(name="t", attention_rate=0.1, seed=3))
    store.save_task(Task(name="u", seed=9))
    store.insert_pairs([Pair(task="t", pair_id="old", prompt="", response_a="a", response_b="b")])
    store.insert_pairs([Pair(task="tu"[i % 2], pair_id=f"p{i}", prompt="Q", response_a="A", response_b="B",
                             gold="A" if i % 3 == 0 else None) for i in range(40)])


@pytest.mark.parametrize("chunk", [50_000, 7])
def test_queue_rows_of_new_pairs_made_in_memory_are_those_read_back(monkeypatch, chunk):
    from annotator.store import tasks

    monkeypatch.setattr(tasks, "QUEUE_CHUNK", chunk)  # made a chunk of pairs at a time: the same rows
    fast = Store.memory()
    _two_tasks_interleaved(fast)
    slow = Store.memory()
    monkeypatch.setattr(type(slow), "_ids_follow", lambda self, before, count: False)  # read back instead
    _two_tasks_interleaved(slow)
    assert _queue_rows(fast) == _queue_rows(slow)
    assert {r["stream"] for r in _queue_rows(fast)} == {"gold", "regular"}
    for task in ("t", "u"):  # and both are what a rebuild from the stored pairs makes
        slow.rebuild_queue(task)
    assert _queue_rows(fast) == _queue_rows(slow)
