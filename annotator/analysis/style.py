"""Style beyond length: does an agent prefer the response with more markdown? (Arena-Hard-Auto's
style features, ``store/style.py``; AlpacaEval's "prefer lists" generalised;
docs/judge-validation.md, "Style beyond length".)

* ``style_bias``: per feature, over the pairs whose two responses differ in it and where both
  the judge and the humans' majority chose a response (A or B), the share of the judge's
  choices that went to the response with more of it, minus the humans' share on the same
  pairs. Null with a reason where no such pair exists.
* ``trivial_baselines``: per domain (subset) and feature, the accuracy of the rule "pick the
  response with more of it" against the reference (the gold labels where the task has them,
  else the humans' majority) on the pairs the reference decides; a pair where the two are
  equal counts half (the rule can only flip a coin).
* ``style_covariates``: the style-controlled fit's covariates of a candidate against the
  baseline: the length as in the LC fit (``winrate``: tanh of the difference over its
  standard deviation, made there), every other feature Arena-Hard-Auto's normalised
  difference ``(candidate - baseline) / (candidate + baseline)`` (0 when both are 0).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from annotator.store.style import FEATURES

COUNT_FEATURES = tuple(f for f in FEATURES if f != "length")
SC_METHOD = ("style-controlled: the joint LC fit with, per candidate, a coefficient for each of the headers, list "
             "items, bold spans and code blocks (Arena-Hard-Auto's normalised difference (c - b) / (c + b)), pooled "
             "like the length coefficient; SC is the mean prediction with the length and style terms at zero")


def _more(features: pd.DataFrame, feature: str) -> pd.Series:
    """Per pair: 'A' or 'B', the response with more of ``feature``; NaN when equal."""
    a, b = features[f"{feature}_a"], features[f"{feature}_b"]
    more = np.where((a > b).to_numpy(dtype=bool), "A", np.where((b > a).to_numpy(dtype=bool), "B", _NONE))
    return pd.Series(more, index=features.index, dtype=object)


_NONE = np.array(None, dtype=object)


def style_bias(judge: pd.Series, humans: pd.Series, features: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``style_bias``: feature -> the judge's share minus the humans', or None;
    ``detail``: feature -> judge_share, human_share, n, reason). ``judge`` / ``humans``:
    pair -> 'A' / 'B' / 'tie' / other; ``features``: ``Store.style_features``."""
    feats = features.set_index("pair") if "pair" in features else features
    values: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    # the pairs where both chose a response, found once for every feature (the shares are
    # counts over them: the same whatever the order of the pairs)
    both = pd.concat([judge.rename("j"), humans.rename("h")], axis=1, join="inner")
    both = both[both["j"].isin(["A", "B"]) & both["h"].isin(["A", "B"])]
    both = both[both.index.isin(feats.index)]
    j_choice, h_choice = both["j"].to_numpy(dtype=object), both["h"].to_numpy(dtype=object)
    for f in FEATURES:
        more = _more(feats, f).reindex(both.index).to_numpy(dtype=object)
        differ = pd.notna(more)
        frame = {"j": j_choice[differ], "h": h_choice[differ], "m": more[differ]}
        if not differ.any():
            values[f] = None
            detail[f] = {"judge_share": None, "human_share": None, "n": 0,
                         "reason": f"no pair whose responses differ in {f} where the judge and the humans both "
                                   "chose a response"}
            continue
        j = float((frame["j"] == frame["m"]).mean())
        h = float((frame["h"] == frame["m"]).mean())
        values[f] = j - h
        detail[f] = {"judge_share": j, "human_share": h, "n": int(differ.sum()), "reason": None}
    return values, detail


def trivial_baselines(reference: pd.Series, features: pd.DataFrame, domains: pd.Series,
                      source: str) -> list[dict[str, Any]]:
    """Per domain (and ``all``) and feature, the accuracy of "pick the one with more"."""
    feats = features.set_index("pair") if "pair" in features else features
    decided = reference[reference.isin(["A", "B"])]
    out = []
    dom = domains.reindex(decided.index).fillna("").to_numpy(dtype=object)
    # each feature's "more" side on the decided pairs, once for every domain
    mores = {f: _more(feats, f).reindex(decided.index).to_numpy(dtype=object) for f in FEATURES}
    decided_values = decided.to_numpy(dtype=object)
    for domain in ["all", *sorted(set(pd.unique(dom)) - {""})]:
        rows = slice(None) if domain == "all" else dom == domain
        ref = decided_values[rows]
        for f in FEATURES:
            more = mores[f][rows]
            n = len(ref)
            equal = int(pd.isna(more).sum())
            right = int((more == ref).sum())
            out.append({"domain": domain, "rule": f"pick the one with more {f}" if f != "length" else "pick the longer",
                        "feature": f, "reference": source, "n": n, "n_equal": equal,
                        "accuracy": (right + equal / 2) / n if n else None,
                        "reason": None if n else f"no pair decided by the {source}"})
    return out


