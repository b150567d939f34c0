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
