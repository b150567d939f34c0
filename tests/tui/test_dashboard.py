"""The researcher's dashboard through Textual's pilot: what it shows, a refresh after another
connection adds labels, statistics that never block the screen, hostile names shown as text."""

from __future__ import annotations

import threading

import pytest

from annotator.analysis.judge_human import task_judge_human_report
from annotator.analysis.report import task_agreement_report
from annotator.store import JudgeRun, Judgment, Label, Pair, Store, Task
from annotator.tui import dashboard_data
from annotator.tui.dashboard_app import create_dashboard_app
from annotator.tui.screens.dashboard import DashboardScreen
from annotator.tui.widgets.dashboard.agreement_panel import AgreementPanel
from annotator.tui.widgets.dashboard.annotator_table import AnnotatorTable
from annotator.tui.widgets.dashboard.disputed_table import DisputedTable
from annotator.tui.widgets.dashboard.judge_table import JudgeTable
from annotator.tui.widgets.dashboard.progress_summary import ProgressSummary

from .conftest import wait_until

HOSTILE = "[red]eve[/red]\x1b[2J"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "dash.db"
    store = Store.open(path)
    store.save_task(Task(name="t", title="Dashboard test", overlap=2))
    store.insert_pairs(Pair(task="t", pair_id=f"p{i}", prompt=f"q{i}", response_a="a" * (50 + i),
                            response_b="b" * 60, domain="code" if i < 4 else "math") for i in range(8))
    ids = [store.pair_index("t")[f"p{i}"][0] for i in range(8)]
    for who, choices in (("alice", "AABBAABT"), ("bob", "ABBBATB")):
        store.add_labels(Label(pair=ids[i], annotator=who, choice={"A": "A", "B": "B", "T": "tie"}[c],
                               shown_order="AB" if i % 2 else "BA", seconds=20.0 + i, origin="test")
                         for i, c in enumerate(choices))
    run = store.get_or_create_run(JudgeRun(task="t", name="judge-1", kind="imported"))
    store.save_judgments(Judgment(run=run.id, pair=ids[i], order=o, verdict=v)
                         for i, v in enumerate("AABBAAAB") for o in ("AB", "BA"))
    store.close()
    return path, ids


def cells(table, row: int) -> list[str]:
    return [str(c) for c in table.get_row_at(row)]


async def settle(pilot, done) -> None:
    """Let the workers run until ``done()`` holds (the pilot waits, never a fixed sleep)."""
    await wait_until(pilot, done, "the dashboard did not get there")


def alpha_text(est: dict) -> str:
    return f"Krippendorff's alpha {est['estimate']:.3f} [{est['ci_low']:.3f}, {est['ci_high']:.3f}] on"


async def test_shows_progress_agreement_disputes_and_judges(db):
    path, _ = db
    store = Store.open(path)
    app = create_dashboard_app(store, "t", poll_seconds=0.2, stats_seconds=0)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await settle(pilot, lambda: screen.stats is not None and screen.progress is not None)
        table = screen.query_one(AnnotatorTable)
        assert [cells(table, i)[:2] for i in range(table.row_count)] == [["alice", "8"], ["bob", "7"]]
        assert cells(table, 0)[2] == "8"  # all given in the last hour
        summary = str(screen.query_one(ProgressSummary).render())
        assert "7 of 8 pairs done (88%)" in summary and "1 labels still needed" in summary

        reader = Store.open(path)
        expected = task_agreement_report(reader, "t").to_json()
        judges = task_judge_human_report(reader, "t").to_json()
        reader.close()
        panel = str(screen.query_one(AgreementPanel).query_one("#alpha-text").render())
        assert alpha_text(expected["krippendorff_alpha"]) in panel  # the number `stats agreement` prints
        # "on N pairs": the pairs alpha rests on (two or more labels), as `stats agreement` counts them
        assert expected["krippendorff_alpha"]["n"] < expected["n_pairs"]
        assert f"on {expected['krippendorff_alpha']['n']} pairs labelled by two or more" in " ".join(panel.split())
        disputed = screen.query_one(DisputedTable)
        assert [cells(disputed, i)[0] for i in range(disputed.row_count)] == [
            p["pair_id"] for p in expected["pairs"]["most_disputed"]]
        judge = next(a for a in judges["agents"] if a["agent"] == "judge-1")
        row = cells(screen.query_one(JudgeTable), 0)
        assert row[0] == "judge-1" and row[2] == judge["card"]["verdict"]
        assert row[1].startswith(f"{judge['agreement_with_humans']['with_ties']['estimate'] * 100:.1f} %")
    store.close()


