"""Snapshots of the main screens (pytest-textual-snapshot; update with --snapshot-update)."""

from __future__ import annotations

import pytest

from annotator.store import Pair
from annotator.tui.app import create_app

from .conftest import make_task

RESPONSE_A = """## Reversing a list

Use slicing, which returns a **new** list:

```python
items = [1, 2, 3]
print(items[::-1])  # [3, 2, 1]
```

- `reversed()` gives an iterator
- `list.reverse()` works in place
"""

RESPONSE_B = """You can call `items.reverse()`; it reverses the list in place and returns `None`.

```python
items = [1, 2, 3]
items.reverse()
```
"""


@pytest.fixture
def snapshot_app(store, settings, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_CONFIG", "/nonexistent/annotator/config.toml")  # shown by help
    task = make_task(store, n_pairs=0, factors=("receptiveness", "helpfulness", "fluency"))
    store.insert_pairs([
        Pair(task=task.name, pair_id=f"s{i}", prompt="How do I reverse a list in Python?",
             response_a=RESPONSE_A, response_b=RESPONSE_B, content_hash=f"s{i}")
        for i in range(3)
    ])

    def build():
        return create_app(store, task, "snap", settings, clock=lambda: 0.0)

    return build


def test_pair_screen_wide(snap_compare, snapshot_app):
    assert snap_compare(snapshot_app(), terminal_size=(160, 45), press=["1"])


def test_pair_screen_narrow(snap_compare, snapshot_app):
    assert snap_compare(snapshot_app(), terminal_size=(80, 45))


def test_factor_checklist_and_diff(snap_compare, snapshot_app):
    assert snap_compare(snapshot_app(), terminal_size=(160, 45), press=["f", "a", "e", "d"])


def test_help_screen(snap_compare, snapshot_app):
    assert snap_compare(snapshot_app(), terminal_size=(120, 45), press=["question_mark"])


def test_factor_definition(snap_compare, snapshot_app):
    assert snap_compare(snapshot_app(), terminal_size=(120, 40), press=["f", "i"])


def test_no_test_module_is_named_like_a_snapshot():
    """syrupy 7.0 (the lower bound CI installs) counts a snapshot file as belonging to any test
    module of its name: a module called test_help_screen.py made test_help_screen.svg "unused",
    and an unused snapshot fails the whole run, though this file's tests are not run there."""
    from pathlib import Path

    here = Path(__file__).parent
    snapshots = {p.stem for p in (here / "__snapshots__").rglob("*.svg")}
    modules = {p.stem for p in here.rglob("test_*.py")}
    assert not snapshots & modules
