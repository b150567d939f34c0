"""``--exclude NAME`` (declared in ``options.py``): leave an annotator's labels out of statistics and exports, and say so."""

from __future__ import annotations

import difflib

from annotator.store import Store
from annotator.text.sanitize import sanitize_line

from .context import fail


def check_exclusions(store: Store, task: str, names: tuple[str, ...]) -> dict[str, int]:
    """``name -> labelled pairs left out`` for each name; an unknown name ends the command
    (a typo must not leave the spammer in while the output claims otherwise)."""
    if not names:
        return {}
    counts = store.label_counts(task)
    for name in names:
        if name not in counts:
            close = difflib.get_close_matches(name, list(counts), n=1)
            hint = f"; did you mean {sanitize_line(close[0])!r}?" if close else ""
            fail(f"--exclude {sanitize_line(name)!r}: no annotator of that name has labelled task "
                 f"{sanitize_line(task)!r}{hint} (annotators: {', '.join(sanitize_line(n) for n in counts) or 'none'})")
    return {name: counts[name] for name in dict.fromkeys(names)}


def exclusion_note(excluded: dict[str, int]) -> str:
    """``Left out: bob (12 labelled pairs), eve (3 labelled pairs).`` (empty when nobody was)."""
    if not excluded:
        return ""
    return "Left out: " + ", ".join(f"{sanitize_line(n)} ({c:,} labelled pair{'s' if c != 1 else ''})"
                                    for n, c in excluded.items()) + "."
