"""Search (``/``) reads the annotator's labelled pairs newest first, a bounded batch at a
time: its first hits cost the same work whatever the length of the history, and every
statement finds its rows by key (never the annotator's whole history)."""

from __future__ import annotations

from datetime import timedelta

from annotator.store import Label, Store
from annotator.tui import session as session_module
from annotator.tui.app import create_app
from annotator.tui.session import LabelSession

from .conftest import make_task, settle, wait_until


def labelled(store: Store, n_pairs: int) -> LabelSession:
    """A session as "ann" who has labelled every pair of a task of ``n_pairs`` (in order)."""
    make_task(store, n_pairs=n_pairs)
    store.add_labels(Label(pair=pair.id, annotator="ann", choice="A", rationale=f"why {pair.pair_id}")
                     for pair in store.pairs("t"))
    return LabelSession(store, store.get_task("t"), "ann", claim_for=timedelta(minutes=5), heartbeat=None)


def search_work(store: Store, session: LabelSession, text: str) -> tuple[int, list[str]]:
    """The virtual-machine steps SQLite ran (in thousands) for the first batch of a search,
    and the statements run."""
    steps, statements = [0], []

    def count() -> int:
        steps[0] += 1
        return 0

    conn = store.db.conn
    conn.set_progress_handler(count, 1000)
    conn.set_trace_callback(statements.append)
    try:
        hits, _ = session.search_older(text)
    finally:
        conn.set_progress_handler(None, 0)
        conn.set_trace_callback(None)
    assert hits, text
    return steps[0], statements


def test_the_first_hits_cost_the_same_at_any_length_of_history(tmp_path):
    """The newest pair's hit after 600 labels and after 6,000: the same work (the whole-history
    query did ten times more at 6,000, reading every label of the annotator)."""
    work = {}
    for n in (600, 6000):
        store = Store.open(tmp_path / f"{n}.db")
        session = labelled(store, n)
        try:
            work[n], statements = search_work(store, session, f"why p{n - 1}")
            for sql in statements:
                plan = [row[-1] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()]
                assert not any(step.startswith("SCAN") for step in plan), plan
                assert not any("labels_task_annotator" in step for step in plan), plan  # the whole history
        finally:
            session.close()
            store.close()
    assert work[6000] <= 1.5 * work[600], work


def test_search_goes_on_to_older_labels_newest_first(store, monkeypatch):
    monkeypatch.setattr(session_module, "SEARCH_BATCH", 4)
    session = labelled(store, 11)
    try:
        hits = session.search("number 1")  # p1 and p10: in the first and the last batch
        assert [(position, hit.pair_id) for position, hit in hits] == [(11, "p10"), (2, "p1")]
        assert [hit.pair_id for _, hit in session.search("number", limit=3)] == ["p10", "p9", "p8"]
        assert session.search("nowhere") == [] and session.search("  ") == []
    finally:
        session.close()


async def test_the_search_screen_lists_hits_from_every_batch(store, settings, monkeypatch):
    monkeypatch.setattr(session_module, "SEARCH_BATCH", 2)
    make_task(store, n_pairs=7)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(6):
            await pilot.press("1", "enter")
        await pilot.press("slash", *"number", "space")
        await wait_until(pilot, lambda: "6 labelled pairs found, newest first" in
                         str(app.screen.query_one("#search-count").render()), "every batch searched")
        await settle(pilot)
        results = app.screen.query_one("#search-results")
        assert [results.get_option_at_index(i).prompt.plain.split()[0] for i in range(6)] == \
            ["6", "5", "4", "3", "2", "1"]  # positions, newest first
        await pilot.press("enter")  # the newest opens
        assert app.screen.pair.id == app.session.history[5]


async def test_closing_the_search_while_it_reads_is_harmless(store, settings):
    """Esc while a batch is being read: the hits that arrive after find no screen to show on,
    and the app goes on (the pair screen, its keys)."""
    import threading

    make_task(store, n_pairs=4)
    app = create_app(store, "t", "ann", settings)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("1", "enter")
        started, release = threading.Event(), threading.Event()
        real = app.session.search_older

        def held(*args, **kwargs):
            started.set()
            assert release.wait(60)
            return real(*args, **kwargs)

        app.session.search_older = held
        await pilot.press("slash", "n")
        await wait_until(pilot, started.is_set, "the search reading")
        await pilot.press("escape")
        release.set()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert app.is_running and type(app.screen).__name__ == "PairScreen"
        await pilot.press("2", "enter")
        assert len(store.current_labels("t", "ann")) == 2
