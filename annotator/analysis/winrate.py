"""Win rates of a candidate against a baseline, raw and length-controlled.

Conventions (AlpacaEval 2.0, reproduced exactly by ``alpaca_win_rate``): a preference is a
number in [1, 2], 1 = the baseline (output_1) is better, 2 = the candidate (output_2) is
better, 1.5 a draw; 0 is read as a draw and missing values are dropped.

The length-controlled (LC) win rate (Dubois et al. 2024; WorldAlignment eq. 2-3) fits a
logistic model of the candidate's win probability

    logit P(candidate wins on instruction i) = theta + phi * tanh(d_i / sd(d)) + gamma * difficulty_i

where d_i is the candidate's length minus the baseline's, and difficulty_i is an
instruction-difficulty term when one is available. The LC win rate is the mean predicted
probability with the length term set to zero: what the preference would be if both outputs
had the same length. Preferences may be soft (probabilities): the fit is a binomial GLM with
a fractional response (statsmodels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .defaults import LC_COEFFICIENT_POOLING, LC_DIFFICULTY_RIDGE, MIN_LC_PREFERENCES


@dataclass(frozen=True)
class WinRate:
    win_rate: float  # percent
    standard_error: float  # percent
    n_wins: int
    n_wins_base: int
    n_draws: int
    n_total: int
    discrete_win_rate: float  # percent: wins count 1, draws 1/2, from the rounded preference

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def alpaca_win_rate(preference) -> WinRate:
    """AlpacaEval's win rate: ``mean((preference - 1) * 100)`` over non-missing preferences."""
    p = pd.to_numeric(pd.Series(preference), errors="coerce").dropna().astype(float)
    p = p.replace({0.0: 1.5})
    n = len(p)
    if n == 0:
        return WinRate(math.nan, math.nan, 0, 0, 0, 0, math.nan)
    score = (p - 1) * 100
    wins, draws = int((p > 1.5).sum()), int((p == 1.5).sum())
    return WinRate(
        win_rate=float(score.mean()),
        standard_error=float(score.sem()) if n > 1 else math.nan,
        n_wins=wins,
        n_wins_base=int((p < 1.5).sum()),
        n_draws=draws,
        n_total=n,
        discrete_win_rate=(wins + draws / 2) / n * 100,
    )


def choice_win_rate(choices, candidate: str = "A") -> WinRate:
    """Win rate of ``candidate`` ('A' or 'B') from canonical choices; a tie counts a half."""
    other = "B" if candidate == "A" else "A"
    preference = pd.Series(choices).map({candidate: 2.0, other: 1.0, "tie": 1.5})  # anything else: NaN, left out
    return alpaca_win_rate(preference)


@dataclass(frozen=True)
class LengthControlled:
    lc_win_rate: float  # percent
    win_rate: float  # percent, raw mean of the same preferences
    theta: float  # candidate term
    phi: float  # length term coefficient
    gamma: float  # difficulty coefficient (NaN when no difficulty was given)
    n: int
    reason: str = ""  # why the result is undefined, when it is NaN
    # percent: the standard error over instructions of the predicted length-controlled
    # preferences (instruction sampling only, like ``standard_error``; not the uncertainty
    # of the fitted coefficients)
    lc_standard_error: float = math.nan

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


