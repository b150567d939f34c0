"""Gold-set exports: aggregated labels, filters, formats, provenance, atomic writes."""

import json
import os
import stat

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.export.gold import GoldOptions, gold_frame, gold_set, write_gold
from annotator.export.options import FORMATS
from annotator.store import Label, Pair, Store, Task
from annotator.tasks.profile import PROFILE_FACTORS


def _fill(store: Store) -> None:
    """Pair 1: 3 x A (unanimous). Pair 2: B, B, A. Pair 3: A, B (split, disputed).
    Pair 4: tie, tie, tie. Pair 5: unlabelled."""
    store.save_task(Task(name="g", factors=[PROFILE_FACTORS["length"]]))
    store.insert_pairs([
        Pair(task="g", pair_id=f"p{i}", prompt=f"q{i}", response_a=f"a{i}", response_b=f"b{i}",
             model_a="cand", model_b="base", content_hash=str(i)) for i in range(1, 6)
    ])
    votes = {1: "AAA", 2: "BBA", 3: "AB", 4: ["tie"] * 3}
    labels = []
    for pair, choices in votes.items():
        for who, choice in zip(("x", "y", "z"), choices):
            labels.append(Label(pair=pair, annotator=who, choice=choice, factors={"length": "A"}))
    store.add_labels(labels)


@pytest.fixture
def gold_store(store):
    _fill(store)
    return store


def test_gold_frame_rows_and_columns(gold_store):
    frame = gold_frame(gold_store, "g").set_index("pair_id")
    assert list(frame.index) == ["p1", "p2", "p3", "p4"]  # the unlabelled pair is left out
    assert frame.loc["p1", "label"] == "A" and frame.loc["p1", "majority_share"] == 1.0
    assert frame.loc["p2", "label"] == "B" and frame.loc["p2", "majority_share"] == pytest.approx(2 / 3)
    # split top votes: no gold label (not a tie), kept as unresolved until adjudicated
    assert pd.isna(frame.loc["p3", "label"]) and frame.loc["p3", "majority"] == "split"
    assert frame.loc["p3", "provenance"] == "unresolved" and bool(frame.loc["p3", "needs_adjudication"])
    # pseudonyms by default: x labelled first, so x is annotator-1
    assert frame.loc["p1", "annotators"] == ["annotator-1", "annotator-2", "annotator-3"]
    assert frame.loc["p1", "label_ids"] == [1, 2, 3]  # each annotator's label, in the same order
    named = gold_frame(gold_store, "g", GoldOptions(keep_names=True)).set_index("pair_id")
    assert named.loc["p1", "annotators"] == ["x", "y", "z"]
    assert frame.loc["p1", "factor_length"] == "A"
    assert frame.loc["p1", "response_a"] == "a1"


def test_filters(gold_store):
    strict = gold_frame(gold_store, "g", GoldOptions(min_agreement=0.9, include_disputed=False))
    assert list(strict["pair_id"]) == ["p1", "p4"]
    three_votes = gold_frame(gold_store, "g", GoldOptions(min_votes=3))
    assert "p3" not in set(three_votes["pair_id"])


def test_chosen_rejected_leaves_out_ties(gold_store, tmp_path):
    path = tmp_path / "cr.jsonl"
    n, skipped = write_gold(gold_store, gold_set(gold_store, "g"), path, "chosen-rejected")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert n == 2 and [r["pair_id"] for r in rows] == ["p1", "p2"]
    assert skipped == {"tie (a preference pair needs a decisive label)": 1, "no gold label (top votes split)": 1}
    assert rows[0]["chosen"] == "a1" and rows[0]["rejected"] == "b1"
    assert rows[1]["chosen"] == "b2" and rows[1]["rejected"] == "a2"


def test_alpaca_eval_format_puts_b_as_baseline(gold_store, tmp_path):
    path = tmp_path / "ae.json"
    write_gold(gold_store, gold_set(gold_store, "g"), path, "alpaca-eval")
    rows = {r["pair_id"]: r for r in json.loads(path.read_text())}
    assert rows["p1"]["preference"] == 2.0 and rows["p1"]["output_2"] == "a1" and rows["p1"]["generator_1"] == "base"
    assert rows["p2"]["preference"] == 1.0 and rows["p4"]["preference"] == 1.5


