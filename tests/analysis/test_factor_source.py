"""One factor source for every command: ``experiment guide`` takes M_k from the same function
(``factor_report.manifestation_table``) with the same default as the judge card and ``stats
factors``, so a judge's most misaligned factor is the same wherever it is named."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.analysis.defaults import DEFAULT_FACTOR_SOURCE
from annotator.analysis.experiment import misaligned_factors
from annotator.analysis.factor_report import factor_values_frame, manifestation_table
from annotator.cli import main
from annotator.judge import load_judge, resolve_endpoint
from annotator.judge.experiment import GuideExperiment, GuideOptions
from annotator.store import JudgeRun, Judgment, Label, Store


def _invoke(db, *args):
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def demo(tmp_path):
    """The demo task: three annotators prefer the shorter response and answer the checklist;
    a judge prefers the longer one; the rule extractor measures length."""
    db = tmp_path / "f.db"
    _invoke(db, "tasks", "add", "demo")
    store = Store.open(db)
    labels, judgments = [], []
    run = store.get_or_create_run(JudgeRun(task="demo", name="long", kind="llm"))
    for i, pair in enumerate(store.pairs("demo")):
        longer = "A" if len(pair.response_a) > len(pair.response_b) else "B"
        shorter = "B" if longer == "A" else "A"
        factors = {"length": shorter if i % 4 == 0 else longer, "receptiveness": "A" if i % 3 else "B",
                   "coherence": "A" if i % 2 else "B", "helpfulness": longer}
        labels += [Label(pair=pair.id, annotator=who, choice=shorter, factors=factors, origin="test")
                   for who in ("alice", "bob", "carol")]
        judgments += [Judgment(run=run.id, pair=pair.id, order=o, verdict=longer) for o in ("AB", "BA")]
    store.add_labels(labels)
    store.save_judgments(judgments)
    store.close()
    _invoke(db, "factors", "extract", "--task", "demo", "--extractor", "rule")
    return db


@pytest.mark.parametrize("source", ["extractors", "checklist"])
def test_card_stats_factors_and_experiment_share_one_source(demo, source):
    store = Store.open(demo)
    task = store.get_task("demo")
    judge = load_judge("mt-bench-pair")
    endpoint = resolve_endpoint("http://127.0.0.1:9/v1", judge.base_url, judge.api_key_env)
    options = GuideOptions(factor_source=source) if source != DEFAULT_FACTOR_SOURCE else GuideOptions()
    experiment = GuideExperiment(store, "demo", judge, endpoint, options)
    labels = store.labels_frame("demo")
    keys = [f.key for f in task.factors]
    expected = manifestation_table(source, labels, factor_values_frame(store, "demo"), keys)
    got = experiment._factor_table(labels)
    assert got.astype(object).where(got.notna(), "?").equals(expected.astype(object).where(expected.notna(), "?"))
    store.close()

    extra = [] if source == DEFAULT_FACTOR_SOURCE else ["--factor-source", source]
    card = json.loads(_invoke(demo, "stats", "judges", "--task", "demo", "--json", "--bootstrap", "0", *extra).stdout)
    factors = json.loads(_invoke(demo, "stats", "factors", "--task", "demo", "--json", *extra).stdout)
    fa = card["factor_alignment"]
    assert fa["source"] == source == factors["manifestation_source"]["default"]
    # one tau_b, one most misaligned factor
    assert fa["judges"]["long"]["alignment"] == factors["alignment"]["evaluation"]["long"]
    card_worst = [m["factor"] for m in fa["judges"]["long"]["misaligned"]]
    assert card_worst == [m["factor"] for m in factors["misaligned"]["long"]]
    # the experiment's rule (largest gap first) on the same scores names the same factor first
    human = {k: s["score"] for k, s in fa["scores"]["humans"].items()}
    mine = {k: s["score"] for k, s in fa["scores"]["long"].items()}
    assert card_worst and misaligned_factors(human, mine, 1)[0]["factor"] == card_worst[0]
    if source == "checklist":
        assert fa["judges"]["long"]["alignment"]["kendall_tau_b"] is not None  # four factors known
