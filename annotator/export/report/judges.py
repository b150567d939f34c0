"""The report's sections about the judges: the judge-vs-human table and cards, position and
length bias beside the humans', and calibration. Numbers: ``stats judges --json``."""

from __future__ import annotations

from typing import Any

from annotator.text import numbers as n
from annotator.text.numbers import VERDICT_TONES

from . import figures
from .collect import ReportData
from .document import Card, Cell, Figure, Paragraph, Section, Table, clean

KINDS = {"baseline": "offline baseline", "llm": "LLM judge", "imported": "imported", "humans": "humans"}
OFFLINE_BASELINES = ("longest", "random")


def agent_colours(data: ReportData) -> dict[str, str]:
    return figures.colours([a.agent for a in typed_judges(data).agents])


def typed_judges(data: ReportData):
    """The judge report as the typed tree ``stats judges`` reads (``JudgeHumanReport``)."""
    from annotator.analysis.judge_human import JudgeHumanReport
    from annotator.analysis.serialise import read_back

    return read_back(JudgeHumanReport, data.judges)


def judges_section(data: ReportData) -> Section:
    j = typed_judges(data)
    section = Section("judges", "Judges against the humans")
    rule = j.order_rule
    section.add(Paragraph(
        "Each judge verdict is compared with every human vote on the same pair (MT-Bench's convention): 'agrees' "
        "counts a tie as an answer of its own, 'without ties' leaves out every comparison where either side is a "
        "tie. The human-human ceiling is the same figure between the annotators: a judge that reaches it agrees "
        "with people as often as people agree with each other. Kappa corrects the agreement with the human majority "
        "for chance.", lead="How to read it."))
    section.add(Paragraph(f"{clean(rule['name'])} — {clean(rule['rule'])}. A judge asked in both presented orders "
                          "gives one verdict per pair under this rule.", lead="Order rule."))
    ref = j.reference
    if ref:
        settled = ref.get("adjudicated_pairs") or ref.get("adjudications_ignored") or 0
        section.add(Paragraph(
            f"{clean(ref['name'])} — {clean(ref['rule'])}" + (
                f" ({settled:,} adjudicated pair(s){' ignored' if ref['name'] == 'majority' else ''})" if settled else "")
            + ". Kappa, calibration, the length bias against the humans and the factor scores compare a judge with "
              "this one label per pair.", lead="Human reference."))
    for note in j.notes:
        section.add(Paragraph(clean(note), lead="Note."))
    agents = [a for a in j.agents if a.kind != "humans"]
    if not agents:
        section.add(Paragraph(f"No judge has run on this task. Start with the offline baselines, which any judge "
                              f"must beat: annotator judge run --judge longest --task {clean(data.task)}"))
        return section
    ceiling = j.human_ceiling
    section.add(Paragraph(f"agreement {n.with_interval(ceiling['with_ties'], True)}, without ties "
                          f"{n.with_interval(ceiling['without_ties'], True)}.", lead="Human-human ceiling:"))
    rows, reasons = [], {}
    for a in agents:
        agree = a.agreement_with_humans or {}
        for column, est in (("same verdict in both orders", a.position_consistency),
                            ("agrees", agree.get("with_ties"))):
            if est is not None and not est.defined and est.reason:
                reasons.setdefault(f"{column}: {clean(est.reason)}", []).append(clean(a.agent))
        verdict = a.card.verdict if a.card else ""
        rows.append([
            clean(a.agent) + (" (offline baseline)" if a.kind == "baseline" else ""), n.count(a.pairs),
            n.count(a.verdicts.get("no verdict", 0)),
            n.value(a.position_consistency, True), n.with_interval(agree.get("with_ties"), True),
            n.with_interval(agree.get("without_ties"), True), n.value(a.cohen_kappa_with_majority),
            Cell(verdict, VERDICT_TONES.get(verdict, "")),
        ])
    table = Table(["judge", "pairs", "no verdict", "same in both orders", "agrees with humans", "without ties",
                   "kappa vs majority", "card"], rows,
                  caption=f"Judges against the humans (order rule: {clean(rule['name'])})", numeric=(1, 2, 3, 4, 5, 6))
    table.notes = [f"{reason} ({', '.join(who)})" for reason, who in reasons.items()]
    colours = agent_colours(data)

    def point(a) -> dict[str, Any]:
        est = (a.agreement_with_humans or {}).get("with_ties")
        d = n.as_dict(est)
        return {"label": a.agent, "value": d.get("estimate"), "low": d.get("ci_low"), "high": d.get("ci_high"),
                "colour": colours[a.agent], "note": "undefined"}

    points = [point(a) for a in agents]
    est = n.as_dict(ceiling["with_ties"])
    svg = figures.interval_chart(
        "judge-agreement", points, xlabel="agreement with the human votes, ties a class (%)", percent=True,
        xlim=(0, 1), reference=[(est["estimate"], "human-human ceiling (band: its 95 % CI)")]
        if est.get("estimate") is not None else [], band=(est.get("ci_low"), est.get("ci_high"), ""))
    if svg:
        section.add(Figure("judge-agreement", "Agreement with the humans beside the human-human ceiling", svg,
                           "Dots with interval bars per judge; a shaded band marks the human-human agreement.", table))
    else:
        section.add(table)
    kinds = {a.agent for a in agents if a.kind == "baseline"}
    missing = [b for b in OFFLINE_BASELINES if b not in kinds]
    if missing:
        section.add(Paragraph(
            "The offline baselines (no model: 'longest' picks the longer response, 'random' a coin flip) are the "
            "floor any judge must clear; " + ", ".join(missing) + " has not run on this task: "
            + "; ".join(f"annotator judge run --judge {b} --task {clean(data.task)}" for b in missing) + ".",
            lead="Baselines."))
    section.add(Paragraph(clean(j.card_rules), lead="Card rules."))
    for a in agents:
        section.add(_card(a))
    gold = _gold_table(agents)
    if gold is not None:
        section.add(gold)
    if j.judge_agreement:
        section.add(Table(["judge", "judge", "pairs", "same verdict", "kappa"], [
            [clean(r.judges[0]), clean(r.judges[1]), n.count(r.n), n.value(r.agreement, True),
             n.value(r.cohen_kappa)] for r in j.judge_agreement],
            caption="Agreement between judges (a missing verdict matches nothing)", numeric=(2, 3, 4)))
    return section


