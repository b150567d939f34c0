"""Training before labelling: practice pairs from [training], feedback, a pass mark that
gates the real pairs, answers kept apart from the labels."""

from __future__ import annotations

import json

from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Store
from annotator.store.models import TaskSettings
from annotator.tasks.taskfile import load_task_file
from annotator.tui.app import create_app
from annotator.tui.screens.pair import PairScreen
from annotator.tui.screens.training import TrainingScreen

from .conftest import make_task

WIDE = (160, 45)
TRAINING = {"pass": 1.0, "retries": True, "pairs": [
    {"prompt": "What is 2 + 2?", "response_a": "4", "response_b": "5", "choice": "A",
     "explanation": "B is wrong: 2 + 2 is 4.", "factors": {"misinformation": "B"}},
    {"prompt": "Capital of France?", "response_a": "Lyon", "response_b": "Paris", "choice": "B",
     "explanation": "Paris is the capital.", "factors": {}},
]}


def trained_task(store, retries=True):
    task = make_task(store)
    task.settings = TaskSettings(training={**TRAINING, "retries": retries})
    store.save_task(task, replace=True)
    return task


def result(app) -> str:
    return str(app.screen.query_one("#training-result").render())


async def test_training_gates_the_real_pairs_and_is_kept_apart(store, settings):
    trained_task(store)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        assert isinstance(app.screen, TrainingScreen)
        await pilot.press("2")  # wrong
        assert "Expected A better" in result(app) and "2 + 2 is 4" in result(app)
        assert "misinformation: B shows more" in result(app)
        await pilot.press("enter", "2")  # right
        assert "As expected" in result(app)
        await pilot.press("enter")
        assert "1 of 2 as expected" in result(app) and "Not passed yet" in result(app)
        await pilot.press("enter")  # not passed: Enter does not start labelling
        assert isinstance(app.screen, TrainingScreen)
        await pilot.press("r", "1", "enter", "2", "enter")
        assert "Passed" in result(app)
        await pilot.press("enter")
        assert isinstance(app.screen, PairScreen)
        await pilot.press("1", "enter")
    rows = store.query("SELECT attempt, item, choice, correct FROM training_answers ORDER BY id")
    assert [(r["attempt"], r["item"], r["choice"], r["correct"]) for r in rows] == \
        [(1, 0, "B", 0), (1, 1, "B", 1), (2, 0, "A", 1), (2, 1, "B", 1)]
    assert len(store.current_labels("t")) == 1  # the real label only
    assert len(store.labels_frame("t")) == 1  # statistics never see training answers
    # Passed once: the next session goes straight to the real pairs.
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE):
        assert isinstance(app.screen, PairScreen)


async def test_one_attempt_only_when_retries_are_off(store, settings):
    trained_task(store, retries=False)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("2", "enter", "1", "enter")
        assert "ask the researcher" in result(app)
        await pilot.press("r")
        assert "ask the researcher" in result(app)
        await pilot.press("q")
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=WIDE):
        assert isinstance(app.screen, TrainingScreen) and "ask the researcher" in result(app)
    assert store.current_labels("t") == []


def test_training_in_task_toml_and_the_score_in_annotators_list(tmp_path):
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "pairs.jsonl").write_text(json.dumps({"id": "p1", "prompt": "q", "response_a": "a",
                                                    "response_b": "b"}) + "\n", encoding="utf-8")
    (folder / "task.toml").write_text('''
[task]
name = "tr"
[data]
path = "pairs.jsonl"
format = "jsonl"
id = "id"
prompt = "prompt"
response_a = "response_a"
response_b = "response_b"
[training]
pass = 0.5
retries = false
[[training.pairs]]
prompt = "What is 2 + 2?"
response_a = "4"
response_b = "5"
choice = "A"
explanation = "2 + 2 is 4."
''', encoding="utf-8")
    spec = load_task_file(folder)
    assert spec.task.settings.training["pass"] == 0.5
    assert spec.task.settings.training["pairs"][0]["choice"] == "A"
    db = tmp_path / "a.db"
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db), "tasks", "add", str(folder)]).exit_code == 0
    store = Store.open(db)
    store.add_training_answer("tr", "zoe", 1, 0, "A", "A")
    store.close()
    out = runner.invoke(main, ["--db", str(db), "annotators", "list"], env={"COLUMNS": "200"}).output
    assert "1/1 passed" in out
    records = json.loads(runner.invoke(main, ["--db", str(db), "annotators", "list", "--json"]).output)
    assert records[0]["training"]["passed"] is True
    bad = (folder / "task.toml").read_text(encoding="utf-8").replace("pass = 0.5", "pass = 5")
    (folder / "task.toml").write_text(bad, encoding="utf-8")
    result = runner.invoke(main, ["--db", str(db), "tasks", "add", str(folder), "--update"])
    assert result.exit_code != 0 and "pass" in result.output
