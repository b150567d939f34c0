"""task.toml: field rules, defaults of named formats, labels and judge verdicts, checks."""

from __future__ import annotations

import json

import pytest

from annotator.tasks import TaskFileError, import_task_dir, load_task_file
from tests.tasks.taskdirs import jsonl_task, rows, write_task


def test_field_rules_dotted_joined_fixed_and_split(store, tmp_path):
    data = [{"meta": {"id": 5}, "q": {"instruction": "Sort the list.", "input": "[3, 1, 2]"},
             "responses": ["[1, 2, 3]", "[3, 2, 1]"], "models": "gpt-4 vs claude"},
            {"meta": {"id": 6}, "q": {"instruction": "Say hi.", "input": ""},
             "responses": ["hi", "hello"], "models": "gpt-4 vs claude"}]
    toml = ('[task]\nname = "f"\n[data]\npath = "pairs.jsonl"\nid = "meta.id"\nprompt = ["q.instruction", "q.input"]\n'
            'response_a = "responses.0"\nresponse_b = "responses.-1"\n'
            'model_a = { field = "models", split = " vs ", index = 0 }\n'
            'model_b = { field = "models", split = " vs ", index = 1 }\n'
            'domain = { value = "code" }\nmetadata = ["meta"]\n')
    import_task_dir(store, write_task(tmp_path / "f", toml, {"pairs.jsonl": data}))
    first, second = store.pairs("f")
    assert (first.pair_id, first.prompt, first.response_a, first.response_b) == ("5", "Sort the list.\n\n[3, 1, 2]", "[1, 2, 3]", "[3, 2, 1]")
    assert (first.model_a, first.model_b, first.domain, first.metadata) == ("gpt-4", "claude", "code", {"meta": {"id": 5}})
    assert second.prompt == "Say hi."  # the empty part is dropped


def test_a_pattern_splits_names_that_contain_the_separator(store, tmp_path):
    """PandaLM's cmp_key joins two model names with "_": split on "_" takes the wrong part of a
    name that holds one; a pattern splitting at the last "_" (greedy first group) does not."""
    data = [{"p": "q", "a": "x", "b": "y", "cmp_key": "llama_7b_bloom-7b"}]
    toml = ('[task]\nname = "f"\n[data]\npath = "pairs.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
            'model_a = { field = "cmp_key", pattern = "^(.*)_(?P<second>.*)$", group = 1 }\n'
            'model_b = { field = "cmp_key", pattern = "^(.*)_(?P<second>.*)$", group = "second" }\n')
    import_task_dir(store, write_task(tmp_path / "f", toml, {"pairs.jsonl": data}))
    (pair,) = store.pairs("f")
    assert (pair.model_a, pair.model_b) == ("llama_7b", "bloom-7b")


def test_a_row_the_pattern_does_not_match_is_a_bad_row(store, tmp_path):
    data = [{"p": "q", "a": "x", "b": "y", "cmp_key": "no-separator"}]
    toml = ('[task]\nname = "f"\n[data]\npath = "pairs.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
            'model_a = { field = "cmp_key", pattern = "(.*)_(.*)" }\n')
    with pytest.raises(Exception) as e:
        import_task_dir(store, write_task(tmp_path / "f", toml, {"pairs.jsonl": data}))
    assert "model_a" in str(e.value) and "'no-separator'" in str(e.value)


def test_derived_id_is_stable(store, tmp_path):
    data = [{"prompt": "p", "a": "x", "b": "y"}]
    toml = '[task]\nname = "d"\n[data]\npath = "pairs.jsonl"\nprompt = "prompt"\nresponse_a = "a"\nresponse_b = "b"\n'
    folder = write_task(tmp_path / "d", toml, {"pairs.jsonl": data})
    import_task_dir(store, folder)
    pair_id = next(store.pairs("d")).pair_id
    assert pair_id.startswith("h") and len(pair_id) == 17
    assert import_task_dir(store, folder).pairs_unchanged == 1