def _card(a) -> Card:
    """One judge's card from its typed ``AgentReport``."""
    verdict, reasons = (a.card.verdict, a.card.reasons) if a.card else ("", [])
    details = []
    agree = a.agreement_with_humans or {}
    if agree:
        details.append(f"agreement with the humans {n.with_interval(agree.get('with_ties'), True)}, without ties "
                       f"{n.with_interval(agree.get('without_ties'), True)}")
    alt = a.alt_test
    if alt:
        if alt.passed is None:
            details.append(f"alternative annotator test: undefined ({clean(alt.reason)})")
        else:
            details.append(
                f"alternative annotator test (could it replace one of the annotators?): winning rate "
                f"{alt.winning_rate:.0%}, advantage probability {alt.advantage_probability:.2f} (epsilon "
                f"{alt.epsilon:g}, alpha {alt.alpha:g}, {len(alt.per_annotator)} annotators): "
                f"{'passes' if alt.passed else 'fails'}")
    cal = a.calibration
    if cal:
        details.append(f"calibration of P(A): expected calibration error {cal.ece:.3f}, Brier score "
                       f"{cal.brier:.3f} on {cal.n:,} pairs" if cal.n
                       else f"calibration: undefined ({clean(cal.reason)})")
    if a.labels_needed and a.labels_needed.pairs_needed is not None:
        details.append(a.labels_needed.text(lead="for an interval of "))
    cost = f"${a.cost_per_1000_pairs:.2f}" if a.cost_per_1000_pairs is not None else "unknown"
    latency = f"{a.median_latency_s:.2f} s" if a.median_latency_s is not None else "unknown"
    details.append(f"cost per 1,000 pairs {cost}; median latency per call {latency}")
    run = a.run or {}
    if run and not run.get("complete", True):
        details.append(f"incomplete run: {run['finished']:,} of {run['planned']:,} judgments finished")
    if run.get("model"):
        details.append(f"model {clean(run['model'])}" + (f" at {clean(run['endpoint'])}" if run.get("endpoint") else ""))
    return Card(f"{clean(a.agent)} ({KINDS.get(a.kind, clean(a.kind))})", verdict, VERDICT_TONES.get(verdict, ""),
                [clean(r) for r in reasons], details)


