"""The leaderboard: win rates of candidate models against a baseline, per agent and domain
(WorldAlignment section 3 and Table 1; AlpacaEval 2.0's leaderboard columns).

An *agent* is the humans (their votes per pair) or one judge run (its verdicts under an
order rule). A *candidate* is a model compared with the *baseline*; on each pair holding the
baseline, the candidate is the model on the other side, whichever side it is on, and its
preference is the agent's preference for that side (never "the win rate of A").

Per (agent, candidate, domain):

* ``win_rate``: the mean preference for the candidate, in percent (AlpacaEval's
  definition: a soft preference counts as it is, a tie is half); ``standard_error`` its
  standard error over pairs; ``n_wins`` / ``n_wins_base`` / ``n_draws``: preferences above,
  below and at one half; ``discrete_win_rate`` = (wins + draws / 2) / n.
* the agent's preference on a pair: for a judge, its soft preference under the order rule
  (``verdicts``: the mean P(A) over the orders, or the hard verdict read as 1 / 0.5 / 0);
  for the humans, the mean of their votes (A = 1, tie = 0.5, B = 0). Pairs the agent has
  no preference on (unscored, or asked in both orders and scored in one only, under
  ``both``) are left out of ``n`` and counted in ``n_unscored``. A pair whose two orders
  gave different verdicts (inconsistent under ``both``; a tie of the rule under
  ``mt-bench`` / ``judgebench``) is a draw: it counts in ``n`` and ``n_draws``, and
  ``n_inconsistent`` says how many of the draws it made.
* ``lc_win_rate``: the length-controlled win rate (``winrate``): one joint fit per (agent,
  domain) over all its candidates, with a length term per candidate and an instruction-difficulty
  term (instructions are pairs with the same prompt, met by two candidates or more), each
  candidate's length and difficulty coefficients pooled (``winrate``); with a single
  candidate, a fit of its own without difficulty (said in ``lc_method``, with a warning: one
  candidate alone cannot separate its length from its quality). ``lc_standard_error``: over
  instructions, undefined where every prediction is the same. Fewer than
  ``defaults.MIN_LC_PREFERENCES`` preferences: no LC (the reason says so).
  Pairs of the baseline against itself are left out of the fit; in the win rate each is a
  draw (whichever side the agent preferred, the baseline won it and lost it), so the
  baseline's row is 50, as on AlpacaEval's leaderboard (its LC is 50 by construction and has
  no standard error).
* ``avg_length``: the candidate's mean response length in characters, over its pairs against
  the baseline that the agent was asked about. A candidate the agent has no preference on
  at all keeps its row (``n`` 0, the win rates undefined, its pairs in ``n_unscored``).
* ``bt_rating`` with ``bt_ci_low`` / ``bt_ci_high``: a Bradley-Terry rating (Elo scale,
  baseline at 1000) from every pair of the agent and domain where both models are known,
  defined where at least three models meet (with two, it restates the win rate). A model
  that won none of its comparisons (or all) has no finite rating: undefined, with the
  reason ("no finite rating: 0 wins ...").

Without a baseline (a round robin: every model meets the others) there are no win rates:
``ratings`` holds each agent's Bradley-Terry rating of every model (mean rating 1000) with
its interval, and the rankings are compared by rating. With a baseline, ``ratings`` holds
the same for every model of the ratings, the baseline at 1000.

Ranking agreement: for each judge agent, its ranking of the candidates by win rate (by
Bradley-Terry rating without a baseline) against the reference agent's (the humans by
default): Spearman, Kendall tau_b and the "Ties matter" variants (``ranking``), over the
candidates both rate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from annotator.store.protocol import AnalysisStore

from . import ranking, separability, significance, style as style_features
from .bradley_terry import RIDGE as BT_RIDGE, bradley_terry
from .defaults import DEFAULT_BOTH_BAD, LC_COEFFICIENT_POOLING, MIN_LC_PREFERENCES
from .estimate import json_number
from .winrate import DIFFICULTY_RIDGE, alpaca_win_rate, length_controlled_win_rate, length_controlled_win_rates

ALL = "all"


@dataclass
class LeaderboardRow:
    agent: str
    model: str
    baseline: str
    domain: str
    n: int
    n_unscored: int
    win_rate: float
    standard_error: float
    discrete_win_rate: float
    n_wins: int
    n_wins_base: int
    n_draws: int
    lc_win_rate: float
    lc_standard_error: float
    lc_method: str
    avg_length: float
    bt_rating: float
    bt_ci_low: float
    bt_ci_high: float
    reason: str | None = None
    n_inconsistent: int = 0  # draws made by pairs whose two presented orders disagree
    sc_win_rate: float = math.nan  # style-controlled (``style``): the LC fit with style covariates
    sc_bt_rating: float = math.nan  # style-controlled Bradley-Terry (``style.style_controlled_ratings``)

    def to_json(self) -> dict[str, Any]:
        return {k: json_number(v) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class RatingRow:
    """One model's Bradley-Terry rating by one agent (``bt_rating`` NaN with ``reason`` where
    it has no finite rating)."""

    agent: str
    model: str
    domain: str
    n: int  # comparisons the model took part in
    wins: float  # preference mass it won (a tie counts a half)
    bt_rating: float
    bt_ci_low: float
    bt_ci_high: float
    reason: str | None = None
    sc_bt_rating: float = math.nan  # style-controlled (``style.style_controlled_ratings``)

    def to_json(self) -> dict[str, Any]:
        return {k: json_number(v) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class RankCorrelation:
    agent: str
    reference: str
    domain: str
    n_models: int
    spearman: float
    kendall_tau_b: float
    tau_14: float
    tau_13: float
    tau_10: float
    pairwise_accuracy: float
    reason: str | None = None
    by: str = "win_rate"  # what the models are ranked by: win_rate, or bt_rating without a baseline

    def to_json(self) -> dict[str, Any]:
        return {k: json_number(v) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class Leaderboard:
    task: str
    baseline: str | None
    baseline_rule: str
    rows: list[LeaderboardRow] = field(default_factory=list)
    rank_correlation: list[RankCorrelation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pairs_without_baseline: int = 0
    lc_ridge: float = DIFFICULTY_RIDGE
    bootstrap: int = 0
    order_rule: dict[str, str] = field(default_factory=dict)
    ratings: list[RatingRow] = field(default_factory=list)
    pairwise: list[significance.PairTest] = field(default_factory=list)
    groups: list[significance.Group] = field(default_factory=list)
    separability: list[separability.Separability] = field(default_factory=list)
    test: str = "bootstrap"
    correction: str = "holm"
    sc_method: str = ""
    sc_bt_method: str = ""
    both_bad: dict[str, Any] | None = None  # the --both-bad rule, when the task offers it or a label holds it

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "order_rule": self.order_rule,
            "baseline": self.baseline,
            "baseline_rule": self.baseline_rule,
            "notes": list(self.notes),
            "pairs_without_baseline": self.pairs_without_baseline,
            "lc_ridge": self.lc_ridge,
            "lc_coefficient_pooling": LC_COEFFICIENT_POOLING,
            "lc_min_preferences": MIN_LC_PREFERENCES,
            "bt_bootstrap": self.bootstrap,
            "bt_ridge": BT_RIDGE,
            "rows": [r.to_json() for r in self.rows],
            "ratings": [r.to_json() for r in self.ratings],
            "rank_correlation": [r.to_json() for r in self.rank_correlation],
            "sc_method": self.sc_method,
            "sc_bt_method": self.sc_bt_method,
            "pairwise_test": self.test,
            "pairwise_correction": self.correction,
            "pairwise_alpha": significance.ALPHA,
            "pairwise": [r.to_json() for r in self.pairwise],
            "groups": [g.to_json() for g in self.groups],
            "separability": [s.to_json() for s in self.separability],
            **({"both_bad": dict(self.both_bad)} if self.both_bad is not None else {}),
        }


def choose_baseline(pairs: pd.DataFrame, named: str | None) -> tuple[str | None, str]:
    """The baseline model and the rule that chose it: the task's ``baseline`` setting, else
    the one model on side B of every pair, else the one on side A of every pair."""
    if named:
        return named, "named by the task ([task] baseline)"
    a = pairs["model_a"].fillna("").astype(str)
    b = pairs["model_b"].fillna("").astype(str)
    if len(pairs) and b.nunique() == 1 and b.iloc[0] and a.nunique() > 0:
        return b.iloc[0], "the model on side B of every pair (set [task] baseline to choose another)"
    if len(pairs) and a.nunique() == 1 and a.iloc[0]:
        return a.iloc[0], "the model on side A of every pair (set [task] baseline to choose another)"
    return None, ""


def _nan_row(**kw) -> dict:
    base = dict(win_rate=math.nan, standard_error=math.nan, discrete_win_rate=math.nan, n_wins=0,
                n_wins_base=0, n_draws=0, lc_win_rate=math.nan, lc_standard_error=math.nan, lc_method="",
                avg_length=math.nan, bt_rating=math.nan, bt_ci_low=math.nan, bt_ci_high=math.nan)
    base.update(kw)
    return base


Fit = Callable[[tuple[str, ...]], Any]  # covariates -> the joint fit of one frame (or its ValueError)


def _lc(frame: pd.DataFrame, ridge: float, fit: Fit) -> tuple[dict[str, Any], str]:
    """LC results per candidate for one (agent, domain); frame: candidate, instruction,
    p_win, len_candidate, len_baseline; ``fit``: its joint fits (``_fits``)."""
    candidates = sorted(frame["candidate"].unique())
    if len(candidates) >= 2:
        try:
            return fit(()).results, (f"joint fit of {len(candidates)} candidates (AlpacaEval's length_controlled_v1): each "
                                     f"candidate's length and difficulty coefficients, pooled towards the others "
                                     f"(L2 {LC_COEFFICIENT_POOLING:g}); instruction difficulty (ridge {ridge:g})")
        except ValueError:
            pass
    out = {}
    for name, rows in frame.groupby("candidate"):
        out[name] = length_controlled_win_rate(rows["p_win"], rows["len_candidate"], rows["len_baseline"])
    return out, SINGLE_CANDIDATE_LC


def _sc_covariates(frame: pd.DataFrame, columns: list[str]) -> tuple[tuple[str, ...] | None, str]:
    """The style columns the style-controlled fit of ``frame`` takes (those that vary; none: it
    is the LC fit itself), or None with the reason there is no such fit."""
    if not columns:
        return None, "no style features (the responses' texts are not in the store)"
    if frame["candidate"].nunique() < 2:
        return None, "style control needs the joint fit of two candidates or more"
    return tuple(c for c in columns if frame[c].nunique() > 1), ""


def _sc(frame: pd.DataFrame, columns: list[str], fit: Fit) -> tuple[dict[str, Any], str]:
    """Style-controlled results per candidate: the joint LC fit with the style columns that
    vary as covariates (``style``), and the reason where there is none. Where no style
    column varies, that fit is the LC fit itself, not fitted again (``fit`` fits each set of
    covariates once)."""
    varying, reason = _sc_covariates(frame, columns)
    if varying is None:
        return {}, reason
    try:
        return fit(varying).results, ""
    except ValueError as e:
        return {}, str(e)


def _needed_fits(frame: pd.DataFrame, columns: list[str]) -> list[tuple[str, ...]]:
    """The covariate sets ``_lc`` and ``_sc`` will ask ``fit`` for on ``frame``."""
    needed = [()] if len(frame) and len(frame["candidate"].unique()) >= 2 else []
    varying, _ = _sc_covariates(frame, columns)
    return needed + ([varying] if varying else [])


def available_cpus() -> int:
    """The CPUs this process may run on (the default number of fit workers)."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# Below this many preferences in all the joint fits of a leaderboard, they run in this process:
