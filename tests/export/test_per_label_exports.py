"""`export labels`, `export judgments`, `export soft-labels`: rows, frames, pseudonyms, --exclude."""

import csv
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.export.judgments import write_judgments
from annotator.export.labels import write_labels
from annotator.export.options import JudgmentExportOptions, LabelExportOptions, SoftLabelOptions
from annotator.export.soft_labels import soft_labels, write_soft_labels


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_row_per_revision_with_both_frames(campaign, tmp_path):
    path = tmp_path / "l.jsonl"
    assert write_labels(campaign, "c", path, "jsonl") == 10
    rows = _jsonl(path)
    first = rows[0]
    # bob saw B first (BA) and chose canonical A: on his screen that was the right-hand "B"
    assert (first["annotator"], first["choice"], first["shown_order"], first["choice_as_shown"]) == \
        ("annotator-1", "A", "BA", "B")
    assert (first["factor_length"], first["factor_length_as_shown"]) == ("A", "B")
    assert (first["factor_coherence"], first["factor_coherence_as_shown"]) == ("B", "A")
    assert first["rationale"] == "B is longer" and first["confidence"] == 4 and first["seconds"] == 12.5
    bob_p2 = [r for r in rows if r["pair_id"] == "p2" and r["annotator"] == "annotator-1"]
    assert [(r["revision"], r["current"], r["choice"]) for r in bob_p2] == [(1, False, "A"), (2, True, "B")]
    assert bob_p2[1]["other_factors"] == {"old_factor": "A"}  # a factor no longer on the checklist is kept
    assert {r["annotator"] for r in rows} == {"annotator-1", "annotator-2", "annotator-3"}
    assert all("texts" not in r and "prompt" not in r for r in rows)


def test_names_texts_and_exclusion(campaign, tmp_path):
    path = tmp_path / "l.csv"
    n = write_labels(campaign, "c", path, "csv", LabelExportOptions(exclude=("eve",), keep_names=True, texts=True))
    rows = list(csv.DictReader(path.open(newline="")))
    assert n == len(rows) == 8 and {r["annotator"] for r in rows} == {"bob", "alice"}
    p1 = next(r for r in rows if r["pair_id"] == "p1")
    assert p1["prompt"] == "'=cmd|' /C calc'!A0"  # OWASP: the formula is shown as text
    assert p1["response_a"] == "'- first\n'- second" and p1["response_b"] == "'@B"
    revised = next(r for r in rows if r["rationale"].startswith("'="))
    assert revised["rationale"] == "'=HYPERLINK(\"x\")"
    meta = json.loads((tmp_path / "l.csv.meta.json").read_text())
    assert meta["excluded_annotators"] == ["eve"] and meta["annotator_ids"] == "names" and "OWASP" in meta["csv_cells"]


def test_pseudonyms_are_the_same_in_every_export(campaign, tmp_path):
    from annotator.export.gold import gold_frame

    write_labels(campaign, "c", tmp_path / "l.jsonl", "jsonl")
    labels = _jsonl(tmp_path / "l.jsonl")
    bob = {r["annotator"] for r in labels if r["rationale"] == "B is longer"}
    assert bob == {"annotator-1"}  # bob labelled first
    gold = gold_frame(campaign, "c").set_index("pair_id")
    assert gold.loc["p4", "annotators"] == ["annotator-1"]  # only bob labelled p4
    soft = soft_labels(campaign, "c")
    write_soft_labels(campaign, soft, tmp_path / "s.jsonl", "jsonl")
    p4 = next(r for r in _jsonl(tmp_path / "s.jsonl") if r["pair_id"] == "p4")
    assert p4["votes"] == {"annotator-1": "tie"}


def test_judgments_one_row_each_with_both_frames(campaign, tmp_path):
    path = tmp_path / "j.jsonl"
    written, runs = write_judgments(campaign, "c", path, "jsonl")
    rows = _jsonl(path)
    assert written == 3 and [r.name for r in runs] == ["gpt"]  # the factor run is not a preference judge
    ab, ba, unscored = rows
    assert (ab["order"], ab["verdict"], ab["verdict_as_shown"], ab["p_a"], ab["cost"]) == ("AB", "A", "A", 0.9, 0.001)
    assert (ba["order"], ba["verdict"], ba["verdict_as_shown"]) == ("BA", "B", "A")
    assert unscored["verdict"] is None and unscored["unscored_reason"] == "unparseable" and unscored["raw_output"] == "=2+2"
    assert "messages" not in ab
    written, runs = write_judgments(campaign, "c", tmp_path / "f.csv", "csv",
                                    JudgmentExportOptions(runs=("length-llm",), messages=True))
    rows = list(csv.DictReader((tmp_path / "f.csv").open(newline="")))
    assert written == 1 and rows[0]["kind"] == "factor" and rows[0]["messages"] == "[]"
    with pytest.raises(LookupError, match="runs: gpt, length-llm"):
        write_judgments(campaign, "c", tmp_path / "x.csv", "csv", JudgmentExportOptions(runs=("gtp",)))


