"""The report's sections about the people: progress, agreement, each annotator's quality, and
the most disputed pairs with what each annotator wrote."""

from __future__ import annotations

from typing import Any

from annotator.text import numbers as n

from . import figures
from .collect import ReportData
from .document import Cell, Figure, Paragraph, Quote, Section, Table, clean, clean_block

ALPHA_RELIABLE = 0.8  # Krippendorff (2004): data to rely on
ALPHA_TENTATIVE = 0.667  # ... tentative conclusions only


def progress_section(data: ReportData) -> Section:
    counts, k = data.counts, data.overlap
    section = Section("progress", "Progress")
    section.add(Paragraph(
        f"{counts['pairs']:,} pairs, {counts['labels']:,} labels from {counts['annotators']} annotator(s) on "
        f"{counts['labelled_pairs']:,} pairs. The task asks for {k} annotator(s) per pair (its overlap); a pair is "
        f"done when it has that many. {counts['gold_pairs']:,} pair(s) carry an expected answer and serve as "
        "attention checks."))
    by_domain: dict[str, dict[int, int]] = {}
    for row in data.coverage:
        by_domain.setdefault(row["domain"] or "(none)", {})[row["annotators"]] = row["pairs"]
    domains = list(by_domain)
    done = [sum(c for a, c in by_domain[d].items() if a >= k) for d in domains]
    started = [sum(c for a, c in by_domain[d].items() if 0 < a < k) for d in domains]
    untouched = [by_domain[d].get(0, 0) for d in domains]
    rows = []
    for d, a, b, c in zip(domains, done, started, untouched):
        total = a + b + c
        rows.append([clean(d), n.count(total), n.count(a), n.count(b), n.count(c), n.pct(a / total if total else None)])
    if len(domains) > 1:
        total = sum(done) + sum(started) + sum(untouched)
        rows.append([Cell("all", "muted"), n.count(total), n.count(sum(done)), n.count(sum(started)),
                     n.count(sum(untouched)), n.pct(sum(done) / total if total else None)])
    table = Table(["domain", "pairs", f"done ({k}+ annotators)", "started", "not started", "share done"], rows,
                  caption="Pairs per domain by how many annotators labelled them", numeric=(1, 2, 3, 4, 5))
    svg = figures.coverage_chart("coverage", domains, done, started, untouched, k)
    section.add(Figure("coverage", "Coverage per domain", svg,
                       "Stacked bars per domain: pairs done, started and not started.", table) if svg else table)

    per = {r.annotator: r for r in _agreement(data).per_annotator}
    rows = []
    for name, labelled in counts["labels_per_annotator"].items():
        r = per.get(name)
        share = labelled / counts["pairs"] if counts["pairs"] else None
        rows.append([clean(name), n.count(labelled), n.pct(share), n.num(_f(r.median_seconds) if r else None, 0),
                     n.count(r.timed_labels if r else None)])
    section.add(Table(["annotator", "labels", "share of the task's pairs", "median seconds per label", "timed labels"],
                      rows, caption="Labels per annotator (pace: the median time spent on a pair)",
                      numeric=(1, 2, 3, 4)))
    return section


def _f(value: float | None) -> float | None:
    """A figure read back from JSON (None where undefined) or computed (NaN where undefined)."""
    return None if value is None or value != value else value


def _agreement(data: ReportData):
    """The typed agreement report (``stats agreement``'s), read back once per report."""
    return data.agreement_report


