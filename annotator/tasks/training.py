"""``[training]`` in task.toml: practice pairs an annotator answers before the real ones.

::

    [training]
    pass = 0.8          # share of the practice pairs to answer as expected (0 to 1)
    retries = true      # false: one attempt only

    [[training.pairs]]
    prompt = "What is 2 + 2?"
    response_a = "4"
    response_b = "5"
    choice = "A"                     # A, B or tie: the expected answer
    factors = { misinformation = "B" }   # optional: shown with the explanation
    explanation = "B is wrong: 2 + 2 is 4."

The pairs are written in the file, not taken from the task's data: they never enter the
queue, the labels or any statistic. The answers are stored in ``training_answers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import TaskFileError, describe

TRAINING_KEYS = {"pass", "retries", "pairs"}
PAIR_KEYS = {"prompt", "response_a", "response_b", "choice", "factors", "explanation"}
CHOICES = ("A", "B", "tie")
FACTOR_ANSWERS = ("A", "B", "equal", "na")


@dataclass(frozen=True)
class PracticePair:
    prompt: str
    response_a: str
    response_b: str
    choice: str
    explanation: str
    factors: dict[str, str]


@dataclass(frozen=True)
class Training:
    pairs: list[PracticePair]
    pass_mark: float
    retries: bool


def _check_table(raw: Any, keys: set[str], loc: str) -> None:
    if not isinstance(raw, dict):
        raise TaskFileError(loc, "a table", describe(raw))
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise TaskFileError(f"{loc} {unknown[0]}", f"one of {', '.join(sorted(keys))}", repr(unknown[0]))


def parse_training(raw: Any, where: str) -> dict:
    """The ``[training]`` table checked, as stored in the task's settings (plain data)."""
    loc = f"{where} [training]"
    _check_table(raw, TRAINING_KEYS, loc)
    mark = raw.get("pass", 0.8)
    if isinstance(mark, bool) or not isinstance(mark, (int, float)) or not 0 <= mark <= 1:
        raise TaskFileError(f"{loc} pass", "a share between 0 and 1 (0.8: four in five as expected)", repr(mark))
    retries = raw.get("retries", True)
    if not isinstance(retries, bool):
        raise TaskFileError(f"{loc} retries", "true or false", repr(retries))
    pairs = raw.get("pairs")
    if not isinstance(pairs, list) or not pairs:
        raise TaskFileError(f"{loc} pairs", "one or more [[training.pairs]]", describe(pairs))
    out = []
    for i, pair in enumerate(pairs, 1):
        ploc = f"{loc} pair {i}"
        _check_table(pair, PAIR_KEYS, ploc)
        for key in ("prompt", "response_a", "response_b", "explanation"):
            if not isinstance(pair.get(key), str) or not pair[key].strip():
                raise TaskFileError(f"{ploc} {key}", "text", describe(pair.get(key)))
        if pair.get("choice") not in CHOICES:
            raise TaskFileError(f"{ploc} choice", "A, B or tie", repr(pair.get("choice")))
        factors = pair.get("factors", {})
        if not isinstance(factors, dict) or any(v not in FACTOR_ANSWERS for v in factors.values()):
            raise TaskFileError(f"{ploc} factors", "a table of factor = A, B, equal or na", describe(factors))
        out.append({k: pair[k] for k in ("prompt", "response_a", "response_b", "choice", "explanation")}
                   | {"factors": dict(factors)})
    return {"pass": float(mark), "retries": retries, "pairs": out}


def task_training(settings: dict) -> Training | None:
    """The task's training (from its stored settings), or None when it has none."""
    raw = settings.get("training")
    if not raw:
        return None
    pairs = [PracticePair(p["prompt"], p["response_a"], p["response_b"], p["choice"], p["explanation"],
                          dict(p.get("factors", {}))) for p in raw["pairs"]]
    return Training(pairs, float(raw["pass"]), bool(raw["retries"]))


def training_summary(store, task) -> dict[str, dict]:
    """Each annotator's training score on ``task`` (a stored Task) as plain data, by name; empty
    when the task has no [training]. The one computation behind ``annotators list`` and the report."""
    training = task_training(task.settings)
    if training is None:
        return {}
    return {name: score.as_dict()
            for name, score in store.training_results(task.name, len(training.pairs), training.pass_mark).items()}