async def test_refreshes_when_another_connection_adds_labels(db):
    path, ids = db
    store = Store.open(path)
    app = create_dashboard_app(store, "t", poll_seconds=0.2, stats_seconds=0)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = app.screen
        await settle(pilot, lambda: screen.stats is not None)
        before = screen.stats.alpha.value
        other = Store.open(path)  # an annotator labelling in another process
        other.add_labels(Label(pair=ids[i], annotator="carol", choice="B", shown_order="AB", seconds=9.0,
                               origin="test") for i in range(5))
        expected = task_agreement_report(other, "t").to_json()["krippendorff_alpha"]
        other.close()
        table = screen.query_one(AnnotatorTable)
        await settle(pilot, lambda: table.row_count == 3 and screen.stats is not None and screen.stats.labels == 20)
        assert cells(table, 2)[:3] == ["carol", "5", "5"]
        panel = str(screen.query_one(AgreementPanel).query_one("#alpha-text").render())
        assert alpha_text(expected) in panel and "computed on 20 labels" in panel
        assert expected["estimate"] != before
    store.close()


async def test_statistics_run_in_a_worker_and_never_block_the_screen(db, monkeypatch):
    path, ids = db
    release = threading.Event()
    real = dashboard_data.stats_snapshot

    def slow(*args, **kwargs):
        release.wait(timeout=300)  # the test releases it: the bound only stops a hang
        return real(*args, **kwargs)

    monkeypatch.setattr("annotator.tui.screens.dashboard.stats_snapshot", slow)
    store = Store.open(path)
    app = create_dashboard_app(store, "t", poll_seconds=0.2, stats_seconds=0)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = app.screen
        table = screen.query_one(AnnotatorTable)
        try:
            await settle(pilot, lambda: table.row_count == 2)
            assert screen.stats is None and "computing on 15 labels" in str(
                screen.query_one(AgreementPanel).query_one("#alpha-text").render())
            other = Store.open(path)
            other.add_label(Label(pair=ids[0], annotator="carol", choice="A", shown_order="AB", origin="test"))
            other.close()
            await settle(pilot, lambda: table.row_count == 3)  # progress refreshed while the statistics wait
            assert screen.stats is None
            await pilot.press("r")  # the keys still work too
        finally:
            release.set()
        await settle(pilot, lambda: screen.stats is not None and screen.stats.labels == 16)
    store.close()


async def test_names_from_the_data_are_shown_as_text(db):
    path, ids = db
    store = Store.open(path)
    store.add_label(Label(pair=ids[0], annotator=HOSTILE, choice="A", shown_order="AB", origin="test"))
    app = create_dashboard_app(store, "t", poll_seconds=0.2, stats_seconds=0)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = app.screen
        table = screen.query_one(AnnotatorTable)
        await settle(pilot, lambda: table.row_count == 3)
        names = [cells(table, i)[0] for i in range(table.row_count)]
        assert "[red]eve[/red]␛[2J" in names  # markup literal, escape made visible
    store.close()


def test_the_dashboard_command_has_help_and_refuses_an_unknown_task(tmp_path, db):
    from click.testing import CliRunner

    from annotator.cli import main

    path, _ = db
    result = CliRunner().invoke(main, ["--db", str(path), "dashboard", "--task", "nope"])
    assert result.exit_code == 1 and "no task named 'nope'" in result.output
    result = CliRunner().invoke(main, ["dashboard", "--help"])
    assert result.exit_code == 0 and "pace and ETA" in result.output


def test_the_position_is_one_computation_for_every_annotator(db):
    """``N / M`` in the labelling app (terminal and browser alike): N the pair's place in the
    annotator's sequence, M their pairs labelled plus those still open to them, the same
    remaining count the dashboard's ETA uses."""
    from datetime import timedelta

    from annotator.tui.session import LabelSession

    path, _ = db
    store = Store.open(path)
    task = store.get_task("t")
    seen = {}
    for who in ("alice", "bob", "carol"):  # everything labelled / one pair left / a newcomer
        session = LabelSession(store, task, who, claim_for=timedelta(hours=1), heartbeat=None)
        session.start()
        where = session.where()
        assert where.index <= where.total and where.done <= where.total
        assert where.total - where.done == store.queue_progress(task, who).remaining
        seen[who] = (where.index, where.total)
        session.close()
    assert seen == {"alice": (8, 8), "bob": (8, 8), "carol": (1, 1)}
    store.close()
