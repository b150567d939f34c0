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


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # statsmodels' own z-value
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


def test_logistic_fit_is_statsmodels_glm():
    """The LC's logistic regression (Newton / IRLS) gives statsmodels' binomial GLM
    coefficients and standard errors, for binary and fractional responses."""
    import warnings

    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    from annotator.analysis.winrate import logistic_fit

    rng = np.random.default_rng(0)
    for i in range(30):
        n = int(rng.integers(20, 800))
        X = np.column_stack([np.ones(n), np.tanh(rng.normal(size=n)), rng.normal(size=n)][: 2 + i % 2])
        p = 1 / (1 + np.exp(-X @ rng.normal(0, 1, X.shape[1])))
        y = (rng.random(n) < p).astype(float) if i % 3 else np.clip(p + rng.normal(0, 0.1, n), 0, 1)
        params, errors, converged = logistic_fit(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = GLM(y, X, family=families.Binomial()).fit()
        assert converged
        # statsmodels stops on a deviance tolerance of 1e-8: its coefficients are within 1e-5
        assert params == pytest.approx(fit.params, abs=1e-4)
        assert errors == pytest.approx(fit.bse, abs=1e-4)


def test_logistic_fit_reports_separation():
    from annotator.analysis.winrate import logistic_fit

    x = np.linspace(-1, 1, 40)
    X = np.column_stack([np.ones(40), x])
    y = (x > 0).astype(float)  # perfectly separated by x
    assert logistic_fit(X, y)[2] is False


def test_alt_test_pieces_are_the_libraries():
    from scipy import stats as st
    from statsmodels.stats.multitest import multipletests

    from annotator.analysis.alt_test import _one_sided_p, benjamini_yekutieli

    rng = np.random.default_rng(3)
    for _ in range(30):
        p = rng.random(int(rng.integers(1, 12))) ** 2
        reject, adjusted, _, _ = multipletests(p, alpha=0.05, method="fdr_by")
        assert benjamini_yekutieli(p) == pytest.approx(adjusted, abs=1e-12)
        assert list(benjamini_yekutieli(p) <= 0.05) == list(reject)
        d = rng.choice([-1.0, 0.0, 1.0], size=int(rng.integers(3, 60)))
        if d.std() > 0:
            assert _one_sided_p(d, 0.2) == pytest.approx(st.ttest_1samp(d, 0.2, alternative="less").pvalue, abs=1e-12)
