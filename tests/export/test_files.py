"""Writing export files: formats, OWASP CSV cells, no overwrite, nothing half-written."""

import csv
import json
import os
import re
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from annotator.export.files import OutputExists, default_path, meta_path
from annotator.export.options import FORMATS
from annotator.export.output import write_export
from annotator.export.tables import Column, neutralise_cell, write_table

COLUMNS = [Column("text"), Column("n", "int"), Column("x", "float"), Column("ok", "bool"), Column("who", "json")]


def _rows():
    return [
        {"text": "=HYPERLINK(\"http://evil\",\"click\")", "n": 1, "x": -0.5, "ok": True, "who": ["a", "b"]},
        {"text": "- a bullet", "n": None, "x": None, "ok": None, "who": None},
        {"text": "plain", "n": -3, "x": 2.0, "ok": False, "who": {"k": "=1+1"}},
    ]


@pytest.mark.parametrize("text,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), (" =1", " =1"), ("a\r=1", "a\r'=1"), ("a\n-1", "a\n'-1"),
    ("a\r\n@x", "a\r\n'@x"), ("\r\n=1", "'\r\n'=1"), ("a\n b", "a\n b"),
])
def test_owasp_rule(text, expected):
    # OWASP "CSV Injection": cells starting with = + - @ TAB CR get a leading single quote
    assert neutralise_cell(text) == expected


# the cells OWASP's "CSV Injection" page lists, each alone and after CR, LF and CRLF
OWASP_CELLS = ["=1+2", "+1+2", "-2+3", "@SUM(1+9)", "\t=1+2", "\r=1+2", "=cmd|' /C calc'!A0",
               '=HYPERLINK("http://contoso.com","Click")', "=1+2\";=1+2", "=1+2'\" ;,=1+2"]


@pytest.mark.parametrize("cell", OWASP_CELLS)
@pytest.mark.parametrize("brk", ["", "\r", "\n", "\r\n"])
def test_no_line_of_a_csv_cell_starts_a_formula(tmp_path, cell, brk):
    """A spreadsheet may read a line break inside a cell as the start of a row: every line
    of a cell is neutralised, and a cell holding CR is quoted (Python's csv left it bare)."""
    text = f"text{brk}{cell}" if brk else cell
    path = tmp_path / "t.csv"
    write_table(path, "csv", [Column("text"), Column("n", "int")], [{"text": text, "n": 1}])
    raw = path.read_bytes().decode()
    body = raw.split("\n", 1)[1]
    if brk or "," in cell or '"' in cell or "\r" in cell:
        assert body.startswith('"')  # quoted: the line break stays inside the cell
    rows = list(csv.reader(path.open(newline="")))
    assert rows[1][1] == "1" and len(rows) == 2
    for line in re.split(r"\r\n|\r|\n", rows[1][0]):
        assert not line.startswith(("=", "+", "-", "@", "\t")), rows[1][0]


def test_json_lines_escape_c1_controls_and_bidi_overrides(tmp_path):
    text = "a\u009b31mb \u202eevil\u202c \u2066x\u2069 \u0085 \x7f \U000e0041 é—"
    write_table(tmp_path / "t.jsonl", "jsonl", [Column("text")], [{"text": text}])
    raw = (tmp_path / "t.jsonl").read_bytes()
    assert raw.decode().endswith(" é—\"}\n") and not re.search("[\u0080-\u009f\u202a-\u202e\u2066-\u2069\x7f]",
                                                                 raw.decode())  # é and — stay raw
    assert b"\\u009b" in raw and b"\\u202e" in raw and b"\\udb40\\udc41" in raw
    assert json.loads(raw)["text"] == text


def test_csv_cells_are_neutralised_numbers_untouched(tmp_path):
    path = tmp_path / "t.csv"
    assert write_table(path, "csv", COLUMNS, _rows()) == 3
    rows = list(csv.reader(path.open(newline="")))
    assert rows[0] == ["text", "n", "x", "ok", "who"]
    assert rows[1] == ["'=HYPERLINK(\"http://evil\",\"click\")", "1", "-0.5", "True", '["a", "b"]']
    assert rows[2] == ["'- a bullet", "", "", "", ""]  # None is an empty cell; text neutralised
    assert rows[3][1] == "-3" and rows[3][4] == '{"k": "=1+1"}'  # a number stays a number


def test_json_lines_and_json_array_keep_text_and_structure(tmp_path):
    write_table(tmp_path / "t.jsonl", "jsonl", COLUMNS, _rows())
    lines = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert lines[0]["text"].startswith("=HYPERLINK") and lines[0]["who"] == ["a", "b"]
    assert lines[1] == {"text": "- a bullet", "n": None, "x": None, "ok": None, "who": None}
    write_table(tmp_path / "t.json", "json", COLUMNS, _rows())
    assert json.loads((tmp_path / "t.json").read_text()) == lines
    write_table(tmp_path / "e.json", "json", COLUMNS, [])
    assert json.loads((tmp_path / "e.json").read_text()) == []


def test_parquet_has_a_fixed_schema_even_with_missing_values(tmp_path):
    path = tmp_path / "t.parquet"
    rows = [dict(r) for r in _rows()] * 3000  # more than one row group
    assert write_table(path, "parquet", COLUMNS, rows) == 9000
    back = pd.read_parquet(path)
    assert str(back["n"].dtype) in ("Int64", "float64", "int64") and back["x"].isna().sum() == 3000
    assert json.loads(back["who"][0]) == ["a", "b"]
    empty = tmp_path / "e.parquet"
    write_table(empty, "parquet", COLUMNS, [])
    assert list(pd.read_parquet(empty).columns) == [c.name for c in COLUMNS]


