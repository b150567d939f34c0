"""``[task] baseline``: the model every candidate is compared with (WorldAlignment, AlpacaEval).

The baseline is named by its model name, as the pairs give it in ``model_a`` / ``model_b``;
per pair the candidate is the other side, whichever side the baseline is on. At import the
name is checked against the pairs:

* a baseline that is in no pair is refused (almost always a typo), naming the models found;
* pairs that have the baseline on neither side (no candidate: left out of a leaderboard)
  and pairs that have it on both sides (the baseline against itself, as AlpacaEval's
  ``gpt4_1106_preview`` annotations are) are imported, with a notice counting them.
"""

from __future__ import annotations

import difflib
from collections import Counter

from annotator.store import Store, Task

from .errors import TaskFileError


def check_baseline(store: Store, task: Task, where: str) -> list[str]:
    """Notices about the task's baseline on its imported pairs; raises ``TaskFileError``
    (``where`` = the task file's name) when no pair has the baseline on either side."""
    baseline = task.baseline
    if not baseline:
        return []
    pairings = store.model_pairings(task.name)
    sides = Counter()
    models = Counter()
    for model_a, model_b, n in pairings:
        models.update({model_a: n, model_b: n})
        sides[(model_a == baseline, model_b == baseline)] += n
    total = sum(n for _, _, n in pairings)
    if not sides[(True, False)] + sides[(False, True)] + sides[(True, True)]:
        named = sorted(m for m in models if m)
        if not named:
            found = "pairs without model names (map model_a and model_b in [data])"
        else:
            close = difflib.get_close_matches(baseline, named, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            shown = ", ".join(repr(m) for m in named[:8]) + (f" and {len(named) - 8} more" if len(named) > 8 else "")
            found = f"{baseline!r}, which is in no pair ({hint}models: {shown})"
        raise TaskFileError(f"{where} [task] baseline", "a model named in the pairs' model_a or model_b", found)
    notices = []
    neither = sides[(False, False)]
    if neither:
        notices.append(f"baseline {baseline!r}: {neither:,} of {total:,} pairs compare two other models; "
                       "they count only in the leaderboard's Bradley-Terry ratings")
    both = sides[(True, True)]
    if both:
        notices.append(f"baseline {baseline!r}: {both:,} of {total:,} pairs compare the baseline with itself "
                       "(their candidate is the baseline)")
    return notices
