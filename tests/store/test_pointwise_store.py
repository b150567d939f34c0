"""m007_loop: pointwise judgments (target, score), atomic facts, fact labels, references."""

from annotator.store import AtomicFacts, FactLabels, JudgeRun, Judgment, Pair, Store, Task, connect, schema


def test_judgments_rebuilt_with_target_and_data_kept(tmp_path):
    path = tmp_path / "old.db"
    db = connect(path)
    schema.migrations.apply(db, stop_before="m007_loop")
    db.execute("INSERT INTO tasks (name, created_at) VALUES ('t', 'then')")
    db.execute("INSERT INTO pairs (task, pair_id, prompt, response_a, response_b, content_hash, created_at) "
               "VALUES ('t', 'p', 'q', 'a', 'b', 'h', 'then')")
    db.execute("INSERT INTO judge_runs (task, name, created_at) VALUES ('t', 'j', 'then')")
    db.execute("""INSERT INTO judgments (run, pair, "order", sample, verdict, top_logprobs, cache_key, created_at)
                  VALUES (1, 1, 'BA', 0, 'A', '[["m", -0.1]]', 'k', 'then')""")
    db.conn.commit()
    db.close()
    store = Store.open(path)
    assert store.schema_version == schema.latest_version()
    [old] = store.judgments(1)
    assert (old.order, old.verdict, old.target, old.score, old.top_logprobs, old.cache_key) == (
        "BA", "A", "", None, [["m", -0.1]], "k")
    assert store.db.execute("PRAGMA index_list(judgments)").fetchall()  # the cache-key index survived
    assert store.get_pair(1).reference == ""
    # two pointwise calls on one pair, order and sample differ only by their target
    store.save_judgments([Judgment(run=1, pair=1, target="A", score=7.0), Judgment(run=1, pair=1, target="B", score=4.0)])
    store.save_judgments([Judgment(run=1, pair=1, target="A", score=8.0)])  # replaces, never duplicates
    by_target = {j.target: j.score for j in store.judgments(1)}
    assert by_target == {"": None, "A": 8.0, "B": 4.0}
    assert store.integrity_problems() == []


def test_atomic_facts_and_fact_labels_round_trip(tmp_path):
    store = Store.open(tmp_path / "a.db")
    store.save_task(Task(name="t"))
    store.insert_pairs([Pair(task="t", pair_id="p", prompt="q", response_a="a", response_b="b",
                             reference="42", content_hash="h")])
    pair = store.get_pair_by_external_id("t", "p")
    assert pair.reference == "42"
    run = store.get_or_create_run(JudgeRun(task="t", name="f", kind="factor"))
    store.save_atomic_facts([AtomicFacts(pair=pair.id, target="A", extractor="profile:m", facts=["x", "y é"], run=run.id)])
    store.save_atomic_facts([AtomicFacts(pair=pair.id, target="A", extractor="profile:m", facts=["z"], run=run.id)])
    found = store.atomic_facts("t", "profile:m")
    assert list(found) == [(pair.id, "A")] and found[(pair.id, "A")].facts == ["z"]
    store.save_fact_labels([FactLabels(pair=pair.id, target="A", factor="off_focus", extractor="profile:m",
                                       labels=[True, False])])
    [labels] = store.fact_labels("t", "profile:m", "off_focus")
    assert labels.labels == [True, False]
    assert store.fact_extractors("t") == ["profile:m"]


def test_m007_applied_again_keeps_everything(tmp_path):
    """A database whose record of m007_loop was lost (an old backup's table restored, say)
    gets it again without harm."""
    store = Store.open(tmp_path / "a.db")
    store.save_task(Task(name="t"))
    store.insert_pairs([Pair(task="t", pair_id="p", prompt="q", response_a="a", response_b="b", reference="r",
                             content_hash="h")])
    run = store.get_or_create_run(JudgeRun(task="t", name="j"))
    store.save_judgments([Judgment(run=run.id, pair=1, target="A", score=3.0)])
    store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm007_loop'")
    store.db.conn.commit()
    store.close()
    again = Store.open(tmp_path / "a.db")
    assert again.schema_version == schema.latest_version()
    assert again.judgments(run.id)[0].score == 3.0 and again.get_pair(1).reference == "r"
