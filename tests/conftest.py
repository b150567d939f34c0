"""Fixtures shared by every test layer."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The tests never read the machine's own settings: a name, database, endpoint or key in the
# environment, a colour or width forced on the terminal, or the user's config file (a test that
# needs one sets its own). Done at import, before any console is built, for this process and the
# commands the tests start.
for _name in ("ANNOTATOR_DB", "ANNOTATOR_NAME", "OPENAI_BASE_URL", "OPENAI_API_KEY", "FORCE_COLOR", "NO_COLOR",
              "COLUMNS", "LINES"):
    os.environ.pop(_name, None)
_NO_CONFIG = tempfile.mkdtemp(prefix="annotator-tests-")
atexit.register(shutil.rmtree, _NO_CONFIG, ignore_errors=True)
os.environ["ANNOTATOR_CONFIG"] = str(Path(_NO_CONFIG) / "config.toml")  # absent: the defaults

from annotator.store import Pair, Store, Task  # noqa: E402 (after the environment above)

REPO = Path(__file__).resolve().parents[1]
# The real public data: ../shared/data beside the checkout, or ANNOTATOR_TEST_DATA (a git
# worktree's checkout sits one folder deeper).
SHARED_DATA = Path(os.environ.get("ANNOTATOR_TEST_DATA") or REPO / ".." / "shared" / "data")


@pytest.fixture
def store() -> Store:
    """A migrated in-memory store."""
    s = Store.memory()
    yield s
    s.close()


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip the test when it is absent (as on a user's fresh clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA.resolve()


@pytest.fixture(scope="session")
def alpaca_eval_task(tmp_path_factory):
    """AlpacaEval 2.0's results folder (12 models, 9,656 judged pairs) imported once per test
    session as task ``ae`` of a database file: ``(path, import report)``. Tests only read it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    from annotator.tasks import import_task_dir

    root = tmp_path_factory.mktemp("alpaca_eval")
    folder = root / "ae"
    folder.mkdir()
    (folder / "task.toml").write_text(
        f'[task]\nname = "ae"\n\n[data]\npath = "{SHARED_DATA.resolve()}/alpacaeval2/results"\n'
        'format = "alpaca_eval"\n', encoding="utf-8")
    store = Store.open(root / "ae.db")
    try:
        report = import_task_dir(store, folder, allow_outside=True)
    finally:
        store.close()
    return root / "ae.db", report


def make_pairs(task: str, n: int, **overrides) -> list[Pair]:
    return [
        Pair(task=task, pair_id=f"p{i}", prompt=f"prompt {i}", response_a=f"answer A {i}",
             response_b=f"answer B {i}", content_hash=f"h{i}", **overrides)
        for i in range(n)
    ]


@pytest.fixture
def filled_store(store) -> Store:
    """A store with a task 't' of 5 pairs and no labels."""
    store.save_task(Task(name="t", title="Test task", overlap=2))
    store.insert_pairs(make_pairs("t", 5))
    return store
