"""Importers for judge benchmarks on small fixtures written for the project (offline):
LLMBar evaluator runs (``llmbar_run``), JudgeBench (``judgebench``), RewardBench-style
chosen/rejected sets with subsets, ``[data] path`` as a list or a glob, ``[task] baseline``."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from annotator.analysis.gold import gold_accuracy, judgebench_score
from annotator.analysis.verdicts import consistency, judge_verdicts
from annotator.tasks import ImportRefused, TaskFileError, import_task_dir, load_task_file
from tests.tasks.llmbar_statistics import FIELDS, matches, published, recomputed
from tests.tasks.taskdirs import FIXTURES, counts, write_task

LLMBAR = FIXTURES / "llmbar_run" / "Natural"
RUNS = LLMBAR / "evaluators"
JUDGEBENCH = FIXTURES / "judgebench"
JB_PAIRS = "dataset=judgebench,response_model=toy-model.jsonl"
JB_RUN = "dataset=judgebench,response_model=toy-model,judge_name=arena_hard,judge_model=toy-judge.jsonl"
REWARDBENCH = FIXTURES / "rewardbench"


def task(tmp_path, toml: str, name: str = "t", files: dict | None = None):
    return write_task(tmp_path / name, f'[task]\nname = "{name}"\n{toml}', files)


def llmbar_runs_task(tmp_path, pattern: str = "*/*/result.json", name: str = "runs"):
    return task(tmp_path, f'allow_tie = false\n\n[data]\npath = "{RUNS}/{pattern}"\nformat = "llmbar_run"\n', name)


def verdicts_by_pair(store, task_name: str, run: str):
    """{pair_id: (verdict AB, verdict BA)} of one run, canonical."""
    ids = {p.id: p.pair_id for p in store.pairs(task_name)}
    frame = store.judgments_frame(task_name)
    frame = frame[frame["run_name"] == run]
    wide = frame.pivot(index="pair", columns="order", values="verdict")
    none = lambda v: v if isinstance(v, str) else None  # noqa: E731
    return {ids[p]: (none(row["AB"]), none(row["BA"])) for p, row in wide.iterrows()}


# -- llmbar_run -----------------------------------------------------------------------------

def test_llmbar_runs_reproduce_their_statistics(store, tmp_path):
    """The four fixture runs, worked by hand (labels 1 2 1 2 1; winners swap False / swap True,
    already in the original frame):

    Vanilla 1/1 2/1 1/- -/- 2/2: correct_False 3 (pairs 1-3), correct_True 1 (pair 1), both 1,
      equal 3 (pairs 1, 4 with two nulls, 5); kappa over LLMBar's coding ("1" -> 1, else 0):
      False 1 0 1 0 0, True 1 1 0 0 0: p_o = 3/5, p_e = .4 * .4 + .6 * .6 = .52,
      kappa = (.6 - .52) / .48 = 1/6.
    Metrics: always the label: 5 5 5 5, kappa 1.
    Swap: final games 1/1 1/1 1/1 2/2 1/1 (pairs 1 and 4 from the second round): 4 4 4 5,
      kappa 1 (the same coding in both games).
    Rating, scores 6-3 2-8 5-5 7-4 9-1: winners 1/1 2/2 2/1 1/1 1/1: 3 4 3 4; False 1 0 0 1 1,
      True 1 0 1 1 1: p_o = .8, p_e = .6 * .8 + .4 * .2 = .56, kappa = .24 / .44 = 6/11.
    """
    report = import_task_dir(store, llmbar_runs_task(tmp_path), allow_outside=True)
    assert (report.files, report.rows, report.pairs_new, report.votes_merged) == (4, 20, 5, 15)
    assert report.judgments_added == {"Judge-X/Metrics": 10, "Judge-X/Swap": 10, "Judge-X/Vanilla": 10,
                                      "Judge-Y/Rating": 10}
    assert report.unscored_judgments["Judge-X/Vanilla"] == 3  # the null winners
    mine = recomputed(store, "runs")
    for run, figures in mine.items():
        theirs = published(RUNS / run / "statistics.json")
        assert matches(figures, theirs) == dict.fromkeys(FIELDS, True), run
    assert mine["Judge-X/Vanilla"] == {"correct_False": (3, 5), "correct_True": (1, 5), "correct_both": (1, 5),
                                       "equal": (3, 5), "kappa_agreement": pytest.approx(1 / 6, abs=1e-12)}
    assert mine["Judge-Y/Rating"]["kappa_agreement"] == pytest.approx(6 / 11, abs=1e-12)


def test_llmbar_swapped_winner_is_already_in_the_original_frame(store, tmp_path):
    """LLMBar stores the swap = True winner turned back to the original order: flipping it
    again would make the always-right Metrics run 0 % consistent instead of 100 %."""
    import_task_dir(store, llmbar_runs_task(tmp_path), allow_outside=True)
    metrics = verdicts_by_pair(store, "runs", "Judge-X/Metrics")
    assert metrics == {"Natural/1": ("A", "A"), "Natural/2": ("B", "B"), "Natural/3": ("A", "A"),
                       "Natural/4": ("B", "B"), "Natural/5": ("A", "A")}
    verdicts = judge_verdicts(store.judgments_frame("runs"), "both")
    by_run = {run: consistency(rows).value for run, rows in verdicts.groupby("run_name")}
    assert by_run["Judge-X/Metrics"] == 1.0
    assert by_run["Judge-X/Vanilla"] == pytest.approx(2 / 3)  # pairs 1 and 5 of the 3 scored in both orders
    # the swapped game's completion names the output as shown ("Output (b)" = output_1 = A)
    run = next(r for r in store.runs("runs") if r.name == "Judge-X/Vanilla")
    first = store.get_pair_by_external_id("runs", "Natural/1").id
    raw = {j.order: j.raw_output for j in store.judgments(run.id) if j.pair == first}
    assert raw == {"AB": "Output (a)", "BA": "Output (b)"}


def test_llmbar_run_games_are_the_last_step_and_null_is_unscored(store, tmp_path):
    import_task_dir(store, llmbar_runs_task(tmp_path), allow_outside=True)
    swap = verdicts_by_pair(store, "runs", "Judge-X/Swap")
    assert swap["Natural/1"] == ("A", "A")  # the first round said 1 then 2; the final round 1 and 1
    assert swap["Natural/4"] == ("B", "B")
    vanilla = store.judgments_frame("runs")
    vanilla = vanilla[vanilla["run_name"] == "Judge-X/Vanilla"]
    assert vanilla.loc[vanilla["verdict"].isna(), "unscored_reason"].tolist() == ["no winner"] * 3
    rating = next(r for r in store.runs("runs") if r.name == "Judge-Y/Rating")
    raws = {j.raw_output for j in store.judgments(rating.id)}
    assert '{"score_1": "6", "score_2": "3"}' in raws  # rating methods keep the two score completions


def test_llmbar_run_pairs_are_the_llmbar_pairs(store, tmp_path):
    """Same ids, same content (gold included) as the llmbar format gives the dataset."""
    import_task_dir(store, llmbar_runs_task(tmp_path), allow_outside=True)
    bench = task(tmp_path, f'[data]\npath = "{LLMBAR}/dataset.json"\nformat = "llmbar"\n', "bench")
    report = import_task_dir(store, bench, allow_outside=True)
    assert report.labels_added == 5  # the llmbar-gold labels are kept
    runs = {p.pair_id: (p.content_hash, p.gold, p.domain) for p in store.pairs("runs")}
    assert {p.pair_id: (p.content_hash, p.gold, p.domain) for p in store.pairs("bench")} == runs
    assert [runs[f"Natural/{n}"][1] for n in range(1, 6)] == ["A", "B", "A", "B", "A"]


def test_llmbar_run_one_file_and_gz(store, tmp_path):
    copy = tmp_path / "data" / "Natural" / "evaluators" / "M" / "Vanilla"
    copy.mkdir(parents=True)
    with gzip.open(copy / "result.json.gz", "wb") as fh:
        fh.write((RUNS / "Judge-X" / "Vanilla" / "result.json").read_bytes())
    folder = task(tmp_path, '[data]\npath = "../data/Natural/evaluators/M/Vanilla/result.json.gz"\nformat = "llmbar_run"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.files, report.pairs_new, report.judgments_added) == (1, 5, {"M/Vanilla": 10})
    assert store.get_pair_by_external_id("t", "Natural/3").gold == "A"


def test_llmbar_run_subset_option_and_files_outside_the_layout(store, tmp_path):
    shutil.copy(RUNS / "Judge-X" / "Vanilla" / "result.json", tmp_path / "result.json")
    folder = task(tmp_path, '[data]\npath = "../result.json"\nformat = "llmbar_run"\n')
    with pytest.raises(TaskFileError, match=r"\[data\] subset: expected the subset's name"):
        import_task_dir(store, folder, allow_outside=True)
    folder = task(tmp_path, '[data]\npath = "../result.json"\nformat = "llmbar_run"\nsubset = "Adversarial/Neighbor"\n',
                  "t2")
    import_task_dir(store, folder, allow_outside=True)
    assert {p.pair_id for p in store.pairs("t2")} == {f"Adversarial/Neighbor/{n}" for n in range(1, 6)}
    assert store.runs("t2")[0].name == f"{tmp_path.parent.name}/{tmp_path.name}"  # the two folders above


def test_llmbar_run_bad_rows(store, tmp_path):
    rows = json.loads((RUNS / "Judge-X" / "Vanilla" / "result.json").read_text())
    rows[0]["label"] = 3
    rows[1]["results"] = [["only a metric", "stop"]]
    rows[2]["results"][0]["swap = True"]["winner"] = "3"
    run = tmp_path / "x" / "Natural" / "evaluators" / "M" / "Vanilla"
    run.mkdir(parents=True)
    (run / "result.json").write_text(json.dumps(rows))
    folder = task(tmp_path, f'[data]\npath = "{run}/result.json"\nformat = "llmbar_run"\n')
    with pytest.raises(ImportRefused) as e:
        import_task_dir(store, folder, allow_outside=True)
    assert [str(p) for p in e.value.problems] == [
        "result.json item 1: expected a label 1 or 2, found a number 3",
        "result.json item 2: expected results holding a step with \"swap = False\" and \"swap = True\" games, "
        "found a list [['only a metric', 'stop']]",
        "result.json item 3: expected a winner \"1\", \"2\" or null, found text '3'",
    ]
    with pytest.raises(TaskFileError, match="expected an LLMBar result.json"):
        import_task_dir(store, task(tmp_path, f'[data]\npath = "{run}"\nformat = "llmbar_run"\n', "folder"), allow_outside=True)


def test_several_files_with_different_content_under_one_id_are_refused(store, tmp_path):
    rows = json.loads((RUNS / "Judge-X" / "Vanilla" / "result.json").read_text())
    rows[1]["output_1"] = "A different answer."
    run = tmp_path / "x" / "Natural" / "evaluators" / "Other" / "Vanilla"
    run.mkdir(parents=True)
    (run / "result.json").write_text(json.dumps(rows))
    folder = task(tmp_path, f'[data]\npath = ["{RUNS}/Judge-X/Vanilla/result.json", "{run}/result.json"]\n'
                            'format = "llmbar_run"\n')
    before = counts_of(store)
    with pytest.raises(ImportRefused) as e:
        import_task_dir(store, folder, allow_outside=True)
    assert str(e.value.problems[0]).startswith(
        "Other/Vanilla/result.json item 2: expected the same pair content as the pair read before with id "
        "'Natural/2' (first at ")
    assert counts_of(store) == before


def counts_of(store):
    return {t: store.query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"] for t in ("pairs", "judgments", "labels")}


# -- judgebench -------------------------------------------------------------------------------

def test_judgebench_pairs_file(store, tmp_path):
    report = import_task_dir(store, task(tmp_path, f'[data]\npath = "{JUDGEBENCH}/{JB_PAIRS}"\nformat = "judgebench"\n'), allow_outside=True)
    assert (report.pairs_new, report.judgments_added) == (7, {})
    p1 = store.get_pair_by_external_id("t", "p1")
    assert (p1.prompt, p1.response_a, p1.gold, p1.domain) == ("What is 7 * 8?", "7 * 8 = 56. Answer: 56", "A",
                                                             "mmlu-pro-math")
    assert p1.metadata == {"original_id": 101, "response_model": "toy-model"}
    assert [p.gold for p in store.pairs("t")] == ["A", "B", "A", "B", "A", "B", "A"]


def test_judgebench_run_scores_as_judgebench_does(store, tmp_path):
    """Worked in tests/fixtures/judgebench/README.md: per pair +1 for each game whose decision
    (the second turned back) is the label, -1 for the opposite: p1 +2, p2 0, p3 +1 (a tie and
    a right decision), p4 +1 (a null and a right one), p5 0 (no judgments), p6 -2, p7 +1
    (A<B is no JudgeBench decision: unscored, 0). Correct when > 0: 4 of 7."""
    folder = task(tmp_path, f'[data]\npath = "{JUDGEBENCH}/*.jsonl"\nformat = "judgebench"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.files, report.pairs_new, report.votes_merged) == (2, 7, 7)
    assert report.judgments_added == {"arena_hard/toy-judge": 14}
    frame = store.judgments_frame("t")
    gold = store.pairs_frame("t").set_index("pair")["gold"]
    verdicts = judge_verdicts(frame, "judgebench")
    assert judgebench_score(verdicts, gold) == pytest.approx(400 / 7)
    assert verdicts_by_pair(store, "t", "arena_hard/toy-judge") == {
        "p1": ("A", "A"), "p2": ("A", "B"), "p3": ("tie", "A"), "p4": (None, "B"), "p5": (None, None),
        "p6": ("A", "A"), "p7": ("A", None)}
    reasons = frame.loc[frame["verdict"].isna(), "unscored_reason"].tolist()
    assert reasons == ["no decision", "no judgment", "no judgment", "A<B"]
    run = store.runs("t")[0]
    raw = [j.raw_output for j in store.judgments(run.id)]
    assert "Assistant A is significantly better: [[A>>B]]" in raw
    assert '{"judge_model": "toy-judge", "scores": [0.25, 0.75]}' in raw  # a judgment without a response text


def test_judgebench_bad_rows(store, tmp_path):
    rows = [json.loads(line) for line in (JUDGEBENCH / JB_RUN).read_text().splitlines()]
    rows[0]["label"] = "A>>B"
    rows[1]["judgments"] = [rows[1]["judgments"][0]]
    rows[2]["judgments"][1] = {"judgment": {}, "decision": 3}
    del rows[3]["judge_name"]
    files = {"run.jsonl": rows}
    folder = task(tmp_path, '[data]\npath = "run.jsonl"\nformat = "judgebench"\n', files=files)
    with pytest.raises(ImportRefused) as e:
        import_task_dir(store, folder, allow_outside=True)
    problems = [str(p) for p in e.value.problems]
    assert problems[0] == "run.jsonl line 1: expected a label \"A>B\" or \"B>A\", found text 'A>>B'"
    assert problems[1].startswith("run.jsonl line 2: expected judgments: a list of two games (or null), found a list")
    assert problems[2].startswith("run.jsonl line 3: expected a game {judgment, decision} with a text or null decision")
    assert problems[3] == ("run.jsonl line 4: expected the judge's judge_name and judge_model (in the row, its "
                           "judgments or the file name), found judge_name null, judge_model text 'toy-judge'")


# -- RewardBench-style chosen/rejected with subsets -------------------------------------------

def rewardbench_task(tmp_path, extra: str = ""):
    return task(tmp_path, f'[data]\npath = "{REWARDBENCH}/prefs.jsonl"\nformat = "chosen_rejected"\nid_field = "id"\n'
                          f'{extra}\n[[judge_labels]]\nname = "judge"\npath = "{REWARDBENCH}/verdicts.jsonl"\n'
                          'verdict = "ab"\nverdict_ba = "ba"\nmap = { A = "A", B = "B", tie = "tie" }\n')


def test_chosen_rejected_subsets_gold_and_accuracy_per_subset(store, tmp_path):
    """Worked in tests/fixtures/rewardbench/README.md: under the `both` rule the judge is right
    on r1 r2 (alpacaeval-easy: 2 of 3), r6 (llmbar-adver-neighbor: 1 of 3, r5 changes with the
    order and has no verdict) and r7 (math-prm: 1 of 2, r8 is a tie); 4 of 8 overall."""
    report = import_task_dir(store, rewardbench_task(tmp_path), allow_outside=True)
    assert (report.pairs_new, report.labels_added, report.judgments_added) == (8, 8, {"judge": 16})
    pairs = store.pairs_frame("t").set_index("pair")
    assert pairs["gold"].tolist() == ["A"] * 8  # the chosen response is A (chosen_side default)
    r4 = store.get_pair_by_external_id("t", "r4")
    assert (r4.domain, r4.model_a, r4.model_b) == ("llmbar-adver-neighbor", "human", "gpt-3.5")
    verdicts = judge_verdicts(store.judgments_frame("t"), "both")
    accuracy = gold_accuracy(verdicts, pairs["gold"], subsets=pairs["domain"])
    assert accuracy.accuracy.value == 0.5 and accuracy.n == 8
    per = {name: (s["accuracy"].extra["successes"], s["n"], s["n_unscored"]) for name, s in accuracy.per_subset.items()}
    assert per == {"alpacaeval-easy": (2, 3, 0), "llmbar-adver-neighbor": (1, 3, 1), "math-prm": (1, 2, 0)}


def test_chosen_rejected_gold_follows_the_chosen_side(store, tmp_path):
    import_task_dir(store, rewardbench_task(tmp_path, 'chosen_side = "random"\nseed = 3\n'), allow_outside=True)
    labels = {lab.pair: lab.choice for lab in store.current_labels("t")}
    pairs = list(store.pairs("t"))
    assert {p.gold for p in pairs} == {"A", "B"}
    assert all(p.gold == labels[p.id] for p in pairs)
    for p in pairs:  # the models follow their responses
        assert (p.model_a if p.gold == "A" else p.model_b) in ("gpt-4", "human")


def test_chosen_rejected_subset_field(store, tmp_path):
    rows = [{"prompt": "q", "chosen": "good", "rejected": "bad", "category": "chat"},
            {"prompt": "r", "chosen": "good", "rejected": "bad"}]
    folder = task(tmp_path, '[data]\npath = "p.jsonl"\nformat = "chosen_rejected"\nsubset_field = "category"\n',
                  files={"p.jsonl": rows})
    with pytest.raises(ImportRefused, match=r"p.jsonl line 2: expected a subset in 'category' \(the subset_field\), "
                                            "found no such field"):
        import_task_dir(store, folder, allow_outside=True)
    report = import_task_dir(store, folder, skip_bad=True, allow_outside=True)
    assert report.pairs_new == 1 and next(store.pairs("t")).domain == "chat"
    # without the option, rows without a `subset` field simply have no domain
    plain = task(tmp_path, '[data]\npath = "p.jsonl"\nformat = "chosen_rejected"\n', "plain", files={"p.jsonl": rows})
    import_task_dir(store, plain, allow_outside=True)
    assert {p.domain for p in store.pairs("plain")} == {""}


# -- [data] path: a list or a glob --------------------------------------------------------------

def pair_rows(prefix: str, n: int, label: str | None = None):
    return [{"id": f"{prefix}{i}", "prompt": f"q{i}", "a": f"A{i}", "b": f"B{i}", **({"label": label} if label else {})}
            for i in range(n)]


FIELDS_TOML = 'id = "id"\nprompt = "prompt"\nresponse_a = "a"\nresponse_b = "b"\n'


def test_data_path_list_and_glob(store, tmp_path):
    files = {"data/b.jsonl": pair_rows("b", 2), "data/a.jsonl": pair_rows("a", 3), "data/c.jsonl": pair_rows("c", 1)}
    folder = task(tmp_path, f'[data]\npath = "data/*.jsonl"\n{FIELDS_TOML}', files=files)
    spec = load_task_file(folder)
    assert [p.name for p in spec.data.paths] == ["a.jsonl", "b.jsonl", "c.jsonl"]  # sorted
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.files, report.pairs_new) == (3, 6)
    # a list keeps its order; a file named twice is read once
    folder = task(tmp_path, f'[data]\npath = ["data/c.jsonl", "data/*.jsonl"]\n{FIELDS_TOML}', "l", files=files)
    assert [p.name for p in load_task_file(folder).data.paths] == ["c.jsonl", "a.jsonl", "b.jsonl"]


def test_data_path_errors(tmp_path):
    folder = task(tmp_path, f'[data]\npath = "data/*.jsonl"\n{FIELDS_TOML}', files={"x.jsonl": pair_rows("x", 1)})
    with pytest.raises(TaskFileError, match=r"task.toml \[data\] path: expected a glob pattern matching at least one "
                                            r"file, found no match for 'data/\*.jsonl'"):
        load_task_file(folder)
    folder = task(tmp_path, f'[data]\npath = ["x.jsonl", "nothing*.csv"]\n{FIELDS_TOML}', "l",
                  files={"x.jsonl": pair_rows("x", 1)})
    with pytest.raises(TaskFileError, match=r"\[data\] path #2: expected a glob pattern matching at least one file"):
        load_task_file(folder)
    folder = task(tmp_path, f'[data]\npath = ["x.jsonl", 3]\n{FIELDS_TOML}', "n", files={"x.jsonl": pair_rows("x", 1)})
    with pytest.raises(TaskFileError, match=r"\[data\] path: expected a path, a glob pattern, or a list of them"):
        load_task_file(folder)
    folder = task(tmp_path, f'[data]\npath = ["x.jsonl", "y.csv"]\n{FIELDS_TOML}', "m",
                  files={"x.jsonl": pair_rows("x", 1), "y.csv": "id,prompt,a,b\ny,q,A,B\n"})
    with pytest.raises(TaskFileError, match=r"\[data\] format: expected files of one format \(jsonl, as x.jsonl\), "
                                            r"or a `format` key, found 'y.csv' \(csv\)"):
        load_task_file(folder)


def test_several_files_repeated_pair_and_locations(store, tmp_path):
    """The same pair in two files is imported once (its label too); within one file a
    repeated id is still an error, named with the file's folder."""
    extra = '\n[labels]\nannotators = { gold = "label" }\nmap = { A = "A", B = "B" }\n'
    files = {"one/p.jsonl": pair_rows("p", 2, "A"), "two/p.jsonl": pair_rows("p", 3, "A")}
    folder = task(tmp_path, f'[data]\npath = "*/p.jsonl"\n{FIELDS_TOML}{extra}', files=files)
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.votes_merged, report.labels_added) == (3, 2, 3)
    files["two/p.jsonl"] = pair_rows("p", 2, "A") + pair_rows("p", 1, "A")
    folder = task(tmp_path, f'[data]\npath = "*/p.jsonl"\n{FIELDS_TOML}{extra}', "dup", files=files)
    with pytest.raises(ImportRefused) as e:
        import_task_dir(store, folder, allow_outside=True)
    assert str(e.value.problems[0]) == ("two/p.jsonl line 3: expected a unique id, found id 'p0' again "
                                        "(first at two/p.jsonl line 1)")


