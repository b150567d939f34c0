"""Importing a ranked task: items of 3 to 5 responses become their k(k-1)/2 pairs."""

from __future__ import annotations

import json

import pytest

from annotator.tasks import import_task_dir
from annotator.tasks.errors import ImportRefused, TaskFileError
from tests.ranking.taskdir import TASK_TOML, item, ranked_task


def test_items_become_their_pairs_linked_to_positions(tmp_path, store):
    report = import_task_dir(store, ranked_task(tmp_path / "t"))
    assert report.pairs_new == 3 + 6 + 10
    assert any("3 new items (1 of 3 responses, 1 of 4 responses, 1 of 5 responses), 19 pairs" in n
               for n in report.notices)
    items = store.ranking_items("ranked")
    assert [(i.item_id, i.k) for i in items] == [("q1", 3), ("q2", 4), ("q3", 5)]
    assert items[0].models == ["m1", "m2", "m3"]
    pairs = store.ranking_pair_ids(items[0].id)
    assert sorted(pairs) == [(1, 2), (1, 3), (2, 3)]
    pair = store.get_pair(pairs[(1, 3)])
    assert (pair.pair_id, pair.response_a, pair.response_b, pair.model_a, pair.model_b) == \
        ("q1#1-3", "Answer 1 to 1.", "Answer 3 to 1.", "m1", "m3")
    assert store.ranking_item_of_pair(pair.id).item_id == "q1"
    assert store.require_task("ranked").settings.ranking == {"responses": "responses", "text": "text",
                                                             "model": "model"}
    again = import_task_dir(store, tmp_path / "t")  # the same items again: nothing new
    assert (again.pairs_new, again.pairs_unchanged) == (0, 19)


def test_two_or_six_responses_are_refused_all_at_once(tmp_path, store):
    folder = ranked_task(tmp_path / "t")
    rows = [item(1, 2), item(2, 3), item(3, 6)]
    (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        import_task_dir(store, folder)
    messages = [str(p) for p in refused.value.problems]
    assert messages == [
        "items.jsonl line 1 (id 'q1'): expected 3 to 5 responses to rank in 'responses', found 2 responses",
        "items.jsonl line 3 (id 'q3'): expected 3 to 5 responses to rank in 'responses', found 6 responses",
    ]
    assert store.get_task("ranked") is None  # all or nothing


def test_one_field_per_response_names_the_models_by_field(tmp_path, store):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "task.toml").write_text(
        '[task]\nname = "wa"\n\n[data]\npath = "rows.csv"\nprompt = "prompt"\n\n'
        '[ranking]\nresponses = ["gpt4", "claude", "llama"]\n', encoding="utf-8")
    (folder / "rows.csv").write_text("prompt,gpt4,claude,llama\nHi?,a,b,c\n", encoding="utf-8")
    import_task_dir(store, folder)
    (found,) = store.ranking_items("wa")
    assert (found.responses, found.models) == (["a", "b", "c"], ["gpt4", "claude", "llama"])


def test_task_toml_problems_of_a_ranked_task_are_reported_together(tmp_path):
    toml = TASK_TOML.replace('model = "model"', 'model = "model"\nmodels = ["a"]\nlenght = 3') + \
        '\n[labels]\nannotators = ["x"]\nmap = { "1" = "A" }\n'
    folder = ranked_task(tmp_path / "t", toml=toml.replace('prompt = "instruction"',
                                                            'prompt = "instruction"\nresponse_a = "x"'))
    with pytest.raises(TaskFileError) as error:
        import_task_dir(None, folder)
    text = str(error.value)
    for part in ("[ranking] lenght: expected a known [ranking] key", "[ranking] models: expected `models` only",
                 "[labels]: expected no [labels] in a ranked task", "[data] response_a: expected no `response_a`"):
        assert part in text, text
    assert len(error.value.problems) == 4


def test_fields_of_several_responses_must_be_three_to_five(tmp_path):
    toml = TASK_TOML.replace('responses = "responses"\nmodel = "model"', 'responses = ["a", "b"]')
    with pytest.raises(TaskFileError) as error:
        import_task_dir(None, ranked_task(tmp_path / "t", toml=toml))
    assert "[ranking] responses: expected 3 to 5 fields (one response each), found 2 fields" in str(error.value)


def test_skip_bad_imports_the_good_items_and_reports_the_others(tmp_path, store):
    folder = ranked_task(tmp_path / "t")
    rows = [item(1, 2), item(2, 3), {"id": "q3", "instruction": "?", "responses": ["a", 5, "c"]}]
    (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = import_task_dir(store, folder, skip_bad=True)
    assert report.pairs_new == 3 and report.total_problems == 2
    assert "text, or a table with text in 'text', in responses[1]" in str(report.problems[1])
    assert [i.item_id for i in store.ranking_items("ranked")] == ["q2"]
