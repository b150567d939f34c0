"""Chosen/rejected preference sets (the shape of most preference-training data): rows with a
prompt, the chosen response and the rejected one, in JSON Lines, JSON, CSV or Parquet (by the
file's extension; ``.gz`` allowed).

Options: ``prompt_field`` (default ``prompt``), ``chosen_field`` (``chosen``),
``rejected_field`` (``rejected``), ``id_field`` (none: the id is derived from the content),
``chosen_side``: ``"A"`` (default), ``"B"`` or ``"random"`` (a side per pair drawn from
``seed`` and the pair's id, so the same file always gives the same sides).

Responses may be text, or a list of chat messages ({role, content}), in which case the last
assistant message is the response and, without a prompt field, the messages before it are
the prompt. Text in the Anthropic HH form (``\\n\\nHuman: ... \\n\\nAssistant: ...``) without a
prompt field is split at the last ``Assistant:`` turn.

The data set's preference is the pair's ``gold`` (A or B: where the chosen response went),
which judge accuracy is measured against, and is also kept as the labels of the annotator
``dataset``. RewardBench-style sets name a subset per row (``alpacaeval-easy``,
``llmbar-adver-neighbor``, ``math-prm`` ...): ``subset_field`` (default ``subset``, used when
the rows have it) becomes the pair's domain, so accuracy is reported per subset; an explicit
``subset_field`` missing from a row is a bad row. ``chosen_model`` and ``rejected_model``,
when present, become the pair's model names on the chosen's and the rejected's side.

Rows: ``id``, ``prompt``, ``chosen``, ``rejected``, ``response_a``, ``response_b``,
``chosen_side``, ``subset``, ``model_a``, ``model_b``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import Problem, TaskFileError, describe
from ..readers import GENERIC_READERS, guess_format

DEFAULTS = {
    "data": {"id": "id", "prompt": "prompt", "response_a": "response_a", "response_b": "response_b",
             "gold": "chosen_side", "domain": "subset", "model_a": "model_a", "model_b": "model_b"},
    "labels": {"annotators": {"dataset": "chosen_side"}, "map": {"A": "A", "B": "B"}},
}
OPTIONS = ("prompt_field", "chosen_field", "rejected_field", "id_field", "chosen_side", "seed", "subset_field")
HH_TURN = "\n\nAssistant:"


def _render(messages: list[dict]) -> str:
    return "\n\n".join(f"**{m.get('role', '?')}:** {m.get('content', '')}" for m in messages)


def _split(value, name: str, location: str) -> tuple[str | None, str] | Problem:
    """(prompt found inside the value or None, response)."""
    if isinstance(value, str):
        if HH_TURN in value:
            head, _, tail = value.rpartition(HH_TURN)
            return head.strip(), tail.strip()
        return None, value
    if isinstance(value, list) and value and all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in value):
        if value[-1].get("role") != "assistant":
            return Problem(location, f"{name}: messages ending with an assistant message", f"a last message of role {value[-1].get('role')!r}")
        return _render(value[:-1]), value[-1]["content"]
    return Problem(location, f"text or a list of chat messages in {name!r}", describe(value))


def side_for(seed: int, pair_id: str) -> str:
    digest = hashlib.sha256(f"{seed}\x00{pair_id}".encode()).digest()
    return "A" if digest[0] % 2 == 0 else "B"


def read(path: Path, options: dict):
    prompt_field = options.get("prompt_field", "prompt")
    chosen_field = options.get("chosen_field", "chosen")
    rejected_field = options.get("rejected_field", "rejected")
    id_field = options.get("id_field")
    mode = options.get("chosen_side", "A")
    if mode not in ("A", "B", "random"):
        raise TaskFileError("[data] chosen_side", '"A", "B" or "random"', repr(mode))
    seed = options.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TaskFileError("[data] seed", "a whole number", repr(seed))
    subset_field = options.get("subset_field", "subset")
    if not isinstance(subset_field, str) or not subset_field:
        raise TaskFileError("[data] subset_field", "a field name", describe(subset_field))
    subset_required = "subset_field" in options
    for location, row in GENERIC_READERS[guess_format(path)](path):
        if isinstance(row, Problem):
            yield location, row
            continue
        parts = {}
        for name in (chosen_field, rejected_field):
            if name not in row:
                parts = Problem(location, f"a field {name!r}", f"fields {', '.join(map(str, list(row)[:10]))}")
                break
            split = _split(row[name], name, location)
            if isinstance(split, Problem):
                parts = split
                break
            parts[name] = split
        if isinstance(parts, Problem):
            yield location, parts
            continue
        prompt = row.get(prompt_field)
        if prompt is None:
            prompt = parts[chosen_field][0]
        if prompt is None:
            yield location, Problem(location, f"a prompt in {prompt_field!r} (or a prompt inside the chosen response)", "none")
            continue
        chosen, rejected = parts[chosen_field][1], parts[rejected_field][1]
        if id_field:
            if row.get(id_field) is None:
                yield location, Problem(location, f"an id in {id_field!r}", "none")
                continue
            pair_id = str(row[id_field])
        else:
            key = "\x00".join(str(x) for x in (prompt, chosen, rejected))
            pair_id = "h" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        subset = row.get(subset_field)
        if subset is None and subset_required:
            yield location, Problem(location, f"a subset in {subset_field!r} (the subset_field)",
                                    "no such field" if subset_field not in row else "null")
            continue
        if subset is not None and (not isinstance(subset, (str, int)) or isinstance(subset, bool)):
            yield location, Problem(location, f"a subset name in {subset_field!r}", describe(subset))
            continue
        side = side_for(seed, pair_id) if mode == "random" else mode
        out = dict(row)
        out.update(id=pair_id, prompt=prompt, chosen=chosen, rejected=rejected, chosen_side=side,
                   response_a=chosen if side == "A" else rejected, response_b=rejected if side == "A" else chosen,
                   subset=None if subset is None else str(subset))
        if "chosen_model" in row or "rejected_model" in row:
            models = [m if isinstance(m, str) else None for m in (row.get("chosen_model"), row.get("rejected_model"))]
            out.update(model_a=models[0] if side == "A" else models[1], model_b=models[1] if side == "A" else models[0])
        yield location, out