# starting workers would cost more than it saves.
PARALLEL_MIN_PREFERENCES = 20_000
_PENDING: list[tuple[pd.DataFrame, float, tuple[str, ...]]] = []  # what forked fit workers inherit


def _fit_pending(i: int) -> Any:
    """In a fit worker: fit ``i`` of ``_PENDING``, BLAS on one thread (the fit makes many small
    BLAS calls where more threads only spin)."""
    from threadpoolctl import threadpool_limits

    frame, ridge, covariates = _PENDING[i]
    with threadpool_limits(limits=1, user_api="blas"):
        return length_controlled_win_rates(frame, l2=ridge, covariates=covariates)


def _fits(frames: list[pd.DataFrame], columns: list[str], ridge: float, jobs: int) -> list[Fit]:
    """One ``fit`` per frame: covariates -> ``length_controlled_win_rates`` of the frame with
    them (raising its ``ValueError``), each computed once. With ``jobs`` > 1 and enough
    preferences, every fit ``_lc`` and ``_sc`` will ask for starts at once in ``jobs`` forked
    worker processes (the same computation, so the same figures to the bit) and this process
    goes on meanwhile (the Bradley-Terry ratings); else each runs here when first asked for."""
    import multiprocessing

    def here(frame: pd.DataFrame) -> Fit:
        return cache(lambda covariates: length_controlled_win_rates(frame, l2=ridge, covariates=covariates))

    local = [here(f) for f in frames]
    wanted = [(i, c) for i, f in enumerate(frames) for c in _needed_fits(f, columns)]
    if (jobs <= 1 or len(wanted) < 2 or sum(len(frames[i]) for i, _ in wanted) < PARALLEL_MIN_PREFERENCES
            or "fork" not in multiprocessing.get_all_start_methods()):
        return local
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _PENDING[:] = [(frames[i], ridge, c) for i, c in wanted]
    futures: dict[tuple[int, tuple[str, ...]], Any] = {}
    try:
        # the workers fork at the first submit, inheriting ``_PENDING``; they run every fit
        # asked for and end, while this process goes on (the caller waits for each result
        # when it needs it, a ValueError raised there)
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(wanted)), mp_context=multiprocessing.get_context("fork"))
        # the largest fits first, so that no worker starts a long one last
        for k in sorted(range(len(wanted)), key=lambda k: -len(frames[wanted[k][0]])):
            futures[wanted[k]] = pool.submit(_fit_pending, k)
        pool.shutdown(wait=False)
    except OSError:  # no worker could start (a process limit): each fit runs here when asked for
        return local
    finally:
        _PENDING.clear()

    def fit(i: int) -> Fit:
        def result(covariates: tuple[str, ...]) -> Any:
            future = futures.get((i, covariates))
            if future is None or isinstance(future.exception(), BrokenProcessPool):
                return local[i](covariates)
            return future.result()
        return result

    return [fit(i) for i in range(len(frames))]


