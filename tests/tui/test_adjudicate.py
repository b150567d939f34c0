"""The adjudication screen through the pilot, asserting on the rows written."""

from __future__ import annotations

import json

from click.testing import CliRunner

from annotator.analysis.adjudication import human_queue, task_adjudication_queue
from annotator.cli import main
from annotator.export.gold import gold_frame
from annotator.store import Adjudication, JudgeRun, Judgment, Label, Pair, Store, Task
from annotator.tui.adjudicate_app import QueueOptions, create_adjudication_app
from annotator.tui.screens.adjudicate import AdjudicateScreen
from annotator.tui.widgets.adjudicate.queue_table import QueueTable

WIDE = (160, 45)


def disputed_task(store: Store) -> dict[str, int]:
    """p1: A A A (unanimous); p2: A B (split); p3: A A B B (split, 4 votes); p4: A A B (2 of 3:
    a majority, not disputed); p5: tie only. A judge says B on p1 in both orders."""
    store.save_task(Task(name="d", title="Disputes"))
    store.insert_pairs(Pair(task="d", pair_id=f"p{i}", prompt=f"q{i} \x1b]52;c;ZXZpbA==\x07", response_a=f"a{i}",
                            response_b=f"b{i}", content_hash=str(i)) for i in range(1, 6))
    ids = {f"p{i}": store.get_pair_by_external_id("d", f"p{i}").id for i in range(1, 6)}
    votes = {"p1": "AAA", "p2": "AB", "p3": "AABB", "p4": "AAB", "p5": ["tie"]}
    for pair, choices in votes.items():
        store.add_labels(Label(pair=ids[pair], annotator=f"ann{k}", choice=c, shown_order="BA" if k % 2 else "AB",
                               rationale=f"\x1b[2J{c} because" if k == 1 else "")
                         for k, c in enumerate(choices))
    run = store.get_or_create_run(JudgeRun(task="d", name="judge"))
    store.save_judgments([Judgment(run=run.id, pair=ids["p1"], order=o, verdict="B") for o in ("AB", "BA")])
    return ids


def screen(app) -> AdjudicateScreen:
    assert isinstance(app.screen, AdjudicateScreen)
    return app.screen


