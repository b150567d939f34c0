"""Judge benchmarks on the real data in ../shared/data (skipped when absent): LLMBar's 65
published evaluator runs reproduce their statistics.json, the Claude-3-Haiku Arena-Hard run
of JudgeBench scores 32.222, and AlpacaEval models load as one task by a glob."""

from __future__ import annotations

from collections import Counter

import pytest

from annotator.analysis.gold import judgebench_score
from annotator.analysis.verdicts import consistency, judge_verdicts
from annotator.tasks import import_task_dir
from tests.tasks.llmbar_statistics import FIELDS, matches, published, recomputed
from tests.tasks.taskdirs import write_task

pytestmark = pytest.mark.realdata

JB_PAIRS = "dataset=judgebench,response_model=claude-3-5-sonnet-20240620.jsonl.gz"
JB_RUN = ("dataset=judgebench,response_model=claude-3-5-sonnet-20240620,judge_name=arena_hard,"
          "judge_model=claude-3-haiku-20240307.jsonl.gz")


def task(tmp_path, name: str, body: str):
    return write_task(tmp_path / name, f'[task]\nname = "{name}"\n{body}')


@pytest.fixture(scope="module")
def natural_runs(tmp_path_factory):
    """The 65 runs of LLMBar's Natural set, imported once as one task."""
    from annotator.store import Store
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    evaluators = (SHARED_DATA / "llmbar" / "Dataset" / "LLMBar" / "Natural" / "evaluators").resolve()
    folder = task(tmp_path_factory.mktemp("llmbar"), "natural",
                  f'allow_tie = false\n\n[data]\npath = "{evaluators}/*/*/result.json.gz"\nformat = "llmbar_run"\n')
    store = Store.memory()
    report = import_task_dir(store, folder, allow_outside=True)
    yield store, report, evaluators
    store.close()


def test_llmbar_65_runs_load_as_one_task(natural_runs):
    store, report, _ = natural_runs
    assert (report.files, report.rows, report.pairs_new, report.votes_merged) == (65, 6500, 100, 6400)
    assert len(report.judgments_added) == 65 and set(report.judgments_added.values()) == {200}
    assert "GPT-4/Swap_CoT" in report.judgments_added and "PaLM2/Vanilla_NoRules" in report.judgments_added
    assert sum(report.unscored_judgments.values()) == 31  # the null winners of the published files
    assert Counter(p.gold for p in store.pairs("natural")) == {"A": 42, "B": 58}  # labels 1 and 2


def test_llmbar_65_runs_reproduce_statistics_json(natural_runs):
    """Every field LLMBar's statistics.json reports that is right (``correct_False``,
    ``correct_True``, ``correct_both``, ``equal``, ``kappa_agreement``) reproduces for all 65."""
    store, _, evaluators = natural_runs
    mine = recomputed(store, "natural")
    assert len(mine) == 65
    reproduced = Counter()
    for run, figures in mine.items():
        for key, ok in matches(figures, published(evaluators / run / "statistics.json")).items():
            reproduced[key] += ok
    assert reproduced == dict.fromkeys(FIELDS, 65)


def test_llmbar_swapped_winner_is_not_flipped_again(natural_runs):
    """LLMBar's swap = True winner is already in the original frame. Read as it is, GPT-4's
    Vanilla run is 95 % consistent between the orders, as its statistics.json ``equal``
    says; turned once more (the obvious mapping of a swapped game) it would be 5 %."""
    store, _, evaluators = natural_runs
    verdicts = judge_verdicts(store.judgments_frame("natural"), "both")
    by_run = {run: consistency(rows).value for run, rows in verdicts.groupby("run_name")}
    assert by_run["GPT-4/Vanilla"] == pytest.approx(0.95)
    assert published(evaluators / "GPT-4" / "Vanilla" / "statistics.json")["equal"] == (95, 100)
    vanilla = verdicts[verdicts["run_name"] == "GPT-4/Vanilla"]
    flipped = vanilla["verdict_ba"].map({"A": "B", "B": "A"})
    assert (vanilla["verdict_ab"] == flipped).mean() == pytest.approx(0.05)


def test_llmbar_runs_share_the_llmbar_pairs(natural_runs, tmp_path, shared_data):
    store, _, _ = natural_runs
    folder = task(tmp_path, "bench", f'[data]\npath = "{shared_data}/llmbar/Dataset/LLMBar/Natural/dataset.json"\n'
                                     'format = "llmbar"\n')
    import_task_dir(store, folder, allow_outside=True)
    runs = {p.pair_id: p.content_hash for p in store.pairs("natural")}
    assert {p.pair_id: p.content_hash for p in store.pairs("bench")} == runs
    assert set(runs) == {f"Natural/{n}" for n in range(1, 101)}


def test_judgebench_claude_3_haiku_arena_hard_scores_32_222(store, tmp_path, shared_data):
    """JudgeBench's scoring (utils/metrics.py): per pair +1 for each game whose decision (the
    second flipped back) is the label, -1 for the opposite; correct when the sum is > 0.
    The published figure for this run: 32.222 (270 pairs, 135 inconsistent between games)."""
    data = shared_data / "judgebench"
    folder = task(tmp_path, "jb", f'allow_tie = false\n\n[data]\npath = ["{data}/{JB_PAIRS}", "{data}/{JB_RUN}"]\n'
                                  'format = "judgebench"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.judgments_added) == (270, {"arena_hard/claude-3-haiku-20240307": 540})
    assert report.unscored_judgments == {"arena_hard/claude-3-haiku-20240307": 13}  # null decisions
    pairs = store.pairs_frame("jb").set_index("pair")
    assert Counter(pairs["gold"]) == {"A": 143, "B": 127}
    assert pairs["domain"].nunique() == 17  # mmlu-pro-* (14), livebench-reasoning, -math, livecodebench
    verdicts = judge_verdicts(store.judgments_frame("jb"), "judgebench")
    assert round(judgebench_score(verdicts, pairs["gold"]), 3) == 32.222
    assert judgebench_score(verdicts, pairs["gold"]) == pytest.approx(100 * 87 / 270)
    # JudgeBench's "inconsistent": the two games' decisions (turned back) differ, a null included
    assert (verdicts["verdict_ab"].fillna("-") != verdicts["verdict_ba"].fillna("-")).sum() == 135
    assert Counter(verdicts["status"]) == {"consistent": 135, "inconsistent": 122, "partial": 13}


def test_alpaca_eval_models_by_glob_with_a_baseline(store, tmp_path, shared_data):
    # A slice of the twelve models (the two gpt4_* folders, the baseline among them): the glob
    # and the baseline rule are what is tested; all twelve load in test_realdata.py.
    results = shared_data / "alpacaeval2" / "results"
    folder = task(tmp_path, "ae", f'baseline = "gpt4_1106_preview"\n\n[data]\n'
                                  f'path = "{results}/gpt4*/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"\n'
                                  'format = "alpaca_eval"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.files, report.pairs_new) == (2, 805 * 2)
    assert report.judgments_added == {"weighted_alpaca_eval_gpt4_turbo": 1610}
    # the gpt4_1106_preview annotations are the baseline judged against itself
    assert report.notices == ["baseline 'gpt4_1106_preview': 805 of 1,610 pairs compare the baseline with itself "
                              "(their candidate is the baseline)"]
    assert store.get_task("ae").baseline == "gpt4_1106_preview"
    models = Counter(p.model_a for p in store.pairs("ae"))
    assert models == {"gpt4_0613_concise": 805, "gpt4_1106_preview": 805}
    assert {p.model_b for p in store.pairs("ae")} == {"gpt4_1106_preview"}
