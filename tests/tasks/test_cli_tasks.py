"""``annotator tasks add | list | show`` on a task with labels and a judge run."""

from __future__ import annotations

import json

from tests.tasks.taskdirs import FIXTURES, write_task


def test_add_list_show_json(cli, tmp_path):
    folder = write_task(tmp_path / "mt", f'[task]\nname = "mt"\ntitle = "MT-Bench sample"\n[data]\n'
                                         f'path = "{FIXTURES}/mt_bench/judgments.jsonl"\nformat = "mt_bench"\n')
    added = cli("tasks", "add", folder, "--allow-outside")
    assert added.exit_code == 0, added.stderr
    assert "Created mt: 8 rows read, 3 new pairs" in added.stdout
    assert "5 existing human label(s) imported." in added.stdout
    assert "judge gpt4_pair: 3 verdict(s) imported." in added.stdout
    listed = json.loads(cli("tasks", "list", "--json").stdout)
    assert [(t["name"], t["title"], t["pairs"]) for t in listed] == [("mt", "MT-Bench sample", 3)]
    shown = json.loads(cli("tasks", "show", "mt", "--json").stdout)
    assert {k: shown[k] for k in ("name", "pairs", "labels", "annotators", "judge_runs", "judgments")} == {
        "name": "mt", "pairs": 3, "labels": 5, "annotators": 3, "judge_runs": 1, "judgments": 3}
    assert shown["labels_per_annotator"] == {"author_0": 2, "author_1": 1, "expert_3": 2}
    text = cli("tasks", "show", "mt")
    assert text.exit_code == 0 and "gpt4_pair" in text.stdout


def test_show_unknown_task(cli):
    cli("init")
    result = cli("tasks", "show", "nope")
    assert result.exit_code != 0 and "no task named 'nope'" in result.stderr


def test_source_factors_without_sources_are_pointed_out(cli, tmp_path):
    folder = write_task(
        tmp_path / "ns",
        '[task]\nname = "ns"\nfactors = ["hallucination", "length"]\n[data]\npath = "p.jsonl"\n'
        'prompt = "prompt"\nresponse_a = "a"\nresponse_b = "b"\n',
        {"p.jsonl": '{"prompt": "p", "a": "x", "b": "y"}\n{"prompt": "q", "a": "x", "b": "z"}\n'},
    )
    added = cli("tasks", "add", folder, "--allow-outside")
    assert added.exit_code == 0, added.stderr
    assert "Hallucination compares a response with the source document, but 2 of 2 pairs have none" in added.stderr
    as_json = json.loads(cli("tasks", "add", folder, "--json").stdout)
    assert len(as_json["notices"]) == 1


def test_show_lists_flags_and_skips(cli, tmp_path):
    from annotator.store import Store

    folder = write_task(tmp_path / "fl", '[task]\nname = "fl"\n[data]\npath = "p.jsonl"\n'
                                         'prompt = "prompt"\nresponse_a = "a"\nresponse_b = "b"\nid = "id"\n',
                        {"p.jsonl": '{"id": "q1", "prompt": "p", "a": "x", "b": "y"}\n'
                                    '{"id": "q2", "prompt": "q", "a": "x", "b": "z"}\n'})
    assert cli("tasks", "add", folder).exit_code == 0
    store = Store.open(cli.db)
    q2 = store.get_pair_by_external_id("fl", "q2")
    store.flag_pair("fl", "ann", q2.id, "[bold]both\x1b[31m the same")
    store.skip_pair("fl", "bob", q2.id)
    store.close()
    shown = json.loads(cli("tasks", "show", "fl", "--json").stdout)
    assert [(f["pair_id"], f["annotator"], f["reason"]) for f in shown["flags"]] == [
        ("q2", "ann", "[bold]both\x1b[31m the same")]
    assert shown["pairs_skipped_per_annotator"] == {"bob": 1}
    text = cli("tasks", "show", "fl").stdout
    assert "1 flagged pair(s)" in text and "q2" in text and "bob 1" in text
    assert "[bold]both␛[31m the same" in text and "\x1b" not in text  # data, never markup or control
