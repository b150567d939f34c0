"""Finding a task: one lookup that fails with the names of the tasks there are."""

import pytest

from annotator.store import Store, Task, UnknownTask


def test_require_task_names_the_known_tasks():
    store = Store.memory()
    with pytest.raises(UnknownTask) as empty:
        store.require_task("nope")
    assert str(empty.value) == "no task named 'nope' (tasks: none)"
    store.save_task(Task(name="b"))
    store.save_task(Task(name="a"))
    assert store.require_task("a").name == "a"
    with pytest.raises(KeyError) as caught:  # an UnknownTask is a KeyError (and a LookupError)
        store.require_task("c")
    assert str(caught.value) == "no task named 'c' (tasks: a, b)"
    assert caught.value.known == ["a", "b"]