def test_absolute_and_relative_paths(tmp_path):
    """Paths outside the task folder are read only when the user allows it (--allow-outside)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "p.jsonl").write_text("")
    base = '[task]\nname = "x"\n[data]\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
    t1 = write_task(tmp_path / "t1", base + 'path = "../data/p.jsonl"\n')
    t2 = write_task(tmp_path / "t2", base + f'path = "{tmp_path}/data/p.jsonl"\n')
    rel = load_task_file(t1, allow_outside=True)
    absolute = load_task_file(t2, allow_outside=True)
    assert rel.data.path == absolute.data.path == (tmp_path / "data" / "p.jsonl").resolve()
    assert rel.data.format == "jsonl"
    for folder in (t1, t2):
        with pytest.raises(TaskFileError, match="a path inside the task folder"):
            load_task_file(folder)
    inside = load_task_file(write_task(tmp_path / "t3", base + 'path = "sub/../p.jsonl"\n'))
    assert inside.data.path == (tmp_path / "t3" / "p.jsonl").resolve()


def test_named_format_defaults_are_overridden_key_by_key(tmp_path):
    toml = ('[task]\nname = "l"\n[data]\npath = "d.json"\nformat = "llmbar"\ndomain = { value = "instruction" }\n'
            '[labels]\nannotators = { gold = "label" }\n')
    spec = load_task_file(write_task(tmp_path / "l", toml))
    assert spec.data.fields["prompt"].fields == ["input"]  # from the format
    assert spec.data.fields["domain"].value == "instruction"  # from the task file
    assert spec.labels.annotators == {"gold": "label"} and spec.labels.map == {"1": "A", "2": "B"}


def test_custom_factors(tmp_path):
    toml = ('[task]\nname = "c"\nfactors = ["length", "tone"]\nrequired = ["factors"]\nshow_model_names = true\n'
            '[[task.custom_factor]]\nkey = "tone"\nname = "Tone"\ndefinition = "How polite the response is."\n'
            'question = "Which response is more polite?"\n'
            '[data]\npath = "p.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n')
    spec = load_task_file(write_task(tmp_path / "c", toml))
    assert [f.key for f in spec.task.factors] == ["length", "tone"]
    assert spec.task.factors[1].custom and spec.task.factors[1].question == "Which response is more polite?"
    assert spec.task.settings.as_dict() == {}  # an unknown [task] key is refused (test_hostile_input.py)


@pytest.mark.parametrize("toml, where, found", [
    ('[task]\nname = "x"\n[dta]\npath = "p"\n', "task.toml [dta]", "'dta'"),
    ('[task]\nname = "x"\n[data]\npath = "p.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
     '[labels]\nannotators = ["h"]\nmap = { "1" = "A" }\nmapping = 1\n', "task.toml [labels] mapping", "'mapping'"),
    ('[task]\nname = "x"\n[data]\npath = "p.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
     '[labels]\nannotators = ["h"]\nmap = { "1" = "better" }\n', "task.toml [labels] map.1", "'better'"),
    ('[task]\nname = "x"\n[data]\npath = "p.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
     '[[judge_labels]]\nname = "j"\nverdict = "v"\nmap = { "1" = "A" }\norder = "BBA"\n',
     "task.toml [[judge_labels]] #1 order", "'BBA'"),
    ('[task]\nname = "x"\n[data]\npath = "p.jsonl"\nprompt = "p"\nresponse_a = "a"\n', "task.toml [data]", "none"),
    ('[task]\nname = "x"\n[data]\npath = "p.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n'
     'max_response_chars = "big"\n', "task.toml [data] max_response_chars", "text 'big'"),
    ('[task]\nname = "x"\noverlap = 0\n[data]\npath = "p.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n',
     "task.toml [task] overlap", "a number 0"),
    ('[task]\nname = "x"\n[data]\npath = "d"\nformat = "faireval"\nmodel = "gpt35"\n', "task.toml [data] model",
     "'model'"),
])
def test_task_file_mistakes_are_named(tmp_path, toml, where, found):
    with pytest.raises(TaskFileError) as e:
        load_task_file(write_task(tmp_path / "x", toml))
    assert e.value.problem.location == where
    assert e.value.problem.found == found


def test_judge_file_in_both_orders_is_unswapped(store, tmp_path):
    extra = ('\n[[judge_labels]]\nname = "gpt-x"\nmodel = "gpt-x-2024"\npath = "verdicts.csv"\nid = "pair"\n'
             'verdict = "first"\nverdict_ba = "second"\np_a = "prob"\nmap = { "1" = "A", "2" = "B", "0" = "tie" }\n')
    folder = jsonl_task(tmp_path / "t", rows(3), extra=extra)
    # second: the verdict with the pair shown swapped, in the swapped frame ("1" = the first shown = B)
    (folder / "verdicts.csv").write_text("pair,first,second,prob\np0,1,2,0.9\np1,2,2,0.2\np2,0,oops,\n")
    report = import_task_dir(store, folder)
    assert report.judgments_added == {"gpt-x": 6} and report.unscored_judgments == {"gpt-x": 1}
    run = store.get_run("t", "gpt-x")
    assert run.kind == "imported" and run.model == "gpt-x-2024"
    ids = {p.id: p.pair_id for p in store.pairs("t")}
    got = {(ids[j.pair], j.order): (j.verdict, j.p_a, j.unscored_reason) for j in store.judgments(run.id)}
    assert got == {
        ("p0", "AB"): ("A", 0.9, ""), ("p0", "BA"): ("A", None, ""),
        ("p1", "AB"): ("B", 0.2, ""), ("p1", "BA"): ("A", None, ""),
        ("p2", "AB"): ("tie", None, ""), ("p2", "BA"): (None, None, "oops"),
    }
    assert import_task_dir(store, folder).judgments_added == {"gpt-x": 6}
    assert len(store.judgments(run.id)) == 6  # re-import replaces, never duplicates


def test_labels_long_form_with_filters(store, tmp_path):
    data = [{"id": "p0", "prompt": "q", "a": "x", "b": "y"}] * 3
    votes = [dict(r, who=w, vote=v) for r, w, v in zip(data, ["ann", "bob", "bot-1"], ["A", "B", "A"])]
    extra = 'rows = "votes"\n[labels]\nannotator_from = "who"\nlabel = "vote"\nexclude = ["bot-*"]\nmap = { A = "A", B = "B" }\n'
    report = import_task_dir(store, jsonl_task(tmp_path / "t", votes, extra=extra))
    assert (report.pairs_new, report.votes_merged, report.labels_added) == (1, 2, 2)
    assert store.annotators("t") == ["ann", "bob"]


def test_ties_refused_when_the_task_disallows_them(store, tmp_path):
    data = rows(1)
    data[0]["h"] = "0"
    extra = '[labels]\nannotators = ["h"]\nmap = { "1" = "A", "2" = "B", "0" = "tie" }\n'
    folder = jsonl_task(tmp_path / "t", data, extra=extra)
    (folder / "task.toml").write_text((folder / "task.toml").read_text().replace('name = "t"', 'name = "t"\nallow_tie = false'))
    from annotator.tasks import ImportRefused

    with pytest.raises(ImportRefused, match="other than tie"):
        import_task_dir(store, folder)


def test_integer_ids_are_text(store, tmp_path):
    data = [dict(r, id=i) for i, r in enumerate(rows(2))]
    import_task_dir(store, jsonl_task(tmp_path / "t", data))
    assert [p.pair_id for p in store.pairs("t")] == ["0", "1"]
    assert json.loads(json.dumps([p.pair_id for p in store.pairs("t")])) == ["0", "1"]


@pytest.mark.parametrize("key", ['"1"', "1", '"1.0"', '" 1 "'])
@pytest.mark.parametrize("raw", [1, 1.0, "1", "1.0", " 1 ", "1.00"])
def test_number_like_labels_match_whatever_way_they_are_written(store, tmp_path, key, raw):
    """A CSV written by pandas holds 1.0 where the map says 1; a JSON file holds 1; all the same label."""
    data = rows(1)
    data[0]["h"] = raw
    extra = f'[labels]\nannotators = ["h"]\nmap = {{ {key} = "A", "2" = "B" }}\n'
    import_task_dir(store, jsonl_task(tmp_path / "t", data, extra=extra))
    assert [lab.choice for lab in store.current_labels("t")] == ["A"]


def test_a_bare_decimal_map_key_is_explained(tmp_path):
    """TOML reads `1.0 = "A"` as the dotted key 1 -> 0: say so instead of a puzzling error."""
    folder = jsonl_task(tmp_path / "t", rows(1), extra='[labels]\nannotators = ["h"]\nmap = { 1.0 = "A" }\n')
    with pytest.raises(TaskFileError, match=r'write the key in quotes: "1.0" = "A"'):
        load_task_file(folder)


def test_two_map_keys_for_one_number_are_refused(tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(1), extra='[labels]\nannotators = ["h"]\nmap = { "1" = "A", "1.0" = "B" }\n')
    with pytest.raises(TaskFileError, match="one key per value"):
        load_task_file(folder)


DATA = '[data]\npath = "pairs.jsonl"\nprompt = "prompt"\nresponse_a = "a"\nresponse_b = "b"\n'


@pytest.mark.parametrize("task_keys,where", [
    ("name = 5", "[task] name"),
    ('name = "x"\ntitle = 5', "[task] title"),
    ('name = "x"\noverlap = true', "[task] overlap"),
    ('name = "x"\nallow_tie = "no"', "[task] allow_tie"),
    ('name = "x"\nshow_model_names = "no"', "[task] show_model_names"),
    ('name = "x"\nattention_rate = "x"', "[task] attention_rate"),
    ('name = "x"\nseed = "x"', "[task] seed"),
    ('name = "x"\nseed = 1.5', "[task] seed"),
    ('name = "x"\nrequired = "factors"', "[task] required"),
    ('name = "x"\nguidelines = 5', "[task] guidelines"),
    ('name = "x"\nguidelines = "."', "[task] guidelines"),
    ('name = "x"\ncustom_factor = "x"', "[task] custom_factor"),
    ('name = "x"\ncustom_factor = [{key = 1, name = "n", definition = "d", question = "q"}]', "custom_factor"),
])
def test_task_keys_of_the_wrong_kind_are_named(tmp_path, task_keys, where):
    folder = write_task(tmp_path / "t", f"[task]\n{task_keys}\n{DATA}", {"pairs.jsonl": rows(1)})
    with pytest.raises(TaskFileError) as e:
        load_task_file(folder)
    assert where in str(e.value)


@pytest.mark.parametrize("data_keys,where", [
    ('path = 5\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"', "[data] path"),
    ('path = "pairs.jsonl"\nformat = 5\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"', "[data] format"),
    ('path = "pairs.jsonl"\nprompt = { field = "p", index = "x" }\nresponse_a = "a"\nresponse_b = "b"', "[data] prompt"),
    ('path = "pairs.jsonl"\nprompt = { field = "p", split = 5 }\nresponse_a = "a"\nresponse_b = "b"', "[data] prompt"),
    ('path = "pairs.jsonl"\nprompt = { fields = 5 }\nresponse_a = "a"\nresponse_b = "b"', "[data] prompt"),
    ('path = "pairs.jsonl"\nprompt = { field = "p", pattern = "(" }\nresponse_a = "a"\nresponse_b = "b"', "[data] prompt pattern"),
    ('path = "pairs.jsonl"\nprompt = { field = "p", pattern = "(.)", group = 2 }\nresponse_a = "a"\nresponse_b = "b"',
     "[data] prompt group"),
    ('path = "pairs.jsonl"\nprompt = { field = "p", pattern = "(.)", group = "x" }\nresponse_a = "a"\nresponse_b = "b"',
     "[data] prompt group"),
    ('path = "pairs.jsonl"\nprompt = { field = "p", pattern = "(.)", split = "_" }\nresponse_a = "a"\nresponse_b = "b"',
     "[data] prompt"),
    ('path = "pairs.jsonl"\nprompt = { field = "p", group = 1 }\nresponse_a = "a"\nresponse_b = "b"', "[data] prompt group"),
    ('path = "pairs.jsonl"\nprompt = 5\nresponse_a = "a"\nresponse_b = "b"', "[data] prompt"),
    ('path = "pairs.csv"\ndelimiter = 5\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"', "[data] delimiter"),
    ('path = "pairs.csv"\ndelimiter = ";;"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"', "[data] delimiter"),
])
def test_data_keys_of_the_wrong_kind_are_named(tmp_path, data_keys, where):
    folder = write_task(tmp_path / "t", f'[task]\nname = "x"\n[data]\n{data_keys}\n',
                        {"pairs.jsonl": rows(1), "pairs.csv": "p,a,b\nq,x,y\n"})
    with pytest.raises(TaskFileError) as e:
        load_task_file(folder)
    assert where in str(e.value)


@pytest.mark.parametrize("tables,where", [
    ('[labels]\nannotators = ["h"]\nmap = { 1 = "A" }\nshown_order = 5', "[labels] shown_order"),
    ('[labels]\nannotator_from = 5\nlabel = "h"\nmap = { 1 = "A" }', "[labels] annotator_from"),
    ('[labels]\nannotator_from = "w"\nlabel = 5\nmap = { 1 = "A" }', "[labels] label"),
    ('[[judge_labels]]\nname = "j"\nverdict = "v"\nmap = { 1 = "A" }\np_a = 5', "[[judge_labels]] #1 p_a"),
    ('[[judge_labels]]\nname = "j"\nverdict = "v"\nmap = { 1 = "A" }\norder_from = 5', "[[judge_labels]] #1 order_from"),
    ('[[judge_labels]]\nname = "j"\nverdict = "v"\nmap = { 1 = "A" }\npath = 5', "[[judge_labels]] #1 path"),
    ('[[judge_labels]]\nname = "j"\nverdict = 5\nmap = { 1 = "A" }', "[[judge_labels]] #1 verdict"),
])
def test_label_and_judge_columns_of_the_wrong_kind_are_named(tmp_path, tables, where):
    folder = write_task(tmp_path / "t", f'[task]\nname = "x"\n{DATA}{tables}\n', {"pairs.jsonl": rows(1)})
    with pytest.raises(TaskFileError) as e:
        load_task_file(folder)
    assert where in str(e.value)


@pytest.mark.parametrize("fmt,key", [("autoj", "verdicts"), ("autoj", "verdicts_exchange"), ("faireval", "verdicts"),
                                     ("alpaca_eval_outputs", "baseline")])
def test_a_path_option_that_is_not_a_path(tmp_path, fmt, key):
    folder = write_task(tmp_path / "t", f'[task]\nname = "x"\n[data]\nformat = "{fmt}"\npath = "p"\n{key} = 5\n')
    with pytest.raises(TaskFileError, match=f"\\[data\\] {key}: expected a path"):
        load_task_file(folder)


def test_an_imported_verdict_reading_error_is_not_a_failed_call(store, tmp_path):
    """A failed call is a status; a verdict column holding "error..." is an unscored value."""
    from annotator.judge.summary import summarise

    extra = '\n[[judge_labels]]\nname = "gpt-x"\nverdict = "v"\nmap = { "1" = "A", "2" = "B" }\n'
    data = rows(2)
    data[0]["v"], data[1]["v"] = "error: rate limited", 1
    import_task_dir(store, jsonl_task(tmp_path / "t", data, extra=extra))
    run = store.get_run("t", "gpt-x")
    judgments = store.judgments(run.id)
    assert [(j.verdict, j.unscored_reason, j.failed) for j in judgments] == [
        (None, "error: rate limited", False), ("A", "", False)]
    summary = summarise(run, store.judgment_summaries(run.id))
    assert summary["unscored"] == {"error: rate limited": 1}  # its own text, not counted as "error"
    from annotator.analysis.agents import run_infos

    assert run_infos([run], store.judgments_frame("t"))["gpt-x"].failed == 0
