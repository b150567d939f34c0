"""``annotator judge calibrate``: a mapping of a judge run's P(A) to the human majority, fit on
calibration pairs and measured on held-out pairs.

* The data: per pair, the run's P(A) (the mean over its presented orders and samples, as the
  judge card's calibration takes it) and the human majority (A = 1, B = 0; pairs whose majority
  is a tie or split are left out and counted), split into a calibration part and a held-out
  part by ``analysis.experiment.split_pairs`` (seeded, stratified by domain).
* ``platt``: Platt scaling, P' = 1 / (1 + exp(-(a + b * logit(P)))), fit by statsmodels'
  binomial GLM (a logistic regression) with Platt's (1999) smoothed targets (N+ + 1) / (N+ + 2)
  and 1 / (N- + 2), so that a perfectly separated calibration part still gives finite
  coefficients; P is clipped to [1e-6, 1 - 1e-6] before the logit.
* ``isotonic``: the non-decreasing step function closest to the outcomes in squared error
  (scipy's ``isotonic_regression``, pool-adjacent-violators, equal P(A) pooled first), applied
  between its points by linear interpolation and held constant beyond them (as scikit-learn's
  ``IsotonicRegression(out_of_bounds="clip")`` does).

ECE and Brier (``analysis.calibration``) before and after, on the held-out pairs only. The
mapping is stored with the run; ``stats judges --calibrated`` and ``stats leaderboard
--calibrated`` use it (the P(A) of each pair of the run is replaced by the mapped mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .agents import human_majority
from .calibration import DEFAULT_BINS, Calibration, calibration
from .experiment import split_pairs

METHODS = ("platt", "isotonic")
CLIP = 1e-6


class CalibrationError(ValueError):
    """A run that cannot be calibrated; the message says why."""


@dataclass(frozen=True)
class Mapping:
    method: str
    params: dict[str, Any]  # platt: a, b; isotonic: x, y (the fitted points)

    def apply(self, p: np.ndarray | pd.Series) -> np.ndarray:
        values = np.asarray(p, dtype=float)
        if self.method == "platt":
            z = np.log(np.clip(values, CLIP, 1 - CLIP) / (1 - np.clip(values, CLIP, 1 - CLIP)))
            return 1 / (1 + np.exp(-(self.params["a"] + self.params["b"] * z)))
        return np.interp(values, self.params["x"], self.params["y"])

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, **self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        return cls(data["method"], {k: v for k, v in data.items() if k != "method"})


def fit_platt(p: np.ndarray, y: np.ndarray) -> Mapping:
    import statsmodels.api as sm

    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    targets = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    z = np.log(np.clip(p, CLIP, 1 - CLIP) / (1 - np.clip(p, CLIP, 1 - CLIP)))
    if np.ptp(z) == 0:
        raise CalibrationError("every calibration pair has the same P(A): Platt scaling needs P(A) that varies "
                               "(try --method isotonic)")
    fit = sm.GLM(targets, sm.add_constant(z), family=sm.families.Binomial()).fit()
    a, b = (float(v) for v in fit.params)
    return Mapping("platt", {"a": a, "b": b})


def fit_isotonic(p: np.ndarray, y: np.ndarray) -> Mapping:
    from scipy.optimize import isotonic_regression

    frame = pd.DataFrame({"p": p, "y": y}).groupby("p")["y"].agg(["mean", "size"]).sort_index()
    fitted = isotonic_regression(frame["mean"].to_numpy(), weights=frame["size"].to_numpy(dtype=float),
                                 increasing=True).x
    return Mapping("isotonic", {"x": [float(v) for v in frame.index], "y": [float(v) for v in fitted]})


FITS = {"platt": fit_platt, "isotonic": fit_isotonic}


def run_p_a(judgments: pd.DataFrame, run_name: str) -> pd.Series:
    """pair -> the run's P(A): the mean over its presented orders and samples (NaN-free)."""
    rows = judgments[(judgments["run_name"] == run_name) & judgments["p_a"].notna()]
    return rows.groupby("pair")["p_a"].mean()


