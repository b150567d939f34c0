"""The report's annotators section has a line per annotator for training: their latest score
(correct / items), the attempt and whether it passed, from the same computation as
`annotators list`."""

from __future__ import annotations

from annotator.store import Store
from annotator.store.models import TaskSettings

from .conftest import run_cli
from .parse import html_tables

TRAINING = {"pass": 1.0, "retries": True, "pairs": [
    {"prompt": "2 + 2?", "response_a": "4", "response_b": "5", "choice": "A", "explanation": "4.", "factors": {}},
    {"prompt": "Capital of France?", "response_a": "Lyon", "response_b": "Paris", "choice": "B",
     "explanation": "Paris.", "factors": {}},
]}


def test_a_training_line_per_annotator_in_html_and_markdown(tmp_path):
    from annotator.store import Task
    from tests.conftest import make_pairs

    db = tmp_path / "t.db"
    store = Store.open(db)
    store.save_task(Task(name="tr", title="Trained", overlap=2, settings=TaskSettings(training=TRAINING)))
    store.insert_pairs(make_pairs("tr", 4))
    store.add_training_answer("tr", "zoe", 1, 0, "A", "A")
    store.add_training_answer("tr", "zoe", 1, 1, "A", "B")   # attempt 1: 1/2
    store.add_training_answer("tr", "zoe", 2, 0, "A", "A")
    store.add_training_answer("tr", "zoe", 2, 1, "B", "B")   # attempt 2: 2/2 passed
    store.add_training_answer("tr", "max", 1, 0, "B", "A")   # 0 of 1 answered so far
    store.close()
    out = tmp_path / "r.html"
    run_cli(db, "report", "--task", "tr", "--out", str(out), "--bootstrap", "0")
    table = next(t for t in html_tables(out.read_text()) if t["caption"].startswith("Training"))
    assert table["rows"][1:] == [["max", "0/2", "1", "so far"], ["zoe", "2/2", "2", "passed"]]
    assert "pass mark 100%" in table["caption"]
    md = out.with_suffix(".md").read_text()
    assert "| zoe | 2/2 | 2 | passed |" in md and "| max | 0/2 | 1 | so far |" in md