async def _ready(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()


def test_queue_lowest_agreement_first(store):
    ids = disputed_task(store)
    items = task_adjudication_queue(store, "d")
    # p2 (1-1) and p3 (2-2) have no majority; p4's 2 of 3 passes the 60 % threshold
    assert [i.pair_id for i in items] == ["p2", "p3"]
    assert items[0].majority == "split" and items[0].why == "no majority"
    everything = task_adjudication_queue(store, "d", all_disagreements=True, judges=True)
    assert [i.pair_id for i in everything] == ["p2", "p3", "p4", "p1"]
    assert everything[-1].queue == "judges" and everything[-1].why == "judge judge says B, the humans A"
    assert ids["p1"] == everything[-1].pair
    assert human_queue(store.labels_frame("d").iloc[0:0], ("A", "B", "tie"), {}) == []


async def test_settle_two_pairs(store, settings):
    ids = disputed_task(store)
    app = create_adjudication_app(store, "d", "judy", settings)
    async with app.run_test(size=WIDE) as pilot:
        await _ready(app, pilot)
        s = screen(app)
        assert s.current.pair_id == "p2"
        await pilot.press("s")  # nothing chosen: not saved
        assert store.current_adjudications("d") == {}
        await pilot.press("2", "r", "r", "r")  # B; reasons cycle: guidelines gap, ambiguous pair, annotator error
        await pilot.press("n", *"ann0 misread", "enter")
        [first] = store.current_adjudications("d").values()
        assert (first.pair, first.choice, first.reason, first.note, first.adjudicator, first.queue) == \
            (ids["p2"], "B", "annotator_error", "ann0 misread", "judy", "humans")
        assert sorted(first.label_ids) == sorted(label.id for label in store.pair_labels(ids["p2"]))
        assert s.current.pair_id == "p3"  # on to the next open pair
        await pilot.press("3", "r", "s")
        settled = store.current_adjudications("d")
        assert settled[ids["p3"]].choice == "tie" and settled[ids["p3"]].reason == "guidelines_gap"
        # the annotators' labels are untouched
        assert [label.choice for label in store.pair_labels(ids["p2"])] == ["A", "B"]
        assert "2 of 2 settled" in str(app.screen.query_one("#adj-topbar").render())


async def test_revisit_adds_a_revision_and_gold_uses_it(store, settings):
    ids = disputed_task(store)
    store.add_adjudication(Adjudication(pair=ids["p2"], adjudicator="old", choice="A", reason="ambiguous_pair"))
    app = create_adjudication_app(store, "d", "judy", settings)
    async with app.run_test(size=WIDE) as pilot:
        await _ready(app, pilot)
        assert screen(app).current.pair_id == "p3"  # p2 is settled: the cursor starts on the first open pair
        await pilot.press("up")
        assert screen(app).current.pair_id == "p2" and screen(app).choice == "A"  # the standing decision
        await pilot.press("2", "s")
    history = store.adjudication_history(ids["p2"])
    assert [(a.revision, a.choice, a.adjudicator) for a in history] == [(1, "A", "old"), (2, "B", "judy")]
    gold = gold_frame(store, "d", ).set_index("pair_id")
    assert gold.loc["p2", "label"] == "B" and gold.loc["p2", "provenance"] == "adjudicated"
    assert gold.loc["p2", "adjudication_reason"] == "ambiguous_pair"  # kept from the standing decision
    assert gold.loc["p1", "provenance"] == "unanimous" and gold.loc["p4", "provenance"] == "majority"
    assert gold.loc["p5", "provenance"] == "single" and gold.loc["p3", "provenance"] == "unresolved"


async def test_judge_queue_and_hostile_text(store, settings):
    disputed_task(store)
    app = create_adjudication_app(store, "d", "judy", settings, QueueOptions(judges=True))
    async with app.run_test(size=WIDE) as pilot:
        await _ready(app, pilot)
        table = app.screen.query_one(QueueTable)
        assert table.row_count == 3
        table.move_cursor(row=2)
        await pilot.pause()
        assert screen(app).current.pair_id == "p1" and screen(app).current.queue == "judges"
        await pilot.press("1", "r", "s")
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "\x1b" not in shown and "␛" in shown  # the prompt's OSC 52 and the rationale's CSI are inert
    [adj] = store.current_adjudications("d").values()
    assert adj.queue == "judges" and adj.choice == "A"


async def test_empty_queue_says_so(store, settings):
    store.save_task(Task(name="calm"))
    store.insert_pairs([Pair(task="calm", pair_id="p", prompt="q", response_a="a", response_b="b", content_hash="h")])
    store.add_labels([Label(pair=1, annotator="x", choice="A"), Label(pair=1, annotator="y", choice="A")])
    app = create_adjudication_app(store, "calm", "judy", settings)
    async with app.run_test(size=WIDE) as pilot:
        await _ready(app, pilot)
        assert "Nothing to adjudicate" in str(app.screen.query_one("#adj-empty").render())
        await pilot.press("s")  # no pair: the action does not apply
        await pilot.press("q")


def test_command_needs_an_adjudicator(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNOTATOR_NAME", raising=False)
    db = tmp_path / "d.db"
    disputed_task(Store.open(db))
    result = CliRunner().invoke(main, ["--db", str(db), "adjudicate"])
    assert result.exit_code == 1 and "--adjudicator NAME" in result.output
    result = CliRunner().invoke(main, ["--db", str(db), "adjudicate", "--adjudicator", "x", "--judge", "nope"])
    assert result.exit_code == 1 and "runs: judge" in result.output


def test_gold_export_records_adjudication_provenance(tmp_path, monkeypatch):
    db = tmp_path / "d.db"
    store = Store.open(db)
    ids = disputed_task(store)
    store.add_adjudication(Adjudication(pair=ids["p3"], adjudicator="judy", choice="B", reason="both_acceptable",
                                        note="either is fine"))
    store.close()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--db", str(db), "export", "gold", "--json"])
    summary = json.loads(result.output)
    assert summary["provenance"] == {"adjudicated": 1, "unanimous": 1, "majority": 1, "unresolved": 1, "single": 1}
    rows = {json.loads(line)["pair_id"]: json.loads(line) for line in (tmp_path / "exports" / "d-gold.jsonl").open()}
    assert rows["p3"]["label"] == "B" and rows["p3"]["adjudicator"] == "adjudicator-1"
    assert rows["p3"]["adjudication_note"] == "either is fine" and rows["p3"]["label_source"] == "adjudication"


async def test_d_shows_the_aligned_diff_as_annotate_does(store, settings):
    """`d` turns both responses into annotate's diff view: the same strips, rows aligned
    (the shorter side padded), changed words marked; `d` again goes back to Markdown."""
    from annotator.tui.widgets.adjudicate.pair_detail import StripRows
    from annotator.tui.widgets.response.render import DIFF_STYLE

    store.save_task(Task(name="d", title="Disputes"))
    store.insert_pairs([Pair(task="d", pair_id="p1", prompt="q", response_a="the cat sat\non the mat",
                             response_b="the dog sat\non the mat\nand slept", content_hash="1")])
    pair = store.get_pair_by_external_id("d", "p1").id
    store.add_labels(Label(pair=pair, annotator=f"ann{k}", choice=c, shown_order="AB") for k, c in enumerate("AB"))
    app = create_adjudication_app(store, "d", "judy", settings)
    async with app.run_test(size=WIDE) as pilot:
        await _ready(app, pilot)
        a, b = (app.screen.query_one(f"#adj-response-{s}") for s in "ab")
        assert not isinstance(a.content, StripRows)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(a.content, StripRows) and isinstance(b.content, StripRows)
        assert len(a.content.strips) == len(b.content.strips) == 3  # A padded with a blank row
        assert any(seg.style == DIFF_STYLE and "cat" in seg.text for strip in a.content.strips for seg in strip)
        assert "diff" in str(a.border_title)
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(a.content, StripRows)


def _lines(widget) -> list[str]:
    """The rows of the screen the widget covers, as drawn (text only: borders included)."""
    update = widget.screen._compositor.render_full_update()
    rows = ["".join(strip.text for strip in row) for row in update.strips]
    region = widget.region
    return [row[region.x:region.right] for row in rows[region.y:region.bottom]]


async def test_at_80_columns_nothing_is_cut_the_top_bar_folds_and_the_diff_titles_fit(store, settings):
    """Issue 20: at 80x24 the diff title read "Response A · …", the adjudicator's name and the
    count fell off the top bar, and the votes table squeezed the rationale to nothing."""
    ids = disputed_task(store)
    task = store.require_task("d")
    task.title = "Demo: instruction following, maths and code"
    store.save_task(task, replace=True)
    store.add_labels([Label(pair=ids["p2"], annotator="ann0", choice="A", shown_order="AB",
                            rationale="A gives the boxed answer")])
    name = "judy-the-adjudicator"
    app = create_adjudication_app(store, "d", name, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(app, pilot)
        top = app.screen.query_one("#adj-topbar")
        shown = " ".join(line.strip() for line in _lines(top))
        assert top.size.height == 2  # folded onto a second line, not cut
        assert name in shown and "0 of 2 settled" in shown and task.title in shown and "…" not in shown
        votes = " ".join(line.strip() for line in _lines(app.screen.query_one("#adj-votes")))
        assert "A gives the boxed answer" in votes and "…" not in votes
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#adj-detail").scroll_to_widget(app.screen.query_one("#adj-responses"), top=True,
                                                              animate=False)
        await pilot.pause()
        for side in "ab":
            pane = app.screen.query_one(f"#adj-response-{side}")
            border = _lines(pane)[0]
            assert f"{side.upper()} · diff" in border and "…" not in border, border
        footer = " ".join(str(key.render()) for key in app.screen.query("FooterKey"))
        assert "Save & next" in footer and "Quit" in footer
        await pilot.press("2", "r", "s")
    [adj] = store.current_adjudications("d").values()
    assert (adj.pair, adj.choice, adj.adjudicator) == (ids["p2"], "B", name)


def test_a_pane_title_is_the_longest_form_that_fits():
    from annotator.tui.widgets.adjudicate.pair_detail import pane_title

    assert pane_title("A", "", True, 60) == "Response A · diff"
    assert pane_title("A", "", True, 21) == "A · diff"
    assert pane_title("B", "model-x", False, 30) == "Response B · model-x"
    assert pane_title("B", "a-very-long-model-name-indeed", True, 30) == "B · diff"  # the name folds above


async def test_at_120x40_the_queue_reasons_are_whole_and_the_votes_above_the_fold(store, settings):
    """The queue's "why" read "no majori" at 120 columns (a fixed 42 % width) beside the
    demo's ids and domains."""
    store.save_task(Task(name="d", title="Disputes"))
    store.insert_pairs([Pair(task="d", pair_id=f"inst-0{i}", domain="instruction", prompt="q", response_a="a",
                             response_b="b", content_hash=str(i)) for i in range(1, 3)])
    ids = [store.get_pair_by_external_id("d", f"inst-0{i}").id for i in range(1, 3)]
    for pair in ids:
        store.add_labels([Label(pair=pair, annotator="ann0", choice="A", shown_order="AB"),
                          Label(pair=pair, annotator="ann9", choice="B", shown_order="BA",
                                rationale="B names the unit")])
    app = create_adjudication_app(store, "d", "judy", settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        queue = " ".join(_lines(app.screen.query_one(QueueTable)))
        assert queue.count("no majority") == 2
        screen_rows = "\n".join(_lines(app.screen))
        assert "B names the unit" in screen_rows and "ann9" in screen_rows  # above the fold
        await pilot.press("2", "r", "s")
    assert store.current_adjudications("d")[ids[0]].choice == "B"
