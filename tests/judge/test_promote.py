"""``experiment guide --promote ARM --out FILE``: the arm as a judge file, run on another task."""

from __future__ import annotations

import json
import tomllib

import pytest

from annotator.analysis.experiment import split_pairs
from annotator.judge import load_judge
from annotator.judge.promote import to_toml
from annotator.store import Store
from tests.judge.test_experiment import _invoke, demo  # noqa: F401  (the labelled demo task)

GUIDE = ("experiment", "guide", "--judge", "mt-bench-pair", "--model", "length", "--price", "1,2",
         "--factor-source", "checklist")


def _second_task(tmp_path, db):
    folder = tmp_path / "second"
    folder.mkdir()
    rows = [{"id": f"s{i}", "prompt": f"Question {i}?", "a": "short" if i % 2 else "a much longer answer " * 3,
             "b": "a much longer answer " * 3 if i % 2 else "short"} for i in range(6)]
    (folder / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "task.toml").write_text('[task]\nname = "second"\n[data]\npath = "pairs.jsonl"\nid = "id"\nprompt = "prompt"\nresponse_a = "a"\n'
                                      'response_b = "b"\n', encoding="utf-8")
    _invoke(db, "tasks", "add", str(folder))
    return rows


def test_promote_few_shot_writes_calibration_examples_and_runs_on_another_task(demo, server, tmp_path):  # noqa: F811
    out = tmp_path / "judges" / "fewshot-length.toml"
    result = json.loads(_invoke(demo, *GUIDE, "--base-url", server.url, "--promote", "few-shot", "--out", str(out),
                                "--json").stdout)
    assert result["promoted"]["file"] == str(out) and result["promoted"]["examples"] == 3
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    store = Store.open(demo)
    pair_ids = store.pairs_frame("demo").set_index("pair")["pair_id"]
    cal, held = split_pairs(store.pairs_frame("demo").set_index("pair")["domain"], 0.3, 0)
    held_ids = {pair_ids[p] for p in held}
    examples = data["examples"]
    assert len(examples) == 3
    assert all(e["pair_id"] not in held_ids for e in examples)  # never a held-out pair
    assert {e["pair_id"] for e in examples} <= {pair_ids[p] for p in cal}
    for e in examples:  # the human answer: the shorter response (the majority's)
        shorter = "A" if len(e["response_a"]) < len(e["response_b"]) else "B"
        assert e["human"] == shorter
    prov = data["provenance"]
    few = next(a for a in result["arms"] if a["name"] == "few-shot")
    assert prov["task"] == "demo" and prov["arm"] == "few-shot" and prov["seed"] == 0
    assert prov["held_out_agreement"] == few["agreement"] == 1.0
    assert prov["mcnemar_p"] == few["p_value"]
    assert sorted(prov["calibration_pairs"]) == sorted(pair_ids[p] for p in cal)
    assert not held_ids & set(prov["calibration_pairs"])
    assert data["model"] == "length" and data["parser"] == "mt-bench"
    assert data["price"] == {"input": 1.0, "output": 2.0, "batch_factor": 0.5}  # the experiment's --price

    # judge run --judge FILE on a second task: the examples turn the judge to the shorter response
    rows = _second_task(tmp_path, demo)
    report = json.loads(_invoke(demo, "judge", "run", "--judge", str(out), "--task", "second", "--base-url",
                                server.url, "--json").stdout)
    assert report["run"] == "fewshot-length"
    run = store.get_run("second", "fewshot-length")
    shorter = {r["id"]: ("A" if len(r["a"]) < len(r["b"]) else "B") for r in rows}
    verdicts = {store.get_pair(j.pair).pair_id: j.verdict for j in store.judgments(run.stored_id)}
    assert verdicts and all(v == shorter[pid] for pid, v in verdicts.items())
    # the same judge, run again on the experiment's task, reuses the few-shot arm's calls
    sent = len(server.chat_requests)
    _invoke(demo, "judge", "run", "--judge", str(out), "--task", "demo", "--base-url", server.url)
    assert len(server.chat_requests) - sent == 2 * len(cal)  # only the calibration pairs are new to it