def _gold_table(agents) -> Table | None:
    rows = [a for a in agents if a.gold is not None]
    if not rows:
        return None
    source = clean(rows[0].gold.source)
    return Table(["judge", "gold pairs", "accuracy", "of scored", "A shown first", "B shown first", "right in both",
                  "no verdict"], [
        [clean(a.agent), n.count(a.gold.n), n.with_interval(a.gold.accuracy, True),
         n.value(a.gold.accuracy_scored, True), n.value(a.gold.accuracy_first, True),
         n.value(a.gold.accuracy_second, True), n.value(a.gold.both_correct, True),
         n.count(a.gold.n_unscored)] for a in rows],
        caption=f"Accuracy against the gold labels ({source}); a pair without a verdict counts as wrong in 'accuracy'",
        numeric=tuple(range(1, 8)))


def bias_section(data: ReportData) -> Section:
    section = Section("bias", "Position and length")
    section.add(Paragraph(
        "Position: the share of decisive answers that went to the response shown first. 50 % is no preference "
        "for a position; each annotator saw each pair in a random order, each judge in the order(s) it was asked. "
        "Where the order shown was not recorded (imported verdicts), position bias is unknown, not guessed. "
        "Length: the share of decisive answers that went to the longer response; the humans' share is the "
        "reference, and 'vs humans' is the judge's share minus the humans' on the pairs where both chose and the "
        "lengths differ by more than 10 %.", lead="How to read it."))
    colours = agent_colours(data)
    rows, points = [], []
    for r in data.agreement["per_annotator"]:
        est = r["first_position_rate"]
        rows.append([clean(r["annotator"]), "annotator", n.with_interval(est, True), n.count(est["n"]),
                     n.num(est.get("p_value"), 3) if est.get("p_value") is not None else n.DASH])
        points.append(_point(f"{r['annotator']} (annotator)", est, figures.HUMANS_COLOUR))
    typed = typed_judges(data)
    for a in (a for a in typed.agents if a.kind != "humans"):
        est = n.as_dict(a.position_bias)
        unknown = est.get("estimate") is None
        rows.append([clean(a.agent), KINDS.get(a.kind, clean(a.kind)), Cell("unknown", "muted", clean(n.reason(est)))
                     if unknown else n.with_interval(est, True), n.count(est.get("n")),
                     n.num(est.get("p_value"), 3) if est.get("p_value") is not None else n.DASH])
        points.append(_point(a.agent, est, colours[a.agent], "unknown: order not recorded" if unknown else ""))
    position = Table(["who", "kind", "chose the first shown [95 % CI]", "decisive answers", "p (vs 50 %)"], rows,
                     caption="Position: share of decisive answers for the response shown first", numeric=(2, 3, 4))
    svg = figures.interval_chart("position", points, xlabel="chose the response shown first (%)", percent=True,
                                 xlim=(0, 1), reference=[(0.5, "no position preference")])
    section.add(Figure("position", "Position bias: annotators and judges side by side", svg,
                       "Share choosing the first-shown response per annotator and judge, with a line at 50 %.",
                       position) if svg else position)

    rows, points = [], []
    for a in typed.agents:
        est = n.as_dict(a.length_bias)
        vs = n.as_dict(a.length_bias_vs_humans)
        vs_text = n.DASH if a.kind == "humans" else (
            n.signed_points(vs["estimate"]) + (f" [{vs['ci_low'] * 100:+.1f}, {vs['ci_high'] * 100:+.1f}]"
                                               if vs.get("ci_low") is not None else "")
            if vs.get("estimate") is not None else Cell(n.DASH, "muted", clean(n.reason(vs))))
        rows.append([clean(a.agent), KINDS.get(a.kind, clean(a.kind)), n.with_interval(est, True), n.count(est["n"]),
                     vs_text, n.count(vs.get("n")) if vs.get("estimate") is not None else n.DASH])
        points.append(_point(a.agent, est, colours[a.agent]))
    length = Table(["who", "kind", "chose the longer [95 % CI]", "decisive answers", "vs humans (points)",
                    "shared pairs"], rows, caption="Length: share of decisive answers for the longer response",
                   numeric=(2, 3, 4, 5))
    svg = figures.interval_chart("length", points, xlabel="chose the longer response (%)", percent=True, xlim=(0, 1),
                                 reference=[(0.5, "no length preference")])
    section.add(Figure("length", "Length bias: the humans' majority and each judge", svg,
                       "Share choosing the longer response for the humans and each judge, with a line at 50 %.",
                       length) if svg else length)
    return section


