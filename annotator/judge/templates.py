"""Prompt templates: versioned text files that become chat messages.

A template file holds a ``<|system|>`` part (optional) and a ``<|user|>`` part, each starting
on a line of its own. Placeholders are ``{instruction}``, ``{output_1}``, ``{output_2}`` (the
responses in the order presented), ``{source}``, ``{reference}`` (the pair's reference
answer), ``{task_description}``, and for a template that measures one factor
``{factor_name}``, ``{factor_definition}`` and ``{factor_question}``. A pointwise template
(a judge whose ``scope`` is not "pair") shows one thing at a time: ``{output}`` is the response
judged (empty for the instruction; the source document for scope "source"), and the fact
extractors add ``{facts}`` (the response's atomic facts, numbered) and ``{source_facts}``.
Only these names are replaced, in one pass, so braces in a template (JSON) or in a response
are left alone. ``{#if NAME}`` ... ``{/if}`` keeps its lines only when NAME is not empty.

The factor-guided wrapper adds guidance on named factors (definition and direction) to any
template: the text of ``factor-guidance.txt`` goes at the end of the system message (or
before the user message when the template has no system part).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from annotator.store.models import Factor, Pair, Task
from annotator.store.orders import presented

PLACEHOLDERS = ("instruction", "output_1", "output_2", "output", "source", "reference", "task_description",
                "guidance", "factor_name", "factor_definition", "factor_question", "facts", "source_facts",
                "examples", "score_levels", "baseline", "feedback", "factor_list")
FACTOR_PLACEHOLDER = "{factor_name}"  # a template that measures one factor (run with --factor)
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_IF_BLOCK = re.compile(r"\{#if (\w+)\}\n?(.*?)\{/if\}\n?", re.DOTALL)
_PART = re.compile(r"^<\|(system|user)\|>[ \t]*\n", re.MULTILINE)

DIRECTION_TEXT = {
    "more": "prefer the response that shows more of this, all else being equal",
    "less": "prefer the response that shows less of this, all else being equal",
    "neutral": "this must not sway your verdict either way",
}


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Template:
    name: str
    system: str
    user: str
    digest: str  # sha256 of the file's bytes, first 12 hex digits

    def version(self, declared: str) -> str:
        """The version stored with a run: the declared version plus the content digest."""
        return f"{declared}+{self.digest}"


def load_template(path: Path) -> Template:
    text = path.read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    parts = _PART.split(text)
    if len(parts) == 1:  # no markers: the whole file is the user message
        return Template(path.stem, "", text.strip("\n"), digest)
    if parts[0].strip():
        raise TemplateError(f"{path}: text before the first <|system|> / <|user|> marker")
    found = dict(zip(parts[1::2], parts[2::2]))
    if "user" not in found:
        raise TemplateError(f"{path}: no <|user|> part")
    return Template(path.stem, found.get("system", "").strip("\n"), found["user"].strip("\n"), digest)


def fill(text: str, values: dict[str, str]) -> str:
    """Keep or drop ``{#if}`` blocks, then replace the placeholders in one pass."""
    text = _IF_BLOCK.sub(lambda m: m.group(2) if values.get(m.group(1)) else "", text)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def task_description(task: Task) -> str:
    return (task.guidelines or task.title or "").strip()


def factor_values(factor: Factor | None) -> dict[str, str]:
    """The ``{factor_*}`` placeholder values of the factor a run measures (none: empty)."""
    if factor is None:
        return {}
    return {"factor_name": factor.name, "factor_definition": factor.definition,
            "factor_question": factor.question}


def measures_a_factor(template: Template) -> bool:
    return FACTOR_PLACEHOLDER in template.system or FACTOR_PLACEHOLDER in template.user


def uses(template: Template, name: str) -> bool:
    """Whether the template shows placeholder ``name`` (outside or inside ``{#if}`` blocks)."""
    return f"{{{name}}}" in template.system or f"{{{name}}}" in template.user


def needs_reference(template: Template) -> bool:
    """A template that shows ``{reference}`` without an ``{#if reference}`` guard needs one."""
    guarded = "{#if reference}" in template.system or "{#if reference}" in template.user
    return uses(template, "reference") and not guarded


def needs_source(template: Template) -> bool:
    """A template that shows ``{source}`` without an ``{#if source}`` guard: pairs without a
    source document are left out of its runs (and counted as skipped)."""
    guarded = "{#if source}" in template.system or "{#if source}" in template.user
    return uses(template, "source") and not guarded


_TARGET_TEXT = {"A": "response_a", "B": "response_b", "source": "source"}


def render(template: Template, task: Task, pair: Pair, order: str, guidance: str = "",
           factor: Factor | None = None, target: str = "", extra: dict[str, str] | None = None) -> list[dict]:
    """The chat messages for one pair presented in ``order`` ("AB" or "BA"), or for one
    ``target`` of a pointwise call ("A", "B", "prompt", "source"). ``extra`` fills further
    placeholders (``{facts}``, ``{source_facts}``)."""
    first, second = presented(pair.response_a, pair.response_b, order)
    values = {
        "instruction": pair.prompt,
        "output_1": first,
        "output_2": second,
        "output": getattr(pair, _TARGET_TEXT[target]) if target in _TARGET_TEXT else "",
        "source": pair.source,
        "reference": pair.reference,
        "task_description": task_description(task),
        **factor_values(factor),
        **(extra or {}),
    }
    system = fill(template.system, values) if template.system else ""
    user = fill(template.user, values)
    if guidance:
        if system:
            system = f"{system}\n\n{guidance}"
        else:
            user = f"{guidance}\n\n{user}"
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": user})
    return messages


def factor_definition(task: Task | None, key: str) -> Factor:
    """A factor by key: the task's own (custom or overridden) first, then PROFILE's."""
    if task is not None:
        for factor in task.factors:
            if factor.key == key:
                return factor
    # imported here: the tasks package (its importers) is not needed to run a judge
    from annotator.tasks.profile import PROFILE_FACTORS

    if key in PROFILE_FACTORS:
        return PROFILE_FACTORS[key]
    known = sorted(set(PROFILE_FACTORS) | {f.key for f in (task.factors if task else [])})
    raise KeyError(f"unknown factor {key!r}; known factors: {', '.join(known)}")


def guidance_text(wrapper: Template, task: Task | None, guidance: dict[str, str]) -> str:
    """The factor-guidance paragraph for ``{factor key: direction}``; '' when there is none."""
    if not guidance:
        return ""
    lines = []
    for key, direction in guidance.items():
        factor = factor_definition(task, key)
        lines.append(f"- {factor.name}: {factor.definition.rstrip('.')}. Guidance: {DIRECTION_TEXT[direction]}.")
    return fill(wrapper.user, {"guidance": "\n".join(lines)})