SINGLE_CANDIDATE_LC = ("single-candidate fit: length term only; warning: one candidate alone cannot separate its "
                       "length from its quality (a candidate whose outputs are all much shorter or longer than the "
                       "baseline's gets an LC far from AlpacaEval's); judge more candidates against the same "
                       "baseline on the same instructions for the joint fit")


def leaderboard(
    preferences: dict[str, pd.Series],
    unscored: dict[str, pd.Index],
    pairs: pd.DataFrame,
    *,
    task: str = "",
    baseline: str | None = None,
    by_domain: bool = False,
    reference: str | None = None,
    bootstrap: int = 200,
    seed: int = 0,
    lc_ridge: float = DIFFICULTY_RIDGE,
    inconsistent: dict[str, pd.Index] | None = None,
    test: str = "bootstrap",
    correction: str = "holm",
    style: pd.DataFrame | None = None,
    jobs: int = 1,
) -> Leaderboard:
    """The leaderboard of one task; see the module docstring.

    ``preferences``: agent -> soft preference for response A per pair id (NaN or absent
    where the agent has none); ``unscored``: agent -> the pairs it was asked about but has no
    preference on; ``inconsistent``: agent -> the pairs whose two presented orders gave
    different verdicts (a draw in the win rate). ``pairs``: ``Store.pairs_frame`` with an
    ``instruction`` column (pairs with the same prompt share it). ``baseline``: the task's
    baseline model, if it names one. ``reference``: the agent the others' rankings are
    compared with. ``jobs``: worker processes for the length-controlled and style-controlled
    fits (``_fits``; 1: every fit in this process).
    """
    inconsistent = inconsistent or {}
    base, rule = choose_baseline(pairs, baseline)
    board = Leaderboard(task=task, baseline=base, baseline_rule=rule, lc_ridge=lc_ridge, bootstrap=bootstrap,
                        test=test, correction=correction)
    p = pairs.set_index("pair")
    model_a = p["model_a"].fillna("").astype(str)
    model_b = p["model_b"].fillna("").astype(str)
    domain_of = p["domain"].fillna("").astype(str)
    domains = [ALL] + (sorted(domain_of.unique()) if by_domain else [])
    differences = (style_features.pair_style_differences(style).reindex(p.index).fillna(0.0)
                   if style is not None and len(style) else None)
    reference = reference or next(iter(preferences), None)

    def rate() -> None:
        _ratings(board, preferences, model_a, model_b, domain_of, domains, base, bootstrap, seed, differences)
        board.separability = separability.separability(board.ratings, reference=reference, anchor=base,
                                                       resamples=bootstrap, seed=seed)

    if base is None:
        rate()
        if board.ratings:
            board.notes.append("no baseline: no win rates; every model is rated by Bradley-Terry from the pairs "
                               "(mean rating 1000). Name a baseline with `baseline = \"MODEL\"` in [task] for "
                               "win rates against it")
        else:
            board.notes.append("no baseline: name one with `baseline = \"MODEL\"` in [task] (pairs need model_a "
                               "and model_b), or import pairs whose side A or B holds one model throughout")
        board.rank_correlation = rank_correlations(board.ratings, reference, by="bt_rating")
        return board
    has_base = (model_a == base) | (model_b == base)
    self_pairs = (model_a == base) & (model_b == base)
    board.pairs_without_baseline = int((~has_base).sum())
    if board.pairs_without_baseline:
        board.notes.append(f"{board.pairs_without_baseline:,} pair(s) do not hold the baseline {base!r}: they count "
                           "only in the Bradley-Terry ratings")
    if self_pairs.any():
        board.notes.append(f"{int(self_pairs.sum()):,} pair(s) put the baseline against itself: its win rate is 50 "
                           "by construction and they are left out of the length-controlled fits")
    cand_is_a = model_b == base
    candidate = np.where(cand_is_a, model_a, model_b)
    len_cand = np.where(cand_is_a, p["len_a"], p["len_b"]).astype(float)
    len_base = np.where(cand_is_a, p["len_b"], p["len_a"]).astype(float)
    info = pd.DataFrame({
        "candidate": candidate, "cand_is_a": cand_is_a.to_numpy(), "has_base": has_base.to_numpy(),
        "self": self_pairs.to_numpy(), "len_candidate": len_cand, "len_baseline": len_base,
        "domain": domain_of.to_numpy(),
        "instruction": p["instruction"].to_numpy() if "instruction" in p else np.arange(len(p)),
    }, index=p.index)
    sc_columns: list[str] = []
    if style is not None and len(style):
        covariates = style_features.style_covariates(style.set_index("pair").reindex(p.index).fillna(0),
                                                     cand_is_a.to_numpy())
        info = info.join(covariates)
        sc_columns = list(covariates.columns)
        board.sc_method = style_features.SC_METHOD

    plans = []  # per agent and domain: its preferences against the baseline, and its unscored pairs
    for agent, prefs in preferences.items():
        joined = info.join(prefs.rename("p_a"), how="inner")
        joined["inconsistent"] = joined.index.isin(inconsistent.get(agent, pd.Index([])))
        # pairs of a candidate against the baseline that the agent has no preference on
        missing = info.index.isin(unscored.get(agent, pd.Index([]))) & info["has_base"].to_numpy()
        for domain in domains:
            rows = joined if domain == ALL else joined[joined["domain"] == domain]
            no_pref = info[missing & ((info["domain"] == domain) if domain != ALL else True)]
            scored = rows[rows["p_a"].notna()]
            vs_base = scored[scored["has_base"]]
            p_win = np.where(vs_base["cand_is_a"], vs_base["p_a"], 1 - vs_base["p_a"])
            # the baseline against itself: whichever side the agent preferred, the baseline won
            # and lost that pair at once, a draw (AlpacaEval's baseline row: 50, every pair drawn)
            p_win = np.where(vs_base["self"], 0.5, p_win)
            frame = pd.DataFrame({
                "candidate": vs_base["candidate"].to_numpy(), "instruction": vs_base["instruction"].to_numpy(),
                "p_win": p_win, "len_candidate": vs_base["len_candidate"].to_numpy(),
                "len_baseline": vs_base["len_baseline"].to_numpy(), "self": vs_base["self"].to_numpy(),
                "inconsistent": vs_base["inconsistent"].to_numpy(),
                **{c: vs_base[c].to_numpy() for c in sc_columns},
            })
            plans.append((agent, domain, frame, frame[~frame["self"]], no_pref))
    fits = _fits([fit_frame for *_, fit_frame, _ in plans], sc_columns, lc_ridge, jobs)
    rate()  # while the fits run in their workers, if they do
    ratings = {(r.agent, r.domain, r.model): r for r in board.ratings}
    for (agent, domain, frame, fit_frame, no_pref), fit in zip(plans, fits, strict=True):
        lc_results, lc_method = _lc(fit_frame, lc_ridge, fit) if len(fit_frame) else ({}, "")
        sc_results, sc_reason = _sc(fit_frame, sc_columns, fit)
        # every candidate the agent was asked about, with or without a preference
        for name in sorted(set(frame["candidate"].unique()) | set(no_pref["candidate"].unique())):
            mine = frame[frame["candidate"] == name]
            wr = alpaca_win_rate(mine["p_win"] + 1)
            reasons = []
            n_unscored = int((no_pref["candidate"] == name).sum()) if len(no_pref) else 0
            lengths = pd.concat([mine["len_candidate"], no_pref.loc[no_pref["candidate"] == name, "len_candidate"]])
            row = _nan_row()
            row.update(win_rate=wr.win_rate, standard_error=wr.standard_error,
                       discrete_win_rate=wr.discrete_win_rate, n_wins=wr.n_wins, n_wins_base=wr.n_wins_base,
                       n_draws=wr.n_draws, avg_length=float(lengths.mean()))
            if wr.n_total == 0:
                reasons.append("no preference: every pair of this candidate against the baseline is unscored "
                               "or has no verdict under the order rule")
            if name == base:
                row.update(lc_win_rate=50.0, lc_method="the baseline against itself")
                reasons.append("LC standard error: none, the baseline's LC is 50 by construction")
            elif name in lc_results:
                lc = lc_results[name]
                row.update(lc_win_rate=lc.lc_win_rate, lc_standard_error=lc.lc_standard_error, lc_method=lc_method)
                if lc.reason:
                    reasons.append(f"LC: {lc.reason}")
                elif math.isnan(lc.lc_standard_error):
                    reasons.append("LC standard error: none, every instruction gets the same prediction "
                                   "(no instruction difficulty)")
            if name == base:
                row.update(sc_win_rate=50.0)
            elif name in sc_results and not sc_results[name].reason:
                row.update(sc_win_rate=sc_results[name].lc_win_rate)
            elif mine["p_win"].notna().any():
                reasons.append(f"SC: {sc_results[name].reason if name in sc_results else sc_reason}")
            rated = ratings.get((agent, domain, name))
            if rated is not None:
                row.update(bt_rating=rated.bt_rating, bt_ci_low=rated.bt_ci_low, bt_ci_high=rated.bt_ci_high,
                           sc_bt_rating=rated.sc_bt_rating)
                if rated.reason:
                    reasons.append(rated.reason)
            elif not any(r.agent == agent and r.domain == domain for r in board.ratings):
                reasons.append(BT_TOO_FEW)
            if wr.n_total == 1:
                reasons.append("standard error: fewer than two preferences")
            board.rows.append(LeaderboardRow(
                agent=agent, model=name, baseline=base, domain=domain, n=wr.n_total, n_unscored=n_unscored,
                reason="; ".join(reasons) or None, n_inconsistent=int(mine["inconsistent"].sum()), **row,
            ))
        _significance(board, frame, agent, domain, seed)
    board.rank_correlation = rank_correlations(board.rows, reference)
    return board