# -- [task] baseline --------------------------------------------------------------------------

def models_task(tmp_path, baseline: str, rows: list[dict], name: str = "t"):
    return task(tmp_path, f'baseline = "{baseline}"\n\n[data]\npath = "p.jsonl"\n{FIELDS_TOML}'
                          'model_a = "ma"\nmodel_b = "mb"\n', name, files={"p.jsonl": rows})


def with_models(pairs):
    return [{"id": f"p{i}", "prompt": "q", "a": "x", "b": "y", "ma": a, "mb": b} for i, (a, b) in enumerate(pairs)]


def test_baseline_is_kept_and_checked(store, tmp_path):
    rows = with_models([("m1", "base"), ("base", "m2"), ("m1", "m2"), ("base", "base")])
    report = import_task_dir(store, models_task(tmp_path, "base", rows), allow_outside=True)
    task_ = store.get_task("t")
    assert task_.baseline == "base" and task_.settings.baseline == "base"
    assert report.notices == [
        "baseline 'base': 1 of 4 pairs compare two other models; they count only in the leaderboard's "
        "Bradley-Terry ratings",
        "baseline 'base': 1 of 4 pairs compare the baseline with itself (their candidate is the baseline)"]


def test_baseline_in_no_pair_is_refused(store, tmp_path, cli):
    rows = with_models([("m1", "gpt4_1106_preview"), ("m2", "gpt4_1106_preview")])
    before = counts(cli.db) if cli.db.exists() else None
    result = cli("tasks", "add", models_task(tmp_path, "gpt4_1106_previw", rows), "--allow-outside")
    assert result.exit_code == 1
    assert ("task.toml [task] baseline: expected a model named in the pairs' model_a or model_b, found "
            "'gpt4_1106_previw', which is in no pair (did you mean 'gpt4_1106_preview'? models: "
            "'gpt4_1106_preview', 'm1', 'm2')") in result.output
    assert before is None and counts(cli.db)["pairs"] == 0
    with pytest.raises(TaskFileError, match=r"\[task\] baseline: expected the name of the baseline model"):
        load_task_file(models_task(tmp_path, "", rows, "empty"))
    result = cli("tasks", "add", models_task(tmp_path, "m1", rows, "ok"), "--allow-outside")
    assert result.exit_code == 0, result.output
    assert "1 of 2 pairs compare two other models" in result.output


def test_several_runs_reimport_is_idempotent_through_the_cli(tmp_path, cli):
    folder = llmbar_runs_task(tmp_path)
    first = cli("tasks", "add", folder, "--allow-outside")
    assert first.exit_code == 0, first.output
    assert "Created runs: 20 rows read from 4 files, 5 new pairs, 0 unchanged, 0 updated." in first.output
    assert "15 row(s) repeat a pair read before" in first.output
    assert "judge Judge-X/Vanilla: 10 verdict(s) imported, 3 unscored." in first.output
    before = counts(cli.db)
    again = cli("tasks", "add", folder, "--json", "--allow-outside")
    report = json.loads(again.output)
    assert (report["files"], report["pairs_new"], report["pairs_unchanged"]) == (4, 0, 5)
    assert counts(cli.db) == before  # the verdicts of each run are replaced, not added again