def test_promote_guidance_and_refusals(demo, server, tmp_path):  # noqa: F811
    out = tmp_path / "guided.toml"
    _invoke(demo, *GUIDE, "--base-url", server.url, "--promote", "guide-mis", "--out", str(out))
    judge = load_judge(str(out))
    assert judge.guidance == {"length": "less"} and judge.examples == []
    assert tomllib.loads(out.read_text())["provenance"]["held_out_agreement"] == 1.0
    again = _invoke(demo, *GUIDE, "--base-url", server.url, "--promote", "guide-mis", "--out", str(out), code=1)
    assert "--force" in again.output
    alone = _invoke(demo, *GUIDE, "--base-url", server.url, "--promote", "few-shot", code=1)
    assert "--out" in alone.output


def test_toml_writer_round_trips_hostile_text():
    text = 'quote " backslash \\ newline \n tab \t del \x7f nul-free é 🙂 \u202e'
    doc = tomllib.loads(to_toml({"a": text, "n": 1.5, "b": True, "xs": ["x", "y"], "none": None},
                                {"t": {"weird key": 3}}, {"rows": [{"k": text}]}))
    assert doc == {"a": text, "n": 1.5, "b": True, "xs": ["x", "y"], "t": {"weird key": 3}, "rows": [{"k": text}]}


@pytest.mark.realdata
def test_promote_on_public_data(shared_data, server, tmp_path):
    """FairEval's 80 human-labelled pairs (ChatGPT vs Vicuna-13B), the loopback `length` judge:
    the few-shot arm promoted from it holds calibration pairs only and runs on LLMBar Natural."""
    db = tmp_path / "p.db"
    fair = tmp_path / "faireval"
    fair.mkdir()
    (fair / "task.toml").write_text(f'[task]\nname = "faireval"\n[data]\npath = "{shared_data}/faireval"\n'
                                    'format = "faireval"\nmodels = ["gpt35", "vicuna-13b"]\n', encoding="utf-8")
    _invoke(db, "tasks", "add", str(fair), "--allow-outside")
    out = tmp_path / "judges" / "faireval-fewshot.toml"
    result = json.loads(_invoke(db, "experiment", "guide", "--task", "faireval", "--judge", "mt-bench-pair",
                                "--model", "length", "--price", "1,2", "--factor-source", "checklist",
                                "--base-url", server.url, "--promote", "few-shot", "--out", str(out),
                                "--json").stdout)
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    store = Store.open(db)
    frame = store.pairs_frame("faireval").set_index("pair")
    labelled = [p for p in frame.index if p in set(store.labels_frame("faireval")["pair"])]
    cal, held = split_pairs(frame.loc[labelled, "domain"], 0.3, 0)
    held_ids = {frame.loc[p, "pair_id"] for p in held}
    assert data["examples"] and not {e["pair_id"] for e in data["examples"]} & held_ids
    assert result["split"]["held_out"] == len(held) == data["provenance"]["held_out_pairs"]
    assert not held_ids & set(data["provenance"]["calibration_pairs"])
    llmbar = tmp_path / "llmbar"
    llmbar.mkdir()
    (llmbar / "task.toml").write_text(
        f'[task]\nname = "llmbar"\nallow_tie = false\n[data]\n'
        f'path = "{shared_data}/llmbar/Dataset/LLMBar/Natural/dataset.json"\nformat = "llmbar"\n', encoding="utf-8")
    _invoke(db, "tasks", "add", str(llmbar), "--allow-outside")
    report = json.loads(_invoke(db, "judge", "run", "--judge", str(out), "--task", "llmbar", "--base-url",
                                server.url, "--json").stdout)
    run = store.get_run("llmbar", report["run"])
    judgments = list(store.judgments(run.stored_id))
    assert len(judgments) == 200 and all(j.verdict is not None for j in judgments)
