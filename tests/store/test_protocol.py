"""What the engines need from the store (``annotator/store/protocol.py``), and the type check
that holds them to it (``mypy`` with pyproject.toml's ``[tool.mypy]``, run by .ci/run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.store import Store
from annotator.store.protocol import AnalysisStore, JudgeStore

ROOT = Path(__file__).resolve().parents[2]

PROBE = '''
from annotator.store.protocol import AnalysisStore, JudgeStore


def frames(store: AnalysisStore) -> None:
    store.labels_fram("demo")  # a misspelt method


def run_name(store: JudgeStore) -> str:
    return store.get_run("demo", "judge").name  # the run may not exist: None


def pair_key(store: JudgeStore) -> int:
    pair = next(store.pairs("demo"))
    return pair.id  # None until the pair is stored
'''


def test_the_store_gives_the_engines_what_they_need():
    store = Store.memory()
    assert isinstance(store, AnalysisStore) and isinstance(store, JudgeStore)


def test_mypy_finds_a_wrong_attribute_and_a_missing_none_check(tmp_path):
    api = pytest.importorskip("mypy.api")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    out, err, code = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"),
                              str(probe)])
    assert code == 1, out + err
    errors = [line.split(": error: ")[1] for line in out.splitlines() if ": error: " in line]
    assert any('has no attribute "labels_fram"' in e for e in errors), out
    assert any('Item "None" of "JudgeRun | None" has no attribute "name"' in e for e in errors), out
    assert any('Incompatible return value type (got "int | None", expected "int")' in e for e in errors), out
    assert len(errors) == 3, out


def test_stored_ids_of_pairs_and_runs():
    from annotator.store import JudgeRun, Pair

    store = Store.memory()
    from tests.analysis.store_data import add_judge, add_pairs, make_task

    make_task(store)
    ids = add_pairs(store, "demo", 2)
    add_judge(store, "demo", ids, "j1", "AB", "AB")
    assert [p.stored_id for p in store.pairs("demo")] == ids
    assert store.get_run("demo", "j1").stored_id == store.get_run("demo", "j1").id
    with pytest.raises(ValueError, match="pair 'p9' is not stored yet"):
        Pair(task="demo", pair_id="p9", prompt="", response_a="", response_b="").stored_id  # noqa: B018
    with pytest.raises(ValueError, match="run 'r' is not stored yet"):
        JudgeRun(task="demo", name="r").stored_id  # noqa: B018
