"""Bad input: a clear message (file, row or line, expected, found), a non-zero exit, and a
database left exactly as it was. ``--skip-bad`` lands the good rows and reports the bad."""

from __future__ import annotations

import json

import pytest

from tests.tasks.taskdirs import counts, jsonl_task, refused, rows, write_task

PAIRS_TOML = '[task]\nname = "{name}"\n\n[data]\npath = "{path}"\nid = "id"\nprompt = "prompt"\nresponse_a = "a"\nresponse_b = "b"\n'


@pytest.fixture
def seeded(cli, tmp_path):
    """A database already holding a good task, so 'untouched' is checked on real rows."""
    result = cli("tasks", "add", jsonl_task(tmp_path / "good", rows(3), name="good"))
    assert result.exit_code == 0, result.stderr
    return cli


def test_malformed_json_line(seeded, tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(2))
    with open(folder / "pairs.jsonl", "a") as fh:
        fh.write('{"id": "p9", "prompt": "q", "a": \n')
    refused(seeded, folder, "pairs.jsonl line 3", "expected a JSON object", "found malformed JSON")


def test_malformed_json_document(seeded, tmp_path):
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="pairs.json"),
                        {"pairs.json": '[\n  {"id": "p1", "prompt": "q", "a": "x", "b": "y"},\n  {"id": "p2",,}\n]'})
    refused(seeded, folder, "pairs.json item 2", "expected valid JSON", "found malformed JSON")


def test_malformed_csv_row(seeded, tmp_path):
    csv_text = 'id,prompt,a,b\np1,q1,x,y\np2,"q2, with a comma",x,y,surplus\n'
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="pairs.csv"), {"pairs.csv": csv_text})
    refused(seeded, folder, "pairs.csv line 3", "expected 4 columns (as in the header)", "found 5 columns")


def test_missing_required_field(seeded, tmp_path):
    data = rows(3)
    del data[1]["b"]
    refused(seeded, jsonl_task(tmp_path / "t", data), "pairs.jsonl line 2", "expected a field 'b' (for response_b)",
            "found no such field")


@pytest.mark.parametrize("value, found", [
    (42, "found a number 42"),
    (True, "found a boolean True"),
    (None, "found null"),
    (["one", "two"], "found a list ['one', 'two']"),
])
def test_non_text_response(seeded, tmp_path, value, found):
    data = rows(3)
    data[2]["a"] = value
    refused(seeded, jsonl_task(tmp_path / "t", data), "pairs.jsonl line 3", "expected text in 'a' (for response_a)", found)


def test_duplicate_ids(seeded, tmp_path):
    data = rows(3) + [{"id": "p1", "prompt": "other", "a": "x", "b": "y"}]
    refused(seeded, jsonl_task(tmp_path / "t", data), "pairs.jsonl line 4", "expected a unique id",
            "found id 'p1' again (first at pairs.jsonl line 2)")


def test_judge_file_id_matching_no_pair(seeded, tmp_path):
    extra = ('\n[[judge_labels]]\nname = "gpt-x"\npath = "verdicts.jsonl"\nid = "id"\nverdict = "v"\n'
             'map = { "1" = "A", "2" = "B" }\n')
    folder = jsonl_task(tmp_path / "t", rows(2), extra=extra)
    (folder / "verdicts.jsonl").write_text('{"id": "p0", "v": 1}\n{"id": "p7", "v": 2}\n')
    refused(seeded, folder, "verdicts.jsonl line 2", "expected an id of an imported pair",
            "found id 'p7', which matches no pair")


def test_non_utf8_bytes(seeded, tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(1))
    with open(folder / "pairs.jsonl", "ab") as fh:
        fh.write(b'{"id": "p5", "prompt": "caf\xe9", "a": "x", "b": "y"}\n')
    refused(seeded, folder, "pairs.jsonl line 2", "expected UTF-8 text", "found byte 0xe9")


def test_non_utf8_csv(seeded, tmp_path):
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="pairs.csv"),
                        {"pairs.csv": b"id,prompt,a,b\np1,q,x,y\np2,caf\xe9,x,y\n"})
    refused(seeded, folder, "pairs.csv line 3", "expected UTF-8 text", "found byte 0xe9")


def test_oversized_response_refused_then_accepted_when_raised(seeded, tmp_path):
    data = rows(2)
    data[1]["b"] = "x" * 5_000_000
    folder = jsonl_task(tmp_path / "t", data)
    refused(seeded, folder, "pairs.jsonl line 2", "expected response_b of at most 1,000,000 characters",
            "raise [data] max_response_chars", "found 5,000,000 characters")
    raised = jsonl_task(tmp_path / "t", data, extra="max_response_chars = 6_000_000\n")
    result = seeded("tasks", "add", raised)
    assert result.exit_code == 0, result.stderr
    assert counts(seeded.db)["pairs"] == 3 + 2