def _significance(board: Leaderboard, frame: pd.DataFrame, agent: str, domain: str, seed: int) -> None:
    """Paired tests between this agent's models of one domain, and their letter groups
    (``significance``), best win rate first."""
    scores = {r.model: r.win_rate for r in board.rows if r.agent == agent and r.domain == domain and r.n}
    if not scores or board.baseline is None:
        return
    scores.setdefault(board.baseline, 50.0)  # the baseline: 0.5 on every instruction
    order = sorted(scores, key=lambda m: (-scores[m], m))
    table = significance.by_instruction(frame[~frame["self"]], board.baseline)
    tests = significance.pairwise_tests(table, order, agent=agent, domain=domain, test=board.test,
                                        correction=board.correction, seed=seed)
    board.pairwise += tests
    board.groups += significance.groups_of(tests, order, agent=agent, domain=domain)


BT_TOO_FEW = "Bradley-Terry needs at least three models meeting (with two it restates the win rate)"


def _ratings(board: Leaderboard, preferences: dict[str, pd.Series], model_a: pd.Series, model_b: pd.Series,
             domain_of: pd.Series, domains: list[str], base: str | None, bootstrap: int, seed: int,
             differences: pd.DataFrame | None = None) -> None:
    """Each agent's Bradley-Terry ratings per domain into ``board.ratings``: every pair with
    both models known, anchored on the baseline (1000) or, without one, on the mean."""
    known = (model_a != "") & (model_b != "") & (model_a != model_b)
    for agent, prefs in preferences.items():
        prefs = prefs.reindex(model_a.index)
        usable = known & prefs.notna()
        for domain in domains:
            here = usable & ((domain_of == domain) if domain != ALL else True)
            if len(set(model_a[here].unique()) | set(model_b[here].unique())) < 3:
                continue
            fitted = bradley_terry(model_a[here], model_b[here], prefs[here], anchor=base, resamples=bootstrap,
                                   seed=seed)
            sc: dict[str, float] = {}
            if differences is not None:
                sc, _ = style_features.style_controlled_ratings(model_a[here], model_b[here], prefs[here],
                                                                differences[here].to_numpy(), anchor=base)
                board.sc_bt_method = style_features.SC_BT_METHOD
            for i, name in enumerate(fitted.models):
                why = fitted.no_finite_rating(i)
                nan = math.nan
                wins = fitted.wins if fitted.wins is not None else np.full(len(fitted.models), math.nan)
                board.ratings.append(RatingRow(
                    agent=agent, model=name, domain=domain, n=int(fitted.n_comparisons[i]),
                    wins=float(wins[i]),
                    bt_rating=nan if why else float(fitted.rating[i]),
                    bt_ci_low=nan if why else float(fitted.ci_low[i]),
                    bt_ci_high=nan if why else float(fitted.ci_high[i]), reason=why or None,
                    sc_bt_rating=nan if why else sc.get(name, nan)))


