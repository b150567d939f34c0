"""`annotator pack`, `annotator merge` and `annotator backup`."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Label, Pair, Store, Task
from annotator.store.copies import PackRefused, read_pack


def _project(path, n_pairs=6, overlap=2, gold=None):
    store = Store.open(path)
    store.save_task(Task(name="t", overlap=overlap, attention_rate=0.0))
    store.insert_pairs(Pair(task="t", pair_id=f"p{i}", prompt=f"q{i}", response_a=f"a{i}", response_b=f"b{i}",
                            gold=(gold or {}).get(i), content_hash=f"h{i}") for i in range(n_pairs))
    return store


def _run(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), *map(str, args)])


def _label_pack(path, annotator="dave", extra=()):
    """Label every packed pair as the pack's annotator (A), revise the first (B), plus ``extra``."""
    pack = Store.open(path)
    ids = [p.id for p in pack.pairs("t")]
    pack.add_labels([Label(pair=i, annotator=annotator, choice="A", shown_order="BA", factors={"x": "A"},
                           confidence=3, rationale="offline", seconds=4.0) for i in ids])
    pack.add_labels([Label(pair=ids[0], annotator=annotator, choice="B")])
    pack.add_labels([Label(pair=ids[1], annotator=who, choice="tie") for who in extra])
    pack.close()
    return ids


