"""Few-shot text for PROFILE's extraction prompts: the ``{FEW SHOT}`` slot of appendix D.2.

A JSON object: factor key (``off_focus``, ``formality_alignment``, ...) or ``facts`` (the
atomic-fact step) -> the text put in the slot. The paper does not print its examples; a lab
writes its own. Unknown keys are refused, so a misspelt key does not silently do nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from .names import LLM_FACTORS


def read_few_shot(path: str | Path) -> dict[str, str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"--few-shot {path}: not a readable JSON file ({e})") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"--few-shot {path}: expected a JSON object of text per factor key")
    unknown = sorted(set(data) - {"facts", *LLM_FACTORS})
    if unknown:
        raise ValueError(f"--few-shot {path}: unknown key(s) {', '.join(unknown)} (use facts or one of "
                         f"{', '.join(LLM_FACTORS)})")
    return data