def _metrics(c: Calibration) -> dict[str, Any]:
    return {"n": c.n, "ece": None if math.isnan(c.ece) else c.ece, "brier": None if math.isnan(c.brier) else c.brier,
            **({"reason": c.reason} if c.reason else {})}


def calibrate_run(store: Any, task: str, run_name: str, method: str, *, split: float = 0.3, seed: int = 0,
                  bins: int = DEFAULT_BINS) -> tuple[Mapping, dict[str, Any]]:
    """Fit ``method`` on the calibration part of the run's pairs; the mapping and the report."""
    if method not in METHODS:
        raise CalibrationError(f"method must be one of {', '.join(METHODS)}, found {method!r}")
    found = store.require_task(task)
    p_a = run_p_a(store.judgments_frame(task, lean=True), run_name)
    if p_a.empty:
        raise CalibrationError(f"run {run_name!r} gives no probability P(A) on task {task} (a judge with logprobs, "
                               "or imported p_a, has one): nothing to calibrate")
    majority = human_majority(store.labels_frame(task), found.choices).dropna()
    decisive = majority[majority.isin(["A", "B"])]
    ties = int(majority.index.isin(p_a.index).sum() - decisive.index.isin(p_a.index).sum())
    both = p_a.index.intersection(decisive.index)
    if len(both) < 4:
        raise CalibrationError(f"run {run_name!r} and the humans share {len(both)} pair(s) with a P(A) and a "
                               "decisive majority; calibration needs at least 4 (label more pairs)")
    domains = store.pairs_frame(task).set_index("pair")["domain"]
    cal, held = split_pairs(domains.loc[both], split, seed)
    if len(cal) < 2 or not held:
        raise CalibrationError(f"--split {split} leaves {len(cal)} calibration and {len(held)} held-out pairs")
    y_cal = (decisive.loc[cal] == "A").to_numpy(dtype=float)
    if y_cal.min() == y_cal.max():
        raise CalibrationError("the human majority is the same on every calibration pair: no mapping can be fit")
    mapping = FITS[method](p_a.loc[cal].to_numpy(dtype=float), y_cal)
    held_p = p_a.loc[held]
    mapped = pd.Series(mapping.apply(held_p), index=held_p.index)
    before, after = calibration(held_p, decisive, bins), calibration(mapped, decisive, bins)
    fit_before = calibration(p_a.loc[cal], decisive, bins)
    fit_after = calibration(pd.Series(mapping.apply(p_a.loc[cal]), index=cal), decisive, bins)
    report = {
        "task": task, "run": run_name, "method": method,
        "method_rule": ("Platt scaling (logistic regression on logit P(A), Platt's smoothed targets; statsmodels GLM)"
                        if method == "platt" else
                        "isotonic regression (scipy, pool-adjacent-violators; linear between points, clipped)"),
        "split": {"share_held_out": split, "seed": seed, "calibration": len(cal), "held_out": len(held),
                  "stratified_by": "domain"},
        "held_out": {"before": _metrics(before), "after": _metrics(after),
                     "bins_before": before.bins, "bins_after": after.bins},
        "calibration_part": {"before": _metrics(fit_before), "after": _metrics(fit_after)},
        "n_ties_left_out": ties, "bins": bins, "mapping": mapping.as_dict(),
    }
    return mapping, report


class CalibratedStore:
    """A store whose ``judgments_frame`` gives the calibrated P(A) of the runs in ``mappings``
    (every judgment of a pair carries the mapped mean P(A) of that pair); the rest is the store's."""

    def __init__(self, store: Any, mappings: dict[str, Mapping]):
        self._store, self.mappings = store, mappings

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def judgments_frame(self, task: str, *args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = self._store.judgments_frame(task, *args, **kwargs)
        for run_name, mapping in self.mappings.items():
            p_a = run_p_a(frame, run_name)
            if p_a.empty:
                continue
            mapped = pd.Series(mapping.apply(p_a), index=p_a.index)
            rows = (frame["run_name"] == run_name) & frame["p_a"].notna()
            frame.loc[rows, "p_a"] = frame.loc[rows, "pair"].map(mapped).to_numpy()
        return frame
