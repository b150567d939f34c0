"""The browser mode in headless Chromium, driven by Playwright: sign in, label two pairs by
keyboard, reload and resume, and the refusals. Skipped when Debian's ``chromium`` or the
``playwright`` package is absent (Playwright's own browser download is never used).

Screenshots of each step are written to ``$ANNOTATOR_SCREENSHOTS`` when set (to look at).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from annotator.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)")


def shot(page, name: str) -> None:
    folder = os.environ.get("ANNOTATOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def labels(db: Path, name: str) -> list[dict]:
    store = Store.open(db)
    try:
        return store.query("SELECT l.pair, l.choice, l.origin, l.annotator FROM current_labels l "
                           "WHERE l.annotator = ? ORDER BY l.id", [name])
    finally:
        store.close()


def wait_for(condition, timeout: float = 30.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu",
                                           "--disable-background-networking", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


def sign_in(page, served, name: str, code: str) -> None:
    page.goto(served.url)
    assert page.url.endswith("/sign-in")
    assert page.input_value("#name") == ""  # never prefilled with the server's account
    page.fill("#name", name)
    page.fill("#code", code)
    page.click("button[type=submit]")


def wait_for_app(page) -> None:
    """The app is on screen and has the keyboard, with no click (issue 20: the keyboard did
    nothing until a click or Tab)."""
    page.wait_for_selector("body.-first-byte", timeout=30_000)
    page.wait_for_timeout(1500)  # the first screen is drawn; the pair is on screen
    assert page.evaluate("document.activeElement && document.activeElement.classList.contains("
                         "'xterm-helper-textarea')"), "the terminal has no keyboard focus"


def test_sign_in_label_two_pairs_reload_and_resume(served, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, served, "alice", "WRONG-CODE-0000")
    assert "do not match an active account" in page.inner_text("main")
    shot(page, "1-wrong-code")
    sign_in(page, served, "alice", served.codes["alice"])
    wait_for_app(page)
    shot(page, "2-app")
    for n, key in enumerate(("1", "2"), start=1):
        page.keyboard.press(key)
        page.keyboard.press("Enter")
        wait_for(lambda n=n: len(labels(served.db, "alice")) == n, what=f"label {n} saved")
    shot(page, "3-after-two-labels")
    saved = labels(served.db, "alice")
    assert [r["choice"] for r in saved] != [] and {r["origin"] for r in saved} == {"web"}
    assert len({r["pair"] for r in saved}) == 2

    # a reload right after labelling takes the session over at once: never "in another session
    # (process N on HOST)" (issue 20)
    page.reload()
    page.wait_for_selector("body.-first-byte, body.-busy", timeout=30_000)
    assert not page.evaluate("document.body.classList.contains('-busy')"), page.inner_text("body")
    wait_for_app(page)
    shot(page, "3b-reloaded-at-once")

    # a second tab of the same person cannot open a second writer
    other = context.new_page()
    other.goto(served.url)
    other.wait_for_selector("body.-busy", timeout=30_000)
    assert "alice is labelling in another tab or browser" in other.inner_text("main.busy")
    shot(other, "4-second-tab-refused")
    other.close()

    page.reload()  # the session survives a reload; a new app resumes at the next pair
    wait_for_app(page)
    shot(page, "5-after-reload")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    rows = wait_for(lambda: (r := labels(served.db, "alice")) and len(r) == 3 and r, what="third label")
    assert len({r["pair"] for r in rows}) == 3  # resumed on a new pair, nothing overwritten
    page.keyboard.press("q")
    page.wait_for_selector("body.-closed", timeout=30_000)
    shot(page, "6-session-ended")
    context.close()


def test_a_page_on_another_origin_cannot_open_the_app(served, browser):
    """A signed-in colleague visiting another site: that site's script cannot reach the app."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, served, "bob", served.codes["bob"])
    wait_for_app(page)
    page.keyboard.press("q")
    page.wait_for_selector("body.-closed", timeout=30_000)
    foreign = context.new_page()
    foreign.goto("data:text/html,<title>elsewhere</title>")
    result = foreign.evaluate("""async (url) => {
        return await new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve("open");
            ws.onerror = () => resolve("refused");
        });
    }""", served.url.replace("http:", "ws:") + "ws")
    assert result == "refused"
    context.close()
    assert labels(served.db, "bob") == []


def test_served_on_every_interface_the_app_gets_past_the_splash(tmp_path, browser):
    """--host 0.0.0.0 once loaded its assets from http://0.0.0.0:PORT and hung on the splash:
    the page now loads them by relative URLs and opens its socket to its own origin."""
    import json

    from .conftest import Served, cli, free_port, start_server

    db = tmp_path / "lan.db"
    cli(db, "tasks", "add", "demo")
    code = json.loads(cli(db, "annotators", "add", "alice", "--json").stdout)["code"]
    port = free_port()
    process, port = start_server(db, "--host", "0.0.0.0", "--public-url", f"http://127.0.0.1:{port}", port=port)
    served = Served(db, {"alice": code}, process, port)
    try:
        page = browser.new_page()
        sign_in(page, served, "alice", code)
        wait_for_app(page)
        shot(page, "7-served-on-0.0.0.0")
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        wait_for(lambda: len(labels(db, "alice")) == 1, what="a label through 0.0.0.0")
        page.close()
    finally:
        process.terminate()
        process.wait(15)