@pytest.mark.parametrize("fmt,reader", [
    ("jsonl", lambda p: pd.read_json(p, lines=True)),
    ("csv", pd.read_csv),
    ("parquet", pd.read_parquet),
])
def test_table_formats_round_trip_with_provenance(gold_store, tmp_path, fmt, reader):
    path = tmp_path / f"gold.{fmt}"
    assert write_gold(gold_store, gold_set(gold_store, "g"), path, fmt) == (4, {})
    back = reader(path)
    assert list(back["pair_id"]) == ["p1", "p2", "p3", "p4"]
    saved = json.loads((tmp_path / f"gold.{fmt}.meta.json").read_text())
    assert saved["task"] == "g" and saved["rows"] == 4 and saved["aggregate"] == "majority"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_failed_write_leaves_no_file(gold_store, tmp_path):
    gold = gold_set(gold_store, "g")
    gold.table["n_votes"] = "three"  # parquet's int64 column refuses text half-way through the export
    path = tmp_path / "gold.parquet"
    with pytest.raises(Exception):  # noqa: B017 (pyarrow raises one of several types)
        write_gold(gold_store, gold, path, "parquet")
    assert list(tmp_path.iterdir()) == []


def test_export_command(tmp_path, monkeypatch):
    db = tmp_path / "g.db"
    store = Store.open(db)
    _fill(store)
    store.close()
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db), "export", "gold", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["records"] == 4 and (tmp_path / "exports" / "g-gold.jsonl").exists()
    cr = runner.invoke(main, ["--db", str(db), "export", "gold", "--format", "chosen-rejected",
                              "--out", str(tmp_path / "x.jsonl")])
    assert cr.exit_code == 0 and "2 record(s)" in cr.output
    assert (tmp_path / "exports" / "g-gold.jsonl").exists()  # a second format never replaces the first
    nothing = runner.invoke(main, ["--db", str(db), "export", "gold", "--min-agreement", "1", "--min-votes", "4",
                                   "--force"])
    assert nothing.exit_code == 1 and "nothing to export" in nothing.output

@pytest.mark.parametrize("fmt", list(FORMATS))
def test_files_get_the_usual_permissions(store, tmp_path, fmt):
    """Not the 0600 of a temporary file: a gold set is meant to be shared."""
    _fill(store)
    old = os.umask(0o022)
    try:
        write_gold(store, gold_set(store, "g"), tmp_path / "gold.out", fmt)
    finally:
        os.umask(old)
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name


@pytest.mark.parametrize("fmt", ["chosen-rejected", "alpaca-eval"])
def test_every_format_keeps_its_provenance(store, tmp_path, fmt):
    _fill(store)
    write_gold(store, gold_set(store, "g"), tmp_path / "gold.out", fmt)
    assert json.loads((tmp_path / "gold.out.meta.json").read_text())["task"] == "g"


def _db(tmp_path, task="g"):
    db = tmp_path / "g.db"
    store = Store.open(db)
    if task == "g":
        _fill(store)
    else:
        store.save_task(Task(name=task))
        store.insert_pairs([Pair(task=task, pair_id="p", prompt="q", response_a="a", response_b="b", content_hash="h")])
        store.add_labels([Label(pair=1, annotator="x", choice="A")])
    store.close()
    return db


def test_the_message_says_why_pairs_were_left_out(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(_db(tmp_path)), "export", "gold", "--format", "chosen-rejected",
                                       "--out", str(tmp_path / "cr.jsonl")])
    assert result.exit_code == 0, result.output
    assert "1 tie (a preference pair needs a decisive label)" in result.output
    assert "1 no gold label (top votes split)" in result.output


def test_a_task_name_with_slashes_stays_in_exports(tmp_path, monkeypatch):
    db = _db(tmp_path, task="../team/a b")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--db", str(db), "export", "gold", "--json"])
    assert result.exit_code == 0, result.output
    written = tmp_path / json.loads(result.output)["path"]
    assert written.parent == tmp_path / "exports" and written.exists()


def test_an_output_path_that_cannot_be_written(tmp_path):
    (tmp_path / "afile").write_text("x")
    result = CliRunner().invoke(main, ["--db", str(_db(tmp_path)), "export", "gold",
                                       "--out", str(tmp_path / "afile" / "gold.jsonl")])
    assert result.exit_code == 1 and not isinstance(result.exception, OSError)
    assert "cannot write" in result.output


def test_a_pipe_or_device_is_written_through_not_replaced(store, tmp_path):
    """`--out /dev/stdout` or a named pipe: the rename of an atomic write would put a regular
    file in the pipe's (or, as root, the device's) place."""
    import threading

    _fill(store)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    assert write_gold(store, gold_set(store, "g"), fifo, "jsonl") == (4, {})
    reader.join(timeout=60)  # ends as soon as the writer closes the pipe; the bound stops a hang
    assert not reader.is_alive()
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the pipe
    assert len(got[0].splitlines()) == 4
    assert not (tmp_path / "pipe.meta.json").exists()  # no provenance file beside a stream


def test_a_symlinked_output_keeps_its_link(store, tmp_path):
    _fill(store)
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    write_gold(store, gold_set(store, "g"), link, "jsonl", force=True)
    assert link.is_symlink() and len(real.read_text().splitlines()) == 4


