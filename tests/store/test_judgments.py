"""Judge runs and judgments round-trip, keyed by (run, pair, order, sample)."""

from annotator.store import JudgeRun, Judgment


def test_run_is_created_once(filled_store):
    run = filled_store.get_or_create_run(JudgeRun(task="t", name="gpt", model="gpt-4o"))
    again = filled_store.get_or_create_run(JudgeRun(task="t", name="gpt", model="other"))
    assert run.id == again.id and again.model == "gpt-4o"


def test_judgments_round_trip_and_upsert(filled_store):
    run = filled_store.get_or_create_run(JudgeRun(task="t", name="gpt"))
    j = Judgment(run=run.id, pair=1, order="BA", verdict="A", p_a=0.8,
                 messages=[{"role": "user", "content": "x"}], raw_output="m", cache_key="k1",
                 prompt_tokens=10, completion_tokens=1, latency_s=0.1, cost=0.001)
    filled_store.save_judgments([j])
    filled_store.save_judgments([Judgment(run=run.id, pair=1, order="BA", verdict="B", cache_key="k1")])
    (stored,) = filled_store.judgments(run.id)
    assert stored.verdict == "B"
    assert filled_store.judgments_by_cache_keys(["k1"])["k1"].verdict == "B"
    frame = filled_store.judgments_frame("t")
    assert list(frame.columns[:4]) == ["run", "run_name", "kind", "pair"]
    assert frame.loc[0, "order"] == "BA"
    assert filled_store.task_counts("t")["judgments"] == 1
