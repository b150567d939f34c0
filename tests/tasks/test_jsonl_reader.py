"""The JSONL reader parses with orjson where orjson reads a line exactly as Python's json does,
and with json.loads everywhere else: every row it yields is the one json.loads gives."""

from __future__ import annotations

import json
import math

from annotator.tasks.readers import ReadLimits, read_jsonl, reading_limits

LINES = [
    b'{"id": "first", "a": "x"}',  # line 1 takes the slow path (a byte order mark is allowed there)
    b'{"id": "plain", "a": "text", "n": 3, "f": 1.5, "t": true, "z": null}',
    b'{"id": "big", "meta": {"n": 123456789012345678901234567890}}',  # past 64 bits: orjson gives a float
    b'{"id": "big-negative", "meta": [1, [-9223372036854775809]]}',
    b'{"id": "u64", "n": 18446744073709551615, "m": -9223372036854775808}',
    b'{"id": "huge-float", "f": 1e19, "g": -1.5e300}',
    b'{"id": "nan", "f": NaN, "g": Infinity}',  # json reads these; orjson does not
    b'{"id": "overflow", "f": 1e400}',
    b'{"id": "lone", "a": "\\ud800 and \\udfff"}',
    b'{"id": "raw-surrogate", "a": "\xed\xa0\x80"}',  # json.loads(bytes) passes surrogates through
    b'{"id": "pair", "a": "\\ud83d\\ude00 \\udb40\\udc41"}',
    b'{"id": "nul", "a": "\\u0000", "\\u0000": 1}',
    b'{"id": "dup", "a": 1, "b": 2, "a": 3, "m": {"x": 1, "x": [2]}}',
    b'{"id": "tiny", "f": 5e-324, "g": 2.4e-324, "h": -0.0, "i": -0}',
    b'{"id": "deep", "d": ' + b"[" * 1100 + b"]" * 1100 + b"}",
    b'{"id": "wide", "a": "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"}',
    b'{"id": "floats", "f": [0.1, 1.0000000000000002, 9007199254740993, 1.7976931348623157e308]}',
]


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_every_row_is_the_one_json_loads_gives(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b"\n".join(LINES) + b"\n")
    with reading_limits(ReadLimits()):
        got = list(read_jsonl(path))
    assert len(got) == len(LINES)
    for (location, row), line in zip(got, LINES):
        try:
            expected = json.loads(line)
        except RecursionError:
            assert not isinstance(row, dict), location  # a bad row either way
            continue
        assert _same(row, expected), (location, row)


def test_an_integer_past_64_bits_stays_an_integer(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b'{"id": "x"}\n{"id": "y", "m": {"n": [123456789012345678901234567890]}}\n')
    with reading_limits(ReadLimits()):
        rows = [row for _, row in read_jsonl(path)]
    assert rows[1]["m"]["n"][0] == 123456789012345678901234567890
    assert type(rows[1]["m"]["n"][0]) is int


def test_a_json_document_reads_surrogate_escapes_as_json_does(cli, tmp_path):
    """ijson's C parser turned ``\\ud800`` into ``?`` and ``\\ud800\\u00e9`` into one wrong
    character (and crashed on a lone ``\\udfff``)."""
    from annotator.store import Store
    from tests.tasks.taskdirs import write_task

    toml = ('[task]\nname = "t"\n\n[data]\npath = "pairs.json"\nid = "id"\nprompt = "prompt"\n'
            'response_a = "a"\nresponse_b = "b"\n')
    texts = ["x\\ud800y", "\\ud800\\u00e9", "a\\ud800\\u0000b", "\\udfff ", "\\ud83d\\ude00", "\\uDBFF\\uD800"]
    items = ", ".join(f'{{"id": "{i}", "prompt": "p", "a": "{t}", "b": "y"}}' for i, t in enumerate(texts))
    result = cli("tasks", "add", write_task(tmp_path / "t", toml, {"pairs.json": f"[{items}]"}), "--json")
    assert result.exit_code == 0, result.output
    store = Store.open(cli.db)
    stored = {p.pair_id: p.response_a for p in store.pairs("t")}
    store.close()
    assert stored == {"0": "x\ufffdy", "1": "\ufffd\u00e9", "2": "a\ufffdb", "3": "\ufffd ", "4": "\U0001F600",
                      "5": "\ufffd\ufffd"}
