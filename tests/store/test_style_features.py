"""Style features: Arena-Hard-Auto's markdown counts (hand-counted examples), stored once."""

from __future__ import annotations

from annotator.store import Pair, Store, Task
from annotator.store.style import count_style

TEXT = """# Title
Some **bold** and __also bold__ text, **not closed
## Part
1. first
2. second
   - nested
* star item
+ plus item
#no space is no header
```python
# a comment in code is no header
- nor a list item
```
Done ```inline``` ."""


def test_counts_hand_worked():
    got = count_style(TEXT)
    # headers: '# Title', '## Part' (the comment inside the code block is removed first)
    # lists: '1.', '2.', '- nested', '* star', '+ plus' (the '- nor' line is in a code block)
    # bold: '**bold**', '__also bold__'; code: the fenced block and the inline ```inline```
    assert got == {"length": len(TEXT), "headers": 2, "lists": 5, "bold": 2, "code": 2}
    assert count_style("") == {"length": 0, "headers": 0, "lists": 0, "bold": 0, "code": 0}
    assert count_style("**a**\n**b** __c__\n- x\n-y")["bold"] == 3
    assert count_style("- x\n-y")["lists"] == 1


def test_counted_once_and_stored(tmp_path):
    store = Store.open(tmp_path / "s.db")
    store.save_task(Task(name="t", title="t"))
    store.insert_pairs([Pair(task="t", pair_id="p1", prompt="q", response_a="# H\n- a\n- b", response_b="plain")])
    first = store.style_features("t")
    assert first.iloc[0][["headers_a", "lists_a", "lists_b", "length_b"]].tolist() == [1, 2, 0, 5]
    assert store.query("SELECT COUNT(*) AS n FROM style_features")[0]["n"] == 1
    store.db.execute("UPDATE style_features SET lists_a = 9")  # read back, not counted again
    assert store.style_features("t").iloc[0]["lists_a"] == 9
    store.close()


def test_pairs_added_later_are_counted_beside_the_stored_ones(tmp_path):
    """Stored counts read as columns, a pair added after them counted and stored, another task's
    pairs neither read nor counted; the frame holds every pair of the task once."""
    store = Store.open(tmp_path / "s.db")
    store.save_task(Task(name="t", title="t"))
    store.save_task(Task(name="u", title="u"))
    store.insert_pairs([Pair(task="t", pair_id="p1", prompt="q", response_a="# H", response_b="plain")])
    store.style_features("t")
    store.insert_pairs([Pair(task="t", pair_id="p2", prompt="q", response_a="**b**", response_b="- a\n- b"),
                        Pair(task="u", pair_id="p1", prompt="q", response_a="x", response_b="y")])
    got = store.style_features("t").sort_values("pair")
    assert got["pair"].tolist() == [1, 2]
    assert got[["headers_a", "bold_a", "lists_b"]].values.tolist() == [[1, 0, 0], [0, 1, 2]]
    assert store.query("SELECT COUNT(*) AS n FROM style_features")[0]["n"] == 2
    again = store.style_features("t").sort_values("pair").reset_index(drop=True)
    assert again.equals(got.reset_index(drop=True)) and str(again["bold_a"].dtype) == "int64"
    store.close()
