"""A task built from generators' outputs (``[pairs]``, annotator/tasks/generators.py)."""

from __future__ import annotations

import json
from collections import Counter
from itertools import combinations

import pytest

from annotator.store import Store
from annotator.tasks.pairing import Sampler

AE = "alpacaeval2/results"
BASE = "gpt4_1106_preview"


def _task(tmp_path, toml: str, name: str = "gen"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "task.toml").write_text(toml, encoding="utf-8")
    return folder


def _outputs(folder, rows, name="outputs.jsonl"):
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _pair_ids(db, task):
    store = Store.open(db)
    return {p.pair_id: p for p in store.pairs(task)}


def test_all_mode_ids_missing_outputs_and_whitespace(tmp_path, cli):
    folder = _task(tmp_path, '[task]\nname = "gen"\n[data]\npath = "outputs.jsonl"\n[pairs]\nmode = "all"\n')
    rows = [{"instruction": "Say hi", "output": f"hi from {g}", "generator": g} for g in ("m1", "m2", "m3")]
    rows += [{"instruction": "Count", "output": "1 2", "generator": "m1"},
             {"instruction": "Count ", "output": "1 2 3", "generator": "m2"}]  # differs only by whitespace
    _outputs(folder, rows)
    result = cli("tasks", "add", folder, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    pairs = _pair_ids(cli.db, "gen")
    from annotator.tasks.generators import instruction_hash
    hi = instruction_hash("Say hi")
    assert set(pairs) == {f"{hi}:m1:m2", f"{hi}:m1:m3", f"{hi}:m2:m3"}
    p = pairs[f"{hi}:m1:m3"]
    assert (p.model_a, p.model_b, p.response_a, p.response_b) == ("m1", "m3", "hi from m1", "hi from m3")
    notices = " | ".join(report["notices"])
    assert "generator 'm3' has no output for 2 of 3 instructions" in notices
    assert "generator 'm1' has no output for 1 of 3" in notices
    assert "1 instruction(s) differ from another only by whitespace" in notices


def test_whitespace_collapse_and_a_named_key(tmp_path, cli):
    folder = _task(tmp_path, '[task]\nname = "gen"\n[data]\npath = "o.jsonl"\n'
                   '[pairs]\nmode = "all"\nwhitespace = "collapse"\n')
    _outputs(folder, [{"instruction": "Count", "output": "1", "generator": "a"},
                      {"instruction": "Count  ", "output": "2", "generator": "b"}], "o.jsonl")
    assert cli("tasks", "add", folder).exit_code == 0
    assert len(_pair_ids(cli.db, "gen")) == 1
    folder2 = _task(tmp_path, '[task]\nname = "keyed"\n[data]\npath = "o.csv"\n'
                    '[pairs]\nmode = "all"\nkey = "qid"\ninstruction = "q"\noutput = "answer"\ngenerator = "model"\n',
                    "keyed")
    (folder2 / "o.csv").write_text("qid,q,answer,model\nq7,What?,yes,x\nq7,What?,no,y\n", encoding="utf-8")
    result = cli("tasks", "add", folder2)
    assert result.exit_code == 0, result.output
    assert set(_pair_ids(cli.db, "keyed")) == {"q7:x:y"}


def test_baseline_mode_needs_the_baseline_and_refuses_a_repeated_output(tmp_path, cli):
    folder = _task(tmp_path, '[task]\nname = "gen"\n[data]\npath = "o.jsonl"\n[pairs]\nmode = "baseline"\n')
    _outputs(folder, [{"instruction": "x", "output": "1", "generator": "a"}], "o.jsonl")
    result = cli("tasks", "add", folder)
    assert result.exit_code != 0 and "[task] baseline" in result.output
    folder2 = _task(tmp_path, '[task]\nname = "g2"\nbaseline = "b"\n[data]\npath = "o.jsonl"\n[pairs]\nmode = "baseline"\n',
                    "g2")
    _outputs(folder2, [{"instruction": "x", "output": "1", "generator": "a"},
                       {"instruction": "x", "output": "2", "generator": "a"},
                       {"instruction": "x", "output": "3", "generator": "b"}], "o.jsonl")
    result = cli("tasks", "add", folder2)
    assert result.exit_code != 0 and "one output of 'a' per instruction" in result.output
    folder3 = _task(tmp_path, '[task]\nname = "g3"\n[data]\npath = "o.jsonl"\n[pairs]\nmode = "sampel"\n', "g3")
    _outputs(folder3, [{"instruction": "x", "output": "1", "generator": "a"}], "o.jsonl")
    result = cli("tasks", "add", folder3)
    assert result.exit_code != 0 and "[pairs] mode" in result.output


def test_sample_mode_meets_each_opponent_about_equally():
    models = [f"m{i}" for i in range(6)]
    sampler = Sampler(k=2, seed=3)
    degrees = Counter()
    for i in range(600):
        pairs = sampler.pairs(f"i{i}", models)
        for a, b in pairs:
            degrees[(i, a)] += 1
            degrees[(i, b)] += 1
        assert all(degrees[(i, m)] >= 2 for m in models)
    met = [sampler.met[p] for p in combinations(models, 2)]
    assert max(met) - min(met) <= 2, met  # 15 model pairs, 6 x 2 / 2 = 6 meetings per instruction
    # seeded: the same seed draws the same opponents, another seed others
    assert Sampler(2, 3).pairs("i0", models) == Sampler(2, 3).pairs("i0", models)
    assert any(Sampler(2, 3).pairs(f"i{i}", models) != Sampler(2, 4).pairs(f"i{i}", models) for i in range(5))


def _ae_toml(shared_data, models, mode, judged=()):
    paths = ", ".join(f'"{shared_data}/{AE}/{m}/model_outputs.json.gz"' for m in models)
    toml = f'[task]\nname = "ae"\nbaseline = "{BASE}"\n[data]\npath = [{paths}]\n[pairs]\nmode = "{mode}"\n'
    for m in judged:
        toml += (f'[[judge_labels]]\npath = "{shared_data}/{AE}/{m}/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"\n'
                 'format = "alpaca_eval"\nid = "pair_id"\nname_from = "judge"\nverdict = "verdict"\np_a = "p_a"\n'
                 'order = "unknown"\nmap = { A = "A", B = "B", tie = "tie" }\n')
    return toml


@pytest.mark.realdata
def test_alpaca_eval_baseline_mode_gives_805_pairs_per_model_and_names_the_missing(shared_data, tmp_path, cli):
    models = [BASE, "alpaca-7b", "claude-2.1", "alpaca-7b_verbose"]
    folder = _task(tmp_path, _ae_toml(shared_data, models, "baseline"), "ae")
    result = cli("tasks", "add", folder, "--allow-outside", "--json")
    assert result.exit_code == 0, result.output
    pairs = _pair_ids(cli.db, "ae")
    per_model = Counter(p.model_a for p in pairs.values())
    assert per_model == {"alpaca-7b": 805, "claude-2.1": 805, "alpaca-7b_verbose": 802}
    assert {p.model_b for p in pairs.values()} == {BASE}
    notices = " | ".join(json.loads(result.output)["notices"])
    assert "generator 'alpaca-7b_verbose' has no output for 3 of 805 instructions" in notices


@pytest.mark.realdata
def test_alpaca_eval_all_mode_on_three_models(shared_data, tmp_path, cli):
    models = [BASE, "alpaca-7b", "claude-2.1"]
    folder = _task(tmp_path, _ae_toml(shared_data, models, "all"), "ae")
    result = cli("tasks", "add", folder, "--allow-outside")
    assert result.exit_code == 0, result.output
    pairs = _pair_ids(cli.db, "ae")
    assert len(pairs) == 3 * 805
    assert Counter((p.model_a, p.model_b) for p in pairs.values()) == {
        ("alpaca-7b", "claude-2.1"): 805, ("alpaca-7b", BASE): 805, ("claude-2.1", BASE): 805}


@pytest.mark.realdata
def test_leaderboard_of_the_built_task_equals_the_imported_annotations(shared_data, tmp_path, cli):
    """The built task with AlpacaEval's judge annotations attached (joined on the readable
    ids) gives the same win rates as importing the annotations themselves."""
    models = ["alpaca-7b", "claude-2.1", "gpt-3.5-turbo-1106"]
    folder = _task(tmp_path, _ae_toml(shared_data, [BASE, *models], "baseline", judged=models), "ae")
    result = cli("tasks", "add", folder, "--allow-outside")
    assert result.exit_code == 0, result.output
    imported_dir = _task(tmp_path, "[task]\nname = \"ae2\"\n[data]\npath = [" + ", ".join(
        f'"{shared_data}/{AE}/{m}/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"' for m in models)
        + ']\nformat = "alpaca_eval"\n', "ae2")
    assert cli("tasks", "add", imported_dir, "--allow-outside").exit_code == 0
    imported = json.loads(cli("stats", "leaderboard", "--task", "ae2", "--json", "--bootstrap", "0").output)
    assert cli("stats", "leaderboard", "--task", "ae", "--json", "--bootstrap", "0").exit_code == 0
    built = json.loads(cli("stats", "leaderboard", "--task", "ae", "--json", "--bootstrap", "0").output)
    b = {r["model"]: r for r in built["rows"]}
    i = {r["model"]: r for r in imported["rows"]}
    for m in models:
        assert b[m]["win_rate"] == pytest.approx(i[m]["win_rate"], rel=1e-12), m
        assert (b[m]["n_wins"], b[m]["n_wins_base"], b[m]["n_draws"]) == (
            i[m]["n_wins"], i[m]["n_wins_base"], i[m]["n_draws"]), m


@pytest.mark.realdata
def test_alpaca_eval_sample_mode_balances_the_meetings(shared_data, tmp_path, cli):
    """Four models, k = 1: two pairs per instruction, and each of the six pairs of models
    meets about 805 * 2 / 6 times."""
    models = [BASE, "alpaca-7b", "claude-2.1", "gpt-3.5-turbo-1106"]
    toml = _ae_toml(shared_data, models, "sample") + "k = 1\nseed = 7\n"
    folder = _task(tmp_path, toml, "ae")
    result = cli("tasks", "add", folder, "--allow-outside")
    assert result.exit_code == 0, result.output
    pairs = _pair_ids(cli.db, "ae")
    assert len(pairs) == 2 * 805
    met = Counter((p.model_a, p.model_b) for p in pairs.values())
    assert len(met) == 6 and max(met.values()) - min(met.values()) <= 2, met
    per_instruction = Counter(pid.split(":")[0] for pid in pairs)
    assert set(per_instruction.values()) == {2}
