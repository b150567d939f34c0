"""The SQLite store: the only code in the project that speaks SQL.

``Store`` wraps an injected ``sqlite_utils.Database``; nothing opens a database at import
time. Open one with ``Store.open(path)`` (migrates to the latest schema) or ``Store.memory()``.
"""

from .adjudications import AdjudicationStore, InvalidAdjudication
from .assignment import AssignmentStore, AttentionScore, QueueProgress
from .base import DEFAULT_DB, StoreBase, connect, is_busy, resolve_db_path, retry_busy
from .copies import CopyStore
from .factor_values import FactorValueStore
from .judgments import JudgmentStore
from .labels import InvalidLabel, LabelStore
from .leases import LeaseStore, WriterBusy, WriterIdentity
from .models import (
    ADJUDICATION_REASONS,
    CHOICES,
    FACTOR_ANSWERS,
    JUDGMENT_ORDERS,
    ORDERS,
    Adjudication,
    Factor,
    FactorValue,
    JudgeRun,
    Judgment,
    Label,
    Pair,
    Task,
    utc_now,
)
from .queue_state import QueueStateStore
from .streams import StreamStore
from .tasks import TaskClash, TaskStore, UnknownTask


class Store(TaskStore, LabelStore, JudgmentStore, FactorValueStore, AssignmentStore, QueueStateStore,
            LeaseStore, AdjudicationStore, StreamStore, CopyStore, StoreBase):
    """All of the project's persistence, one area per mixin module."""


__all__ = [
    "ADJUDICATION_REASONS", "Adjudication", "CHOICES", "DEFAULT_DB", "FACTOR_ANSWERS", "JUDGMENT_ORDERS", "ORDERS",
    "AttentionScore", "Factor", "FactorValue", "InvalidAdjudication", "InvalidLabel", "JudgeRun", "Judgment", "Label",
    "Pair", "QueueProgress", "Store", "Task", "TaskClash", "UnknownTask", "WriterBusy", "WriterIdentity", "connect",
    "is_busy", "resolve_db_path", "retry_busy", "utc_now",
]
