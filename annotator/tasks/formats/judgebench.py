"""JudgeBench (ScalerLab/JudgeBench): JSON Lines of response pairs with an objective label.

A pairs file (``data/dataset=judgebench,response_model=<model>.jsonl``) has one pair a line:
{pair_id, original_id, source, question, response_model, response_A, response_B, label}, with
``label`` "A>B" (A is correct) or "B>A". A judge's run file (``outputs/dataset=judgebench,
response_model=<model>,judge_name=<judge>,judge_model=<model>.jsonl``) repeats those fields
with ``judge_name`` and ``judgments``: two games, or null.

Pairs: id = ``pair_id``, prompt = ``question``, A = ``response_A``, B = ``response_B``, domain
= ``source`` (mmlu-pro-*, livebench-*, livecodebench), metadata ``original_id`` and
``response_model``; the label becomes the pair's ``gold`` ("A>B" -> A, "B>A" -> B).

A run file's rows also give ONE judge run named ``<judge_name>/<judge_model>`` (the judge
model from the row, else from its judgments, else from the file name): the first game (the
responses as given) is order AB; the second game saw the responses swapped and its
decision is in that swapped frame ("A>B" there means the pair's B is better), so it is order
BA, turned back by the importer. Decisions, as JudgeBench's judges write them
(``utils/judges.py``): "A>B" and "A>>B" -> A, "B>A" and "B>>A" -> B, "A=B" (and "B=A") -> tie.
A null game or a null decision is unscored (``no judgment`` / ``no decision``); any other
decision is unscored with the decision as its reason (JudgeBench's own score counts it as
neither right nor wrong, as the ``judgebench`` order rule counts an unscored order).

JudgeBench's score is then ``judgebench_score`` over ``judge_verdicts(frame, "judgebench")``:
per pair +1 for each game whose decision equals the label, -1 for each that equals the
opposite; the pair is correct when the sum is positive.

A pairs file and run files over the same pairs may be given together (``path`` a list or a
glob): the pairs are imported once, one judge run per run file.

Rows: the file's fields, and ``gold``, ``judge`` (the run name, run files only),
``decision_1`` / ``decision_2`` and ``raw_1`` / ``raw_2`` (each game's decision as written and
the judge's output).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import Problem, describe
from ..readers import read_jsonl

GOLD = {"A>B": "A", "B>A": "B"}
DECISIONS = {"A>B": "A", "A>>B": "A", "B>A": "B", "B>>A": "B", "A=B": "tie", "B=A": "tie"}
NO_JUDGMENT, NO_DECISION = "no judgment", "no decision"

DEFAULTS = {
    "data": {"id": "pair_id", "prompt": "question", "response_a": "response_A", "response_b": "response_B",
             "domain": "source", "gold": "gold", "metadata": ["original_id", "response_model"]},
    "judge_labels": [{"name_from": "judge", "verdict": "decision_1", "order": "AB", "verdict_ba": "decision_2",
                      "raw": "raw_1", "raw_ba": "raw_2", "map": DECISIONS}],
}
OPTIONS = ()
_FILE_JUDGE_MODEL = re.compile(r"judge_model=([^,]+?)(?:\.jsonl)?(?:\.gz)?$")


def _judge_model(row: dict, path: Path) -> str | None:
    if isinstance(row.get("judge_model"), str) and row["judge_model"]:
        return row["judge_model"]
    for game in row.get("judgments") or []:
        inner = game.get("judgment") if isinstance(game, dict) else None
        if isinstance(inner, dict) and isinstance(inner.get("judge_model"), str) and inner["judge_model"]:
            return inner["judge_model"]
    found = _FILE_JUDGE_MODEL.search(path.name)
    return found.group(1) if found else None


def _raw(game: dict) -> str:
    """The judge's output of one game: its response text, else its other fields (scores)."""
    inner = game.get("judgment")
    if isinstance(inner, dict):
        if isinstance(inner.get("response"), str):
            return inner["response"]
        return json.dumps({k: v for k, v in inner.items() if k != "prompt"}, ensure_ascii=False, default=str)
    return inner if isinstance(inner, str) else ""


def _game(game) -> tuple[str, str] | None:
    """(decision as the verdict column holds it, raw output), None for a malformed game."""
    if game is None:
        return NO_JUDGMENT, ""
    if not isinstance(game, dict) or "decision" not in game:
        return None
    decision = game["decision"]
    if decision is None:
        return NO_DECISION, _raw(game)
    if not isinstance(decision, str):
        return None
    return decision.strip(), _raw(game)


def read(path: Path, options: dict):
    for location, row in read_jsonl(path):
        if isinstance(row, Problem):
            yield location, row
            continue
        out = dict(row)
        label = row.get("label")
        if label is not None and label not in GOLD:
            yield location, Problem(location, 'a label "A>B" or "B>A"', describe(label))
            continue
        out["gold"] = GOLD.get(label)
        if "judgments" in row:
            judgments = row["judgments"]
            if judgments is None:
                judgments = [None, None]
            if not isinstance(judgments, list) or len(judgments) != 2:
                yield location, Problem(location, "judgments: a list of two games (or null)", describe(judgments))
                continue
            games = [_game(g) for g in judgments]
            if None in games:
                bad = judgments[games.index(None)]
                yield location, Problem(location, "a game {judgment, decision} with a text or null decision", describe(bad))
                continue
            judge, model = row.get("judge_name"), _judge_model(row, path)
            if not isinstance(judge, str) or not judge or not model:
                yield location, Problem(location, "the judge's judge_name and judge_model (in the row, its judgments "
                                        "or the file name)", f"judge_name {describe(judge)}, judge_model {describe(model)}")
                continue
            out["judge"] = f"{judge}/{model}"
            (out["decision_1"], out["raw_1"]), (out["decision_2"], out["raw_2"]) = games
        yield location, out