def test_unknown_format(seeded, tmp_path):
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="pairs.jsonl") + 'format = "xml"\n',
                        {"pairs.jsonl": rows(1)})
    refused(seeded, folder, "task.toml [data] format", "expected one of 'jsonl', 'json', 'csv'", "found 'xml'")


def test_unknown_file_extension_without_format(seeded, tmp_path):
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="pairs.xml"), {"pairs.xml": "<x/>"})
    refused(seeded, folder, "task.toml [data] format", "found 'pairs.xml'")


def test_unknown_factor_key(seeded, tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(1))
    toml = (folder / "task.toml").read_text().replace('name = "t"', 'name = "t"\nfactors = ["length", "lenght"]')
    (folder / "task.toml").write_text(toml)
    refused(seeded, folder, "task.toml [task] factors", "expected a PROFILE factor key", "found 'lenght'")


def test_unknown_data_key(seeded, tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(1), extra='reponse_b = "b"\n')
    refused(seeded, folder, "task.toml [data] reponse_b", "expected a known [data] key", "found 'reponse_b'")


def test_label_value_outside_map(seeded, tmp_path):
    data = rows(3)
    for r, v in zip(data, ["1", "2", "3"]):
        r["human"] = v
    extra = '\n[labels]\nannotators = ["human"]\nmap = { "1" = "A", "2" = "B" }\n'
    refused(seeded, jsonl_task(tmp_path / "t", data, extra=extra), "pairs.jsonl line 3",
            "expected a label in 'human' from the map (1, 2)", "found '3'")


def test_judge_value_outside_map_is_unscored_with_the_value_as_reason(cli, tmp_path):
    data = rows(2)
    data[0]["v"], data[1]["v"] = "1", "Both are bad"
    extra = '\n[[judge_labels]]\nname = "gpt-x"\nverdict = "v"\nmap = { "1" = "A", "2" = "B" }\n'
    assert cli("tasks", "add", jsonl_task(tmp_path / "t", data, extra=extra)).exit_code == 0
    from annotator.store import Store

    store = Store.open(cli.db)
    judged = store.judgments(store.get_run("t", "gpt-x").id)
    assert [(j.verdict, j.unscored_reason) for j in judged] == [("A", ""), (None, "Both are bad")]


def test_task_name_clash(seeded, tmp_path):
    refused(seeded, jsonl_task(tmp_path / "elsewhere", rows(2), name="good"), "task.toml [task] name",
            "belongs to the task from", "found 'good'")


def test_skip_bad_imports_good_rows_and_reports_bad(cli, tmp_path):
    data = rows(4)
    data[1]["a"] = 7
    del data[2]["prompt"]
    folder = jsonl_task(tmp_path / "t", data)
    with open(folder / "pairs.jsonl", "a") as fh:
        fh.write("not json\n")
    result = cli("tasks", "add", folder, "--skip-bad")
    assert result.exit_code == 0, result.stderr
    assert "3 bad row(s) skipped" in result.stderr
    assert "pairs.jsonl line 2 (id 'p1'): expected text in 'a' (for response_a), found a number 7" in result.stderr
    assert "pairs.jsonl line 3 (id 'p2'): expected a field 'prompt' (for prompt), found no such field" in result.stderr
    assert "pairs.jsonl line 5: expected a JSON object, found malformed JSON" in result.stderr
    assert counts(cli.db)["pairs"] == 2
    report = json.loads(cli("tasks", "add", folder, "--skip-bad", "--json").stdout)
    assert report["skipped"] == 3 and report["pairs_unchanged"] == 2 and len(report["problems"]) == 3


