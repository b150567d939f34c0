"""One LLMBar evaluator run (princeton-nlp/LLMBar): ``Dataset/<subset>/evaluators/<model>/<method>/
result.json`` (or ``.json.gz``), the rows of the subset's ``dataset.json`` ({input, output_1,
output_2, label}) each with ``results``, the steps of the evaluator on that pair.

The pairs are the benchmark's (A = output_1, B = output_2, id ``<subset>/<n>`` as the ``llmbar``
format gives them, domain = the subset) with their gold label in the pair's ``gold`` (label
1 -> A, 2 -> B). The run's games become ONE judge run named ``<model>/<method>`` (the two
folders above the file) with both presented orders.

``results`` is a list of steps. Earlier steps are the evaluator's intermediate completions
(generated metrics or a reference answer, the first round of a Swap debate); the games are
the LAST step that is an object with the keys ``"swap = False"`` and ``"swap = True"``, each
holding a ``winner`` ("1", "2" or null) and, except for rating methods, a ``completion``
([text, finish reason]). As LLMBar's own ``statistics.json`` does:

* ``swap = False``: the outputs shown in the dataset's order: order AB, winner "1" = A.
* ``swap = True``: the outputs shown the other way round: order BA. LLMBar's evaluate.py
  has ALREADY turned this winner back to the original frame (``reverse_label``), so "1"
  is still A. It must not be flipped again: flipping it gives 5 % consistency between the
  orders on the published runs instead of their 95 %.
* a null winner (the completion matched none of the method's answer patterns) is unscored,
  reason ``no winner``.

The raw output kept with each verdict is the game's completion text; rating methods (which
score each output alone and have no completion per game) keep the two score completions.

Options: ``subset``, the id prefix and domain (default: the name of the folder holding
``evaluators``, e.g. ``Natural``; write ``subset = "Adversarial/Neighbor"`` to match an
``llmbar`` import of the whole ``Dataset/LLMBar`` folder). Several runs over the same pairs
load as one task with ``path`` a list of files or a glob (``evaluators/*/*/result.json.gz``):
the pairs once, one judge run per file.

Rows: ``id``, ``subset``, ``input``, ``output_1``, ``output_2``, ``label``, ``gold``, ``judge``
(the run name), ``winner_ab`` / ``winner_ba`` (the verdicts, BA in the presented frame as the
importer expects it), ``raw_ab`` / ``raw_ba``, ``scored_alone`` (true for rating methods: the
run is stored with ``presentation = "scored alone"``, and the judge statistics treat it so).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import Problem, TaskFileError, describe
from ..labelmap import label_key
from ..readers import read_json

NO_WINNER = "no winner"
GOLD = {"1": "A", "2": "B"}
# A winner in LLMBar's original frame, as the importer reads each presented order: AB as is;
# BA in the presented frame (the response shown first is the pair's B), which the importer
# turns back, so that the canonical verdict is LLMBar's winner unchanged.
AS_SHOWN = {"AB": {"1": "A", "2": "B"}, "BA": {"1": "B", "2": "A"}}
GAME_KEYS = ("swap = False", "swap = True")

DEFAULTS = {
    "data": {"id": "id", "prompt": "input", "response_a": "output_1", "response_b": "output_2",
             "domain": "subset", "gold": "gold"},
    "judge_labels": [{"name_from": "judge", "verdict": "winner_ab", "order": "AB", "verdict_ba": "winner_ba",
                      "raw": "raw_ab", "raw_ba": "raw_ba", "map": {"A": "A", "B": "B"},
                      "scored_alone": "scored_alone"}],
}
OPTIONS = ("subset",)


def run_name(path: Path) -> str:
    """``<model>/<method>``: the two folders holding the result file."""
    return f"{path.parent.parent.name}/{path.parent.name}"


def subset_of(path: Path, options: dict) -> str:
    subset = options.get("subset")
    if subset is not None:
        if not isinstance(subset, str) or not subset.strip():
            raise TaskFileError("[data] subset", "the subset's name, the pairs' id prefix (e.g. \"Natural\")",
                                describe(subset))
        return subset
    for folder in path.parents:
        if folder.name == "evaluators":
            return folder.parent.name
    raise TaskFileError("[data] subset", "the subset's name, the pairs' id prefix (e.g. \"Natural\"), for a "
                        "result file outside LLMBar's <subset>/evaluators/<model>/<method>/ folders", "none")


def games(results) -> dict | None:
    """The last step of ``results`` holding the two games, or None."""
    if not isinstance(results, list):
        return None
    found = [step for step in results if isinstance(step, dict) and all(k in step for k in GAME_KEYS)]
    return found[-1] if found else None


def _completion(value) -> str | None:
    """The text of a completion ([text, finish reason], or text)."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return value if isinstance(value, str) else None


def _raw(game: dict, step: dict) -> str:
    text = _completion(game.get("completion"))
    if text is not None:
        return text
    scores = {k: _completion(step[k]) for k in ("score_1", "score_2") if k in step}
    return json.dumps(scores, ensure_ascii=False) if scores else ""


def _verdict(game, order: str, location: str) -> str | Problem:
    if not isinstance(game, dict) or "winner" not in game:
        return Problem(location, f'a "winner" in the {order} game', describe(game))
    winner = game["winner"]
    if winner is None:
        return NO_WINNER
    key = label_key(winner)
    if key not in GOLD:
        return Problem(location, 'a winner "1", "2" or null', describe(winner))
    return AS_SHOWN[order][key]


def read(path: Path, options: dict):
    if path.is_dir():
        raise TaskFileError(str(path), "an LLMBar result.json(.gz) file (for several runs, a list or a glob such "
                            "as \"evaluators/*/*/result.json.gz\")", "a folder")
    subset = subset_of(path, options)
    name = run_name(path)
    for number, (location, row) in enumerate(read_json(path), start=1):
        if isinstance(row, Problem):
            yield location, row
            continue
        label = label_key(row.get("label")) if row.get("label") is not None else None
        if label not in GOLD:
            yield location, Problem(location, "a label 1 or 2", describe(row.get("label")))
            continue
        step = games(row.get("results"))
        if step is None:
            yield location, Problem(location, 'results holding a step with "swap = False" and "swap = True" games',
                                    describe(row.get("results")))
            continue
        verdicts = {order: _verdict(step[key], order, location) for order, key in zip(("AB", "BA"), GAME_KEYS)}
        problem = next((v for v in verdicts.values() if isinstance(v, Problem)), None)
        if problem is not None:
            yield location, problem
            continue
        yield location, {
            "id": f"{subset}/{number}", "subset": subset,
            "input": row.get("input"), "output_1": row.get("output_1"), "output_2": row.get("output_2"),
            "label": row.get("label"), "gold": GOLD[label], "judge": name,
            "winner_ab": verdicts["AB"], "winner_ba": verdicts["BA"],
            "raw_ab": _raw(step["swap = False"], step), "raw_ba": _raw(step["swap = True"], step),
            # rating methods score each output alone: no order was shown (a score tie is a tie,
            # which LLMBar's two games break by position)
            "scored_alone": "score_1" in step and "score_2" in step,
        }
