"""The ranking screen: k responses ordered by keys, the ranking and its expanded labels stored."""

from __future__ import annotations

from annotator.store.rankings import shown_positions
from annotator.tasks import import_task_dir
from annotator.tui.app import create_app
from annotator.tui.screens.ranking import RankingScreen
from tests.ranking.taskdir import ranked_task

from .conftest import wait_until


def top(app) -> str:
    return str(app.screen.query_one("#ranking-top").render())


def bar(app) -> str:
    return str(app.screen.query_one("#ranking-bar").render())


async def test_ranking_by_keys_with_a_tie_and_an_undo_stores_the_ranking_and_its_labels(tmp_path, store, settings):
    import_task_dir(store, ranked_task(tmp_path / "t", sizes=(3, 3)))
    app = create_app(store, "ranked", "alice", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RankingScreen) and app.screen.item is not None,
                         "the ranking screen")
        screen = app.screen
        first = screen.item
        assert top(app).startswith(" alice ")  # the name, at 80 columns
        footer = app.screen.query_one("KeysFooter")
        keys = [str(k.key_display) for k in footer.query("FooterKey")]
        assert "1-3" in keys and "1-5" not in keys  # three responses: the footer says 1-3
        assert [str(screen.query_one(f"#ranking-response-{n}").border_title) for n in (1, 2, 3)] == ["1", "2", "3"]
        await pilot.press("2", "1", "backspace", "equals_sign", "3")
        assert "2 = 3" in bar(app) and "to place: 1\n" in bar(app)
        await pilot.press("enter")  # not every response placed: nothing saved
        assert store.query("SELECT COUNT(*) AS n FROM rankings") == [{"n": 0}]
        await pilot.press("1", "enter")
        await wait_until(pilot, lambda: screen.item is not None and screen.item.id != first.id, "the next item")
        assert f"✓ {first.item_id} saved as alice" in top(app)
        assert "to place: 1 2 3" in bar(app) and "2 = 3" not in bar(app)
    shown = shown_positions(store.require_task("ranked").seed, "alice", first.item_id, 3)
    (row,) = store.query("SELECT item, annotator, tiers, shown, revision FROM rankings")
    tiers = [[shown[1], shown[2]], [shown[0]]]  # screen 2 = 3 first, then screen 1
    assert row == {"item": first.id, "annotator": "alice", "tiers": str(tiers).replace("],", "],"),
                   "shown": str(shown), "revision": 1}
    pairs = store.ranking_pair_ids(first.id)
    labels = {lab.pair: lab for lab in store.current_labels("ranked", "alice")}
    assert len(labels) == 3
    best = set(tiers[0])
    for (i, j), pid in pairs.items():
        expected = "tie" if {i, j} == best else ("A" if i in best else "B")
        order = "AB" if shown.index(i) < shown.index(j) else "BA"
        assert (labels[pid].choice, labels[pid].shown_order) == (expected, order), (i, j)
    assert store.query("SELECT COUNT(*) AS n FROM ranking_labels") == [{"n": 3}]


async def test_required_confidence_and_rationale_then_going_back_to_change_a_ranking(tmp_path, store, settings):
    from tests.ranking.taskdir import TASK_TOML

    toml = TASK_TOML.replace("overlap = 2", 'overlap = 2\nrequired = ["confidence", "rationale"]')
    import_task_dir(store, ranked_task(tmp_path / "t", sizes=(3, 3), toml=toml))
    app = create_app(store, "ranked", "alice", settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RankingScreen) and app.screen.item is not None,
                         "the ranking screen")
        screen = app.screen
        first = screen.item
        await pilot.press("1", "2", "3", "enter")
        assert "asks for your confidence" in top(app)
        await pilot.press("c", "4", "enter")
        assert "confidence 4" in bar(app) and "asks for a rationale" in top(app)
        await pilot.press("r", "o", "k", "enter")  # Enter leaves the box ...
        assert store.query("SELECT COUNT(*) AS n FROM rankings") == [{"n": 0}]
        await pilot.press("enter")  # ... and Enter again saves
        await wait_until(pilot, lambda: screen.item.id != first.id, "the next item")
        await pilot.press("u")  # back to the first item, its saved ranking shown
        assert screen.item.id == first.id and "1 > 2 > 3" in bar(app) and "going back" in top(app)
        await pilot.press("backspace", "backspace", "backspace", "3", "equals_sign", "2", "1", "enter")
        await wait_until(pilot, lambda: screen.position is None, "forward to the item not ranked yet")
        assert screen.item.id != first.id
    rows = store.query("SELECT revision, tiers, confidence, rationale FROM rankings ORDER BY id")
    shown = shown_positions(store.require_task("ranked").seed, "alice", first.item_id, 3)
    assert rows == [
        {"revision": 1, "tiers": str([[p] for p in shown]), "confidence": 4, "rationale": "ok"},
        {"revision": 2, "tiers": str([[shown[2], shown[1]], [shown[0]]]), "confidence": 4, "rationale": "ok"},
    ]
    current = store.current_labels("ranked", "alice")
    assert len(current) == 3 and {lab.confidence for lab in current} == {4}
    assert store.query("SELECT COUNT(*) AS n FROM labels") == [{"n": 6}]  # two revisions of three pairs


async def test_the_keys_screen_on_a_ranking_lists_the_ranking_keys(tmp_path, store, settings):
    from annotator.tui.screens.help import HelpScreen

    import_task_dir(store, ranked_task(tmp_path / "t", sizes=(3, 3)))
    app = create_app(store, "ranked", "alice", settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RankingScreen) and app.screen.item is not None,
                         "the ranking screen")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys screen")
        rows = app.screen.rows
        assert rows is not None and rows[0] == ("1-3", "place the response with this number next, best first")
        assert ("=", "tie the next number with the previous one") in rows
        assert all("better" not in action for _, action in rows)  # not the pair screen's keys
        svg = app.export_screenshot()
        assert "place&#160;the&#160;response&#160;with&#160;this&#160;number" in svg or \
            "place the response with this number" in svg  # drawn on the screen
        assert "A&#160;better" not in svg and "A better" not in svg
