"""The named formats on the real data sets in ../shared/data (skipped when absent), with the
counts and published numbers of ../shared/data/README.md and ../shared/ORACLES.md."""

from __future__ import annotations

import csv
from collections import Counter

import pandas as pd
import pytest

from annotator.store import Store
from annotator.tasks import import_task_dir
from tests.tasks.taskdirs import write_task

pytestmark = pytest.mark.realdata


def task(tmp_path, name: str, data: str):
    return write_task(tmp_path / name, f'[task]\nname = "{name}"\n\n[data]\n{data}')


def choices(store, task_name: str) -> Counter:
    return Counter(lab.choice for lab in store.current_labels(task_name))


def test_llmbar_benchmark_419(store, tmp_path, shared_data):
    folder = task(tmp_path, "llmbar", f'path = "{shared_data}/llmbar/Dataset/LLMBar"\nformat = "llmbar"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.labels_added, report.total_problems) == (419, 419, 0)
    by_subset = Counter(p.domain for p in store.pairs("llmbar"))
    assert by_subset == {"Natural": 100, "Adversarial/Neighbor": 134, "Adversarial/GPTInst": 92,
                         "Adversarial/GPTOut": 47, "Adversarial/Manual": 46}
    assert set(choices(store, "llmbar")) == {"A", "B"}  # no ties in LLMBar


@pytest.mark.parametrize("subset, n", [("FairEval", 66), ("MT-Bench", 200), ("LLMEval^2", 200)])
def test_llmbar_processed_sets(store, tmp_path, shared_data, subset, n):
    folder = task(tmp_path, "p", f'path = "{shared_data}/llmbar/Dataset/Processed/{subset}/dataset.json"\nformat = "llmbar"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.labels_added) == (n, n)


def test_faireval_80_pairs(store, tmp_path, shared_data):
    folder = task(tmp_path, "faireval", f'path = "{shared_data}/faireval"\nformat = "faireval"\n'
                                        'models = ["gpt35", "vicuna-13b"]\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.labels_added) == (80, 80)
    assert choices(store, "faireval") == {"A": 41, "B": 25, "tie": 14}  # CHATGPT / VICUNA13B / TIE
    first = store.get_pair_by_external_id("faireval", "1")
    assert first.prompt == "How can I improve my time management skills?"
    assert first.model_a.startswith("gpt-3.5-turbo") and first.model_b.startswith("vicuna-13b")


def test_autoj_1392_pairs_and_judge_in_both_orders(store, tmp_path, shared_data):
    folder = task(tmp_path, "autoj", f'path = "{shared_data}/autoj/testdata_pairwise.jsonl"\nformat = "autoj"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.labels_added, report.judgments_added) == (1392, 1392, {"auto-j-13b": 2784})
    assert choices(store, "autoj") == {"A": 520, "B": 499, "tie": 373}
    human = {lab.pair: lab.choice for lab in store.current_labels("autoj")}
    frame = store.judgments_frame("autoj")
    wide = frame.pivot(index="pair", columns="order", values="verdict")
    # ORACLES.md: agreement = the verdict in BOTH orders equals the human label (tie a class);
    # consistency = the same verdict in both orders after un-swapping the exchange file.
    agreement = sum(wide.loc[p, "AB"] == h and wide.loc[p, "BA"] == h for p, h in human.items()) / len(human)
    consistency = (wide["AB"] == wide["BA"]).mean()
    assert round(agreement * 100, 2) == 54.96
    assert round(consistency * 100, 2) == 83.41


def test_alpaca_eval_annotations_win_rate(store, tmp_path, shared_data):
    results = shared_data / "alpacaeval2" / "results"
    model = "OpenHermes-2.5-Mistral-7B"
    folder = task(tmp_path, "ae", f'path = "{results}/{model}/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"\n'
                                  'format = "alpaca_eval"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert report.pairs_new == 805
    assert report.judgments_added == {"weighted_alpaca_eval_gpt4_turbo": 805}
    frame = store.judgments_frame("ae")
    with open(shared_data / "alpacaeval2" / "leaderboards" / "weighted_alpaca_eval_gpt4_turbo_leaderboard.csv") as fh:
        row = next(r for r in csv.DictReader(fh) if r[""] == model)
    # win rate = mean(preference - 1) * 100 = mean(p_a) * 100 with the model as A
    assert frame["p_a"].mean() * 100 == pytest.approx(float(row["win_rate"]), rel=1e-12)
    assert float(row["win_rate"]) == pytest.approx(10.340415705751552, rel=1e-15)
    counts = frame["verdict"].value_counts()
    assert (counts["A"], counts["B"], counts["tie"]) == (int(row["n_wins"]), int(row["n_wins_base"]), int(row["n_draws"]))
    assert (counts["A"], counts["B"], counts["tie"]) == (75, 727, 3)
    pair = next(store.pairs("ae"))
    assert (pair.model_a, pair.model_b) == (model, "gpt4_1106_preview")


def test_alpaca_eval_model_outputs_pairs(store, tmp_path, shared_data):
    results = shared_data / "alpacaeval2" / "results"
    folder = task(tmp_path, "ao", f'path = "{results}/OpenHermes-2.5-Mistral-7B/model_outputs.json.gz"\n'
                                  'format = "alpaca_eval_outputs"\n'
                                  f'baseline = "{results}/gpt4_1106_preview/model_outputs.json.gz"\n')
    report = import_task_dir(store, folder, allow_outside=True)
    assert (report.pairs_new, report.total_problems) == (805, 0)
    # the same instructions, hence the same ids (after the model prefix) as the annotations
    annotations = task(tmp_path, "ae", f'path = "{results}/OpenHermes-2.5-Mistral-7B/weighted_alpaca_eval_gpt4_turbo/'
                                       'annotations.json.gz"\nformat = "alpaca_eval"\n')
    import_task_dir(store, annotations, allow_outside=True)
    judged = {p.pair_id.split("/", 1)[1]: (p.response_a, p.response_b) for p in store.pairs("ae")}
    assert {p.pair_id: (p.response_a, p.response_b) for p in store.pairs("ao")} == judged


def test_alpaca_eval_model_outputs_concise_against_verbose(store, tmp_path, shared_data):
    """alpaca-7b_concise has 804 outputs and alpaca-7b_verbose 802: 802 pairs, 2 unmatched."""
    results = shared_data / "alpacaeval2" / "results"
    folder = task(tmp_path, "ao", f'path = "{results}/alpaca-7b_concise/model_outputs.json.gz"\n'
                                  'format = "alpaca_eval_outputs"\n'
                                  f'baseline = "{results}/alpaca-7b_verbose/model_outputs.json.gz"\n')
    report = import_task_dir(store, folder, skip_bad=True, allow_outside=True)
    assert (report.pairs_new, report.total_problems) == (802, 2)
    assert str(report.problems[0]) == ("alpaca-7b_concise/model_outputs.json.gz item 367: expected the same "
                                       "instruction in model_outputs.json.gz, found no output for it there")
    pairs = pd.DataFrame([(p.model_a, p.model_b, len(p.response_a), len(p.response_b)) for p in store.pairs("ao")],
                         columns=["a", "b", "len_a", "len_b"])
    assert set(pairs.a) == {"alpaca-7b_concise"} and set(pairs.b) == {"alpaca-7b_verbose"}
    assert pairs.len_a.median() < pairs.len_b.median()


@pytest.mark.slow  # imports all 9,656 judged pairs (once per session, shared with the leaderboard test)
def test_alpaca_eval_folder_of_models(alpaca_eval_task):
    db, report = alpaca_eval_task  # the results folder imported once per session
    # twelve models; alpaca-7b_concise has 804 annotations and alpaca-7b_verbose 802
    assert report.pairs_new == 805 * 10 + 804 + 802
    assert report.judgments_added == {"weighted_alpaca_eval_gpt4_turbo": 9656}
    store = Store.open(db, migrate=False)
    try:
        assert len({p.model_a for p in store.pairs("ae")}) == 12
    finally:
        store.close()
