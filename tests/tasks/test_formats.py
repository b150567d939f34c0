"""Named formats on small files written for these tests (the real sets: test_realdata.py)."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from annotator.store import Store
from annotator.tasks import import_task_dir
from tests.tasks.taskdirs import FIXTURES, write_task


def labels_of(store: Store, task: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(pair id, annotator) -> (choice, shown order) of the current labels."""
    ids = {p.id: p.pair_id for p in store.pairs(task)}
    return {(ids[lab.pair], lab.annotator): (lab.choice, lab.shown_order) for lab in store.current_labels(task)}


def verdicts_of(store: Store, task: str, run: str) -> dict[tuple[str, str], str | None]:
    ids = {p.id: p.pair_id for p in store.pairs(task)}
    return {(ids[j.pair], j.order): j.verdict for j in store.judgments(store.get_run(task, run).id)}


def test_mt_bench_votes(store, tmp_path):
    folder = write_task(tmp_path / "mt", f'[task]\nname = "mt"\n[data]\npath = "{FIXTURES}/mt_bench/judgments.jsonl"\n'
                                         'format = "mt_bench"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.rows, report.pairs_new, report.votes_merged) == (8, 3, 5)
    pairs = {p.pair_id: p for p in store.pairs("mt")}
    assert sorted(pairs) == ["101/t1/gpt-4/vicuna-13b", "101/t2/gpt-4/vicuna-13b", "102/t1/alpaca-13b/gpt-4"]
    t1 = pairs["101/t1/gpt-4/vicuna-13b"]
    assert (t1.model_a, t1.model_b) == ("gpt-4", "vicuna-13b")
    assert t1.prompt == "What is the sum of the interior angles of a hexagon?"
    assert t1.response_a.startswith("A hexagon has 6 sides")  # gpt-4's answer, though row 1 listed vicuna first
    t2 = pairs["101/t2/gpt-4/vicuna-13b"]
    assert "**Turn 2:**\n\nAnd of a polygon with n sides?" in t2.prompt
    assert t2.response_b.endswith("It is 180 x n degrees.")
    assert t2.metadata == {"question_id": 101, "turn": 2}
    assert labels_of(store, "mt") == {
        # row 1: vicuna shown first, winner model_b (gpt-4) -> canonical A, shown BA
        ("101/t1/gpt-4/vicuna-13b", "author_0"): ("A", "BA"),
        ("101/t1/gpt-4/vicuna-13b", "expert_3"): ("A", "AB"),
        ("101/t2/gpt-4/vicuna-13b", "author_0"): ("B", "AB"),
        ("102/t1/alpaca-13b/gpt-4", "author_1"): ("tie", "AB"),
        # row 8: gpt-4 shown first and winner model_a -> gpt-4, canonical B
        ("102/t1/alpaca-13b/gpt-4", "expert_3"): ("B", "BA"),
    }
    assert [r.name for r in store.runs("mt")] == ["gpt4_pair"]
    assert verdicts_of(store, "mt", "gpt4_pair") == {
        ("101/t1/gpt-4/vicuna-13b", "AB"): "tie",
        ("101/t2/gpt-4/vicuna-13b", "AB"): "A",
        ("102/t1/alpaca-13b/gpt-4", "AB"): "B",
    }
    again = import_task_dir(store, folder, allow_outside=True)
    assert (again.pairs_new, again.pairs_unchanged, again.labels_added) == (0, 3, 0)


def test_mt_bench_gzip_and_judges_as_annotators(store, tmp_path):
    """Read from .gz; a task may count GPT-4 as an annotator too (labels include = everyone)."""
    gz = tmp_path / "judgments.jsonl.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "mt_bench" / "judgments.jsonl").read_bytes()))
    folder = write_task(tmp_path / "mt", '[task]\nname = "mt"\n[data]\npath = "../judgments.jsonl.gz"\n'
                                         'format = "mt_bench"\n[labels]\ninclude = ["*"]\n[[judge_labels]]\n'
                                         'name_from = "judge"\nverdict = "winner"\norder_from = "presented"\n'
                                         'include = ["gpt4*"]\nmap = { model_a = "A", model_b = "B", tie = "tie" }\n')
    import_task_dir(store, folder, allow_outside=True)
    assert store.annotators("mt") == ["author_0", "author_1", "expert_3", "gpt4_pair"]
    assert len(verdicts_of(store, "mt", "gpt4_pair")) == 3


def test_mt_bench_votes_with_different_content_under_one_id_are_refused(store, tmp_path):
    lines = (FIXTURES / "mt_bench" / "judgments.jsonl").read_text().splitlines()
    row = json.loads(lines[1])
    row["conversation_a"][1]["content"] = "A different answer."
    (tmp_path / "j.jsonl").write_text("\n".join([lines[0], json.dumps(row)]) + "\n")
    folder = write_task(tmp_path / "mt", '[task]\nname = "mt"\n[data]\npath = "../j.jsonl"\nformat = "mt_bench"\n')
    from annotator.tasks import ImportRefused

    with pytest.raises(ImportRefused) as e:
        import_task_dir(store, folder, allow_outside=True)
    assert "j.jsonl line 2: expected the same pair content as the other votes on id '101/t1/gpt-4/vicuna-13b' " \
           "(first at j.jsonl line 1), found different content" in str(e.value)
    assert store.tasks() == []


def test_chosen_rejected_chosen_as_a(store, tmp_path):
    folder = write_task(tmp_path / "cr", f'[task]\nname = "cr"\n[data]\npath = "{FIXTURES}/chosen_rejected/prefs.jsonl"\n'
                                         'format = "chosen_rejected"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.empty_responses, report.labels_added) == (6, 1, 6)
    pairs = list(store.pairs("cr"))
    assert [p.response_a for p in pairs][:2] == ["11 is prime: its only divisors are 1 and 11.", "Bonjour."]
    assert pairs[4].response_a == "No: binary floating point gives 0.30000000000000004."
    assert pairs[4].prompt == "Is 0.1 + 0.2 == 0.3 in Python?"
    assert pairs[5].prompt == "Human: How many legs does a spider have?"
    assert (pairs[5].response_a, pairs[5].response_b) == ("Eight.", "Six.")
    assert {lab.choice for lab in store.current_labels("cr")} == {"A"}


def test_chosen_rejected_random_side_is_seeded_and_recorded(store, tmp_path):
    def sides(seed):
        s = Store.memory()
        folder = write_task(tmp_path / f"cr{seed}", f'[task]\nname = "cr"\n[data]\n'
                                                     f'path = "{FIXTURES}/chosen_rejected/prefs.jsonl"\n'
                                                     f'format = "chosen_rejected"\nchosen_side = "random"\nseed = {seed}\n')
        import_task_dir(s, folder, allow_outside=True)
        ids = {p.id: p for p in s.pairs("cr")}
        out = []
        for label in s.current_labels("cr"):
            pair = ids[label.pair]
            chosen = pair.response_a if label.choice == "A" else pair.response_b
            out.append((pair.pair_id, label.choice, chosen))
        return sorted(out)

    first, again, other = sides(1), sides(1), sides(2)
    assert first == again
    assert {c for _, c, _ in first} == {"A", "B"}  # both sides occur in six pairs with this seed
    assert [p for p, _, _ in first] == [p for p, _, _ in other]  # ids do not depend on the side
    chosen_texts = {t for _, _, t in first}
    assert "Bonjour." in chosen_texts and "Buenos dias." not in chosen_texts


def test_llmbar_folder_and_single_file(store, tmp_path):
    root = tmp_path / "Dataset"
    for sub, n in (("Natural", 2), ("Adversarial/Neighbor", 3)):
        (root / sub).mkdir(parents=True)
        data = [{"input": f"{sub} q{i}", "output_1": "one", "output_2": "two", "label": 1 + i % 2} for i in range(n)]
        (root / sub / "dataset.json").write_text(json.dumps(data))
    folder = write_task(tmp_path / "lb", '[task]\nname = "lb"\nallow_tie = false\n[data]\npath = "../Dataset"\nformat = "llmbar"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.labels_added) == (5, 5)
    assert [p.pair_id for p in store.pairs("lb")] == ["Adversarial/Neighbor/1", "Adversarial/Neighbor/2",
                                                      "Adversarial/Neighbor/3", "Natural/1", "Natural/2"]
    assert labels_of(store, "lb")[("Natural/2", "llmbar-gold")] == ("B", "AB")
    single = write_task(tmp_path / "one", '[task]\nname = "one"\n[data]\npath = "../Dataset/Natural/dataset.json"\n'
                                          'format = "llmbar"\n')
    assert import_task_dir(store, single, allow_outside=True).pairs_new == 2
    assert next(store.pairs("one")).domain == "Natural"


def test_faireval_folder(store, tmp_path):
    root = tmp_path / "fe"
    (root / "answer").mkdir(parents=True)
    (root / "question.jsonl").write_text("\n".join(json.dumps({"question_id": i, "text": f"q{i}", "category": "generic"})
                                                   for i in (1, 2, 3)))
    for model, mid in (("gpt35", "gpt-3.5-turbo"), ("vicuna-13b", "vicuna-13b:x")):
        (root / "answer" / f"answer_{model}.jsonl").write_text("".join(
            json.dumps({"answer_id": f"{model}{i}", "model_id": mid, "question_id": i, "text": f"{model} says {i}"}) + "\n"
            for i in (1, 2, 3)))
    (root / "review_gpt35_vicuna-13b_human.txt").write_text("CHATGPT\nTIE\nVICUNA13B")  # no trailing newline
    folder = write_task(tmp_path / "t", '[task]\nname = "fe"\n[data]\npath = "../fe"\nformat = "faireval"\n'
                                        'models = ["gpt35", "vicuna-13b"]\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.labels_added) == (3, 3)
    p1 = store.get_pair_by_external_id("fe", "1")
    assert (p1.prompt, p1.response_a, p1.response_b, p1.model_a) == ("q1", "gpt35 says 1", "vicuna-13b says 1", "gpt-3.5-turbo")
    assert [c for (_, _), (c, _) in sorted(labels_of(store, "fe").items())] == ["A", "tie", "B"]
    swapped = write_task(tmp_path / "s", '[task]\nname = "fe2"\n[data]\npath = "../fe"\nformat = "faireval"\n'
                                         'models = ["vicuna-13b", "gpt35"]\n'
                                         'verdicts = "../fe/review_gpt35_vicuna-13b_human.txt"\n'
                                         '[labels]\nmap = { CHATGPT = "B", VICUNA13B = "A", TIE = "tie" }\n')
    import_task_dir(store, swapped, allow_outside=True)
    assert [c for (_, _), (c, _) in sorted(labels_of(store, "fe2").items())] == ["B", "tie", "A"]


def test_faireval_unknown_model(store, tmp_path):
    (tmp_path / "fe" / "answer").mkdir(parents=True)
    (tmp_path / "fe" / "answer" / "answer_gpt35.jsonl").write_text("")
    folder = write_task(tmp_path / "t", '[task]\nname = "fe"\n[data]\npath = "../fe"\nformat = "faireval"\nmodels = ["gpt35", "llama"]\n')
    from annotator.tasks import TaskFileError

    with pytest.raises(TaskFileError, match=r"\[data\] models: expected models with an answer file \(gpt35\), found 'llama'"):
        import_task_dir(store, folder, allow_outside=True)


def test_autoj_both_orders_unswapped(store, tmp_path):
    root = tmp_path / "autoj"
    root.mkdir()
    pairs = [{"scenario": "code_generation", "label": lab, "prompt": f"p{i}", "response 1": f"r1-{i}", "response 2": f"r2-{i}"}
             for i, lab in enumerate([0, 1, 2])]
    (root / "testdata_pairwise.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    (root / "pairwise_example_output.jsonl").write_text('{"output": 0}\n{"output": 1}\n{"output": 0}\n')
    # swapped frame: 0 = the response shown first = response 2
    (root / "pairwise_exchange_example_output.jsonl").write_text('{"output": 1}\n{"output": 1}\n{"output": 2}\n')
    folder = write_task(tmp_path / "t", '[task]\nname = "aj"\n[data]\npath = "../autoj/testdata_pairwise.jsonl"\nformat = "autoj"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.labels_added, report.judgments_added) == (3, 3, {"auto-j-13b": 6})
    assert verdicts_of(store, "aj", "auto-j-13b") == {
        ("1", "AB"): "A", ("1", "BA"): "A",  # exchange 1 = response 1 = A: consistent
        ("2", "AB"): "B", ("2", "BA"): "A",  # exchange 1 -> A: inconsistent
        ("3", "AB"): "A", ("3", "BA"): "tie",
    }
    assert store.get_pair_by_external_id("aj", "1").metadata == {"group": "Code"}


def test_autoj_verdict_file_too_short(store, tmp_path):
    root = tmp_path / "autoj"
    root.mkdir()
    (root / "testdata_pairwise.jsonl").write_text("".join(
        json.dumps({"scenario": "chitchat", "label": 0, "prompt": "p", "response 1": f"a{i}", "response 2": "b"}) + "\n"
        for i in range(2)))
    (root / "pairwise_example_output.jsonl").write_text('{"output": 0}\n')
    folder = write_task(tmp_path / "t", '[task]\nname = "aj"\n[data]\npath = "../autoj/testdata_pairwise.jsonl"\n'
                                        'format = "autoj"\nverdicts_exchange = false\n')
    from annotator.tasks import ImportRefused

    with pytest.raises(ImportRefused, match="pairwise_example_output.jsonl line 2: expected a verdict for pair 2"):
        import_task_dir(store, folder, allow_outside=True)


def _annotation(i, preference, generator="model-x"):
    return {"instruction": f"instruction {i}", "output_1": f"base {i}", "generator_1": "base-model", "dataset": "selfinstruct",
            "output_2": f"model {i}", "generator_2": generator, "annotator": "weighted_alpaca_eval_gpt4_turbo",
            "preference": preference, "price_per_example": 0.01, "time_per_example": 0.5,
            "raw_completion": {"logprobs": [-0.1]}}


def test_alpaca_eval_annotations(store, tmp_path):
    data = [_annotation(0, 1.25), _annotation(1, 2.0), _annotation(2, 1.5), _annotation(3, 0), _annotation(4, None)]
    (tmp_path / "annotations.json.gz").write_bytes(gzip.compress(json.dumps(data).encode()))
    folder = write_task(tmp_path / "t", '[task]\nname = "ae"\n[data]\npath = "../annotations.json.gz"\nformat = "alpaca_eval"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert report.judgments_added == {"weighted_alpaca_eval_gpt4_turbo": 5}
    assert report.unscored_judgments == {"weighted_alpaca_eval_gpt4_turbo": 1}
    first = next(store.pairs("ae"))
    assert (first.response_a, first.response_b, first.model_a, first.model_b, first.domain) == (
        "model 0", "base 0", "model-x", "base-model", "selfinstruct")
    judged = store.judgments(store.get_run("ae", "weighted_alpaca_eval_gpt4_turbo").id)
    assert [(j.verdict, j.p_a) for j in judged] == [("B", 0.25), ("A", 1.0), ("tie", 0.5), ("tie", 0.5), (None, None)]
    assert judged[0].cost == 0.01 and judged[0].latency_s == 0.5 and '"logprobs"' in judged[0].raw_output

    flipped = write_task(tmp_path / "f", '[task]\nname = "ae2"\n[data]\npath = "../annotations.json.gz"\n'
                                         'format = "alpaca_eval"\nbaseline_side = "A"\n')
    import_task_dir(store, flipped, allow_outside=True)
    judged = store.judgments(store.get_run("ae2", "weighted_alpaca_eval_gpt4_turbo").id)
    assert [(j.verdict, j.p_a) for j in judged][:2] == [("A", 0.75), ("B", 0.0)]
    assert next(store.pairs("ae2")).response_a == "base 0"


def test_alpaca_eval_outputs_joined_on_instruction(store, tmp_path):
    for model, n in (("m", 3), ("base", 3)):
        (tmp_path / model).mkdir()
        rows_ = [{"instruction": f"instruction {i}", "output": f"{model} {i}", "generator": model, "dataset": "koala"}
                 for i in range(n)]
        (tmp_path / model / "model_outputs.json").write_text(json.dumps(rows_[::-1] if model == "base" else rows_))
    folder = write_task(tmp_path / "t", '[task]\nname = "ao"\n[data]\npath = "../m/model_outputs.json"\n'
                                        'format = "alpaca_eval_outputs"\nbaseline = "../base/model_outputs.json"\n')
    assert import_task_dir(store, folder, allow_outside=True).pairs_new == 3
    first = next(store.pairs("ao"))
    assert (first.prompt, first.response_a, first.response_b, first.model_a, first.model_b) == (
        "instruction 0", "m 0", "base 0", "m", "base")


def test_alpaca_eval_outputs_unmatched_instruction(store, tmp_path):
    for model, names in (("m", ["x", "y"]), ("base", ["x", "z"])):
        (tmp_path / model).mkdir()
        (tmp_path / model / "model_outputs.json").write_text(json.dumps(
            [{"instruction": n, "output": "o", "generator": model} for n in names]))
    folder = write_task(tmp_path / "t", '[task]\nname = "ao"\n[data]\npath = "../m/model_outputs.json"\n'
                                        'format = "alpaca_eval_outputs"\nbaseline = "../base/model_outputs.json"\n')
    report = import_task_dir(store, folder, skip_bad=True, allow_outside=True)
    assert report.pairs_new == 1
    assert [str(p) for p in report.problems] == [
        "m/model_outputs.json item 2: expected the same instruction in model_outputs.json, found no output for it there",
        "base/model_outputs.json item 2: expected the same instruction in model_outputs.json, found no output for it there",
    ]


def test_gzip_jsonl_generic(store, tmp_path):
    data = "".join(json.dumps({"id": i, "q": "p", "x": "a", "y": "b"}) + "\n" for i in range(4))
    (tmp_path / "pairs.jsonl.gz").write_bytes(gzip.compress(data.encode()))
    folder = write_task(tmp_path / "t", '[task]\nname = "g"\n[data]\npath = "../pairs.jsonl.gz"\nid = "id"\nprompt = "q"\n'
                                        'response_a = "x"\nresponse_b = "y"\n')
    assert import_task_dir(store, folder, allow_outside=True).pairs_new == 4


def test_parquet_and_csv_generic(store, tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"id": ["a", "b"], "q": ["p1", "p2"], "x": ["r1", ""], "y": ["s1", "s2"]})
    frame.to_parquet(tmp_path / "pairs.parquet")
    frame.to_csv(tmp_path / "pairs.tsv", sep="\t", index=False)
    for fmt, name in (("parquet", "pairs.parquet"), ("tsv", "pairs.tsv")):
        folder = write_task(tmp_path / fmt, f'[task]\nname = "{fmt}"\n[data]\npath = "../{name}"\nid = "id"\nprompt = "q"\n'
                                            'response_a = "x"\nresponse_b = "y"\n')
        report = import_task_dir(store, folder, allow_outside=True)
        assert (report.pairs_new, report.empty_responses) == (2, 1)
    shutil.rmtree(tmp_path / "parquet")
