"""Round trip: a labels export and a gold export import back as tasks with the same pairs and labels.

The task.toml files below are the ones docs/exports.md shows.
"""

import pandas as pd

from annotator.export.gold import gold_set, write_gold
from annotator.export.labels import write_labels
from annotator.export.options import GoldOptions, LabelExportOptions
from annotator.store import Store
from annotator.tasks.importer import import_task_dir

PAIR_MAPPING = """
id = "pair_id"
prompt = "prompt"
response_a = "response_a"
response_b = "response_b"
model_a = "model_a"
model_b = "model_b"
domain = "domain"
source = "source"
"""

LABELS_TOML = f"""
[task]
name = "back"

[data]
path = "labels.jsonl"
rows = "votes"
{PAIR_MAPPING}
[labels]
annotator_from = "annotator"
label = "choice_as_shown"      # with shown_order, read in the frame the annotator saw
shown_order = "shown_order"
map = {{ A = "A", B = "B", tie = "tie" }}
"""

GOLD_TOML = f"""
[task]
name = "gold-back"

[data]
path = "gold.jsonl"
{PAIR_MAPPING}
[labels]
annotators = {{ gold = "label" }}
map = {{ A = "A", B = "B", tie = "tie" }}
"""

PAIR_FIELDS = ("prompt", "response_a", "response_b", "model_a", "model_b", "domain", "source")


def _pairs(store, task, only=None):
    return {p.pair_id: tuple(getattr(p, f) for f in PAIR_FIELDS) for p in store.pairs(task)
            if only is None or p.pair_id in only}


def _labels(store, task):
    """(pair_id, annotator) -> (current choice, shown order, number of revisions)."""
    out = {}
    for label in store.current_labels(task):
        pair_id = store.get_pair(label.pair).pair_id
        out[(pair_id, label.annotator)] = (label.choice, label.shown_order,
                                           len(store.label_history(label.pair, label.annotator)))
    return out


def test_a_labels_export_imports_back_with_the_same_pairs_and_labels(campaign, tmp_path):
    folder = tmp_path / "back"
    folder.mkdir()
    write_labels(campaign, "c", folder / "labels.jsonl", "jsonl", LabelExportOptions(keep_names=True, texts=True))
    (folder / "task.toml").write_text(LABELS_TOML)
    other = Store.memory()
    report = import_task_dir(other, folder)
    assert report.pairs_new == 4 and report.labels_added == 10  # every revision, in order
    assert _pairs(other, "back") == _pairs(campaign, "c")
    assert _labels(other, "back") == _labels(campaign, "c")


def test_a_gold_export_imports_back_with_the_same_pairs_and_gold_labels(campaign, tmp_path):
    folder = tmp_path / "gold"
    folder.mkdir()
    gold = gold_set(campaign, "c", GoldOptions())
    write_gold(campaign, gold, folder / "gold.jsonl", "jsonl")
    (folder / "task.toml").write_text(GOLD_TOML)
    other = Store.memory()
    import_task_dir(other, folder)
    kept = set(gold.table.index)
    exported = {campaign.get_pair(p).pair_id for p in kept}
    assert _pairs(other, "gold-back") == _pairs(campaign, "c", only=exported)
    imported = {pair_id: choice for (pair_id, _), (choice, _, _) in _labels(other, "gold-back").items()}
    expected = {campaign.get_pair(p).pair_id: label for p, label in gold.table["label"].items() if pd.notna(label)}
    assert imported == expected and (expected["p1"], expected["p2"], expected["p4"]) == ("A", "B", "tie")
