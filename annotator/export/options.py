"""What a gold-set export can be asked for (no heavy imports: the CLI's options use these)."""

from __future__ import annotations

from dataclasses import dataclass

from annotator.analysis.defaults import ADJUDICATION_THRESHOLD

FORMATS = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet", "chosen-rejected": ".jsonl",
           "alpaca-eval": ".json"}
AGGREGATES = ("majority", "dawid-skene")


@dataclass
class GoldOptions:
    aggregate: str = "majority"  # which aggregated label is the gold label
    min_votes: int = 1  # pairs with fewer human votes are left out
    min_agreement: float = 0.0  # pairs whose majority share is below this are left out
    include_disputed: bool = True  # keep pairs that need adjudication
    threshold: float = ADJUDICATION_THRESHOLD
