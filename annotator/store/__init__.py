"""The SQLite store: the only code in the project that speaks SQL.

``Store`` wraps an injected ``sqlite_utils.Database``; nothing opens a database at import
time. Open one with ``Store.open(path)`` (migrates to the latest schema) or ``Store.memory()``.
"""

from .accounts import Account, AccountExists, AccountStore
from .adjudications import AdjudicationStore, InvalidAdjudication
from .annotators import RememberedNameStore
from .assignment import AssignmentStore, AttentionScore, QueueProgress
from .base import DEFAULT_DB, SchemaError, StoreBase, connect, connect_readonly, is_busy, resolve_db_path, retry_busy
from .calibrations import CalibrationStore
from .columnar import ColumnarStore
from .copies import CopyStore
from .export_reads import ExportReadStore
from .factor_values import FactorValueStore
from .facts import FactStore
from .flags import FlagStore
from .judgments import JudgmentStore
from .labels import InvalidLabel, LabelStore
from .leases import LeaseStore, WriterBusy, WriterIdentity
from .models import (
    ADJUDICATION_REASONS,
    CHOICES,
    FACTOR_ANSWERS,
    JUDGMENT_ORDERS,
    ORDERS,
    TARGETS,
    Adjudication,
    AtomicFacts,
    FactLabels,
    Factor,
    FactorValue,
    Flag,
    JudgeRun,
    Judgment,
    Label,
    Pair,
    Task,
    utc_now,
)
from .progress import ProgressStore
from .queue_state import QueueStateStore
from .rankings import InvalidRanking, Ranking, RankingItem, RankingStore
from .search import SearchHit, SearchStore
from .skips import SkipStore
from .streams import StreamStore
from .style import StyleStore
from .tasks import TaskClash, TaskStore, UnknownTask
from .training import TrainingScore, TrainingStore


class Store(RankingStore, CopyStore, TaskStore, LabelStore, JudgmentStore, FactorValueStore, FactStore, AssignmentStore, QueueStateStore,
            LeaseStore, SkipStore, FlagStore, SearchStore, RememberedNameStore, AdjudicationStore, StreamStore,
            AccountStore, ProgressStore, CalibrationStore, TrainingStore, StyleStore, ExportReadStore, ColumnarStore,
            StoreBase):
    """All of the project's persistence, one area per mixin module."""


__all__ = [
    "ADJUDICATION_REASONS", "Account", "AccountExists", "Adjudication", "CHOICES", "DEFAULT_DB", "FACTOR_ANSWERS",
    "JUDGMENT_ORDERS", "ORDERS", "TARGETS", "AtomicFacts", "AttentionScore", "FactLabels", "Factor", "FactorValue",
    "Flag", "InvalidAdjudication", "InvalidRanking", "Ranking", "RankingItem", "TrainingScore", "InvalidLabel", "JudgeRun", "Judgment", "Label", "Pair", "QueueProgress",
    "SchemaError", "SearchHit", "Store", "Task", "TaskClash", "UnknownTask", "WriterBusy", "WriterIdentity",
    "connect", "connect_readonly", "is_busy", "resolve_db_path",
    "retry_busy", "utc_now",
]