def test_empty_responses_are_imported_and_counted(cli, tmp_path):
    data = rows(3)
    data[0]["a"] = ""
    data[2]["b"] = ""
    result = cli("tasks", "add", jsonl_task(tmp_path / "t", data), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pairs_new"] == 3 and report["empty_responses"] == 2
    human = cli("tasks", "add", jsonl_task(tmp_path / "t", data))
    assert "2 empty response(s)" in human.stdout


def test_reimport_is_idempotent(cli, tmp_path):
    data = rows(3)
    for r in data:
        r["human"] = "1"
    extra = '\n[labels]\nannotators = ["human"]\nmap = { "1" = "A", "2" = "B" }\n'
    folder = jsonl_task(tmp_path / "t", data, extra=extra)
    assert cli("tasks", "add", folder).exit_code == 0
    before = counts(cli.db)
    result = cli("tasks", "add", folder, "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["pairs_new"], report["pairs_unchanged"], report["labels_added"]) == (0, 3, 0)
    assert counts(cli.db) == before


def test_changed_content_refused_unless_update(cli, tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(3))
    assert cli("tasks", "add", folder).exit_code == 0
    data = rows(3)
    data[1]["b"] = "a corrected answer"
    jsonl_task(tmp_path / "t", data)
    refused(cli, folder, "pairs.jsonl line 2", "expected the same content as the imported pair 'p1' (pass --update",
            "found changed content")
    result = cli("tasks", "add", folder, "--update", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pairs_updated"] == 1
    from annotator.store import Store

    assert Store.open(cli.db).get_pair_by_external_id("t", "p1").response_b == "a corrected answer"


def test_changed_task_settings_refused_unless_update(cli, tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(2))
    assert cli("tasks", "add", folder).exit_code == 0
    toml = (folder / "task.toml").read_text().replace('name = "t"', 'name = "t"\noverlap = 3')
    (folder / "task.toml").write_text(toml)
    refused(cli, folder, "task.toml", "pass --update", "found changed settings")
    assert cli("tasks", "add", folder, "--update").exit_code == 0


def test_missing_pairs_file(seeded, tmp_path):
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="nowhere.jsonl"))
    refused(seeded, folder, "nowhere.jsonl", "expected an existing file", "found no such file")


def test_malformed_toml(seeded, tmp_path):
    folder = write_task(tmp_path / "t", '[task\nname = "t"\n')
    refused(seeded, folder, "task.toml", "expected valid TOML")


def test_bad_format_option_value(seeded, tmp_path):
    folder = write_task(tmp_path / "t", '[task]\nname = "t"\n[data]\npath = "p.jsonl"\nformat = "chosen_rejected"\n'
                                        'chosen_side = "left"\n', {"p.jsonl": [{"prompt": "q", "chosen": "a", "rejected": "b"}]})
    refused(seeded, folder, "task.toml [data] chosen_side", "expected \"A\", \"B\" or \"random\"", "found 'left'")


def test_non_utf8_csv_header(seeded, tmp_path):
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="pairs.csv"),
                        {"pairs.csv": b"id,pr\xf6mpt,a,b\np1,q,x,y\n"})
    refused(seeded, folder, "pairs.csv line 1", "expected a CSV header row in UTF-8 text", "found byte 0xf6")


def test_an_empty_pairs_file_is_refused(seeded, tmp_path):
    """An empty file is almost always a wrong path or an unfinished export: no empty task is created."""
    folder = write_task(tmp_path / "e", '[task]\nname = "empty"\n[data]\npath = "pairs.jsonl"\n'
                                        'prompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n', {"pairs.jsonl": ""})
    refused(seeded, folder, "pairs.jsonl: expected at least one pair, found none")
    for empty in ("[]", "id,p,a,b\n"):
        name = "pairs.json" if empty == "[]" else "pairs.csv"
        toml = ('[task]\nname = "empty"\n[data]\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
                f'path = "{name}"\n')
        write_task(folder, toml, {name: empty})
        refused(seeded, folder, f"{name}: expected at least one pair, found none")


def test_a_refused_task_file_names_its_folder(seeded, tmp_path):
    folder = write_task(tmp_path / "nodata", '[task]\nname = "x"\n')
    result = refused(seeded, folder, "task.toml: expected a [data] table")
    assert f"nothing was imported from {folder}" in result.stderr


def test_a_pairs_file_given_instead_of_the_folder(seeded, tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(2))
    refused(seeded, folder / "pairs.jsonl", "expected a task folder (or its task.toml), found the file pairs.jsonl")


@pytest.mark.parametrize("content,found", [
    (b"this is not gzip", "found data that is not gzip"),
    ("truncated", "found a file that ends early (truncated)"),
])
def test_a_damaged_gzip_file_is_named(seeded, tmp_path, content, found):
    import gzip

    if content == "truncated":
        content = gzip.compress(("".join(json.dumps(r) + "\n" for r in rows(50))).encode())[:60]
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="pairs.jsonl.gz"), {"pairs.jsonl.gz": content})
    refused(seeded, folder, "pairs.jsonl.gz: expected gzip-compressed data", found)


def test_a_csv_header_naming_a_column_twice(seeded, tmp_path):
    folder = write_task(tmp_path / "t", PAIRS_TOML.format(name="t", path="pairs.csv"),
                        {"pairs.csv": "id,prompt,a,b,a\n1,q,x,y,z\n"})
    refused(seeded, folder, "pairs.csv line 1: expected unique column names, found 'a' twice")