def test_rows_follow_the_pairs_order_whatever_the_order_of_labelling(store):
    store.save_task(Task(name="o"))
    store.insert_pairs([Pair(task="o", pair_id=f"p{i}", prompt="q", response_a="a", response_b="b",
                             content_hash=str(i)) for i in range(1, 4)])
    store.add_labels([Label(pair=3, annotator="x", choice="A")])
    store.add_labels([Label(pair=1, annotator="x", choice="B")])
    store.add_labels([Label(pair=2, annotator="x", choice="A")])
    assert list(gold_frame(store, "o")["pair_id"]) == ["p1", "p2", "p3"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "chosen-rejected", "alpaca-eval"])
def test_dawid_skene_is_fitted_only_under_its_aggregate(tmp_path, monkeypatch, fmt):
    """Issue 22: nothing computed that the output does not use: with --aggregate majority
    Dawid-Skene is not fitted (its columns are empty); with --aggregate dawid-skene it is."""
    import annotator.analysis.aggregate as aggregate

    db = tmp_path / "g.db"
    store = Store.open(db)
    _fill(store)
    store.close()

    def refuse(*args, **kwargs):
        raise AssertionError("Dawid-Skene fitted under --aggregate majority")

    monkeypatch.setattr(aggregate, "dawid_skene", refuse)
    result = CliRunner().invoke(main, ["--db", str(db), "export", "gold", "--format", fmt,
                                       "--out", str(tmp_path / "x.out")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "x.out.meta.json").read_text())
    assert meta["dawid_skene_fitted"].startswith("not computed")
    with_ds = CliRunner().invoke(main, ["--db", str(db), "export", "gold", "--format", fmt, "--aggregate",
                                        "dawid-skene", "--out", str(tmp_path / "y.out")])
    assert with_ds.exit_code == 1  # asked for: fitted


def test_the_both_bad_counts_come_from_the_votes_read_once(tmp_path, monkeypatch):
    """``votes_both_bad``, the summary's and the ``.meta.json``'s ``both_bad`` are counted from
    the current votes the gold set read (a revised label counts once, as its newest revision;
    an --exclude'd annotator not at all), never by a query per count: the same figures
    ``both_bad_json`` gives."""
    from annotator.analysis.both_bad import both_bad_json
    from annotator.store.models import TaskSettings

    db = tmp_path / "bb.db"
    store = Store.open(db)
    store.save_task(Task(name="bb", settings=TaskSettings(choices=["A", "B", "tie", "both_bad"])))
    store.insert_pairs(Pair(task="bb", pair_id=f"p{i}", prompt=f"q{i}", response_a=f"a{i}", response_b=f"b{i}",
                            content_hash=str(i)) for i in range(3))
    ids = [p.stored_id for p in store.pairs("bb")]
    store.add_labels(Label(pair=p, annotator=w, choice=c) for w, row in (("x", ["both_bad", "A", "both_bad"]),
                                                                         ("y", ["both_bad", "both_bad", "B"]),
                                                                         ("z", ["both_bad", "B", "B"]))
                     for p, c in zip(ids, row))
    store.add_labels([Label(pair=ids[2], annotator="x", choice="A")])  # x's newest label of p2 is no longer both bad
    expected = {rule: both_bad_json(store, "bb", rule, ("z",)) for rule in ("tie", "exclude")}
    store.close()

    def no_query(*args, **kwargs):
        raise AssertionError("the both-bad labels were counted by a query of their own")

    monkeypatch.setattr(Store, "choice_by_pair", no_query)
    for rule in ("tie", "exclude"):
        out = tmp_path / f"{rule}.csv"
        result = CliRunner().invoke(main, ["--db", str(db), "export", "gold", "--task", "bb", "--format", "csv",
                                           "--out", str(out), "--exclude", "z", "--both-bad", rule, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["both_bad"] == expected[rule] and expected[rule]["labels"] == 3
        assert json.loads(out.with_name(out.name + ".meta.json").read_text())["both_bad"] == expected[rule]
        # as stored, whatever the rule (p2: x revised theirs, z is left out); under "exclude" p0 has no vote left
        assert list(pd.read_csv(out)["votes_both_bad"]) == ([2, 1, 0] if rule == "tie" else [1, 0])
    plain = tmp_path / "plain.db"  # a task that neither offers nor holds "both_bad": no count at all
    _fill(Store.open(plain))
    result = CliRunner().invoke(main, ["--db", str(plain), "export", "gold", "--task", "g", "--format", "csv",
                                       "--out", str(tmp_path / "g.csv"), "--json"])
    assert result.exit_code == 0, result.output
    assert "both_bad" not in json.loads(result.output)
    assert "both_bad" not in json.loads((tmp_path / "g.csv.meta.json").read_text())
