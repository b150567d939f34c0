r"""Every export against the files the row-by-row code wrote before the columnar rewrite
(``tests/export/golden/``, written by ``write_golden`` on the fixture of ``golden_data``).

The differences, each intended (docs/exports.md lists them):

* CSV: byte for byte, except two security fixes (issue 23), applied to the old file before
  comparing: a cell holding a carriage return is quoted (Python's csv module left a bare CR
  unquoted, and spreadsheets start a new row there), and every line inside a cell that
  starts with ``= + - @`` or TAB after a CR, LF or CRLF gets the OWASP quote too.
* JSON Lines and JSON: the same values, keys in the same order, parsed back exactly (floats
  included), but written by orjson: no space after ``:`` and ``,``, floats in their shortest
  form (``1e-05`` as ``1e-5``), and C1 controls, DEL, bidirectional controls, U+2028/2029 and
  tag characters as ``\u`` escapes instead of raw (issue 23: they act on terminals).
* Parquet: the same schema and values (the bytes also hold the row-group layout).
"""

from __future__ import annotations

import json
import re
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
    no_ds = kind == "gold" and fmt in ("jsonl", "csv", "parquet") and "dawid-skene" not in extra  # issue 22
    if fmt == "parquet":
        import pyarrow.parquet as pq

        before, after = pq.read_table(old), pq.read_table(new)
        assert after.schema.equals(before.schema)
        assert after.to_pylist() == [_no_ds(r) if no_ds else r for r in before.to_pylist()]
        return
    if fmt == "csv":
        assert new.read_bytes() == _with_csv_fixes(old.read_bytes().decode("utf-8"), no_ds).encode("utf-8")
        return
    data = new.read_bytes()
    assert not re.search("[\u0080-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]", data.decode("utf-8"))
    if fmt in ("json", "alpaca-eval"):
        assert json.loads(data, object_pairs_hook=list) == json.loads(old.read_bytes(), object_pairs_hook=list)
        return
    new_lines, old_lines = data.decode().split("\n"), old.read_bytes().decode("utf-8").split("\n")
    assert len(new_lines) == len(old_lines) and new_lines[-1] == old_lines[-1] == ""
    for a, b in zip(new_lines[:-1], old_lines[:-1]):
        before = json.loads(b, object_pairs_hook=list)
        if no_ds:
            before = list(_no_ds(dict(before)).items())
        if kind == "gold" and "--names" in extra:
            before = list(_by_name(dict(before)).items())
        assert json.loads(a, object_pairs_hook=list) == before


def _by_name(row: dict) -> dict:
    """A gold row with --names since issue 22: ``annotators`` (and ``label_ids`` with them)
    sorted by name, as documented. The old code sorted them so only when some annotator of
    the task had no vote among the exported pairs, else in the order they first labelled
    (a side effect of a pandas categorical's map)."""
    order = sorted(range(len(row["annotators"])), key=row["annotators"].__getitem__)
    return {**row, "annotators": [row["annotators"][i] for i in order],
            "label_ids": [row["label_ids"][i] for i in order]}


def _is_ds(name: str) -> bool:
    return name == "ds_label" or name.startswith("ds_p_")


def _no_ds(row: dict) -> dict:
    """A gold row under --aggregate majority since issue 22: Dawid-Skene not fitted, its columns empty."""
    return {k: None if _is_ds(k) else v for k, v in row.items()}


def _old_csv_rows(text: str) -> list[list[str]]:
    """The old files' cells: fields end at a comma or LF only (the old writer left a bare CR
    unquoted inside a field); a quoted field may hold anything, quotes doubled."""
    rows, row, field, quoted, i = [], [], [], False, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '"' and text[i + 1:i + 2] == '"':
                field.append('"')
                i += 1
            elif c == '"':
                quoted = False
            else:
                field.append(c)
        elif c == '"' and not field:
            quoted = True
        elif c in ",\n":
            row.append("".join(field))
            field = []
            if c == "\n":
                rows.append(row)
                row = []
        else:
            field.append(c)
        i += 1
    return rows


def _with_csv_fixes(old: str, no_ds: bool = False) -> str:
    """The old CSV with the two intended fixes: OWASP's quote after every line break inside
    a cell, and every cell holding CR (or LF, comma, quote) quoted (``no_ds``: and the
    Dawid-Skene cells empty, as under --aggregate majority since issue 22)."""
    lines = []
    rows = _old_csv_rows(old)
    ds = [i for i, name in enumerate(rows[0]) if _is_ds(name)] if no_ds else []
    for n, row in enumerate(rows):
        if n:
            row = ["" if i in ds else cell for i, cell in enumerate(row)]
        cells = [re.sub(r"(\r\n|\r|\n)([=+\-@\t])", r"\1'\2", cell) for cell in row]
        lines.append(",".join('"' + c.replace('"', '""') + '"' if re.search(r'[,"\r\n]', c) else c
                              for c in cells))
    return "".join(line + "\n" for line in lines)


if __name__ == "__main__":  # python -m tests.export.test_golden: rewrite the golden files
    write_golden(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN)
