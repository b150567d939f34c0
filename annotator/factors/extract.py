"""Running factor extractors over a task's pairs and storing the values."""

from __future__ import annotations

from collections.abc import Callable

from annotator.store import FactorValue, Store

from . import rules


def extract_rule_factors(store: Store, task: str, factors: list[str] | None = None,
                         progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Measure the rule-based factors on every pair of a task; stored with extractor "rule".

    ``factors`` defaults to the task's checklist factors that have a rule. Returns the number
    of values stored per factor (pairs where the factor does not apply, e.g. Novel Words
    without a source, are skipped).
    """
    spec = store.require_task(task)
    wanted = factors if factors is not None else [f.key for f in spec.factors if f.key in rules.RULE_FACTORS]
    unknown = [f for f in wanted if f not in rules.RULE_FACTORS]
    if unknown:
        raise KeyError(f"no rule-based extractor for {', '.join(unknown)} (rules exist for {', '.join(rules.RULE_FACTORS)})")
    counts = {f: 0 for f in wanted}
    values = []
    pairs = list(store.pairs(task))
    for n, pair in enumerate(pairs, start=1):
        for factor in wanted:
            result = rules.extract(factor, pair.response_a, pair.response_b, pair.source)
            if result.manifestation is None:
                continue
            values.append(FactorValue(pair=pair.id, factor=factor, extractor="rule", value_a=result.value_a,
                                      value_b=result.value_b, manifestation=result.manifestation))
            counts[factor] += 1
        if progress:
            progress(n, len(pairs))
    store.save_factor_values(values)
    return counts