def _agreement_rows(block) -> list[list[str]]:
    pa = block.percent_agreement
    return [
        ["Krippendorff's alpha (nominal)", n.with_interval(block.krippendorff_alpha), n.count(block.krippendorff_alpha.n),
         "chance-corrected agreement: 1 = perfect, 0 = as if labels were drawn at random"],
        ["Krippendorff's alpha (ordinal: A > tie > B)", n.with_interval(block.krippendorff_alpha_ordinal),
         n.count(block.krippendorff_alpha_ordinal.n), "as above, a tie counting as half-way between A and B"],
        ["Fleiss' kappa", n.with_interval(block.fleiss_kappa), n.count(block.fleiss_kappa.n),
         "chance-corrected, any number of annotators per pair"],
        ["Gwet's AC1", n.with_interval(block.gwet_ac1), n.count(block.gwet_ac1.n),
         "chance-corrected, stable when one answer dominates"],
        ["Cohen's kappa, mean over annotator pairs", n.with_interval(block.cohen_kappa_mean),
         n.count(block.cohen_kappa_mean.n), "two annotators at a time, then averaged"],
        ["Raw agreement, ties a class", n.with_interval(pa["with_ties"], True),
         n.count(pa["with_ties"].n), "share of pairs of votes on a pair that are equal"],
        ["Raw agreement without ties", n.with_interval(pa["without_ties"], True),
         n.count(pa["without_ties"].n), "the same, leaving out comparisons with a tie"],
    ]


def _blocks_table(blocks: dict, first: str, caption: str, factor: bool = False) -> Table:
    rows = []
    for key, b in blocks.items():
        row = [clean(b.name or key), n.count(b.n_pairs), n.count(b.n_labels),
               n.with_interval(b.krippendorff_alpha), n.value(b.fleiss_kappa), n.value(b.gwet_ac1),
               n.value(b.percent_agreement["with_ties"], True)]
        if factor:
            row.append(n.count(b.na_answers))
        rows.append(row)
    headers = [first, "pairs", "labels", "alpha [95 % CI]", "Fleiss' kappa", "Gwet's AC1", "raw agreement"]
    if factor:
        headers.append("not applicable")
    return Table(headers, rows, caption=caption, numeric=tuple(range(1, len(headers))))


def _alpha_row(label: str, est, colour: str, note: str) -> dict[str, Any]:
    return {"label": label, "value": _f(est.value), "low": _f(est.ci_low), "high": _f(est.ci_high), "colour": colour,
            "note": note}