def style_covariates(style: pd.DataFrame, cand_is_a: np.ndarray) -> pd.DataFrame:
    """Per pair (index as ``style``): ``<f>_candidate`` and ``<f>_baseline`` counts, and
    the normalised differences ``sc_<f>`` of the count features."""
    out = pd.DataFrame(index=style.index)
    for f in FEATURES:
        c = np.where(cand_is_a, style[f"{f}_a"], style[f"{f}_b"]).astype(float)
        b = np.where(cand_is_a, style[f"{f}_b"], style[f"{f}_a"]).astype(float)
        if f != "length":
            total = c + b
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"sc_{f}"] = np.where(total > 0, (c - b) / np.where(total > 0, total, 1), 0.0)
    return out


def covariate_matrix(frame: pd.DataFrame) -> np.ndarray | None:
    """The ``sc_*`` columns of ``frame`` that vary, as a matrix (None without any)."""
    cols = [f"sc_{f}" for f in COUNT_FEATURES if f"sc_{f}" in frame and frame[f"sc_{f}"].nunique() > 1]
    return frame[cols].to_numpy(dtype=float) if cols else None


def nan_or(value: float | None) -> float:
    return math.nan if value is None else value


def pair_style_differences(style: pd.DataFrame) -> pd.DataFrame:
    """Per pair (index ``pair``): Arena-Hard-Auto's normalised difference A minus B,
    ``(a - b) / (a + b)`` (0 when both are 0), of every feature, the length included."""
    feats = style.set_index("pair") if "pair" in style else style
    out = pd.DataFrame(index=feats.index)
    for f in FEATURES:
        a, b = feats[f"{f}_a"].astype(float), feats[f"{f}_b"].astype(float)
        total = a + b
        out[f] = np.where(total > 0, (a - b) / total.where(total > 0, 1.0), 0.0)
    return out


SC_BT_METHOD = ("style-controlled Bradley-Terry (Arena-Hard-Auto's style control): a logistic fit of the preference "
                "on the models (+1 / -1) and the normalised differences (a - b) / (a + b) of length, headers, list "
                "items, bold spans and code blocks; ratings on the Elo scale from the model terms alone")


def style_controlled_ratings(model_a, model_b, preference_a, differences: np.ndarray, *,
                             anchor: str | None) -> tuple[dict[str, float], str]:
    """Elo-scale ratings (anchor at 1000, else mean 1000) with the style differences as
    covariates; ({}, reason) where the fit is not defined."""
    from .bradley_terry import INIT, SCALE
    from .winrate import logistic_fit

    a, b = np.asarray(model_a, dtype=object), np.asarray(model_b, dtype=object)
    p = np.asarray(preference_a, dtype=float)
    keep = ~np.isnan(p) & (a != b)
    a, b, p, diffs = a[keep], b[keep], p[keep], np.asarray(differences, dtype=float)[keep]
    models = sorted(set(a) | set(b))
    if len(models) < 3:
        return {}, "fewer than three models"
    ref = anchor if anchor in models else models[0]
    free = [m for m in models if m != ref]
    col = {m: i for i, m in enumerate(free)}
    X = np.zeros((len(p), len(free)))
    rows = np.arange(len(p))
    ia = np.array([col.get(m, -1) for m in a])
    ib = np.array([col.get(m, -1) for m in b])
    X[rows[ia >= 0], ia[ia >= 0]] = 1.0
    X[rows[ib >= 0], ib[ib >= 0]] = -1.0
    varying = diffs[:, diffs.std(axis=0) > 0] if len(diffs) else diffs
    params, _, converged = logistic_fit(np.column_stack([X, varying]), p.clip(0, 1))
    if not converged:
        return {}, "the style-controlled fit did not converge (a model won or lost every comparison)"
    strength = dict(zip(free, params[:len(free)], strict=True)) | {ref: 0.0}
    shift = 0.0 if anchor in models else float(np.mean(list(strength.values())))
    return {m: INIT + SCALE * (s - shift) for m, s in strength.items()}, ""
