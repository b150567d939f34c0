"""What ``annotator judge show`` reports about a run: verdicts, unscored reasons, cost, and
position consistency. Undefined figures are ``None`` with a reason, never a made-up number."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from annotator.store.models import JudgeRun, is_failed, unscored_kind


def position_consistency(rows: list[dict]) -> dict[str, Any]:
    """Position consistency (the share of pairs judged in both orders whose canonical verdict
    did not change; samples of one order resolved as in ``analysis.verdicts``) and the share
    of decisive per-order verdicts that went to the response shown first: the same figures
    ``annotator stats`` reports."""
    import pandas as pd

    from annotator.analysis.verdicts import consistency, first_shown_rate, judge_verdicts

    frame = pd.DataFrame(rows, columns=["pair", "order", "sample", "verdict"]).assign(run_name="run")
    same = consistency(judge_verdicts(frame))
    first = first_shown_rate(frame["verdict"].to_numpy(dtype=object), frame["order"].to_numpy(dtype=object))
    result: dict[str, Any] = {
        "pairs_in_both_orders": same.n,
        "consistent_pairs": same.extra.get("successes", 0),
        "consistency": same.value if same.defined else None,
        "first_position_rate": first.value if first.defined else None,
        "first_position_p_value": first.extra.get("p_value"),
    }
    if not same.defined:
        result["consistency_reason"] = "no pair has a scored verdict in both orders"
    if not first.defined:
        result["first_position_reason"] = "no decisive (non-tie) verdict"
    return result


def _progress(run: JudgeRun, rows: list[dict]) -> dict[str, Any]:
    """Planned judgments (as of the run's last start) and how many are still to do: missing or
    failed (failed calls are retried on the next run)."""
    planned = run.params.get("planned")
    if planned is None:
        return {"planned": None, "to_do": None}
    finished = sum(1 for r in rows if not is_failed(r["status"]))
    return {"planned": planned, "to_do": max(planned - finished, 0)}


def score_summary(rows: list[dict]) -> dict[str, Any]:
    """Per target of a pointwise run ("A", "B", "prompt", "source"): scored calls, mean,
    minimum and maximum score."""
    out: dict[str, Any] = {}
    for target in sorted({r.get("target") or "" for r in rows} - {""}):
        values = [r["score"] for r in rows if r.get("target") == target and r.get("score") is not None]
        out[target] = {"scored": len(values), "mean": statistics.fmean(values) if values else None,
                       "min": min(values) if values else None, "max": max(values) if values else None}
    return out


def money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def outcome_lines(report) -> list[str]:
    """What a finished ``judge run`` says (a ``RunReport``): the counts, the spend, each kind
    of failure with one example message, what the runner did against what the server said,
    and why it stopped early. Plain text; the command prints it."""
    made = report.from_cache + report.requested
    lines = [
        f"{report.run}: {report.planned} planned, {report.already_done} already done, "
        f"{report.from_cache} from the cache, {report.requested} called",
        f"  of these {made}: {report.scored} scored, {sum(report.unscored.values())} unscored; "
        f"spent {money(None if report.cost_unknown else report.spent)}"
        + (f" ({report.without_cost} answer(s) without a known cost)" if report.without_cost and not report.cost_unknown
           else "") + f" in {report.elapsed_s:.1f} s",
    ]
    if report.unscored:
        lines.append("  unscored: " + ", ".join(f"{k} {v}" for k, v in report.unscored.most_common()))
    for kind, entry in sorted(report.failures.items(), key=lambda kv: -kv[1]["count"]):
        lines.append(f"  failed: {kind} x{entry['count']}, e.g. {entry['example'][:160]} (retried on the next run)")
    for note, n in report.notes.most_common():
        lines.append(f"  note: {note} (x{n})")
    if report.stopped or report.not_started:
        lines.append(f"  stopped: {report.stopped or 'interrupted'}; {report.not_started} calls not started "
                     "(run again to continue)")
    return lines


def failures_of(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """Failed calls by kind (``calls.failure_kind``): count and one example message each."""
    from .calls import tally_failure

    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if is_failed(r["status"]):
            tally_failure(out, r["unscored_reason"])
    return out


def summarise(run: JudgeRun, rows: list[dict]) -> dict[str, Any]:
    verdicts = Counter(r["verdict"] for r in rows if r["verdict"] is not None)
    reasons = Counter(unscored_kind(r["unscored_reason"], r["status"]) for r in rows
                      if r["verdict"] is None and r.get("score") is None)
    costs = [r["cost"] for r in rows if r["cost"] is not None]
    latencies = [r["latency_s"] for r in rows if r["latency_s"] is not None]
    soft = [r["p_a"] for r in rows if r["p_a"] is not None]
    return {
        "run": run.name, "id": run.id, "task": run.task, "kind": run.kind, "model": run.model,
        "endpoint": run.endpoint, "template": run.template, "template_version": run.template_version,
        "created_at": run.created_at,
        "judgments": len(rows),
        "pairs": len({r["pair"] for r in rows}),
        "verdicts": {k: verdicts.get(k, 0) for k in ("A", "B", "tie")},
        "unscored": dict(reasons),
        "failures": failures_of(rows),
        "mean_p_a": statistics.fmean(soft) if soft else None,
        "cost": sum(costs) if costs else None,
        "cost_note": "" if len(costs) == len(rows) else f"{len(rows) - len(costs)} judgments without a known cost",
        "prompt_tokens": sum(r["prompt_tokens"] or 0 for r in rows),
        "completion_tokens": sum(r["completion_tokens"] or 0 for r in rows),
        "median_latency_s": statistics.median(latencies) if latencies else None,
        "position": position_consistency(rows),
        **_progress(run, rows),
        "pending_batch": run.params.get("batch", {}).get("id"),
        "guidance": run.params.get("guidance", {}),
        "scores": score_summary(rows),
    }