def agreement_section(data: ReportData) -> Section:
    report = _agreement(data)
    a, b = report.overall, report.bootstrap
    section = Section("agreement", "Agreement between annotators")
    section.add(Paragraph(
        "How often the annotators give the same answer to the same pair, beyond what chance would give. "
        f"Krippendorff suggests relying on data with alpha of at least {ALPHA_RELIABLE} and drawing only tentative "
        f"conclusions from {ALPHA_TENTATIVE}; preference labels of LLM responses are often well below, which is "
        "why the judges are compared with this human ceiling rather than with perfect agreement.",
        lead="What it measures."))
    ci = (f"Intervals: {b['confidence']:.0%} percentile bootstrap over pairs, {b['resamples']:,} resamples, seed "
          f"{b['seed']}." if b["resamples"] else "No intervals (no bootstrap resamples).")
    section.add(Paragraph(f"{a.n_pairs:,} labelled pairs ({a.n_pairs_multiply_labelled:,} by two or more "
                          f"annotators), {a.n_labels:,} labels, {a.n_annotators} annotator(s). {ci}"))
    for note in report.notes:
        section.add(Paragraph(clean(note), lead="Note."))
    overall = Table(["statistic", "estimate [95 % CI]", "n", "what it is"], _agreement_rows(a),
                    caption="Overall preference (A / B / tie)", numeric=(1, 2))
    overall.notes = [f"{name}: undefined — {clean(est.reason)}" for name, est in (
        ("alpha", a.krippendorff_alpha), ("Fleiss' kappa", a.fleiss_kappa), ("Cohen's kappa", a.cohen_kappa_mean))
        if _f(est.value) is None and est.reason]
    section.add(overall)
    if report.both_bad:
        from annotator.analysis.both_bad import both_bad_caption

        section.add(Paragraph(clean(both_bad_caption(report.both_bad)) + ".", lead="Both bad."))

    rows = [_alpha_row("overall", a.krippendorff_alpha, figures.HUMANS_COLOUR,
                       "undefined: " + (a.krippendorff_alpha.reason or ""))]
    rows += [_alpha_row(f"domain: {name}", block.krippendorff_alpha, figures.PALETTE[0], "undefined")
             for name, block in report.per_domain.items()]
    rows += [_alpha_row(f"factor: {block.name or key}", block.krippendorff_alpha, figures.PALETTE[2], "undefined")
             for key, block in report.per_factor.items()]
    svg = figures.interval_chart("alpha", rows, xlabel="Krippendorff's alpha (nominal), dot = estimate, bar = 95 % CI",
                                 reference=[(0, "chance"), (ALPHA_TENTATIVE, "tentative"), (ALPHA_RELIABLE, "reliable")])
    if svg:
        section.add(Figure("alpha", "Krippendorff's alpha overall, per domain and per factor", svg,
                           "Dots with interval bars: alpha overall, per domain and per factor, with lines at 0, "
                           f"{ALPHA_TENTATIVE} and {ALPHA_RELIABLE}."))
    if report.per_domain:
        section.add(_blocks_table(report.per_domain, "domain", "Per domain"))
    if report.per_factor:
        section.add(_blocks_table(report.per_factor, "factor", "Per factor (answers: A more / equal / B more; "
                                  "'not applicable' answers are left out)", factor=True))
    if a.cohen_kappa_pairs:
        section.add(Table(["annotator", "annotator", "shared pairs", "Cohen's kappa [95 % CI]"], [
            [clean(p.annotators[0]), clean(p.annotators[1]), n.count(p.n_shared), n.with_interval(p.kappa)]
            for p in a.cohen_kappa_pairs], caption="Cohen's kappa for each pair of annotators", numeric=(2, 3)))
    agg = report.aggregate
    mv = ", ".join(f"{clean(c)} {v:,}" for c, v in agg.majority_vote["labels"].items())
    if agg.majority_vote.get("split"):
        mv += f", split (no majority) {agg.majority_vote['split']:,}"
    ds = agg.dawid_skene
    if ds.get("reason"):
        ds_text = f"Dawid-Skene (a model that weighs each annotator by their estimated accuracy): undefined — {clean(ds['reason'])}."
    else:
        ds_text = (f"Dawid-Skene, which weighs each annotator by their estimated accuracy, gives "
                   f"{', '.join(f'{clean(c)} {v:,}' for c, v in ds['labels'].items())} "
                   f"({'converged' if ds['converged'] else 'not converged'} after {ds['iterations']} iterations; "
                   f"{ds['changed_from_majority']:,} pair(s) differ from the majority vote).")
    section.add(Paragraph(f"Majority vote per pair: {mv}. {ds_text}", lead="Aggregated labels."))
    return section


def annotators_section(data: ReportData) -> Section:
    report = _agreement(data)
    records = report.per_annotator
    section = Section("annotators", "Each annotator")
    section.add(Paragraph(
        "Agreement with the others compares each of the annotator's labels with the majority of the other "
        "annotators on the same pair (leave-one-out; pairs where the others have no clear majority are left out). "
        "Attention checks are pairs with an expected answer. 'Picks the first shown' is the share of their non-tie "
        "labels that went to the response shown first (each annotator sees the pair in a random order): far from "
        "50 % with a small p-value means a position habit. A label is 'fast' when given quicker than skimming both "
        "responses allows.", lead="How to read it."))
    rows = []
    for r in records:
        first = r.first_position_rate
        first_text = n.with_interval(first, True)
        tone = ""
        p_value = first.extra.get("p_value")
        if p_value is not None:
            first_text += f" (p = {p_value:.2g})"
            tone = "caution" if p_value < 0.05 else ""
        fast = n.count(r.fast_labels)
        rows.append([
            clean(r.annotator), n.count(r.n_labels), n.with_interval(r.agreement_with_others, True),
            n.with_interval(r.attention_accuracy, True), Cell(first_text, tone), n.value(r.tie_rate, True),
            n.num(_f(r.median_seconds), 0), Cell(fast + (" (flagged)" if r.flag_fast else ""),
                                                 "bad" if r.flag_fast else ""),
        ])
    section.add(Table(["annotator", "labels", "agrees with the others", "attention checks", "picks the first shown",
                       "ties", "median s", "fast labels"], rows, caption="Annotator quality (95 % intervals)",
                      numeric=(1, 2, 3, 4, 5, 6, 7)))
    judges = [j.run for j in report.judges]
    if records and judges:
        section.add(Table(["judge", *[clean(r.annotator) for r in records]], [
            [clean(j), *[n.value(r.judges[j]["agreement_with_ties"], True) if j in r.judges else n.DASH
                         for r in records]] for j in judges],
            caption="Each annotator's agreement with each judge (ties a class)", numeric=tuple(range(1, len(records) + 1))))
    if data.training:
        section.add(Table(["annotator", "training score", "attempt", "result"], [
            [clean(name), f"{t['correct']}/{t['items']}", n.count(t["attempt"]),
             Cell(t["state"], "" if t["passed"] else "caution")] for name, t in data.training.items()],
            caption=f"Training: each annotator's latest attempt at the practice pairs (pass mark "
                    f"{next(iter(data.training.values()))['pass']:.0%}; kept apart from the labels)",
            numeric=(1, 2)))
    return section


