"""The closed formulas that stand in for slow-to-import library calls on the report path
(Wilson interval, exact binomial test, Fleiss' kappa, Cohen's kappa and its ASE) give the
libraries' values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats import inter_rater
from statsmodels.stats.proportion import proportion_confint

from annotator.analysis.agreement import cohen_ase, cohen_kappa, fleiss_kappa
from annotator.analysis.proportion import binomial_p_value, wilson_interval

CASES = [(k, n) for n in (1, 2, 5, 10, 33, 100, 1000, 5000) for k in sorted({0, 1, n // 3, n // 2, n - 1, n}) if 0 <= k <= n]


@pytest.mark.parametrize("k, n", CASES)
def test_wilson_is_statsmodels(k, n):
    assert wilson_interval(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)
    assert wilson_interval(k, n, 0.9) == pytest.approx(proportion_confint(k, n, alpha=0.1, method="wilson"), abs=1e-12)


@pytest.mark.parametrize("k, n", CASES)
@pytest.mark.parametrize("p", [0.5, 0.3, 0.8])
def test_binomial_test_is_scipy(k, n, p):
    assert binomial_p_value(k, n, p) == pytest.approx(stats.binomtest(k, n, p).pvalue, rel=1e-9, abs=1e-12)


def test_cohen_is_statsmodels_on_random_tables():
    rng = np.random.default_rng(0)
    for size in (2, 3, 4):
        for _ in range(30):
            table = rng.integers(0, 20, size=(size, size)).astype(float)
            reference = inter_rater.cohens_kappa(table)
            if not np.isfinite(reference["kappa"]):
                continue
            assert cohen_kappa(table).value == pytest.approx(reference["kappa"], abs=1e-12)
            assert cohen_ase(table) == pytest.approx(reference["std_kappa"], abs=1e-12)


def test_cohen_oracle():
    # ORACLES.md: kappa 0.4842, ASE 0.1380, 95 % CI 0.2137 to 0.7547
    estimate = cohen_kappa(np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]]))
    assert round(estimate.value, 4) == 0.4842 and round(estimate.extra["ase"], 4) == 0.1380
    assert (round(estimate.ci_low, 4), round(estimate.ci_high, 4)) == (0.2137, 0.7547)


def test_fleiss_is_statsmodels_with_equal_raters():
    rng = np.random.default_rng(1)
    for _ in range(30):
        raters = int(rng.integers(2, 7))
        table = np.array([rng.multinomial(raters, [0.5, 0.3, 0.2]) for _ in range(40)])
        assert fleiss_kappa(table).value == pytest.approx(inter_rater.fleiss_kappa(table), abs=1e-12)
