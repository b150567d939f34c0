"""What each export can be asked for (no heavy imports: the CLI's options use these)."""

from __future__ import annotations

from dataclasses import dataclass

from annotator.analysis.defaults import ADJUDICATION_THRESHOLD, DEFAULT_BOTH_BAD

# gold format -> (the default file's kind, suffix): exports/<task>-<kind><suffix>
FORMATS = {
    "jsonl": ("gold", ".jsonl"),
    "csv": ("gold", ".csv"),
    "parquet": ("gold", ".parquet"),
    "chosen-rejected": ("gold-chosen-rejected", ".jsonl"),
    "alpaca-eval": ("gold-alpaca-eval", ".json"),
}
TABLE_FORMATS = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet"}
AGGREGATES = ("majority", "dawid-skene")
AMBIGUITY_THRESHOLD = 0.5


@dataclass
class GoldOptions:
    aggregate: str = "majority"  # which aggregated label is the gold label
    min_votes: int = 1  # pairs with fewer human votes are left out
    min_agreement: float = 0.0  # pairs whose majority share is below this are left out (not adjudicated ones)
    include_disputed: bool = True  # keep unresolved pairs (needing adjudication, not adjudicated)
    threshold: float = ADJUDICATION_THRESHOLD
    exclude: tuple[str, ...] = ()  # annotators whose labels are left out
    keep_names: bool = False  # False: annotators appear under pseudonyms
    both_bad: str = DEFAULT_BOTH_BAD  # how a "both_bad" label counts (``--both-bad``)


@dataclass
class SoftLabelOptions:
    ambiguity_threshold: float = AMBIGUITY_THRESHOLD  # normalised entropy from which a pair is ambiguous
    exclude: tuple[str, ...] = ()
    keep_names: bool = False
    both_bad: str = DEFAULT_BOTH_BAD  # how a "both_bad" label counts (``--both-bad``)


@dataclass
class LabelExportOptions:
    exclude: tuple[str, ...] = ()
    keep_names: bool = False
    texts: bool = False  # add each pair's prompt, responses, models and source to every row


@dataclass
class JudgmentExportOptions:
    runs: tuple[str, ...] = ()  # run names; empty: every run judging preference
    factor_runs: bool = False  # with no runs named: also the runs measuring a factor
    messages: bool = False  # add the messages sent to the judge