_BY = {"win_rate": "win rate", "bt_rating": "Bradley-Terry rating"}


def rank_correlations(rows: Sequence[LeaderboardRow | RatingRow], reference: str | None,
                      by: str = "win_rate") -> list[RankCorrelation]:
    """Each agent's ranking of the candidates by ``by`` (``win_rate``, or ``bt_rating`` for
    the ``ratings`` of a task without a baseline) against the reference agent's, per domain,
    over the candidates (not the baseline) both rate."""
    out: list[RankCorrelation] = []
    if reference is None:
        return out
    table = pd.DataFrame([{"agent": r.agent, "domain": r.domain, "model": r.model, "wr": getattr(r, by)}
                          for r in rows if r.model != getattr(r, "baseline", None)])
    if table.empty:
        return out
    for domain, by_domain in table.groupby("domain", sort=False):
        ref = by_domain[by_domain["agent"] == reference].set_index("model")["wr"].dropna()
        for agent, mine in by_domain.groupby("agent", sort=False):
            if agent == reference:
                continue
            ours = mine.set_index("model")["wr"].dropna()
            shared = ref.index.intersection(ours.index)
            g, m = ref[shared].to_numpy(), ours[shared].to_numpy()
            if len(shared) < 3:
                reason = (f"the reference {reference!r} has no {_BY[by]}s here" if ref.empty
                          else "fewer than three candidates rated by both")
                out.append(RankCorrelation(agent, reference, domain, len(shared), spearman=math.nan,
                                           kendall_tau_b=math.nan, tau_14=math.nan, tau_13=math.nan,
                                           tau_10=math.nan, pairwise_accuracy=math.nan, reason=reason, by=by))
                continue
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                # a constant ranking: undefined, said in ``reason`` below (not on stderr)
                warnings.simplefilter("ignore", stats.ConstantInputWarning)
                spearman = float(stats.spearmanr(g, m).statistic)
            out.append(RankCorrelation(
                agent, reference, domain, len(shared), spearman, ranking.tau_b(g, m), ranking.tau_14(g, m),
                ranking.tau_13(g, m), ranking.tau_10(g, m), ranking.pairwise_accuracy(g, m),
                reason=None if math.isfinite(spearman) else f"every candidate has the same {_BY[by]} for one agent",
                by=by,
            ))
    return out


