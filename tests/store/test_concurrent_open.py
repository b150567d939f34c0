"""Two processes opening (and so migrating) one new database at once: both succeed."""

import subprocess
import sys
import threading
from pathlib import Path

from annotator.store import Store, schema

REPO = Path(__file__).resolve().parents[2]


def test_many_connections_opening_one_new_database_at_once(tmp_path):
    """Each opener migrates a fresh file at the same moment; one applies, the others wait and find it done."""
    failures = []
    for round_ in range(6):
        db = tmp_path / f"x{round_}.db"
        barrier = threading.Barrier(6)

        def open_it(db=db, barrier=barrier):
            barrier.wait()
            try:
                Store.open(db).close()
            except Exception as e:  # noqa: BLE001 (collected for the assertion)
                failures.append(repr(e))

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        store = Store.open(db)
        assert store.schema_version == schema.latest_version() and store.integrity_problems() == []
        store.close()
    assert failures == []


def test_two_processes_import_into_one_new_database(tmp_path):
    """Real processes: both imports land whole, the database stays sound."""
    db = tmp_path / "x.db"
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "task.toml").write_text(
            f'[task]\nname = "{name}"\n[data]\npath = "pairs.jsonl"\nprompt = "p"\nresponse_a = "a"\nresponse_b = "b"\n')
        (folder / "pairs.jsonl").write_text(
            "".join(f'{{"p": "{name} {i}", "a": "x", "b": "y"}}\n' for i in range(300)))
    procs = [subprocess.Popen([sys.executable, "-m", "annotator", "--db", str(db), "tasks", "add", str(tmp_path / n)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in ("one", "two")]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    store = Store.open(db)
    assert {t.name: store.task_counts(t.name)["pairs"] for t in store.tasks()} == {"one": 300, "two": 300}
    assert store.integrity_problems() == []
