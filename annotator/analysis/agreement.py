"""Inter-annotator agreement: Krippendorff's alpha, Fleiss' kappa, Cohen's kappa, percent
agreement (MT-Bench conventions) and Gwet's AC1.

Each statistic comes in three parts:

* ``<stat>(...) -> Estimate``: the point estimate, through the reference library where one
  exists (``krippendorff`` for alpha), or undefined with a reason. Fleiss' kappa and Cohen's
  kappa with its asymptotic standard error are closed formulas (the ones ``statsmodels``
  implements, which the tests check them against to 1e-12): importing statsmodels and
  scipy.stats would cost every ``stats`` command about a second of start-up;
* ``<stat>_contributions(counts)``: a units x d matrix whose column sums determine the
  statistic (what ``bootstrap.Resampler`` resamples);
* ``<stat>_from_sums(sums)``: the statistic from those sums, vectorised over rows.

The vectorised path is tested to reproduce the library values, so the bootstrap intervals
are intervals of exactly the statistic reported.

Input is a units x categories ``counts`` table (``Ratings.counts()``): ``counts[u, k]`` is
the number of raters who put unit ``u`` in category ``k``.

Conventions (stated once, tested in ``tests/analysis``):

* Units with fewer than two ratings cannot show agreement: they add nothing to alpha,
  Fleiss' kappa, percent agreement or the observed part of AC1 (AC1's chance part uses
  every rated unit, as Gwet defines it).
* Undefined is NaN with a reason: fewer than two pairable values (one rater, no overlap);
  zero expected disagreement (every label identical) for alpha and the kappas. A fake 1.0
  is never reported. AC1 stays defined (1.0) when all labels are identical: its chance
  term is built to be small when one category dominates, which is why it is reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from statistics import NormalDist
from typing import Literal, TypeGuard, get_args

import krippendorff
import numpy as np

from .estimate import Estimate

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = get_args(Level)


def _is_level(level: str) -> TypeGuard[Level]:
    return level in LEVELS

NO_PAIRABLE = "fewer than two pairable values: no pair has labels from two or more annotators"
IDENTICAL = "every label is in the same category (expected disagreement is 0)"


def _as_counts(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2:
        raise ValueError("counts must be a units x categories table")
    return counts


# -- Krippendorff's alpha ------------------------------------------------------------------


def alpha_contributions(counts) -> np.ndarray:
    """Each unit's share of the coincidence matrix, flattened: units x (K*K).

    ``o_ck(u) = (n_uc * n_uk - [c == k] * n_uc) / (m_u - 1)`` for units with ``m_u >= 2``
    values, zero otherwise (Krippendorff 2011, eq. for the coincidence matrix).
    """
    counts = _as_counts(counts)
    n_units, k = counts.shape
    m = counts.sum(axis=1)
    outer = counts[:, :, None] * counts[:, None, :]
    outer[:, np.arange(k), np.arange(k)] -= counts
    scale = np.where(m >= 2, 1.0 / np.maximum(m - 1, 1), 0.0)
    return (outer * scale[:, None, None]).reshape(n_units, k * k)


def _distances(values: np.ndarray, level: str, n_c: np.ndarray) -> np.ndarray:
    """Squared distances between categories, ``(..., K, K)``; ``n_c`` is ``(..., K)``."""
    v = np.asarray(values, dtype=float)
    if level == "nominal":
        d = 1.0 - np.eye(len(v))
        return np.broadcast_to(d, n_c.shape[:-1] + d.shape)
    if level == "interval":
        d = (v[:, None] - v[None, :]) ** 2
        return np.broadcast_to(d, n_c.shape[:-1] + d.shape)
    if level == "ratio":
        total = v[:, None] + v[None, :]
        diff = v[:, None] - v[None, :]
        d = np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2
        return np.broadcast_to(d, n_c.shape[:-1] + d.shape)
    if level == "ordinal":
        # categories must be in rank order here (callers sort by ``values``)
        cum = np.cumsum(n_c, axis=-1)
        lo = np.minimum.outer(np.arange(len(v)), np.arange(len(v)))
        hi = np.maximum.outer(np.arange(len(v)), np.arange(len(v)))
        between = cum[..., hi] - cum[..., lo] + n_c[..., lo]
        return (between - (n_c[..., :, None] + n_c[..., None, :]) / 2) ** 2
    raise ValueError(f"level must be one of {LEVELS}, got {level!r}")


def _rank_order(values: Sequence[float] | None, k: int) -> tuple[np.ndarray, np.ndarray]:
    numbers = np.arange(k, dtype=float) if values is None else np.asarray(values, dtype=float)
    if len(numbers) != k:
        raise ValueError("values must give one number per category")
    order = np.argsort(numbers, kind="stable")
    return numbers[order], order


def alpha_from_sums(sums: np.ndarray, values: Sequence[float] | None = None, level: str = "nominal") -> np.ndarray:
    """Alpha from summed coincidence matrices (``(..., K*K)``), vectorised; NaN if undefined."""
    sums = np.asarray(sums, dtype=float)
    k = int(round(np.sqrt(sums.shape[-1])))
    v, order = _rank_order(values, k)
    o = sums.reshape(sums.shape[:-1] + (k, k))[..., order, :][..., :, order]
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    d = _distances(v, level, n_c)
    observed = (o * d).sum(axis=(-2, -1))
    expected = (n_c[..., :, None] * n_c[..., None, :] * d).sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1) * observed / expected
    return np.where((n >= 2) & (expected > 0), alpha, np.nan)


def krippendorff_alpha(counts, values: Sequence[float] | None = None, level: str = "nominal", *,
                       contributions: np.ndarray | None = None) -> Estimate:
    """Krippendorff's alpha through the ``krippendorff`` package.

    ``values`` gives each category's number (its rank for ``ordinal``, its value for
    ``interval``/``ratio``); defaults to 0, 1, 2, ... in column order. Undefined (NaN with a
    reason) when fewer than two pairable values exist or every pairable value is the same.
    ``n`` is the number of units with at least two values. ``contributions``:
    ``alpha_contributions(counts)`` when the caller has it already (not computed twice).
    """
    if not _is_level(level):
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    counts = _as_counts(counts)
    k = counts.shape[1]
    pairable_units = int((counts.sum(axis=1) >= 2).sum())
    if pairable_units == 0:
        return Estimate.undefined(NO_PAIRABLE)
    if k < 2:
        return Estimate.undefined(IDENTICAL, n=pairable_units)
    v, order = _rank_order(values, k)
    if contributions is None:
        contributions = alpha_contributions(counts)
    n_c = contributions.sum(axis=0).reshape(k, k).sum(axis=1)
    if (n_c > 0).sum() < 2:
        return Estimate.undefined(IDENTICAL, n=pairable_units, pairable_values=int(n_c.sum()))
    value = krippendorff.alpha(
        value_counts=counts[:, order], value_domain=v, level_of_measurement=level
    )
    return Estimate(float(value), n=pairable_units, extra={"pairable_values": int(round(n_c.sum()))})


# -- Fleiss' kappa -------------------------------------------------------------------------


def fleiss_contributions(counts) -> np.ndarray:
    """Per unit ``[P_u, 1, n_u1 .. n_uK]`` for units with two or more ratings, else zeros.

    ``P_u = sum_k n_uk (n_uk - 1) / (m_u (m_u - 1))`` is the unit's observed agreement.
    """
    counts = _as_counts(counts)
    m = counts.sum(axis=1)
    ok = m >= 2
    denom = np.where(ok, m * (m - 1), 1.0)
    p_u = np.where(ok, (counts * (counts - 1)).sum(axis=1) / denom, 0.0)
    return np.column_stack([p_u, ok.astype(float), counts * ok[:, None]])


def fleiss_from_sums(sums: np.ndarray) -> np.ndarray:
    """Fleiss' kappa from summed ``fleiss_contributions``, vectorised; NaN if undefined.

    With a varying number of raters per unit this is the usual generalisation (observed
    agreement averaged over units, category shares pooled over all ratings); with a
    constant number it is exactly Fleiss (1971).
    """
    sums = np.asarray(sums, dtype=float)
    n_units = sums[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        p_bar = sums[..., 0] / n_units
        shares = sums[..., 2:] / sums[..., 2:].sum(axis=-1, keepdims=True)
        p_e = (shares**2).sum(axis=-1)
        kappa = (p_bar - p_e) / (1 - p_e)
    return np.where((n_units > 0) & (p_e < 1 - 1e-12), kappa, np.nan)


def fleiss_kappa(counts, *, contributions: np.ndarray | None = None) -> Estimate:
    """Fleiss' kappa over units rated at least twice.

    When those units all have the same number of ratings (Fleiss' own setting) this is
    Fleiss' formula (``statsmodels.stats.inter_rater.fleiss_kappa``, checked in the tests);
    otherwise its generalisation to varying numbers of ratings
    (``extra["raters_per_unit"] == "varies"``); both through ``fleiss_from_sums``.
    Undefined when no unit has two ratings or all ratings fall in one category.
    ``contributions``: ``fleiss_contributions(counts)``, when the caller has them already (read
    where every unit is rated twice: they are then the rated units' own).
    """
    counts = _as_counts(counts)
    m = counts.sum(axis=1)
    every = bool((m >= 2).all())
    rated = counts if every else counts[m >= 2]
    if len(rated) == 0:
        return Estimate.undefined(NO_PAIRABLE)
    if (rated.sum(axis=0) > 0).sum() < 2:
        return Estimate.undefined(IDENTICAL, n=len(rated))
    per_unit = rated.sum(axis=1)
    if contributions is None or not every:
        contributions = fleiss_contributions(rated)
    value = float(fleiss_from_sums(contributions.sum(axis=0)))
    same = bool(np.all(per_unit == per_unit[0]))
    return Estimate(value, n=len(rated), extra={"raters_per_unit": int(per_unit[0]) if same else "varies"})


# -- Percent agreement (MT-Bench) ------------------------------------------------------------


def percent_agreement_contributions(counts, tie_index: int | None = None) -> np.ndarray:
    """Per unit ``[agreeing pairs, pairs, agreeing non-tie pairs, non-tie pairs]``.

    Pairs are unordered pairs of ratings of the same unit (Zheng et al. 2023, human-human).
    "Without ties" leaves out every pair in which either rating is the tie category.
    """
    counts = _as_counts(counts)
    m = counts.sum(axis=1)
    agree = (counts * (counts - 1) / 2).sum(axis=1)
    total = m * (m - 1) / 2
    if tie_index is None:
        agree_nt, total_nt = agree, total
    else:
        no_tie = np.delete(counts, tie_index, axis=1)
        m_nt = no_tie.sum(axis=1)
        agree_nt = (no_tie * (no_tie - 1) / 2).sum(axis=1)
        total_nt = m_nt * (m_nt - 1) / 2
    return np.column_stack([agree, total, agree_nt, total_nt])


def percent_from_sums(sums: np.ndarray) -> np.ndarray:
    """``(..., 2)``: agreement with and without ties from summed contributions; NaN if no pairs."""
    sums = np.asarray(sums, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        with_ties = np.where(sums[..., 1] > 0, sums[..., 0] / sums[..., 1], np.nan)
        without = np.where(sums[..., 3] > 0, sums[..., 2] / sums[..., 3], np.nan)
    return np.stack([with_ties, without], axis=-1)


def percent_agreement(counts, tie_index: int | None = None, *,
                      contributions: np.ndarray | None = None) -> dict[str, Estimate]:
    """Raw agreement over all unordered pairs of ratings of a unit, pooled over units.

    Returns ``{"with_ties": ..., "without_ties": ...}`` (MT-Bench conventions: with ties,
    a tie is a class; without ties, any comparison involving a tie is dropped). ``n`` is
    the number of rating pairs compared. ``contributions``: ``percent_agreement_contributions``
    of the same counts, when the caller has them already.
    """
    if contributions is None:
        contributions = percent_agreement_contributions(counts, tie_index)
    sums = contributions.sum(axis=0)
    with_ties, without = percent_from_sums(sums)
    out = {}
    for key, value, pairs, reason in (
        ("with_ties", with_ties, sums[1], "no two labels on the same pair"),
        ("without_ties", without, sums[3], "no two non-tie labels on the same pair"),
    ):
        if np.isnan(value):
            out[key] = Estimate.undefined(reason)
        else:
            out[key] = Estimate(float(value), n=int(round(pairs)))
    return out


# -- Gwet's AC1 ----------------------------------------------------------------------------


def gwet_contributions(counts) -> np.ndarray:
    """Per unit ``[pa_u, rated twice, r_u1/r_u .. r_uK/r_u, rated once]`` (Gwet 2008)."""
    counts = _as_counts(counts)
    m = counts.sum(axis=1)
    twice = m >= 2
    pa_u = np.where(twice, (counts * (counts - 1)).sum(axis=1) / np.where(twice, m * (m - 1), 1), 0.0)
    once = m >= 1
    shares = counts / np.where(once, m, 1)[:, None]
    return np.column_stack([pa_u, twice.astype(float), shares, once.astype(float)])


def gwet_from_sums(sums: np.ndarray, n_categories: int | None = None) -> np.ndarray:
    """Gwet's AC1 from summed ``gwet_contributions``, vectorised; NaN if undefined.

    ``pa`` = mean observed agreement over units rated twice; ``pi_k`` = mean share of
    category ``k`` over units rated at least once; ``pe = sum pi_k (1 - pi_k) / (Q - 1)``
    with ``Q`` the number of categories of the scale (default: the table's columns).
    """
    sums = np.asarray(sums, dtype=float)
    k = sums.shape[-1] - 3
    q = k if n_categories is None else n_categories
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = sums[..., 0] / sums[..., 1]
        pi = sums[..., 2 : 2 + k] / sums[..., -1:]
        pe = (pi * (1 - pi)).sum(axis=-1) / (q - 1)
        ac1 = (pa - pe) / (1 - pe)
    return np.where((sums[..., 1] > 0) & (q >= 2), ac1, np.nan)


def gwet_ac1(counts, n_categories: int | None = None, *, contributions: np.ndarray | None = None) -> Estimate:
    """Gwet's first-order agreement coefficient for any number of raters (missing allowed).

    Robust when one category dominates (where kappa collapses). Undefined when no unit has
    two ratings or the scale has fewer than two categories. ``contributions``:
    ``gwet_contributions(counts)``, when the caller has them already.
    """
    counts = _as_counts(counts)
    q = counts.shape[1] if n_categories is None else n_categories
    if q < 2:
        return Estimate.undefined("the scale has fewer than two categories")
    sums = (gwet_contributions(counts) if contributions is None else contributions).sum(axis=0)
    if sums[1] == 0:
        return Estimate.undefined(NO_PAIRABLE)
    return Estimate(float(gwet_from_sums(sums, q)), n=int(sums[1]))


# -- Cohen's kappa -------------------------------------------------------------------------


def confusion_table(codes_a: np.ndarray, codes_b: np.ndarray, n_categories: int) -> np.ndarray:
    """K x K table of two raters' codes over the units both rated (missing = negative)."""
    both = (codes_a >= 0) & (codes_b >= 0)
    flat = codes_a[both].astype(int) * n_categories + codes_b[both].astype(int)
    return np.bincount(flat, minlength=n_categories**2).reshape(n_categories, n_categories)


def _disagreement_weights(k: int, weights: str | None) -> np.ndarray:
    idx = np.arange(k)
    if weights is None:
        return 1.0 - np.eye(k)
    if weights == "linear":
        return np.abs(idx[:, None] - idx[None, :]).astype(float)
    if weights == "quadratic":
        return ((idx[:, None] - idx[None, :]) ** 2).astype(float)
    raise ValueError("weights must be None, 'linear' or 'quadratic'")


def cohen_from_tables(tables: np.ndarray, weights: str | None = None) -> np.ndarray:
    """Cohen's kappa of ``(..., K, K)`` tables, vectorised; NaN where undefined."""
    tables = np.asarray(tables, dtype=float)
    k = tables.shape[-1]
    w = _disagreement_weights(k, weights)
    n = tables.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = tables / n[..., None, None]
        expected = p.sum(axis=-1)[..., :, None] * p.sum(axis=-2)[..., None, :]
        observed_d = (w * p).sum(axis=(-2, -1))
        expected_d = (w * expected).sum(axis=(-2, -1))
        kappa = 1 - observed_d / expected_d
    return np.where((n > 0) & (expected_d > 1e-12), kappa, np.nan)


def cohen_ase(table: np.ndarray) -> float:
    """The asymptotic standard error of unweighted Cohen's kappa under the alternative
    (Fleiss, Cohen & Everitt 1969), as ``statsmodels``' ``cohens_kappa(...)["std_kappa"]``."""
    table = np.asarray(table, dtype=float)
    n = table.sum()
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    expected = float((rows * cols).sum())
    kappa = (np.trace(p) - expected) / (1 - expected)
    term_a = (np.diag(p) * (1 - (rows + cols) * (1 - kappa)) ** 2).sum()
    off = p * (cols[:, None] + rows[None, :]) ** 2
    np.fill_diagonal(off, 0)
    term_b = (1 - kappa) ** 2 * off.sum()
    term_c = (kappa - expected * (1 - kappa)) ** 2
    variance = (term_a + term_b - term_c) / (1 - expected) ** 2 / n
    return float(np.sqrt(max(variance, 0.0)))


def cohen_kappa(table, weights: str | None = None, confidence: float = 0.95) -> Estimate:
    """Cohen's kappa of a K x K table (rows rater 1, columns rater 2).

    The interval is the asymptotic one, ``kappa +- z * ASE`` (``cohen_ase``; for weighted
    kappa statsmodels' ASE), clipped to [-1, 1] where the normal approximation overshoots.
    ``weights``: None, ``"linear"`` or ``"quadratic"`` (categories in column order).
    Undefined when the raters share no unit, or when chance agreement is 1 (both used one
    and the same category throughout).
    """
    table = np.asarray(table, dtype=float)
    n = int(table.sum())
    if n == 0:
        return Estimate.undefined("the two annotators share no labelled pair")
    kappas = cohen_from_tables(table, weights)
    if np.isnan(kappas):
        return Estimate.undefined("both annotators used one and the same category on every shared pair", n=n)
    if weights is None:
        ase = cohen_ase(table)
    else:
        from statsmodels.stats import inter_rater  # the weighted ASE: rare, and slow to import

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ase = float(inter_rater.cohens_kappa(table, wt=weights)["std_kappa"])
    kappa = float(kappas)
    half_width = NormalDist().inv_cdf(1 - (1 - confidence) / 2) * ase
    return Estimate(
        kappa,
        ci_low=max(kappa - half_width, -1.0),
        ci_high=min(kappa + half_width, 1.0),
        n=n,
        extra={"ase": ase, "ci_method": "asymptotic"},
    )