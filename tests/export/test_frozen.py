r"""Every export byte for byte against the files the exports wrote before the Arrow rewrite
of issue 22 (``tests/export/frozen/``, written by ``write_frozen`` on the fixture below).

The fixture is ``golden_data``'s (OWASP formula cells, CR / LF / CRLF inside cells, C1 and
bidi controls, revisions, factor answers, an adjudication, judge runs) plus the texts a
terminal or a spreadsheet could act on that it lacks: NUL, escape sequences (CSI, OSC with
BEL), characters outside the BMP, tag characters, a leading quote or space, numbers as
text; a split pair, a tie, a factor answer off the checklist, an adjudicator who never
labelled. JSON Lines, JSON and CSV must be the same bytes; Parquet the same schema and
values.

The one intended difference (docs/exports.md): ``export gold`` fits Dawid-Skene only under
``--aggregate dawid-skene``; with majority labels its columns (``ds_label``, ``ds_p_*``)
are empty (:func:`_without_dawid_skene` applies that to the frozen file before comparing).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Adjudication, Label, Pair, Store
from tests.export.golden_data import fill_golden

FROZEN = Path(__file__).with_name("frozen")

NASTY = [
    "nul\x00byte", "\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "\x1b]52;c;Y2xpcA==\x07", "emoji \U0001F600 \u00e9\u4e2d",
    "tag\U000E0041\U000E007F", "'quoted", " =spaced", "0123", "1e5", "-", "=", "\r", "\n", "\t", "a,b", '"',
    "line\r\n@at", "\u00a0nbsp", "\u0085nel",
]

EXPORTS = [
    ("gold", fmt, extra) for fmt in ("jsonl", "csv", "parquet", "chosen-rejected", "alpaca-eval")
    for extra in ((), ("--aggregate", "dawid-skene"))
] + [
    ("gold", "csv", ("--names", "--min-votes", "2", "--exclude", "eve")),
    ("gold", "jsonl", ("--min-agreement", "0.7", "--exclude-disputed")),
    ("soft-labels", "jsonl", ()), ("soft-labels", "csv", ()), ("soft-labels", "parquet", ()),
    ("labels", "jsonl", ()), ("labels", "csv", ()), ("labels", "parquet", ()), ("labels", "csv", ("--texts",)),
    ("labels", "jsonl", ("--texts", "--names")), ("labels", "parquet", ("--texts", "--exclude", "bob")),
    ("labels", "csv", ("--names", "--exclude", "alice")),
    ("judgments", "jsonl", ()), ("judgments", "csv", ()), ("judgments", "parquet", ()),
    ("judgments", "jsonl", ("--messages", "--factor-runs")), ("judgments", "csv", ("--messages", "--factor-runs")),
]
# the gold files whose Dawid-Skene columns are empty since issue 22 (majority labels)
DS_EMPTIED = {("gold", fmt) for fmt in ("jsonl", "csv", "parquet")}


def file_name(kind: str, fmt: str, extra: tuple[str, ...]) -> str:
    suffix = {"chosen-rejected": "jsonl", "alpaca-eval": "json"}.get(fmt, fmt)
    tag = "".join(e.strip("-")[:3] for e in extra)
    return f"{kind}-{fmt}{'-' + tag if tag else ''}.{suffix}"


def fill_frozen(store: Store) -> None:
    fill_golden(store)
    pairs = []
    for i, text in enumerate(NASTY):
        pairs.append(Pair(task="c", pair_id=f"n{i:02d}{text[:1]}", prompt=text, response_a=f"a{i} {text}",
                          response_b=NASTY[(i + 5) % len(NASTY)], model_a=text if i % 4 == 0 else "m1",
                          model_b="m2", domain=text if i % 5 == 0 else "math", source=text if i % 2 else "",
                          content_hash=f"n{i}"))
    store.insert_pairs(pairs)
    ids = [store.get_pair_by_external_id("c", p.pair_id).id for p in pairs]
    people = ["gus", "hal", "bob", text_person := "ivy\x1b[2J"]
    labels = []
    for n, pid in enumerate(ids):
        votes = [("A", "B"), ("A", "A", "B"), ("tie",), ("A", "B", "tie"), ("B", "B"), ("tie", "tie", "A")][n % 6]
        for who, choice in zip(people, votes):
            factors = {"length": ("A", "B", "equal", "na")[n % 4]}
            if n % 7 == 0:
                factors["gone"] = "B"  # an answer for a factor no longer on the checklist
            labels.append(Label(pair=pid, annotator=who, choice=choice, shown_order=("AB", "BA")[n % 2],
                                factors=factors, confidence=(None, 2)[n % 2], rationale=NASTY[(n + 2) % len(NASTY)],
                                seconds=(None, 0.5, 1e20, 7.0)[n % 4]))
    store.add_labels(labels)
    store.add_labels([Label(pair=ids[3], annotator=text_person, choice="B", shown_order="BA", rationale="\x00")])
    store.add_adjudication(Adjudication(pair=ids[0], adjudicator="\x1b[1mboss", choice="tie", reason="ambiguous_pair",
                                        note="\x00\r\n-x", created_at="2026-01-03T00:00:00Z"))
    with store.atomic():
        store.db.execute("UPDATE labels SET created_at = printf('2026-01-01T00:%02d:%02dZ', id / 60 % 60, id % 60)")


def _database(path: Path) -> Path:
    store = Store.open(path)
    fill_frozen(store)
    store.close()
    return path


def _export(db: Path, out: Path, kind: str, fmt: str, extra: tuple[str, ...]) -> Path:
    target = out / file_name(kind, fmt, extra)
    result = CliRunner().invoke(main, ["--db", str(db), "export", kind, "--format", fmt, *extra,
                                       "--out", str(target), "--force"])
    assert result.exit_code == 0, result.output
    return target


def write_frozen(folder: Path = FROZEN) -> None:
    """Regenerate the frozen files (only when an output change is intended and listed)."""
    import tempfile

    folder.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = _database(Path(tmp) / "f.db")
        for kind, fmt, extra in EXPORTS:
            _export(db, folder, kind, fmt, extra)
    for meta in folder.glob("*.meta.json"):
        meta.unlink()


@pytest.fixture(scope="module")
def frozen_db(tmp_path_factory):
    return _database(tmp_path_factory.mktemp("frozen") / "f.db")


def _without_dawid_skene(kind: str, fmt: str, extra: tuple[str, ...], data: bytes) -> bytes:
    """The frozen file as issue 22 writes it: under majority labels Dawid-Skene is not fitted,
    so its columns are empty (null in JSON, an empty cell in CSV)."""
    if (kind, fmt) not in DS_EMPTIED or "dawid-skene" in extra:
        return data
    if fmt == "jsonl":
        lines = []
        for line in data.split(b"\n")[:-1]:
            row = json.loads(line)
            # the Dawid-Skene values are a label or a number: no comma inside
            line = re.sub(rb'"(ds_label|ds_p_[A-Za-z_]+)":[^,]*,', rb'"\1":null,', line)
            assert json.loads(line) == {k: (None if k == "ds_label" or k.startswith("ds_p_") else v)
                                        for k, v in row.items()}
            lines.append(line)
        return b"".join(line + b"\n" for line in lines)
    if fmt == "csv":
        text = data.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        ds = [i for i, name in enumerate(rows[0]) if name == "ds_label" or name.startswith("ds_p_")]
        # ds cells are labels and floats: never quoted, so each line's fields split at the commas outside quotes
        out, i = [], 0
        for raw in _csv_records(text):
            fields = _split_fields(raw)
            if i:
                for j in ds:
                    fields[j] = ""
            out.append(",".join(fields) + "\n")
            i += 1
        return "".join(out).encode("utf-8")
    return data


def _csv_records(text: str) -> list[str]:
    """The CSV's records as written (quoted line breaks kept), without their final LF."""
    records, start, quoted = [], 0, False
    for i, c in enumerate(text):
        if c == '"':
            quoted = not quoted
        elif c == "\n" and not quoted:
            records.append(text[start:i])
            start = i + 1
    return records