def test_soft_labels_distribution_entropy_and_rates(campaign, tmp_path):
    soft = soft_labels(campaign, "c", SoftLabelOptions(keep_names=True))
    path = tmp_path / "s.parquet"
    assert write_soft_labels(campaign, soft, path, "parquet") == 4
    back = pd.read_parquet(path).set_index("pair_id")
    # p2: B (bob), B (alice), A (eve): shares 1/3, 2/3, 0; entropy 0.9183 bits / log2(3) = 0.5794 >= 0.5
    assert back.loc["p2", "soft_A"] == pytest.approx(1 / 3) and back.loc["p2", "soft_B"] == pytest.approx(2 / 3)
    assert back.loc["p2", "entropy_normalised"] == pytest.approx(0.9182958 / 1.5849625, abs=1e-6)
    assert back.loc["p2", "ambiguous"] == True  # noqa: E712
    assert back.loc["p1", "ambiguous"] == False and pd.isna(back.loc["p4", "ambiguous"])  # noqa: E712  one vote: undefined
    assert json.loads(back.loc["p2", "votes"]) == {"alice": "B", "bob": "B", "eve": "A"}
    rates = soft.annotators
    # eve: p1 with the majority, p2 in the minority
    assert (rates.loc["eve", "in_majority_rate"], rates.loc["eve", "in_minority_rate"]) == (0.5, 0.5)
    # bob: p1 and p2 with the majority, p3 (A vs B) no majority; p4 has one vote and does not count
    assert rates.loc["bob", "labels"] == 3 and rates.loc["bob", "no_majority_rate"] == pytest.approx(1 / 3)
    meta = json.loads((tmp_path / "s.parquet.meta.json").read_text())
    assert {a["annotator"] for a in meta["annotators"]} == {"alice", "bob", "eve"}


def test_cli_exports(campaign_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--db", str(campaign_db), "export", *args])

    labels = run("labels", "--exclude", "eve", "--json")
    assert labels.exit_code == 0, labels.output
    summary = json.loads(labels.output)
    assert summary["records"] == 8 and summary["excluded_annotators"] == {"eve": 2}
    assert (tmp_path / "exports" / "c-labels.jsonl").exists()
    again = run("labels")
    assert again.exit_code == 1 and "exists already: pass --force" in again.output
    text = run("labels", "--force", "--exclude", "eve")
    assert "Left out: eve (2 labelled pairs)." in text.output
    typo = run("gold", "--exclude", "evee")
    assert typo.exit_code == 1 and "did you mean 'eve'?" in typo.output
    judgments = run("judgments", "--format", "csv")
    assert judgments.exit_code == 0 and "3 judgment(s)" in judgments.output
    assert (tmp_path / "exports" / "c-judgments.csv").exists()
    soft = run("soft-labels", "--names")
    assert soft.exit_code == 0 and "ambiguous" in soft.output and "eve" in soft.output
    gold = run("gold", "--exclude", "eve", "--json")
    assert json.loads(gold.output)["provenance"] == {"adjudicated": 0, "unanimous": 2, "majority": 0,
                                                     "unresolved": 1, "single": 1}


def test_a_verdict_of_unknown_order_has_no_verdict_as_shown(campaign, tmp_path):
    from annotator.store import JudgeRun, Judgment

    run = campaign.get_or_create_run(JudgeRun(task="c", name="imported", kind="imported"))
    campaign.save_judgments([Judgment(run=run.id, pair=1, order="unknown", verdict="B")])
    write_judgments(campaign, "c", tmp_path / "j.jsonl", "jsonl", JudgmentExportOptions(runs=("imported",)))
    [row] = _jsonl(tmp_path / "j.jsonl")
    assert (row["order"], row["verdict"], row["verdict_as_shown"]) == ("unknown", "B", None)
