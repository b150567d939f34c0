"""task.toml keys of the assignment queue: calibration and claim_minutes."""

from __future__ import annotations

import pytest

from annotator.store import Label
from annotator.tasks import TaskFileError, import_task_dir, load_task_file
from tests.tasks.taskdirs import rows, write_task


def queue_task(folder, task_keys: str):
    toml = (f'[task]\nname = "q"\noverlap = 1\n{task_keys}\n\n[data]\npath = "pairs.jsonl"\nid = "id"\n'
            'prompt = "prompt"\nresponse_a = "a"\nresponse_b = "b"\n')
    return write_task(folder, toml, {"pairs.jsonl": rows(20)})


def test_calibration_batch_is_labelled_first_by_everyone(store, tmp_path):
    folder = queue_task(tmp_path / "q", "calibration = 4\nclaim_minutes = 5")
    spec = load_task_file(folder)
    assert spec.task.settings.as_dict() == {"calibration": 4, "claim_minutes": 5}
    import_task_dir(store, folder)
    task = store.get_task("q")
    firsts = {}
    for who in ("ann", "bob"):
        served = []
        for _ in range(4):
            pair = store.next_pair(task, who)
            store.add_label(Label(pair=pair.id, annotator=who, choice="A"))
            served.append(pair.pair_id)
        firsts[who] = served
    assert set(firsts["ann"]) == set(firsts["bob"])  # the same four pairs ...
    assert len(set(firsts["ann"])) == 4
    # After them, ordinary pairs (overlap 1): ann's fifth is not one bob gets.
    fifth = store.next_pair(task, "ann")
    assert fifth.pair_id not in firsts["ann"]
    assert store.next_pair(task, "bob").pair_id not in firsts["ann"] + [fifth.pair_id]


@pytest.mark.parametrize("keys, where", [
    ("calibration = -2", "calibration"),
    ("calibration = 1.5", "calibration"),
    ("claim_minutes = 0", "claim_minutes"),
    ("claim_minutes = 5000", "claim_minutes"),
])
def test_bad_queue_keys_are_named(tmp_path, keys, where):
    with pytest.raises(TaskFileError) as refused:
        load_task_file(queue_task(tmp_path / "bad", keys))
    assert where in str(refused.value)
