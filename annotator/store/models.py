"""Domain objects that go in and out of the store.

These are plain dataclasses: the UI, the engines and the importers work with them and never
with table rows. The converters between rows and objects live next to the tables that hold
them (``annotator.store.rows``).

Conventions used everywhere:

* A *choice* is ``"A"``, ``"B"`` or ``"tie"``, always in the pair's canonical order; a task
  whose ``choices`` include it also offers ``"both_bad"`` (neither response is acceptable),
  stored as its own value and read by each statistic through a named rule (``--both-bad``).
* A *factor answer* is ``"A"`` (more in A), ``"B"`` (more in B), ``"equal"`` or ``"na"``.
* An *order* is ``"AB"`` (A shown first / left) or ``"BA"`` (B shown first).
* A judgment's *target* is what one call judged: ``""`` a pair of responses (a verdict),
  ``"A"`` / ``"B"`` one response alone, ``"prompt"`` the instruction, ``"source"`` the
  source document (pointwise calls: a score, order always ``"AB"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

CHOICES = ("A", "B", "tie")
BOTH_BAD = "both_bad"
# Every value a label or an adjudication may hold (a task offers ``Task.label_choices`` of them).
LABEL_CHOICES = (*CHOICES, BOTH_BAD)
TARGETS = ("", "A", "B", "prompt", "source")
FACTOR_ANSWERS = ("A", "B", "equal", "na")
ORDERS = ("AB", "BA")
# A judge's presented order may also be unknown (imported verdicts that do not record it).
JUDGMENT_ORDERS = ("AB", "BA", "unknown")
# A judgment's status: "done" (the call returned; its verdict may still be unscored) or
# "failed" (the call itself failed: HTTP error, timeout, malformed response, failed batch line).
JUDGMENT_STATUSES = ("done", "failed")


def is_failed(status: str) -> bool:
    """The one test for a failed call: a failed judgment is retried on the next run and is
    never a cache hit (its ``unscored_reason`` says what went wrong)."""
    return status == "failed"


def unscored_kind(reason: str, status: str) -> str:
    """What an unscored judgment is counted under: "error" for any failed call (the reason
    holds the details), else the reason itself."""
    return "error" if is_failed(status) else reason


def utc_now() -> str:
    """An ISO-8601 UTC timestamp with microseconds, the store's one time format."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Factor:
    """One entry of a task's checklist: a PROFILE factor or a task's own."""

    key: str
    name: str
    definition: str
    question: str
    level1: str = ""  # PROFILE taxonomy: e.g. "Output-Only"
    level2: str = ""  # e.g. "Linguistic Style"
    needs_source: bool = False
    custom: bool = False


Priority = Literal["none", "judge-uncertain", "stratified"]
PRIORITIES: tuple[str, ...] = get_args(Priority)