def disputed_section(data: ReportData) -> Section:
    report = _agreement(data)  # the typed report `stats agreement` reads
    pairs, cats = report.pairs, report.categories
    section = Section("disputed", "The most disputed pairs")
    section.add(Paragraph(
        f"Pairs whose votes are most spread (entropy in bits: 0 when everyone agrees; log2 of the number of "
        f"answers when each answer got the same votes). A pair needs adjudication when its majority holds less than "
        f"{pairs.adjudication_threshold:.0%} of the votes or there is no majority. "
        f"{pairs.needs_adjudication:,} of {pairs.n_pairs_multiply_labelled:,} pairs labelled by two or more "
        f"annotators need it ({pairs.no_majority:,} without a majority)"
        + (f"; {pairs.adjudicated:,} were settled by an adjudicator (`annotator adjudicate`), whose decision "
           "and reason are shown and who need no adjudication" if pairs.adjudicated else "") + ".",
        lead="How to read it."))
    if not pairs.most_disputed:
        section.add(Paragraph("No pair has two labels yet."))
        return section
    def decision(p) -> str:
        a = p.adjudication
        if not a:
            return n.DASH
        return f"{clean(a['choice'])} ({clean(a['reason'])}" + (f": {clean(a['note'])}" if a.get("note") else "") + ")"

    section.add(Table(["pair", "domain", *[f"votes {clean(c)}" for c in cats], "majority", "entropy (bits)", "adjudicate",
                       "adjudicated (reason)"], [
        [clean(p.pair_id), clean(p.domain), *[n.count(p.votes.get(c, 0)) for c in cats],
         clean(p.majority or n.DASH), n.num(p.entropy_bits, 2),
         Cell(clean(p.reason), "caution") if p.needs_adjudication else "", decision(p)]
        for p in pairs.most_disputed], numeric=tuple(range(2, 2 + len(cats) + 2))))
    section.add(Paragraph(
        "Each annotator's label below is in the pair's own order (A is response A). A rationale is kept as it was "
        "typed, and its letters are the ones the annotator saw: 'shown B first' means their 'A' was response B.",
        lead="Rationales."))
    for p in pairs.most_disputed:
        sub = Section(f"pair-{p.pair}", f"Pair {clean(p.pair_id)}" + (f" ({clean(p.domain)})" if p.domain else ""))
        labels = data.disputed_labels.get(p.pair, [])
        sub.add(Table(["annotator", "choice", "shown first", "confidence", "seconds"], [
            [clean(lab["annotator"]), clean(lab["choice"]), "A" if lab["shown_order"] == "AB" else "B",
             n.DASH if lab["confidence"] is None else str(lab["confidence"]), n.num(lab["seconds"], 0)]
            for lab in labels], numeric=(3, 4)))
        for lab in labels:
            if lab["rationale"]:
                shown = "A" if lab["shown_order"] == "AB" else "B"
                sub.add(Quote(f"{clean(lab['annotator'])} (shown {shown} first)", clean_block(lab["rationale"])))
        section.add(sub)
    return section