# Above this standard error (logit scale) the candidate term is not identified: the fit is
# (quasi-)separated and its LC win rate would be an artefact.
MAX_THETA_SE = 3.0


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def _softplus_both(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(np.logaddexp(0, z), np.logaddexp(0, -z))`` to the bit, for the price of one.

    numpy's ``logaddexp(x, y)`` (``npy_logaddexp``) is ``max + log1p(exp(-|x - y|))``
    (``LOGE2`` added when ``x == y``), the logarithms and exponentials of the C library, one
    element at a time: the costliest step of the length-controlled fit. With ``x = 0`` both
    share ``L = log1p(exp(-|z|)) = logaddexp(0, -|z|)`` and differ only in the ``max``
    (``z`` or 0, ``-z`` or 0) that is added to it, the same two operands added as numpy adds
    them (``tests/analysis/test_winrate.py`` checks the identity bit for bit)."""
    shared = np.abs(z)
    np.negative(shared, out=shared)
    np.logaddexp(0, shared, out=shared)
    plus = np.maximum(z, 0)
    plus += shared
    minus = np.negative(z)
    np.maximum(minus, 0, out=minus)
    minus += shared
    return plus, minus


def length_controlled_win_rate(p_win, len_candidate, len_baseline, difficulty=None,
                               min_preferences: int = MIN_LC_PREFERENCES) -> LengthControlled:
    """LC win rate of a candidate; see the module docstring.

    ``p_win``: the candidate's win probability or preference per instruction, in [0, 1]
    (1 = candidate better, 0.5 a draw). ``len_candidate`` / ``len_baseline``: output lengths.
    ``difficulty``: optional per-instruction difficulty (larger = harder for candidates).
    Rows with a missing preference are dropped. Undefined (NaN with a reason) with fewer than
    ``min_preferences`` rows (``defaults.MIN_LC_PREFERENCES``) or when every length difference is equal.
    """
    y = np.asarray(p_win, dtype=float)
    d = np.asarray(len_candidate, dtype=float) - np.asarray(len_baseline, dtype=float)
    diff = None if difficulty is None else np.asarray(difficulty, dtype=float)
    keep = ~np.isnan(y) & ~np.isnan(d)
    if diff is not None:
        keep &= ~np.isnan(diff)
    y, d = y[keep], d[keep]
    diff = diff[keep] if diff is not None else None
    raw = float(y.mean() * 100) if len(y) else math.nan
    if len(y) < min_preferences:
        return LengthControlled(math.nan, raw, math.nan, math.nan, math.nan, len(y),
                                too_few_preferences(len(y), min_preferences))
    sd = d.std(ddof=1)
    if sd == 0:
        return LengthControlled(math.nan, raw, math.nan, math.nan, math.nan, len(y), "every length difference is the same")
    length_term = np.tanh(d / sd)
    columns = [np.ones_like(y), length_term] + ([diff] if diff is not None else [])
    X = np.column_stack(columns)
    params, errors, converged = logistic_fit(X, np.clip(y, 0.0, 1.0))
    if not converged:
        return LengthControlled(math.nan, raw, math.nan, math.nan, math.nan, len(y),
                                "the preferences are perfectly separated (or the fit did not converge): "
                                "the length effect cannot be estimated")
    if not np.all(np.isfinite(errors)) or errors[0] > MAX_THETA_SE:
        return LengthControlled(math.nan, raw, math.nan, float(params[1]), math.nan, len(y),
                                "the verdicts follow the length difference (almost) perfectly: the length "
                                "effect cannot be told apart from the candidate's own")
    theta, phi = params[0], params[1]
    gamma = params[2] if diff is not None else math.nan
    logits = theta + (gamma * diff if diff is not None else 0.0)
    predicted = _sigmoid(np.broadcast_to(logits, y.shape)) * 100
    if diff is None:
        # one prediction for every instruction: its uncertainty is the candidate term's
        # (delta method), not a spread over instructions
        p = float(predicted[0]) / 100
        se = 100 * p * (1 - p) * float(errors[0])
    else:
        se = _sem(predicted)
    return LengthControlled(float(np.mean(predicted)), raw, float(theta), float(phi), float(gamma), len(y),
                            lc_standard_error=se)


def logistic_fit(X: np.ndarray, y: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, bool]:
    """Maximum-likelihood logistic regression of a (possibly fractional) response ``y`` in
    [0, 1] on ``X`` by Newton's method (iteratively reweighted least squares): the binomial
    GLM of ``statsmodels``, which the tests check it against, without its second of import.
    Returns the coefficients, their standard errors (from the inverse information) and
    whether the fit converged; a perfectly separated response does not (its coefficients
    run off to infinity)."""
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        p = _sigmoid(X @ beta)
        weight = p * (1 - p)
        information = X.T @ (weight[:, None] * X)
        try:
            step = np.linalg.solve(information, X.T @ (y - p))
        except np.linalg.LinAlgError:
            return beta, np.full_like(beta, np.nan), False
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 30:
            return beta, np.full_like(beta, np.nan), False
        if np.max(np.abs(step)) < 1e-10:
            p = _sigmoid(X @ beta)
            information = X.T @ ((p * (1 - p))[:, None] * X)
            try:
                errors = np.sqrt(np.diag(np.linalg.inv(information)))
            except np.linalg.LinAlgError:
                errors = np.full_like(beta, np.nan)
            return beta, errors, True
    return beta, np.full_like(beta, np.nan), False


def _sem(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan


@dataclass(frozen=True)
class JointLengthControlled:
    """LC win rates of several candidates fitted together (instruction difficulty shared)."""

    results: dict[str, LengthControlled]
    difficulty: pd.Series  # per instruction, centred to mean 0 (larger = harder)
    phi: float  # the candidates' mean length coefficient
    converged: bool
    difficulty_coefficient: dict[str, float] = field(default_factory=dict)  # psi per candidate


DIFFICULTY_RIDGE = LC_DIFFICULTY_RIDGE
LBFGS_OPTIONS = {"maxcor": 50}  # more correction pairs: half the iterations on 800+ parameters


def length_controlled_win_rates(frame: pd.DataFrame, l2: float = DIFFICULTY_RIDGE,
                                pooling: float = LC_COEFFICIENT_POOLING,
                                min_preferences: int = MIN_LC_PREFERENCES,
                                covariates: Sequence[str] = ()) -> JointLengthControlled:
    """LC win rates of several candidates judged against one baseline on the same instructions.

    ``frame`` has one row per (candidate, instruction) with columns ``candidate``,
    ``instruction``, ``p_win`` (in [0, 1], 1 = candidate better), ``len_candidate`` and
    ``len_baseline``. The model follows AlpacaEval's ``length_controlled_v1``:

        logit p = theta_c + phi_c * tanh(d / sd_c) - psi_c * difficulty_instruction

    with a quality term ``theta_c``, a length coefficient ``phi_c`` and a difficulty
    coefficient ``psi_c`` per candidate (``sd_c``: the standard deviation of the candidate's
    length differences), and one difficulty per instruction estimated from all candidates at
    once. AlpacaEval regularises each model's coefficients towards its two length-gamed
    versions of the baseline (their quality known to be the baseline's); that data is not in
    a task, so each candidate's ``phi_c`` is pulled towards the candidates' mean and its
    ``psi_c`` towards 1 by an L2 penalty ``pooling``: a candidate whose own preferences
    cannot separate its length from its quality (every output much shorter, say) borrows
    the length effect the judge shows on the others. Fitted by penalised maximum likelihood
    (an L2 penalty ``l2`` on the difficulties keeps an instruction that every candidate loses
    finite). Only instructions met by at least two candidates get a difficulty (one
    preference alone would be fitted by its own difficulty, which would soak up the length
    effect). A candidate's LC win rate is AlpacaEval's prediction with the length term at
    zero: the mean over its instructions of sigmoid(theta_c - psi_c * difficulty), and its
    ``lc_standard_error`` the standard error of those predictions over instructions
    (undefined when every prediction is the same: no instruction difficulty). A candidate
    with fewer than ``min_preferences`` preferences has no LC (NaN with the reason). Needs
    at least two candidates. Pairs of the baseline against itself carry no information on
    length or difficulty: leave them out (their LC is 50 by construction).

    ``covariates``: more columns of ``frame`` (style features, ``style``), each with a
    coefficient per candidate pooled towards the candidates' mean like ``phi_c``, and set to
    zero in the prediction like the length term: the style-controlled win rate. Without
    them, the LC fit above.
    """
    from scipy.optimize import minimize

    df = frame.dropna(subset=["p_win", "len_candidate", "len_baseline"]).copy()
    candidates = sorted(df["candidate"].unique())
    if len(candidates) < 2:
        raise ValueError("a joint fit needs the preferences of at least two candidates")
    # a difficulty only for instructions met by at least two candidates: one preference
    # alone would be fitted exactly by its own difficulty, which would then soak up the
    # length effect (and the candidate term) of every pair with a prompt of its own
    met_by = df.groupby("instruction")["candidate"].nunique()
    instructions = pd.Index(sorted(met_by.index[met_by >= 2]))
    ci = df["candidate"].map({c: i for i, c in enumerate(candidates)}).to_numpy()
    ii = instructions.get_indexer(df["instruction"])
    ii = np.where(ii < 0, len(instructions), ii)  # the last slot: no difficulty term (fixed at 0)
    delta = (df["len_candidate"] - df["len_baseline"]).to_numpy(dtype=float)
    sd = df.assign(delta=delta).groupby("candidate")["delta"].std(ddof=1).reindex(candidates).to_numpy(copy=True)
    sd[~(sd > 0)] = 1.0
    t = np.tanh(delta / sd[ci])
    y = df["p_win"].to_numpy(dtype=float).clip(0, 1)
    k, m = len(candidates), len(instructions)
    cov = df[list(covariates)].to_numpy(dtype=float) if covariates else np.zeros((len(df), 0))
    q = cov.shape[1]

    loss = _joint_loss(ci, ii, t, y, cov, k, m, l2, pooling)

    # diagonal preconditioning: each parameter scaled by the square root of its curvature at
    # P = 1/2 (a difficulty rests on a dozen preferences, a candidate term on hundreds); the
    # optimum is the same, reached in far fewer iterations
    n_c = np.bincount(ci, minlength=k).astype(float)
    scale = np.sqrt(np.concatenate([
        0.25 * n_c, 0.25 * np.bincount(ci, t * t, k) + pooling, 0.25 * n_c + pooling,
        0.25 * np.bincount(ii, minlength=m + 1)[:m] + l2,
        *[(0.25 * np.bincount(ci, cov[:, j] ** 2, k) + pooling) for j in range(q)],
    ]) + 1e-9)
    if q:  # the covariates' scales are laid out feature-major above; the parameters candidate-major
        tail = scale[3 * k + m:].reshape(q, k).T.ravel()
        scale = np.concatenate([scale[:3 * k + m], tail])

    def scaled(u):
        value, grad = loss(u / scale)
        return value, grad / scale

    start = np.zeros(3 * k + m + k * q)
    start[2 * k:3 * k] = 1.0
    fit = minimize(scaled, start * scale, jac=True, method="L-BFGS-B", options=LBFGS_OPTIONS)
    x = fit.x / scale
    theta, phi, psi, diff = x[:k], x[k:2 * k], x[2 * k:3 * k], x[3 * k:3 * k + m]
    results = {}
    for i, name in enumerate(candidates):
        mine = ci == i
        raw = float(y[mine].mean() * 100)
        if not fit.success:
            results[name] = LengthControlled(math.nan, raw, math.nan, math.nan, math.nan, int(mine.sum()),
                                             f"the joint fit did not converge ({fit.message})")
            continue
        if mine.sum() < min_preferences:
            results[name] = LengthControlled(math.nan, raw, math.nan, math.nan, math.nan, int(mine.sum()),
                                             too_few_preferences(int(mine.sum()), min_preferences))
            continue
        predicted = _sigmoid(theta[i] - psi[i] * np.append(diff, 0.0)[ii[mine]]) * 100
        results[name] = LengthControlled(float(np.mean(predicted)), raw, float(theta[i]), float(phi[i]),
                                         float(psi[i]), int(mine.sum()), lc_standard_error=_spread_se(predicted))
    shift = diff.mean() if len(diff) else 0.0  # no instruction shared by two candidates: no difficulties
    return JointLengthControlled(results, pd.Series(diff - shift, index=instructions, name="difficulty"),
                                 float(phi.mean()), bool(fit.success),
                                 {name: float(psi[i]) for i, name in enumerate(candidates)})


def _joint_loss(ci: np.ndarray, ii: np.ndarray, t: np.ndarray, y: np.ndarray, cov: np.ndarray, k: int, m: int,
                l2: float, pooling: float):
    """The penalised negative log-likelihood of ``length_controlled_win_rates`` and its
    gradient, as a function of the parameters (theta, phi, psi per candidate, the
    difficulties, the covariates' coefficients candidate-major). ``ci`` / ``ii``: each
    preference's candidate and instruction (``m``: none), ``t``: its tanh length term, ``y``:
    the preference, ``cov``: its covariates. The L-BFGS fit evaluates it hundreds of times on
    every preference, and follows the values it returns to the bit: so it computes the
    formula's operations in the formula's order (``tests/analysis/test_winrate.py`` checks it
    against the formula written plainly)."""
    q = cov.shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        theta, phi, psi, diff = w[:k], w[k:2 * k], w[2 * k:3 * k], w[3 * k:3 * k + m]
        beta = w[3 * k + m:].reshape(k, q)
        # results written into buffers where they can be; ``take``: the values of indexing
        # (``theta[ci]``), copied faster
        d = np.append(diff, 0.0).take(ii)
        psi_i = psi.take(ci)
        z = phi.take(ci)
        z *= t
        z += theta.take(ci)
        work = np.multiply(psi_i, d)
        z -= work  # theta_c + phi_c * t - psi_c * d
        if q:  # without covariates their term is 0 and adding it changes no bit of z
            z += np.einsum("ij,ij->i", beta[ci], cov)
        softplus_z, g = _softplus_both(z)
        np.negative(g, out=g)
        np.exp(g, out=g)
        g -= y  # sigmoid(z) - y, sigmoid as ``_sigmoid`` computes it
        np.multiply(y, z, out=work)
        softplus_z -= work
        centre = phi.mean()
        beta_centre = beta.mean(axis=0)
        value = (np.sum(softplus_z) + 0.5 * l2 * np.sum(diff ** 2)
                 + 0.5 * pooling * (np.sum((phi - centre) ** 2) + np.sum((psi - 1) ** 2)
                                    + np.sum((beta - beta_centre) ** 2)))

        def by(index, factor, bins):  # np.bincount(index, g * factor, bins)
            return np.bincount(index, np.multiply(g, factor, out=work), bins)

        grad = np.concatenate([
            np.bincount(ci, g, k),
            by(ci, t, k) + pooling * (phi - centre),
            -by(ci, d, k) + pooling * (psi - 1),
            -by(ii, psi_i, m + 1)[:m] + l2 * diff,
            (np.stack([by(ci, cov[:, j], k) for j in range(q)], axis=1)
             + pooling * (beta - beta_centre)).ravel() if q else np.zeros(0),
        ])
        return value, grad

    return loss


def too_few_preferences(n: int, minimum: int = MIN_LC_PREFERENCES) -> str:
    return f"{n} preference(s): the length-controlled win rate needs at least {minimum}"


def _spread_se(predicted: np.ndarray) -> float:
    """The standard error over instructions of the LC predictions; NaN (never 0.0) when they
    are all the same, which they are by construction without instruction difficulties."""
    if len(predicted) < 2 or np.ptp(predicted) < 1e-9:
        return math.nan
    return _sem(predicted)
