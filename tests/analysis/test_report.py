"""The assembled agreement report and the vectorised bootstrap behind its intervals."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest
from statsmodels.stats import inter_rater

from annotator.analysis import agreement, bootstrap
from annotator.analysis.bootstrap import Resampler
from annotator.analysis.ratings import ratings_from_frame
from annotator.analysis.report import agreement_report, task_agreement_report
from annotator.store import Store
from tests.analysis.store_data import add_judge, add_pairs, add_votes, make_task, three_annotator_store

REQUIRED_KEYS = {
    "krippendorff_alpha", "fleiss_kappa", "cohen_kappa_pairs", "percent_agreement",
    "per_factor", "per_annotator",
}


def _strict_json(report) -> dict:
    """Round-trip through JSON refusing NaN: the report must be valid JSON as it stands."""
    return json.loads(json.dumps(report, allow_nan=False))


def test_resampled_statistics_equal_library_on_each_resample():
    store, _ = three_annotator_store()
    labels = store.labels_frame("demo")
    ratings = ratings_from_frame(labels, "choice", ("A", "B", "tie"))
    counts = ratings.counts()
    resampler = Resampler(ratings.n_units, 5, seed=11)
    alpha = resampler.replicate(agreement.alpha_contributions(counts), agreement.alpha_from_sums)
    fleiss = resampler.replicate(agreement.fleiss_contributions(counts), agreement.fleiss_from_sums)
    # the resampled sums are single-precision products (bootstrap.Resampler.sums): equal to
    # the library's value on the resampled data to 1e-6, far below the 3 digits reported
    close = dict(rel=1e-6, abs=1e-6)
    for b, weights in enumerate(resampler.weights.astype(int)):
        drawn = np.repeat(counts, weights, axis=0)  # the resampled data, unit by unit
        assert alpha[b] == pytest.approx(
            krippendorff.alpha(value_counts=drawn, value_domain=[0, 1, 2], level_of_measurement="nominal"), **close
        )
        rated = drawn[drawn.sum(axis=1) >= 2]
        assert fleiss[b] == pytest.approx(agreement.fleiss_from_sums(agreement.fleiss_contributions(rated).sum(0)),
                                          **close)
        if np.all(rated.sum(axis=1) == rated.sum(axis=1)[0]):
            assert fleiss[b] == pytest.approx(inter_rater.fleiss_kappa(rated), **close)


def test_resampler_is_seeded():
    a = Resampler(50, 10, seed=3).weights
    assert np.array_equal(a, Resampler(50, 10, seed=3).weights)
    assert not np.array_equal(a, Resampler(50, 10, seed=4).weights)
    assert (a.sum(axis=1) == 50).all()


def test_count_sums_are_the_sums_of_the_sparse_indicator(monkeypatch):
    """Cohen's kappa resamples its confusion tables from (unit, cell) counts without a matrix
    product: the same resampled sums as the indicator matrix through ``sums``, empty cells 0."""
    from scipy import sparse

    rng = np.random.default_rng(5)
    units = rng.integers(0, 300, 500)
    cells = rng.integers(0, 17, 500) * 2  # odd cells never used
    resampler = Resampler(300, 70, seed=2)  # more resamples than one chunk
    indicator = sparse.csr_matrix((np.ones(units.size), (units, cells)), shape=(300, 36))
    assert np.array_equal(resampler.count_sums(units, cells, 36), resampler.sums(indicator))
    monkeypatch.setattr(bootstrap, "DENSE_COUNT_CELLS", 0)  # a large table: through the sparse matrix
    assert np.array_equal(resampler.count_sums(units, cells, 36), resampler.sums(indicator))
    assert resampler.count_sums(units[:0], cells[:0], 36).shape == (70, 36)
    assert Resampler(300, 0).count_sums(units, cells, 36).shape == (0, 36)


def test_three_annotators_report():
    store, ids = three_annotator_store()
    report = _strict_json(task_agreement_report(store, "demo", resamples=200, seed=1).to_json())
    assert REQUIRED_KEYS <= set(report)
    assert report["annotators"] == ["ann", "bob", "cat"]
    assert report["n_pairs"] == 8 and report["n_labels"] == 23
    assert report["notes"] == []

    # the point estimates are the library values on the same data
    ratings = ratings_from_frame(store.labels_frame("demo"), "choice", ("A", "B", "tie"))
    expected_alpha = krippendorff.alpha(
        value_counts=ratings.counts(), value_domain=[0, 1, 2], level_of_measurement="nominal"
    )
    alpha = report["krippendorff_alpha"]
    assert alpha["estimate"] == pytest.approx(expected_alpha)
    assert alpha["ci_low"] <= alpha["estimate"] <= alpha["ci_high"]
    assert alpha["resamples_defined"] == 200

    pairs = {tuple(p["annotators"]): p for p in report["cohen_kappa_pairs"]}
    assert set(pairs) == {("ann", "bob"), ("ann", "cat"), ("bob", "cat")}
    assert pairs[("ann", "bob")]["n_shared"] == 7  # bob skipped the last pair
    assert report["per_annotator"][0]["judges"]["gpt"]["agreement_with_ties"]["n"] == 8
    mean = np.mean([p["kappa"]["estimate"] for p in report["cohen_kappa_pairs"]])
    assert report["cohen_kappa_mean"]["estimate"] == pytest.approx(mean)

    # per factor: both factors, 'na' answers are missing, not a category
    assert set(report["per_factor"]) == {"length", "fluency"}
    assert report["per_factor"]["fluency"]["name"] == "Fluency"
    assert report["per_factor"]["fluency"]["na_answers"] == 1
    # fluency: ann 7 (one 'na'), bob 7 (one label without factors), cat 8
    assert report["per_factor"]["fluency"]["n_labels"] == 22
    # length: ann A A B B = A A A (5/2/1), bob A A B B = A A (4/2/1), cat A A B B A A B A (5/3/0)
    assert report["per_factor"]["length"]["distribution"] == {"A": 14, "B": 7, "equal": 2}

    # per domain
    assert set(report["per_domain"]) == {"code", "math"}
    assert report["per_domain"]["code"]["n_pairs"] == 4

    # judges: AB AABBAAAA, BA AABBBAAB -> p4 and p7 inconsistent: no verdict under the
    # default order rule ("both"), kept as such (never a tie, never dropped)
    (judge,) = report["judges"]
    assert judge["run"] == "gpt"
    assert report["order_rule"]["name"] == "both"
    assert judge["inconsistent_pairs"] == 2
    assert judge["verdicts"] == {"A": 4, "B": 2, "tie": 0, "no verdict": 2}
    assert judge["labelled_pairs_asked"] == 8 and judge["labelled_pairs_with_verdict"] == 6
    assert judge["position_consistency"]["estimate"] == pytest.approx(6 / 8)

    # pairs and aggregates
    assert report["pairs"]["needs_adjudication"] == 1
    assert report["pairs"]["most_disputed"][0]["pair_id"] == "p7"
    assert report["aggregate"]["dawid_skene"]["converged"] is True
    assert set(report["aggregate"]["dawid_skene"]["confusion"]) == {"ann", "bob", "cat"}


def test_judge_agreement_with_humans_hand_worked():
    store = Store.memory()
    make_task(store, factors=[])
    ids = add_pairs(store, "demo", 3)
    add_votes(store, ids, "h1", "AAT")
    add_votes(store, ids, "h2", "ABB")
    # judge in one order: A, tie, B
    add_judge(store, "demo", ids, "j", "ATB")
    report = task_agreement_report(store, "demo", resamples=0).to_json()
    (judge,) = report["judges"]
    # with ties: every judge vote against every human vote:
    #   p0 A vs A,A ✓✓; p1 tie vs A,B ✗✗; p2 B vs tie,B ✗✓ -> 3/6
    assert judge["agreement_with_humans"]["with_ties"]["estimate"] == pytest.approx(3 / 6)
    assert judge["agreement_with_humans"]["with_ties"]["n"] == 6
    # without ties: drop p1 (judge tie) and h1's tie on p2 -> p0 ✓✓, p2 ✓ -> 3/3
    assert judge["agreement_with_humans"]["without_ties"]["estimate"] == pytest.approx(1.0)
    assert judge["agreement_with_humans"]["without_ties"]["n"] == 3
    # human-human (MT-Bench): p0 A-A ✓, p1 A-B ✗, p2 tie-B ✗ -> 1/3; without ties 1/2
    assert report["percent_agreement"]["with_ties"]["estimate"] == pytest.approx(1 / 3)
    assert report["percent_agreement"]["without_ties"]["estimate"] == pytest.approx(1 / 2)
    # no resamples: no intervals
    assert report["krippendorff_alpha"]["ci_low"] is None


def test_one_annotator_is_undefined_with_reasons():
    store = Store.memory()
    make_task(store)
    ids = add_pairs(store, "demo", 5)
    add_votes(store, ids, "solo", "ABTAB", factors=[{"length": "A"}] * 5)
    add_judge(store, "demo", ids, "j", "ABTAA", "ABTAB")
    report = _strict_json(task_agreement_report(store, "demo", resamples=50).to_json())
    assert "only one annotator" in report["notes"][0]
    for key in ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1"):
        assert report[key]["estimate"] is None
        assert report[key]["reason"] == agreement.NO_PAIRABLE
    assert report["percent_agreement"]["with_ties"]["estimate"] is None
    assert report["cohen_kappa_pairs"] == []
    assert "only one annotator" in report["cohen_kappa_mean"]["reason"]
    assert report["per_factor"]["length"]["krippendorff_alpha"]["estimate"] is None
    assert report["per_annotator"][0]["agreement_with_others"]["estimate"] is None
    assert "only one annotator" in report["aggregate"]["dawid_skene"]["reason"]
    # judges still compare with the single human: 4 of 5 consistent; p4 (inconsistent) has
    # no verdict and counts as a disagreement
    (judge,) = report["judges"]
    assert judge["position_consistency"]["estimate"] == pytest.approx(4 / 5)
    assert report["per_annotator"][0]["judges"]["j"]["agreement_with_ties"]["estimate"] == pytest.approx(4 / 5)


def test_no_labels_report():
    store = Store.memory()
    make_task(store)
    add_pairs(store, "demo", 3)
    report = _strict_json(task_agreement_report(store, "demo", resamples=20).to_json())
    assert report["n_pairs"] == 0
    assert report["notes"] == ["no labels yet: every statistic is undefined"]
    assert report["krippendorff_alpha"]["reason"] == agreement.NO_PAIRABLE
    assert report["cohen_kappa_mean"]["reason"] == "no labels: no pair of annotators to compare"
    assert report["per_annotator"] == [] and report["judges"] == []
    assert report["pairs"]["most_disputed"] == []
    assert report["aggregate"]["dawid_skene"]["reason"] == "no labels"


def test_all_identical_labels_report():
    store = Store.memory()
    make_task(store, factors=[])
    ids = add_pairs(store, "demo", 4)
    for name in ("a", "b", "c"):
        add_votes(store, ids, name, "AAAA")
    report = _strict_json(agreement_report(store.labels_frame("demo"), task="demo", resamples=30).to_json())
    assert report["krippendorff_alpha"]["estimate"] is None
    assert report["krippendorff_alpha"]["reason"] == agreement.IDENTICAL
    assert report["fleiss_kappa"]["reason"] == agreement.IDENTICAL
    assert report["percent_agreement"]["with_ties"]["estimate"] == 1.0
    assert report["gwet_ac1"]["estimate"] == pytest.approx(1.0)
    assert all(p["kappa"]["estimate"] is None for p in report["cohen_kappa_pairs"])


def test_same_seed_same_report():
    store, _ = three_annotator_store()
    first = task_agreement_report(store, "demo", resamples=50, seed=9).to_json()
    second = task_agreement_report(store, "demo", resamples=50, seed=9).to_json()
    assert first == second
    other = task_agreement_report(store, "demo", resamples=50, seed=10).to_json()
    assert other["krippendorff_alpha"]["estimate"] == first["krippendorff_alpha"]["estimate"]
    assert other["krippendorff_alpha"]["ci_low"] != first["krippendorff_alpha"]["ci_low"]


def test_unknown_task():
    with pytest.raises(KeyError):
        task_agreement_report(Store.memory(), "nope").to_json()


def test_no_overlap_between_annotators():
    store = Store.memory()
    make_task(store, factors=[])
    ids = add_pairs(store, "demo", 4)
    add_votes(store, ids, "a", "AB..")
    add_votes(store, ids, "b", "..BA")
    report = _strict_json(task_agreement_report(store, "demo", resamples=10).to_json())
    assert report["krippendorff_alpha"]["reason"] == agreement.NO_PAIRABLE
    assert report["cohen_kappa_pairs"] == []
    assert report["cohen_kappa_mean"]["reason"] == "no two annotators share a labelled pair"
    assert report["per_annotator"][0]["agreement_with_others"]["reason"] == (
        "no other annotator labelled the same pairs"
    )


def test_task_without_ties():
    store = Store.memory()
    make_task(store, allow_tie=False, factors=[])
    ids = add_pairs(store, "demo", 4)
    add_votes(store, ids, "a", "ABAB")
    add_votes(store, ids, "b", "ABBB")
    report = _strict_json(task_agreement_report(store, "demo", resamples=10).to_json())
    assert report["categories"] == ["A", "B"]
    assert set(report["distribution"]) == {"A", "B"}
    # 3 of 4 pairs agree; without ties is the same figure
    assert report["percent_agreement"]["with_ties"]["estimate"] == pytest.approx(0.75)
    assert report["percent_agreement"]["without_ties"]["estimate"] == pytest.approx(0.75)


def test_incomplete_judge_run_is_left_out_of_the_agreement_report(tmp_path):
    """`stats agreement` follows the judge card's rule: a run started for more judgments
    than have finished is named in the notes and left out of the judge tables unless asked."""
    from click.testing import CliRunner

    from annotator.cli import main

    db = tmp_path / "inc.db"
    store = Store.open(db)
    make_task(store, factors=[])
    ids = add_pairs(store, "demo", 6)
    add_votes(store, ids, "h1", "AABBAT")
    add_votes(store, ids, "h2", "ABBBAT")
    add_judge(store, "demo", ids, "done", "AABBAA")
    add_judge(store, "demo", ids[:2], "half", "AA")
    run = next(r for r in store.runs("demo") if r.name == "half")
    run.params = {**run.params, "planned": 12}  # 2 of 12 calls finished
    store.update_run(run)
    report = task_agreement_report(store, "demo", resamples=0).to_json()
    assert [j["run"] for j in report["judges"]] == ["done"]
    assert [r["name"] for r in report["runs_left_out"]] == ["half"]
    assert any("half is incomplete (2 of 12" in note for note in report["notes"])
    forced = task_agreement_report(store, "demo", resamples=0, include_incomplete=True).to_json()
    assert [j["run"] for j in forced["judges"]] == ["done", "half"]
    store.close()
    text = CliRunner().invoke(main, ["--db", str(db), "stats", "agreement", "--bootstrap", "0"]).output
    assert "half is incomplete" in text
    both = CliRunner().invoke(main, ["--db", str(db), "stats", "agreement", "--bootstrap", "0", "--json",
                                     "--include-incomplete"])
    assert [j["run"] for j in json.loads(both.output)["judges"]] == ["done", "half"]


@pytest.mark.parametrize("step", [1.0, 0.5, 1 / 3])
def test_grouped_sums_are_the_products_bit_for_bit(step):
    """``Resampler.group_units``: sums of contributions that follow the units' codes come from
    one count table per group, the same numbers as the single-precision product over every
    unit (whole set, a restricted subset, whole clusters); values the product would round
    (thirds) and rows that differ within a group still take the product."""
    rng = np.random.default_rng(7)
    n = 400
    codes = rng.integers(-1, 3, size=(n, 3))
    domain = rng.integers(0, 3, n)
    contributions = np.column_stack([(codes == k).sum(axis=1) * step for k in range(3)] + [domain * step])
    for clusters in (None, rng.integers(0, 150, n)):
        grouped = Resampler(n, 70, seed=4, clusters=clusters)  # more resamples than one chunk
        plain = Resampler(n, 70, seed=4, clusters=clusters)
        grouped.group_units(codes, domain)
        assert np.array_equal(grouped.sums(contributions), plain.sums(contributions))
        assert (grouped._group_counts is not None) == (step != 1 / 3)
        for d in range(3):
            mask = domain == d
            assert np.array_equal(grouped.restricted(mask).sums(contributions[mask]),
                                  plain.restricted(mask).sums(contributions[mask]))
        noisy = contributions + (np.arange(n) == 5)[:, None]  # one unit unlike the others of its group
        assert np.array_equal(grouped.sums(noisy), plain.sums(noisy))
    assert Resampler(n, 0).sums(contributions).shape == (0, 4)


def test_the_stats_engines_import_no_scipy_stats_sparse_or_statsmodels():
    """`stats agreement` and `stats judges` pay no import they may not use: scipy.stats (its
    distributions' docstrings alone cost a third of a second), scipy.sparse and statsmodels are
    imported where a computation needs them (a factor correlation, a large sparse table, a
    weighted kappa), not when the engines load."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import annotator.analysis.report, annotator.analysis.judge_human, annotator.analysis.bootstrap\n"
            "print(','.join(sorted(m for m in ('scipy.stats', 'scipy.sparse', 'statsmodels') if m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_subset_grouped_on_its_own_codes_counts_its_own_groups():
    """A restricted resampler given codes of its own (``group_units`` on the subset) counts
    its own groups, not the whole set's it was restricted from: the same sums as the product."""
    rng = np.random.default_rng(3)
    n = 300
    domain = rng.integers(0, 2, n)
    votes = rng.integers(0, 3, n)
    whole = Resampler(n, 40, seed=1)
    whole.group_units(domain)
    mask = domain == 1
    sub = whole.restricted(mask)
    sub.group_units(votes[mask])
    contributions = np.column_stack([votes[mask] == k for k in range(3)]).astype(float)
    assert np.array_equal(sub.sums(contributions), Resampler(n, 40, seed=1).restricted(mask).sums(contributions))