def _split_fields(record: str) -> list[str]:
    fields, start, quoted = [], 0, False
    for i, c in enumerate(record):
        if c == '"':
            quoted = not quoted
        elif c == "," and not quoted:
            fields.append(record[start:i])
            start = i + 1
    fields.append(record[start:])
    return fields


@pytest.mark.parametrize(("kind", "fmt", "extra"), EXPORTS, ids=[file_name(*e) for e in EXPORTS])
def test_export_is_byte_for_byte_the_frozen_file(frozen_db, tmp_path, kind, fmt, extra):
    new = _export(frozen_db, tmp_path, kind, fmt, extra)
    old = FROZEN / new.name
    if fmt == "parquet":
        import pyarrow.parquet as pq

        before, after = pq.read_table(old), pq.read_table(new)
        assert after.schema.equals(before.schema)
        expected = before.to_pylist()
        if (kind, fmt) in DS_EMPTIED and "dawid-skene" not in extra:
            expected = [{k: (None if k == "ds_label" or k.startswith("ds_p_") else v) for k, v in row.items()}
                        for row in expected]
        assert after.to_pylist() == expected
        assert [after.column(i).type for i in range(after.num_columns)] == \
               [before.column(i).type for i in range(before.num_columns)]
        return
    assert new.read_bytes() == _without_dawid_skene(kind, fmt, extra, old.read_bytes())


if __name__ == "__main__":  # python -m tests.export.test_frozen: rewrite the frozen files
    write_frozen(Path(sys.argv[1]) if len(sys.argv) > 1 else FROZEN)