def test_rows_must_hold_the_columns_in_order(tmp_path):
    with pytest.raises(ValueError, match="not the columns"):
        write_table(tmp_path / "t.jsonl", "jsonl", COLUMNS, [{"n": 1}])


def test_a_nan_is_refused_not_written_as_an_invalid_token(tmp_path):
    with pytest.raises(ValueError):
        write_table(tmp_path / "t.jsonl", "jsonl", [Column("x", "float")], [{"x": float("nan")}])


def test_each_gold_format_has_its_own_default_file():
    paths = {default_path("demo", kind, suffix) for kind, suffix in FORMATS.values()}
    assert len(paths) == len(FORMATS)
    assert default_path("demo", "gold-chosen-rejected", ".jsonl").name == "demo-gold-chosen-rejected.jsonl"
    assert default_path("../x/y", "labels", ".csv").name == "_x_y-labels.csv"


def test_an_existing_file_is_kept_without_force(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("precious\n")
    with pytest.raises(OutputExists):
        write_export(path, "jsonl", COLUMNS, _rows(), {})
    assert path.read_text() == "precious\n" and not meta_path(path).exists()
    assert write_export(path, "jsonl", COLUMNS, _rows(), {"x": 1}, force=True) == 3
    assert len(path.read_text().splitlines()) == 3
    assert json.loads(meta_path(path).read_text()) == {"x": 1, "rows": 3}


def test_a_failure_half_way_leaves_nothing_and_the_old_file_untouched(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("old\n")

    def rows():
        yield _rows()[0]
        raise RuntimeError("the disk went away")

    with pytest.raises(RuntimeError):
        write_export(path, "jsonl", COLUMNS, rows(), {}, force=True)
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary file, no meta


def test_a_file_size_limit_is_a_clear_error_with_no_partial_file(tmp_path):
    """A real short write: the process may not write files over 64 kB (RLIMIT_FSIZE), like a
    full disk. The export fails with a message, exits non-zero, and leaves no file."""
    from annotator.store import Label, Pair, Store, Task

    db = tmp_path / "big.db"
    store = Store.open(db)
    store.save_task(Task(name="t"))
    store.insert_pairs(Pair(task="t", pair_id=f"p{i}", prompt="q", response_a="a" * 2000, response_b="b",
                            content_hash=str(i)) for i in range(100))
    store.add_labels(Label(pair=i, annotator="x", choice="A") for i in range(1, 101))
    store.close()
    script = textwrap.dedent(f"""
        import resource, signal, sys
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit is then an OSError (EFBIG)
        from annotator.cli import main
        sys.argv = ["annotator", "--db", {str(db)!r}, "export", "gold", "--out", {str(tmp_path / "out" / "g.jsonl")!r}]
        main()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "cannot write" in done.stderr and "nothing was written" in done.stderr
    assert "Wrote" not in done.stdout + done.stderr  # no false message
    assert list((tmp_path / "out").iterdir()) == []


def test_files_are_shared_not_private(tmp_path):
    old = os.umask(0o022)
    try:
        write_export(tmp_path / "o.csv", "csv", COLUMNS, _rows(), {})
    finally:
        os.umask(old)
    assert {oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()} == {"0o644"}


def _csv_cell(text):
    """The CSV cell of one text, by the documented rule, one cell at a time (the reference)."""
    if not text:
        return ""
    text = neutralise_cell(text)
    return '"' + text.replace('"', '""') + '"' if re.search(r'[,"\r\n]', text) else text


@pytest.mark.parametrize("seed", range(4))
def test_csv_text_columns_match_the_rule_cell_by_cell(tmp_path, seed):
    """The columnar CSV writer (formulas found by each cell's first byte, quoted cells
    rewritten beside the column, one join per batch) writes every cell as the rule applied to
    that cell alone: hostile characters at the start, after each kind of line break, inside;
    non-ASCII first characters; nulls and empty texts; Arrow slices (an offset into the
    column's buffers) as well as whole arrays."""
    import random

    import pyarrow as pa

    from annotator.export.tables import write_batches

    rng = random.Random(seed)
    alphabet = ["=", "+", "-", "@", "\t", "\r", "\n", "\r\n", ",", '"', "'", " ", "a", "é", "—", "\U0001f600", "x y"]
    cells = [None, ""] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(400)]
    rng.shuffle(cells)
    plain = [f"w{i}" if i % 3 else f"=w{i}" for i in range(len(cells))]
    whole = pa.array(cells, pa.string())
    batches = [{"a": whole.slice(0, 150), "b": pa.array(plain[:150], pa.string()), "n": list(range(150))},
               {"a": whole.slice(150), "b": pa.array(plain[150:], pa.string()).slice(0), "n": list(range(150, 402))},
               {"a": cells[:5], "b": plain[:5], "n": [None] * 5}]
    path = tmp_path / "t.csv"
    columns = [Column("a"), Column("b"), Column("n", "int")]
    assert write_batches(path, "csv", columns, iter(batches)) == 407
    expected = "a,b,n\n" + "".join(f"{_csv_cell(a)},{_csv_cell(b)},{'' if n is None else n}\n"
                                   for a, b, n in zip(cells + cells[:5], plain + plain[:5], [*range(402), *[None] * 5]))
    assert path.read_bytes().decode("utf-8") == expected
