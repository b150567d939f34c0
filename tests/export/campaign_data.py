"""A small labelled task (a campaign of three annotators and a judge), built through the store."""

from __future__ import annotations

from annotator.store import JudgeRun, Judgment, Label, Pair, Store, Task
from annotator.tasks.profile import PROFILE_FACTORS


def fill_campaign(store: Store) -> dict[str, int]:
    """Task ``c`` (factors length and coherence): 4 pairs, annotators bob (first to label),
    alice and eve, one revision, hostile text, one judge run in both orders and a factor run.

    Votes (canonical): p1 A A A; p2 B B A; p3 A B (alice, bob); p4 tie (bob only).
    bob revises p2 from A to B (his current label on p2 is B).
    """
    store.save_task(Task(name="c", title="Campaign", factors=[PROFILE_FACTORS["length"], PROFILE_FACTORS["coherence"]]))
    store.insert_pairs([
        Pair(task="c", pair_id="p1", prompt="=cmd|' /C calc'!A0", response_a="- first\n- second", response_b="@B",
             model_a="m1", model_b="m2", domain="math", source="", content_hash="1"),
        Pair(task="c", pair_id="p2", prompt="Explain \"quotes\", commas", response_a="A, with comma",
             response_b="B\nline two", model_a="m1", model_b="m2", domain="code", content_hash="2"),
        Pair(task="c", pair_id="p3", prompt="q3", response_a="a3", response_b="b3", model_a="m1", model_b="m2",
             domain="math", content_hash="3"),
        Pair(task="c", pair_id="p4", prompt="q4", response_a="a4", response_b="b4", model_a="m1", model_b="m2",
             domain="code", content_hash="4"),
    ])
    ids = {p: store.get_pair_by_external_id("c", p).id for p in ("p1", "p2", "p3", "p4")}
    store.add_labels([
        Label(pair=ids["p1"], annotator="bob", choice="A", shown_order="BA", factors={"length": "A", "coherence": "B"},
              confidence=4, rationale="B is longer", seconds=12.5),
        Label(pair=ids["p2"], annotator="bob", choice="A", shown_order="AB", factors={"length": "equal"}),
        Label(pair=ids["p4"], annotator="bob", choice="tie", shown_order="AB"),
    ])
    store.add_labels([Label(pair=ids["p2"], annotator="bob", choice="B", shown_order="AB",
                            factors={"length": "B", "old_factor": "A"}, rationale="=HYPERLINK(\"x\")")])
    store.add_labels([
        Label(pair=ids["p1"], annotator="alice", choice="A", shown_order="AB", factors={"length": "A"}),
        Label(pair=ids["p2"], annotator="alice", choice="B", shown_order="BA", factors={"length": "na"}),
        Label(pair=ids["p3"], annotator="alice", choice="A", shown_order="BA"),
        Label(pair=ids["p1"], annotator="eve", choice="A", shown_order="AB"),
        Label(pair=ids["p2"], annotator="eve", choice="A", shown_order="BA"),
        Label(pair=ids["p3"], annotator="bob", choice="B", shown_order="AB"),
    ])
    run = store.get_or_create_run(JudgeRun(task="c", name="gpt", model="gpt-x"))
    store.save_judgments([
        Judgment(run=run.id, pair=ids["p1"], order="AB", verdict="A", p_a=0.9, raw_output="Output (a)",
                 prompt_tokens=10, completion_tokens=2, cost=0.001, latency_s=0.5),
        Judgment(run=run.id, pair=ids["p1"], order="BA", verdict="B", p_a=0.2, raw_output="Output (a)"),
        Judgment(run=run.id, pair=ids["p2"], order="AB", verdict=None, unscored_reason="unparseable",
                 raw_output="=2+2"),
    ])
    factor_run = store.get_or_create_run(JudgeRun(task="c", name="length-llm", kind="factor"))
    store.save_judgments([Judgment(run=factor_run.id, pair=ids["p1"], order="AB", verdict="A")])
    return ids


def campaign_database(path) -> str:
    """A database file at ``path`` holding the campaign task."""
    store = Store.open(path)
    fill_campaign(store)
    store.close()
    return path
