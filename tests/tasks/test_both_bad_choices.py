"""task.toml `choices`: an optional "both_bad" answer, checked with the other [task] keys."""

from __future__ import annotations

import pytest

from annotator.tasks import TaskFileError, import_task_dir, load_task_file
from tests.tasks.taskdirs import jsonl_task, rows


def test_choices_default_to_the_three_and_may_add_both_bad(store, tmp_path):
    plain = load_task_file(jsonl_task(tmp_path / "plain", rows(1))).task
    assert plain.label_choices == ("A", "B", "tie") and not plain.allows_both_bad
    folder = jsonl_task(tmp_path / "bb", rows(2), name="bb", extra="")
    text = (folder / "task.toml").read_text().replace('name = "bb"', 'name = "bb"\nchoices = ["A", "B", "tie", "both_bad"]')
    (folder / "task.toml").write_text(text)
    import_task_dir(store, folder)
    task = store.require_task("bb")
    assert task.label_choices == ("A", "B", "tie", "both_bad") and task.allows_both_bad
    assert task.choices == ("A", "B", "tie")  # the preference categories statistics count


def test_choices_without_tie_set_allow_tie(tmp_path):
    folder = jsonl_task(tmp_path / "t", rows(1))
    text = (folder / "task.toml").read_text().replace('name = "t"', 'name = "t"\nchoices = ["both_bad", "B", "A"]')
    (folder / "task.toml").write_text(text)
    task = load_task_file(folder).task
    assert task.label_choices == ("A", "B", "both_bad") and task.allow_tie is False


@pytest.mark.parametrize("line, parts", [
    ('choices = ["A", "B", "bothbad", "tye"]', ["choices[2]", "did you mean 'both_bad'?", "choices[3]",
                                                 "did you mean 'tie'?", "overlap"]),
    ('choices = ["A", "tie"]', ['"A" and "B"', "overlap"]),
    ('choices = ["A", "B", "A"]', ["each choice once", "overlap"]),
    ('choices = "A"', ["[task] choices", "a list of text", "overlap"]),
    ('choices = ["A", "B", "both_bad"]\nallow_tie = true', ["allow_tie", 'leaves out "tie"', "overlap"]),
])
def test_bad_choices_are_reported_with_every_other_problem(tmp_path, line, parts):
    folder = jsonl_task(tmp_path / "t", rows(1))
    text = (folder / "task.toml").read_text().replace('name = "t"', f'name = "t"\noverlap = "two"\n{line}')
    (folder / "task.toml").write_text(text)
    with pytest.raises(TaskFileError) as error:
        load_task_file(folder)
    for part in parts:
        assert part in str(error.value), (part, str(error.value))