@dataclass(frozen=True)
class TaskSettings:
    """What a task asks of the queue, the leaderboard and judge routing (``[task]`` keys of
    task.toml beyond the ones ``Task`` holds itself). ``None``: not set in task.toml, so the
    default said below applies where the setting is read. Stored as JSON holding only the
    settings that are set (``as_dict``)."""

    calibration: int | None = None
    """Pairs every annotator labels first, the same for all (their agreement is measured
    before the queue's own order starts); unset: 0."""

    claim_minutes: float | None = None
    """Minutes a served pair stays reserved for its annotator; unset: the annotator's config
    (``claim_minutes`` there, 10 by default)."""

    priority: Priority | None = None
    """The order unlabelled pairs are served in (``annotator tasks prioritise``); unset: "none"."""

    uniform_share: float | None = None
    """With a priority order, the share of pairs still drawn at random; unset: 0.2."""

    routing: dict[str, str] | None = None
    """Domain -> judge name or judge file, for ``judge route`` ("*": every other domain)."""

    baseline: str | None = None
    """The model every candidate is compared with (the leaderboard's baseline)."""

    choices: list[str] | None = None
    """What annotators may answer (``LABEL_CHOICES``: "A", "B", "tie", "both_bad"); unset:
    "A", "B" and, when ties are allowed, "tie"."""

    training: dict[str, Any] | None = field(default=None, metadata={"toml": False})
    """The practice pairs of task.toml's own ``[training]`` table, checked
    (``annotator.tasks.training``); not a ``[task]`` key."""

    ranking: dict[str, Any] | None = field(default=None, metadata={"toml": False})
    """A ranked task's ``[ranking]`` table (where each item's 3 to 5 responses are,
    ``annotator.tasks.ranking``); None for a task of pairs. Not a ``[task]`` key."""

    @classmethod
    def from_mapping(cls, values: Any) -> TaskSettings:
        """Settings from stored JSON (or a TaskSettings, returned as it is); unknown keys are
        ignored (written by a newer version)."""
        if isinstance(values, TaskSettings):
            return values
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in known})

    def as_dict(self) -> dict[str, Any]:
        """The settings that are set, as stored."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def get(self, key: str, default: Any = None) -> Any:
        """A setting by name, ``default`` when unset (as a mapping's ``get``)."""
        value = getattr(self, key, None) if key in self.__dataclass_fields__ else None
        return default if value is None else value

    def __getitem__(self, key: str) -> Any:
        if key not in self.__dataclass_fields__ or getattr(self, key) is None:
            raise KeyError(key)
        return getattr(self, key)


@dataclass
class Task:
    name: str
    title: str = ""
    guidelines: str = ""
    allow_tie: bool = True
    overlap: int = 1
    factors: list[Factor] = field(default_factory=list)
    # Which optional parts of a label the task requires: any of "factors", "confidence", "rationale".
    required: list[str] = field(default_factory=list)
    show_model_names: bool = False
    attention_rate: float = 0.0  # share of gold pairs mixed into each annotator's queue
    seed: int = 0
    source_dir: str = ""  # where task.toml was read from
    settings: TaskSettings = field(default_factory=TaskSettings)  # a stored mapping becomes TaskSettings
    created_at: str = ""

    def __post_init__(self):
        self.settings = TaskSettings.from_mapping(self.settings)

    @property
    def choices(self) -> tuple[str, ...]:
        """The preference categories statistics count ("A", "B" and, with ties, "tie"); a
        "both_bad" label reaches them through the ``--both-bad`` rule."""
        return CHOICES if self.allow_tie else ("A", "B")

    @property
    def label_choices(self) -> tuple[str, ...]:
        """What an annotator or an adjudicator may answer: task.toml's ``choices``, else ``choices``."""
        if self.settings.choices:
            return tuple(c for c in LABEL_CHOICES if c in self.settings.choices)
        return self.choices

    @property
    def allows_both_bad(self) -> bool:
        return BOTH_BAD in self.label_choices

    @property
    def baseline(self) -> str | None:
        """The model every candidate is compared with (``[task] baseline``, kept in
        ``settings.baseline``); per pair the candidate is the other side. None when unset."""
        return self.settings.baseline or None

    def factor(self, key: str) -> Factor:
        for f in self.factors:
            if f.key == key:
                return f
        raise KeyError(key)


@dataclass
class Pair:
    """One item to label: an instruction with two responses, in canonical order."""

    task: str
    pair_id: str  # stable external id, unique within the task
    prompt: str
    response_a: str
    response_b: str
    model_a: str = ""
    model_b: str = ""
    domain: str = ""
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    gold: str | None = None  # expected choice when the pair is an attention check
    reference: str = ""  # a reference answer, for reference-guided judges ({reference})
    content_hash: str = ""
    id: int | None = None  # database key, set by the store

    @property
    def stored_id(self) -> int:
        """``id`` of a pair read from or written to the database (ValueError before that)."""
        if self.id is None:
            raise ValueError(f"pair {self.pair_id!r} is not stored yet")
        return self.id


@dataclass
class Label:
    """One annotator's judgment of one pair (one revision of it)."""

    pair: int  # Pair.id
    annotator: str
    choice: str  # canonical: "A" | "B" | "tie" | "both_bad"
    shown_order: str = "AB"
    factors: dict[str, str] = field(default_factory=dict)  # key -> canonical factor answer
    confidence: int | None = None
    rationale: str = ""
    seconds: float | None = None  # time on item
    origin: str = "tui"  # "tui", "import", "web"
    revision: int = 0  # set by the store: 1 for the first label, +1 per edit
    created_at: str = ""
    id: int | None = None


@dataclass
class JudgeRun:
    """One run of one judge (or one imported set of verdicts) over a task's pairs."""

    task: str
    name: str
    kind: str = "llm"  # "llm" | "imported" | "baseline"
    model: str = ""
    endpoint: str = ""
    template: str = ""
    template_version: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    id: int | None = None

    @property
    def stored_id(self) -> int:
        """``id`` of a run read from or written to the database (ValueError before that)."""
        if self.id is None:
            raise ValueError(f"run {self.name!r} is not stored yet")
        return self.id


@dataclass
class Judgment:
    """One verdict of a judge on one pair in one presented order (one sample)."""

    run: int  # JudgeRun.id
    pair: int  # Pair.id
    order: str = "AB"  # the order the pair was presented to the judge; "unknown" when not recorded
    sample: int = 0
    verdict: str | None = None  # canonical "A" | "B" | "tie"; None when unscored
    p_a: float | None = None  # soft verdict: probability that A is better, canonical
    unscored_reason: str = ""  # "unparseable", "refusal", "empty", "error: ..." (failed), or the raw value
    status: str = "done"  # see JUDGMENT_STATUSES
    messages: list[dict[str, Any]] = field(default_factory=list)
    raw_output: str = ""
    top_logprobs: list[list] = field(default_factory=list)  # first output token: [token, logprob] pairs
    explanation: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    cost: float | None = None
    cache_key: str = ""
    target: str = ""  # "" (the pair) | "A" | "B" | "prompt" | "source": see the module docstring
    score: float | None = None  # pointwise calls: the number measured (rating, facts, share)
    created_at: str = ""
    id: int | None = None

    @property
    def scored(self) -> bool:
        """A verdict (pairwise) or a score (pointwise) was read from the output."""
        return self.verdict is not None or self.score is not None

    @property
    def failed(self) -> bool:
        return is_failed(self.status)


@dataclass
class FactorValue:
    """A factor measured on both responses of a pair by one extractor."""

    pair: int
    factor: str
    extractor: str  # "rule", "llm:<model>", "human"
    value_a: float | None
    value_b: float | None
    manifestation: str  # "A" | "B" | "equal"
    created_at: str = ""
    id: int | None = None


@dataclass
class Flag:
    """An annotator's note to the researcher about one pair ("the prompt is cut off")."""

    pair: int  # Pair.id
    task: str
    annotator: str
    reason: str
    pair_id: str = ""  # the pair's external id (filled in when read)
    created_at: str = ""
    cleared_at: str | None = None  # set when the annotator withdrew the flag
    id: int | None = None


@dataclass
class AtomicFacts:
    """The atomic facts one extractor found in one response ("A" / "B") or the source."""

    pair: int
    target: str  # "A" | "B" | "source"
    extractor: str  # e.g. "profile:gpt-4o-mini"
    facts: list[str] = field(default_factory=list)
    run: int | None = None  # the judge run whose call produced them
    created_at: str = ""
    id: int | None = None


@dataclass
class FactLabels:
    """One yes/no label per atomic fact of one response, for one PROFILE factor.

    For Source Coverage the facts are the *source's* and each label says whether the
    response (``target``) contains that fact.
    """

    pair: int
    target: str  # "A" | "B": the response judged
    factor: str
    extractor: str
    labels: list[bool] = field(default_factory=list)
    run: int | None = None
    created_at: str = ""
    id: int | None = None


# Why an adjudicator settled a pair the way they did (stored key -> what people read).
ADJUDICATION_REASONS = {
    "guidelines_gap": "guidelines gap",
    "ambiguous_pair": "ambiguous pair",
    "annotator_error": "annotator error",
    "both_acceptable": "both acceptable",
}
# Which queue a pair was adjudicated from: annotators disagreeing, or a judge against the humans.
ADJUDICATION_QUEUES = ("humans", "judges")


@dataclass
class Adjudication:
    """An adjudicator's final label for a pair (one revision of it); never replaces labels."""

    pair: int  # Pair.id
    adjudicator: str
    choice: str  # canonical: "A" | "B" | "tie" | "both_bad"
    reason: str  # a key of ADJUDICATION_REASONS
    note: str = ""
    queue: str = "humans"  # a value of ADJUDICATION_QUEUES
    label_ids: list[int] = field(default_factory=list)  # the labels the adjudicator saw
    revision: int = 0  # set by the store: 1 for the first adjudication of the pair, +1 per change
    created_at: str = ""
    id: int | None = None