def task_leaderboard(store: AnalysisStore, task: str, *, order_rule: str = "both", include_incomplete: bool = False,
                     agents_filter: Sequence[str] | None = None, both_bad: str = DEFAULT_BOTH_BAD,
                     **options: Any) -> Leaderboard:
    """Load a task once (``agents.load_agents``) and build its leaderboard: the humans (when
    any labelled) and every compared judge run (or only the runs in ``agents_filter``);
    ``both_bad``: how "both_bad" labels count in the humans' preferences."""
    from .agents import HUMANS, load_agents

    found = store.require_task(task)
    agents = load_agents(store, task, order_rule=order_rule, include_incomplete=include_incomplete,
                         both_bad=both_bad)
    pairs = agents.pairs.copy()
    instruction = store.instruction_ids(task)
    pairs["instruction"] = pairs["pair"].map(instruction)
    preferences: dict[str, pd.Series] = {}
    unscored: dict[str, pd.Index] = {}
    inconsistent: dict[str, pd.Index] = {}
    if not agents.labels.empty:
        preferences[HUMANS] = agents.human_soft()
    for name, rows in agents.verdicts.groupby("run_name", sort=True):
        if agents_filter and name not in agents_filter:
            continue
        soft = rows.set_index("pair")["p_a"]
        preferences[str(name)] = soft
        unscored[str(name)] = soft.index[soft.isna()]
        inconsistent[str(name)] = pd.Index(rows.loc[_differs(rows), "pair"])
    board = leaderboard(preferences, unscored, pairs, task=task, baseline=found.settings.get("baseline"),
                        inconsistent=inconsistent, style=store.style_features(task), **options)
    board.notes[:0] = [f"run {n} is incomplete: left out (--include-incomplete to show it)" for n in agents.left_out]
    board.order_rule = {"name": agents.order_rule, "rule": agents.order_rule_text}
    board.both_bad = agents.both_bad
    return board


def _differs(verdicts: pd.DataFrame) -> pd.Series:
    """Pairs whose two presented orders gave different scored verdicts (``verdicts``'
    ``inconsistent`` status): a draw in the win rate whatever the order rule's verdict."""
    return verdicts["status"] == "inconsistent"
