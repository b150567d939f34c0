"""`annotator serve` over HTTP, as a browser (or an attacker's page) would speak to it."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import aiohttp
import pytest

from annotator.store import Store
from annotator.web.codes import hash_code, new_code, normalise, verify
from annotator.web.server import Address, ServeError

from .conftest import cli


async def sign_in(session: aiohttp.ClientSession, served, name: str, code: str, origin: str | None = "same"):
    headers = {"Origin": served.origin if origin == "same" else origin} if origin else {}
    return await session.post(served.url + "sign-in", data={"name": name, "code": code}, headers=headers,
                              allow_redirects=False)


def jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1


async def test_sign_in_first_and_only_with_the_right_code(served):
    async with aiohttp.ClientSession(cookie_jar=jar()) as session:
        first = await session.get(served.url, allow_redirects=False)
        assert first.status == 303 and first.headers["Location"] == "sign-in"
        page = await (await session.get(served.url + "sign-in")).text()
        assert 'id="name" name="name" value=""' in page  # never the server's account name
        assert "http" not in page.split("<body>")[0].replace('http-equiv', '')  # nothing fetched from elsewhere

        wrong = await sign_in(session, served, "alice", "AAAA-BBBB-CCCC")
        assert wrong.status == 403 and "do not match an active account" in await wrong.text()
        unknown = await sign_in(session, served, "mallory", served.codes["alice"])
        assert unknown.status == 403
        assert (await session.get(served.url, allow_redirects=False)).status == 303  # still signed out

        right = await sign_in(session, served, "alice", served.codes["alice"].lower().replace("-", " "))
        assert right.status == 303
        cookie = right.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        app = await session.get(served.url, allow_redirects=False)
        assert app.status == 200 and 'id="terminal"' in await app.text()
        assert "default-src 'self'" in app.headers["Content-Security-Policy"]
        assert app.headers["X-Frame-Options"] == "DENY"
    store = Store.open(served.db)
    assert store.account("alice").last_sign_in is not None
    assert "code" not in json.dumps(store.query("SELECT * FROM annotators")).lower().replace("code_hash", "").replace(
        "code_set_at", "")
    assert all(r["code_hash"].startswith("scrypt$16384$8$1$") for r in store.query("SELECT code_hash FROM annotators"))
    assert served.codes["alice"] not in json.dumps(store.query("SELECT * FROM annotators"))
    store.close()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", None])
async def test_sign_in_from_another_origin_is_refused(served, origin):
    async with aiohttp.ClientSession(cookie_jar=jar()) as session:
        response = await sign_in(session, served, "alice", served.codes["alice"], origin=origin)
        assert response.status == 403
        assert "did not come from the annotation page" in await response.text()
        assert "Set-Cookie" not in response.headers


async def test_a_foreign_host_is_refused_dns_rebinding(served):
    async with aiohttp.ClientSession() as session:
        response = await session.get(served.url, headers={"Host": f"attacker.example:{served.port}"})
        assert response.status == 403
        assert f"answers at {served.url} only" in await response.text()


async def _signed_in_session(served, name: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=jar())
    assert (await sign_in(session, served, name, served.codes[name])).status == 303
    return session


async def test_websocket_needs_the_session_and_the_page_origin(served):
    session = await _signed_in_session(served, "carol")
    try:
        with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
            await session.ws_connect(served.url + "ws", origin="http://evil.example")
        assert foreign.value.status == 403
        async with aiohttp.ClientSession() as anonymous:
            with pytest.raises(aiohttp.WSServerHandshakeError) as unsigned:
                await anonymous.ws_connect(served.url + "ws", origin=served.origin)
            assert unsigned.value.status == 403
        ws = await session.ws_connect(served.url + "ws?width=100&height=30", origin=served.origin)
        await ws.close()
    finally:
        await session.close()


async def test_one_live_session_per_name(served):
    first = await _signed_in_session(served, "dora")
    second = await _signed_in_session(served, "dora")  # another browser, same person
    try:
        ws = await first.ws_connect(served.url + "ws", origin=served.origin)
        state = await (await second.get(served.url + "state")).json()
        assert state["busy"] and "dora is labelling in another tab or browser" in state["message"]
        with pytest.raises(aiohttp.WSServerHandshakeError) as again:
            await second.ws_connect(served.url + "ws", origin=served.origin)
        assert again.value.status == 409
        await ws.close()
        state = await (await second.get(served.url + "state")).json()  # waits for the closed socket to go
        assert not state["busy"]
    finally:
        await first.close()
        await second.close()


async def test_session_cap_shows_a_clear_page(served_alone):
    served = served_alone  # --max-sessions 1
    sessions = [await _signed_in_session(served, name) for name in ("alice", "bob")]
    sockets = []
    try:
        sockets.append(await sessions[0].ws_connect(served.url + "ws", origin=served.origin))
        full = await sessions[1].get(served.url)
        assert full.status == 503
        assert "the most this server allows (--max-sessions 1)" in await full.text()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await sessions[1].ws_connect(served.url + "ws", origin=served.origin)
        assert refused.value.status == 503
    finally:
        for ws in sockets:
            await ws.close()
        for session in sessions:
            await session.close()


async def test_failed_sign_ins_are_limited_per_address(served_alone):
    served = served_alone
    async with aiohttp.ClientSession(cookie_jar=jar()) as session:
        for _ in range(10):
            assert (await sign_in(session, served, "alice", "WRONG-CODE-0000")).status == 403
        blocked = await sign_in(session, served, "alice", served.codes["alice"])
        assert blocked.status == 429 and "Too many failed sign-ins" in await blocked.text()


async def test_disabling_or_resetting_ends_the_session(served):
    session = await _signed_in_session(served, "eve")
    other = await _signed_in_session(served, "fred")
    try:
        assert (await session.get(served.url, allow_redirects=False)).status == 200
        cli(served.db, "annotators", "disable", "eve")
        assert (await session.get(served.url, allow_redirects=False)).status == 303
        assert (await sign_in(session, served, "eve", served.codes["eve"])).status == 403
        cli(served.db, "annotators", "reset-code", "fred")
        assert (await other.get(served.url, allow_redirects=False)).status == 303
        assert (await sign_in(other, served, "fred", served.codes["fred"])).status == 403  # the old code
    finally:
        await session.close()
        await other.close()


async def test_sign_out(served):
    session = await _signed_in_session(served, "bob")
    try:
        out = await session.post(served.url + "sign-out", headers={"Origin": served.origin}, allow_redirects=False)
        assert out.status == 303
        assert (await session.get(served.url, allow_redirects=False)).status == 303
    finally:
        await session.close()


# -- pure parts ------------------------------------------------------------------------------
def test_codes_are_hashed_with_salt_and_checked_leniently():
    code = new_code()
    assert len(code) == 14 and code.count("-") == 2
    one, two = hash_code(code), hash_code(code)
    assert one != two  # salted
    assert verify(code, one) and verify(code.lower().replace("-", " "), one)
    assert not verify(new_code(), one)
    assert normalise("o1l-I0") == "0111" + "0"  # look-alikes read as digits
    assert not verify(code, "plain$text") and not verify(code, "")


def test_address_rules():
    loop = Address.make("127.0.0.1", 8421, None)
    assert loop.public_url == "http://127.0.0.1:8421/"
    assert loop.allows_host("localhost:8421") and loop.allows_host("127.0.0.1:8421")
    assert not loop.allows_host("evil.example:8421") and not loop.allows_host("127.0.0.1:9999")
    proxied = Address.make("127.0.0.1", 8421, "https://annotate.example.org/study/")
    assert proxied.public_url == "https://annotate.example.org/study/"
    assert proxied.allows_host("annotate.example.org") and "https://annotate.example.org" in proxied.origins
    lan = Address.make("0.0.0.0", 8421, "http://labbox:8421")
    assert lan.allows_host("labbox:8421") and not lan.allows_host("127.0.0.1:8421")
    with pytest.raises(ServeError):
        Address.make("0.0.0.0", 8421, "ftp://labbox")


def test_serve_refuses_to_start_when_nobody_can_sign_in(tmp_path):
    db = tmp_path / "a.db"
    cli(db, "tasks", "add", "demo")
    from click.testing import CliRunner

    from annotator.cli import main

    nobody = CliRunner().invoke(main, ["--db", str(db), "serve"])
    assert nobody.exit_code == 1 and "nobody can sign in yet" in nobody.output
    cli(db, "annotators", "add", "alice")
    ghost = CliRunner().invoke(main, ["--db", str(db), "serve", "--annotator", "ghost"])
    assert ghost.exit_code == 1 and "no active account of that name" in ghost.output
    bad_url = CliRunner().invoke(main, ["--db", str(db), "serve", "--public-url", "labbox:8421"])
    assert bad_url.exit_code == 1 and "expected an http:// or https:// address" in bad_url.output


async def test_annotator_option_serves_one_person_only(tmp_path):
    from .conftest import Served, start_server

    db = tmp_path / "one.db"
    cli(db, "tasks", "add", "demo")
    codes = {n: json.loads(cli(db, "annotators", "add", n, "--json").stdout)["code"] for n in ("alice", "bob")}
    process, port = start_server(db, "--annotator", "alice")
    served = Served(db, codes, process, port)
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as session:
            page = await (await session.get(served.url + "sign-in")).text()
            assert "This server is for alice only." in page
            bob = await sign_in(session, served, "bob", codes["bob"])
            assert bob.status == 403 and "for alice only" in await bob.text()
            assert (await sign_in(session, served, "alice", codes["alice"])).status == 303
    finally:
        process.terminate()
        process.wait(15)


@asynccontextmanager
async def _held_in_a_terminal(served, task: str, name: str):
    """``name`` labels ``task`` in a terminal (this test's process holds the lease) and has
    signed in to the browser: yields (store, the terminal's identity, the browser session)."""
    from annotator.store import WriterIdentity

    store = Store.open(served.db)
    terminal = WriterIdentity.here()
    store.acquire_writer(task, name, terminal)
    session = await _signed_in_session(served, name)
    try:
        yield store, terminal, session
    finally:
        store.release_writer(task, name, terminal)
        store.close()
        await session.close()


async def test_a_name_labelling_in_a_terminal_is_busy_in_the_browser(served):
    """The store lets one live session hold a name (a terminal, here this test's process):
    the page says so instead of starting an app that would be refused."""
    import os
    import socket

    async with _held_in_a_terminal(served, "demo", "carol") as (store, terminal, session):
        state = await (await session.get(served.url + "state")).json()
        assert state["busy"]
        assert "carol is labelling this task in another session (a terminal or another server" in state["message"]
        # the page never shows a process id or host name (issue 20)
        assert str(os.getpid()) not in state["message"] and socket.gethostname() not in state["message"]
        store.release_writer("demo", "carol", terminal)
        assert not (await (await session.get(served.url + "state")).json())["busy"]


def test_a_researcher_gets_the_dashboard_and_an_annotator_the_labelling_app():
    """Issue 10: in the browser the dashboard is open to the researcher role only; an
    annotator's app labels as that annotator."""
    from annotator.web.server import app_command

    researcher = app_command("/d/x.db", "demo", "rita", "researcher")
    annotator = app_command("/d/x.db", "demo", "alice", "annotator")
    assert researcher[-5:] == ["--db", "/d/x.db", "dashboard", "--task", "demo"]
    assert "annotate" not in researcher and "rita" not in researcher
    assert annotator[-5:] == ["annotate", "--task", "demo", "--annotator", "alice"] and "dashboard" not in annotator


async def test_the_same_tab_reloading_takes_its_own_session_over(served):
    """Issue 20: a reload (the page keeps its tab id) is never told that the name is labelling
    elsewhere, even while its old socket is still open; another tab still is."""
    session = await _signed_in_session(served, "gina")
    try:
        ws = await session.ws_connect(served.url + "ws/tab-one-0001", origin=served.origin)
        other_tab = await (await session.get(served.url + "state?tab=tab-two-0002")).json()
        assert other_tab["busy"] and "gina is labelling in another tab or browser" in other_tab["message"]
        reload = await (await session.get(served.url + "state?tab=tab-one-0001")).json()
        assert not reload["busy"], reload["message"]
        again = await session.ws_connect(served.url + "ws/tab-one-0001", origin=served.origin)  # not a 409
        await again.close()
        await ws.close()
    finally:
        await session.close()


# -- issue 20 §3: the home screen in the browser -------------------------------------------------
def test_without_a_task_each_app_opens_on_its_home_screen():
    from annotator.web.server import app_command

    assert app_command("/d/x.db", None, "alice", "annotator")[-5:] == ["--db", "/d/x.db", "annotate",
                                                                      "--annotator", "alice"]
    assert app_command("/d/x.db", None, "rita", "researcher")[-3:] == ["--db", "/d/x.db", "dashboard"]


async def test_on_the_home_screen_a_terminal_on_one_task_does_not_block_the_browser(served_home):
    """alice labels the demo in a terminal: the browser still lets her in (the home screen
    marks the demo and offers the small task), where a server tied to the demo says busy."""
    async with _held_in_a_terminal(served_home, "demo", "alice") as (_, _, session):
        state = await (await session.get(served_home.url + "state")).json()
        assert state["signed_in"] and not state["busy"], state["message"]


async def test_a_killed_app_frees_the_lease_of_the_task_it_chose(tmp_path):
    """Served without --task, the server does not know which task an app chose: the lease
    of that app's process is found and freed on whichever task it is."""
    import socket

    from annotator.store import WriterIdentity
    from annotator.web.server import AnnotatorServer, ServeOptions

    from .conftest import add_small_task

    db = tmp_path / "x.db"
    cli(db, "tasks", "add", "demo")
    add_small_task(db, tmp_path / "small")
    store = Store.open(db)
    try:
        server = AnnotatorServer(ServeOptions(db_path=db, task=None, title="annotator", port=8421), store)
        gone_app = WriterIdentity(holder="x", pid=999_999, host=socket.gethostname())
        other = WriterIdentity(holder="y", pid=999_998, host=socket.gethostname())
        store.acquire_writer("small", "alice", gone_app)
        store.acquire_writer("demo", "bob", other)
        server._release_lease("alice", 999_999)
        assert [(w["task"], w["annotator"]) for w in store.writers()] == [("demo", "bob")]
        assert "chooses one of the 2 tasks" in server.startup_lines()[0]
    finally:
        store.close()