def test_pack_claims_the_annotators_next_pairs_and_keeps_answers_home(tmp_path):
    db = tmp_path / "main.db"
    store = _project(db, gold={0: "A", 1: "B"})
    store.close()
    result = _run(db, "pack", "--annotator", "dave", "--out", tmp_path / "dave.db", "--pairs", "3", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pairs_packed"] == 3
    raw = sqlite3.connect(tmp_path / "dave.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one portable file
    raw.close()
    packed = Store.open(tmp_path / "dave.db")
    assert [p.gold for p in packed.pairs("t")] == [None] * 3  # attention-check answers are not in the pack
    assert packed.project_id() == Store.open(db).project_id()
    main_store = Store.open(db)
    claimed = {c["pair"] for c in main_store.claims("t") if c["annotator"] == "dave"}
    assert {main_store.get_pair(p).pair_id for p in claimed} == {p.pair_id for p in packed.pairs("t")}
    again = _run(db, "pack", "--annotator", "dave", "--out", tmp_path / "dave.db")
    assert again.exit_code == 1 and "exists already" in again.output


def test_merge_is_idempotent_and_takes_only_the_packs_annotator(tmp_path):
    db = tmp_path / "main.db"
    _project(db).close()
    _run(db, "pack", "--annotator", "dave", "--out", tmp_path / "dave.db", "--pairs", "3")
    _label_pack(tmp_path / "dave.db", extra=("mallory",))
    first = _run(db, "merge", tmp_path / "dave.db", "--json")
    assert first.exit_code == 0, first.output
    [report] = json.loads(first.output)
    assert report["added"] == 4 and report["refused_annotators"] == {"mallory": 1}
    assert report["claims_released"] == 3
    store = Store.open(db)
    labels = store.current_labels("t")
    assert {label.annotator for label in labels} == {"dave"} and len(labels) == 3
    revised = [label for label in labels if label.revision == 2]
    assert len(revised) == 1 and revised[0].choice == "B" and revised[0].origin == "pack"
    kept = next(label for label in labels if label.revision == 1)
    assert (kept.shown_order, kept.factors, kept.confidence, kept.rationale, kept.seconds) == \
        ("BA", {"x": "A"}, 3, "offline", 4.0)
    store.close()
    second = json.loads(_run(db, "merge", tmp_path / "dave.db", "--json").output)[0]
    assert second["added"] == 0 and second["already_here"] == 4
    assert len(Store.open(db).current_labels("t")) == 3


def test_a_pair_labelled_here_meanwhile_is_kept_and_reported(tmp_path):
    db = tmp_path / "main.db"
    _project(db).close()
    _run(db, "pack", "--annotator", "dave", "--out", tmp_path / "dave.db", "--pairs", "2")
    [first_id, _] = _label_pack(tmp_path / "dave.db")
    pair_id = Store.open(tmp_path / "dave.db").get_pair(first_id).pair_id
    store = Store.open(db)
    here = store.get_pair_by_external_id("t", pair_id)
    store.add_labels([Label(pair=here.id, annotator="dave", choice="tie")])  # online, same pair
    store.close()
    result = _run(db, "merge", tmp_path / "dave.db")
    assert result.exit_code == 0, result.output
    assert f"conflict on {pair_id}: also labelled here (rev 1 tie" in result.output
    history = Store.open(db).label_history(here.id, "dave")
    assert [h.choice for h in history] == ["tie", "A", "B"]  # both kept; the pack's revisions appended


def test_a_pack_from_another_project_is_refused(tmp_path):
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    _project(ours).close()
    _project(theirs).close()  # the same task and pairs, another project
    _run(theirs, "pack", "--annotator", "dave", "--out", tmp_path / "theirs-dave.db", "--pairs", "2")
    _label_pack(tmp_path / "theirs-dave.db")
    result = _run(ours, "merge", tmp_path / "theirs-dave.db")
    assert result.exit_code == 1 and "comes from another project" in result.output
    assert Store.open(ours).current_labels("t") == []
    not_a_pack = _run(ours, "merge", theirs)
    assert not_a_pack.exit_code == 1 and "not a pack" in not_a_pack.output
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(PackRefused, match="not a readable SQLite database"):
        read_pack(tmp_path / "junk.db")


def test_a_pack_whose_pairs_differ_is_refused_whole(tmp_path):
    db = tmp_path / "main.db"
    _project(db).close()
    _run(db, "pack", "--annotator", "dave", "--out", tmp_path / "dave.db", "--pairs", "2")
    _label_pack(tmp_path / "dave.db")
    conn = sqlite3.connect(tmp_path / "dave.db")
    conn.execute("UPDATE pairs SET content_hash = 'edited' WHERE id = 2")
    conn.commit()
    conn.close()
    result = _run(db, "merge", tmp_path / "dave.db")
    assert result.exit_code == 1 and "has different content here" in result.output
    assert Store.open(db).current_labels("t") == []


def test_nothing_to_pack_writes_nothing(tmp_path):
    db = tmp_path / "main.db"
    store = _project(db, n_pairs=1, overlap=1)
    store.add_labels([Label(pair=1, annotator="x", choice="A")])
    store.close()
    result = _run(db, "pack", "--annotator", "dave", "--out", tmp_path / "dave.db")
    assert result.exit_code == 1 and "nothing to pack" in result.output
    assert not (tmp_path / "dave.db").exists() and list(tmp_path.glob(".dave*")) == []


def test_backup_while_annotators_write(tmp_path):
    """A writer in another thread (own connection, as another process would) keeps adding
    labels while the backup runs; the copy is consistent and passes integrity_check."""
    db = tmp_path / "main.db"
    _project(db, n_pairs=200, overlap=5).close()
    stop = threading.Event()

    def write():
        writer = Store.open(db)
        k = 0
        while not stop.is_set():
            writer.add_labels([Label(pair=1 + k % 200, annotator=f"w{k // 200}", choice="A")])
            k += 1
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        result = _run(db, "backup", tmp_path / "copy.db", "--json")
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["ok"] and summary["integrity_check"] == ["ok"] and summary["counts"]["pairs"] == 200
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == summary["counts"]["labels"]
    again = _run(db, "backup", tmp_path / "copy.db")
    assert again.exit_code == 1 and "exists already" in again.output
    assert _run(db, "backup", tmp_path / "copy.db", "--force").exit_code == 0
    itself = _run(db, "backup", db, "--force")
    assert itself.exit_code == 1 and "is the database itself" in itself.output