def _point(name: str, est: dict[str, Any], colour: str, note: str = "") -> dict[str, Any]:
    return {"label": name, "value": est.get("estimate"), "low": est.get("ci_low"), "high": est.get("ci_high"),
            "colour": colour, "note": note or ("undefined: " + clean(est.get("reason") or ""))}


def calibration_section(data: ReportData) -> Section:
    section = Section("calibration", "Calibration of the judges' P(A)")
    section.add(Paragraph(
        "For judges that give a probability that A is better (from log-probabilities, or a soft preference): the "
        "pairs are grouped by that probability in ten bins, and each bin's mean P(A) is set against the share of "
        "its pairs that the human majority gave to A (pairs the humans tied or split are left out). A calibrated "
        "judge lies on the diagonal: of the pairs it gives 70 %, the humans prefer A in 70 %. The expected "
        "calibration error is the pair-weighted mean distance from the diagonal; the Brier score the mean squared "
        "error of P(A) (0 is perfect, 0.25 is always saying 50 %).", lead="How to read it."))
    colours = agent_colours(data)
    agents = [a for a in typed_judges(data).agents if a.kind != "humans"]
    with_p = [a for a in agents if a.calibration is not None and a.calibration.n]
    rows = [[clean(a.agent), n.count(a.calibration.n), n.num(a.calibration.ece),
             n.num(a.calibration.brier), n.count(a.calibration.n_ties_left_out)] for a in with_p]
    without = [clean(a.agent) for a in agents if a not in with_p]
    if not with_p:
        section.add(Paragraph("No judge of this task gives P(A)" + (f" ({', '.join(without)})" if without else "")
                              + ": there is nothing to calibrate."))
        return section
    table = Table(["judge", "pairs", "expected calibration error", "Brier score", "tied or split, left out"], rows,
                  caption="Calibration against the human majority", numeric=(1, 2, 3, 4))
    if without:
        table.notes = [f"no P(A): {', '.join(without)}"]
    bins = Table(["judge", "bin", "pairs", "mean P(A)", "humans chose A"], [
        [clean(a.agent), f"{b['low']:.1f}–{b['high']:.1f}", n.count(b["n"]), n.num(b["mean_p_a"]), n.pct(b["share_a"])]
        for a in with_p for b in a.calibration.bins], caption="Reliability bins", numeric=(2, 3, 4))
    svg = figures.reliability_diagram("calibration", [(a.agent, colours[a.agent], a.calibration.bins)
                                                      for a in with_p])
    section.add(table)
    section.add(Figure("calibration", "Reliability diagram", svg, "Per judge, mean P(A) per bin against the share "
                       "of those pairs the humans gave to A; the diagonal is perfect calibration.", bins)
                if svg else bins)
    return section
