"""Converters between table rows (dicts) and the domain dataclasses."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .models import (
    Adjudication,
    AtomicFacts,
    FactLabels,
    Factor,
    FactorValue,
    JudgeRun,
    Judgment,
    Label,
    Pair,
    Task,
    TaskSettings,
)


def _loads(value: Any, default: Any) -> Any:
    if value is None or value == "":
        return default
    if isinstance(value, (dict, list)):
        return value
    return json.loads(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def task_to_row(task: Task) -> dict[str, Any]:
    row = asdict(task)
    row["factors"] = _dumps([asdict(f) for f in task.factors])
    row["required"] = _dumps(task.required)
    row["settings"] = _dumps(TaskSettings.from_mapping(task.settings).as_dict())  # a mapping assigned later too
    row["allow_tie"] = int(task.allow_tie)
    row["show_model_names"] = int(task.show_model_names)
    return row


def task_from_row(row: dict[str, Any]) -> Task:
    return Task(
        name=row["name"],
        title=row["title"],
        guidelines=row["guidelines"],
        allow_tie=bool(row["allow_tie"]),
        overlap=row["overlap"],
        factors=[Factor(**f) for f in _loads(row["factors"], [])],
        required=_loads(row["required"], []),
        show_model_names=bool(row["show_model_names"]),
        attention_rate=row["attention_rate"],
        seed=row["seed"],
        source_dir=row["source_dir"],
        settings=_loads(row["settings"], {}),
        created_at=row["created_at"],
    )


PAIR_COLUMNS = ("task", "pair_id", "prompt", "response_a", "response_b", "model_a", "model_b", "domain",
                "source", "metadata", "gold", "reference", "content_hash")


def pair_to_row(pair: Pair) -> dict[str, Any]:
    """A pair as a table row (no deep copy: responses can be megabytes)."""
    row = {name: getattr(pair, name) for name in PAIR_COLUMNS}
    row["metadata"] = _dumps(pair.metadata)
    if pair.id is not None:
        row["id"] = pair.id
    return row


def pair_from_row(row: dict[str, Any]) -> Pair:
    fields = {k: row[k] for k in Pair.__dataclass_fields__ if k in row}
    fields["metadata"] = _loads(row.get("metadata"), {})
    return Pair(**fields)


def label_to_row(label: Label, task: str) -> dict[str, Any]:
    # Field by field: dataclasses.asdict deep-copies and costs more than the insert itself.
    row = {name: getattr(label, name) for name in Label.__dataclass_fields__}
    row["factors"] = _dumps(label.factors)
    row["task"] = task
    if row["id"] is None:
        del row["id"]
    return row


def label_from_row(row: dict[str, Any]) -> Label:
    fields = {k: row[k] for k in Label.__dataclass_fields__ if k in row}
    fields["factors"] = _loads(row.get("factors"), {})
    return Label(**fields)


def run_to_row(run: JudgeRun) -> dict[str, Any]:
    row = asdict(run)
    row["params"] = _dumps(run.params)
    if row["id"] is None:
        del row["id"]
    return row


def run_from_row(row: dict[str, Any]) -> JudgeRun:
    fields = {k: row[k] for k in JudgeRun.__dataclass_fields__ if k in row}
    fields["params"] = _loads(row.get("params"), {})
    return JudgeRun(**fields)


JUDGMENT_KEY = ("run", "pair", "order", "sample", "target")
JUDGMENT_COLUMNS = (*JUDGMENT_KEY, "verdict", "p_a", "score", "unscored_reason", "status", "messages", "raw_output",
                    "top_logprobs", "explanation", "prompt_tokens", "completion_tokens", "latency_s", "cost",
                    "cache_key", "created_at")


def judgment_values(j: Judgment) -> tuple:
    """A judgment's column values in ``JUDGMENT_COLUMNS`` order (no id), built straight from
    its fields: the judge runner writes thousands a minute."""
    return (j.run, j.pair, j.order, j.sample, j.target, j.verdict, j.p_a, j.score, j.unscored_reason, j.status,
            _dumps(j.messages), j.raw_output, json.dumps(j.top_logprobs, ensure_ascii=False), j.explanation,
            j.prompt_tokens, j.completion_tokens, j.latency_s, j.cost, j.cache_key, j.created_at)


def judgment_from_row(row: dict[str, Any]) -> Judgment:
    fields = {k: row[k] for k in Judgment.__dataclass_fields__ if k in row}
    fields["messages"] = _loads(row.get("messages"), [])
    fields["top_logprobs"] = _loads(row.get("top_logprobs"), [])
    return Judgment(**fields)


def factor_value_to_row(value: FactorValue) -> dict[str, Any]:
    row = asdict(value)
    if row["id"] is None:
        del row["id"]
    return row


def factor_value_from_row(row: dict[str, Any]) -> FactorValue:
    return FactorValue(**{k: row[k] for k in FactorValue.__dataclass_fields__ if k in row})


def _json_fields_to_row(value, **encoded: Any) -> dict[str, Any]:
    """A dataclass as a row: fields in ``encoded`` replaced by their JSON text, no empty id."""
    row = asdict(value)
    row.update({k: json.dumps(v, ensure_ascii=False) for k, v in encoded.items()})
    if row["id"] is None:
        del row["id"]
    return row


def _json_fields_from_row(cls, row: dict[str, Any], **defaults: Any):
    """A dataclass from a row: fields in ``defaults`` decoded from JSON (default when empty)."""
    fields = {k: row[k] for k in cls.__dataclass_fields__ if k in row}
    fields.update({k: _loads(row.get(k), d) for k, d in defaults.items()})
    return cls(**fields)


def atomic_facts_to_row(value: AtomicFacts) -> dict[str, Any]:
    return _json_fields_to_row(value, facts=value.facts)


def atomic_facts_from_row(row: dict[str, Any]) -> AtomicFacts:
    return _json_fields_from_row(AtomicFacts, row, facts=[])


def fact_labels_to_row(value: FactLabels) -> dict[str, Any]:
    return _json_fields_to_row(value, labels=[bool(x) for x in value.labels])


def fact_labels_from_row(row: dict[str, Any]) -> FactLabels:
    labels = _json_fields_from_row(FactLabels, row, labels=[])
    labels.labels = [bool(x) for x in labels.labels]
    return labels


def adjudication_to_row(adjudication: Adjudication, task: str) -> dict[str, Any]:
    row = _json_fields_to_row(adjudication, label_ids=adjudication.label_ids)
    row["task"] = task
    return row


def adjudication_from_row(row: dict[str, Any]) -> Adjudication:
    return _json_fields_from_row(Adjudication, row, label_ids=[])
