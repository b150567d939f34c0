"""`annotator serve` attacked and broken (issue 23): no secret in the console, a sign-in
limiter that cannot be raced, reset or turned against everyone, and app processes that
cannot run away. Every request goes to a server on 127.0.0.1 started by the test."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import aiohttp
import pytest

from annotator.store import Store

from .conftest import cli, start_server


def jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)


def make_db(tmp_path, names=("alice", "bob", "carol", "dora", "eve", "fred")):
    db = tmp_path / "hostile.db"
    cli(db, "tasks", "add", "demo")
    codes = {name: json.loads(cli(db, "annotators", "add", name, "--json").stdout)["code"] for name in names}
    return db, codes


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        return process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]


async def post_sign_in(session, url: str, name: str, code: str, forwarded: str | None = None):
    headers = {"Origin": url.rstrip("/")}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    async with session.post(url + "sign-in", data={"name": name, "code": code}, headers=headers,
                            allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Set-Cookie", "")


def token_of(set_cookie: str) -> str:
    found = re.search(r"annotator_session=([^;]+)", set_cookie)
    assert found, set_cookie
    return found.group(1)


# -- 1. secrets in the serve console -----------------------------------------------------------
async def test_no_code_token_or_cookie_in_the_log_through_busy_database_drops_and_garbage(tmp_path):
    db, codes = make_db(tmp_path)
    process, port = start_server(db)
    url, origin = f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}"
    tokens = []
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as session:
            # a sign-in while another program holds the database's write lock: signed in
            writer = sqlite3.connect(db, timeout=5, isolation_level=None)
            writer.execute("BEGIN IMMEDIATE")
            status, _, cookie = await post_sign_in(session, url, "alice", codes["alice"])
            writer.execute("ROLLBACK")
            writer.close()
            assert status == 303
            tokens.append(token_of(cookie))

            status, _, cookie = await post_sign_in(session, url, "bob", codes["bob"].lower())
            assert status == 303
            tokens.append(token_of(cookie))

            # dropped websockets: at once, after pings, mid-output
            for pings in (0, 20):
                ws = await session.ws_connect(url + "ws", origin=origin)
                for n in range(pings):
                    await ws.send_str(json.dumps(["ping", str(n)]))
                ws._response.connection.transport.abort()
                await asyncio.sleep(0.5)
            for _ in range(60):  # the dropped apps end and free the name
                if not (await (await session.get(url + "state")).json())["busy"]:
                    break
                await asyncio.sleep(0.5)

        # malformed requests, as raw bytes
        host = f"Host: 127.0.0.1:{port}\r\nOrigin: {origin}\r\n"
        garbage = [
            "GARBAGE\x01 / HTTP/1.1\r\n" + host + "\r\n",
            "POST /sign-in HTTP/1.1\r\n" + host + "Content-Type: multipart/form-data\r\nContent-Length: 5\r\n\r\nhello",
            "POST /sign-in HTTP/1.1\r\n" + host + "Content-Type: application/x-www-form-urlencoded; charset=nope\r\n"
            "Content-Length: 6\r\n\r\nname=%",
            "GET /ws HTTP/1.1\r\n" + host + f"Cookie: annotator_session={tokens[0]}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
            f"GET / HTTP/1.1\r\n{host}Cookie: annotator_session={tokens[1]}\x7f\r\n\r\n",
        ]
        for raw in garbage:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(raw.encode("latin-1"))
            await writer.drain()
            try:
                await asyncio.wait_for(reader.read(100), 5)
            except TimeoutError:
                pass
            writer.close()
    finally:
        log = stop(process)
    secrets = [*tokens]
    for code in codes.values():
        bare = code.replace("-", "")
        secrets += [code, code.lower(), bare, bare.lower()]
    leaked = [s for s in secrets if s in log]
    assert not leaked, f"{len(leaked)} secret(s) in the log:\n{log}"
    assert "Traceback" not in log and "locals" not in log and "│" not in log, log
    assert "annotator_session=" not in log.replace("annotator_session=[redacted]", "")
    assert len(log.splitlines()) < 80, log  # one line per event, no 56-line tracebacks


class BusyStore:
    """A store whose database another program holds locked (reads fail as SQLite's do)."""

    def account(self, name):
        raise sqlite3.OperationalError("database is locked")

    def writers(self, task):
        raise sqlite3.OperationalError("database is locked")


async def test_a_busy_database_is_a_503_page_that_says_so(tmp_path, caplog):
    from aiohttp.test_utils import TestClient, TestServer

    from annotator.web.server import COOKIE, AnnotatorServer, ServeOptions, SignedIn

    server = AnnotatorServer(ServeOptions(db_path=tmp_path / "x.db", task="demo", title="t", port=8421), BusyStore())
    server.sessions["t" * 43] = SignedIn("alice", "annotator", "2026")
    client = TestClient(TestServer(await server._make_app()))
    await client.start_server()
    headers = {"Host": "127.0.0.1:8421", "Origin": "http://127.0.0.1:8421"}
    try:
        sign_in = await client.post("/sign-in", data={"name": "alice", "code": "7KQ2-M9XD-4PRT"}, headers=headers,
                                    allow_redirects=False)
        assert sign_in.status == 503 and "The annotation database is busy" in await sign_in.text()
        assert sign_in.headers["Retry-After"] == "5"
        client.session.cookie_jar.update_cookies({COOKIE: "t" * 43})
        for path in ("/", "/state"):
            page = await client.get(path, headers=headers, allow_redirects=False)
            assert page.status == 503, path
        # not the person's failure: a busy database does not count against the limit
        assert server.limiter.attempts[("name", "alice")] == type(server.limiter.attempts[("name", "alice")])()
    finally:
        await client.close()
    assert "7KQ2" not in caplog.text and "t" * 43 not in caplog.text


def test_the_log_formatter_redacts_and_keeps_one_line():
    import logging

    from annotator.web.server import OneLineFormatter, redact

    try:
        raise ValueError("code 7KQ2-M9XD-4PRT token Yb3kq0y7f2C0iQ_8xWcG8a7z0x9P0iV2m1oQJqk2s5E\nsecond line")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sign-in %s", ("Cookie: annotator_session=abc",),
                                   sys.exc_info())
    line = OneLineFormatter().format(record)
    assert "\n" not in line and "7KQ2" not in line and "Yb3kq0" not in line and "abc" not in line
    assert "ValueError" in line and "second line" not in line
    assert redact("7kq2 m9xd 4prt and 7KQ2M9XD4PRT") == "[redacted] and [redacted]"
    assert redact("GET /static/js/textual.js 200") == "GET /static/js/textual.js 200"


# -- 2. the sign-in limiter ----------------------------------------------------------------------
async def test_sign_ins_are_counted_before_the_check_per_address_and_per_name(tmp_path):
    db, codes = make_db(tmp_path)
    process, port = start_server(db, "--trusted-proxy", "127.0.0.1")
    url = f"http://127.0.0.1:{port}/"
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as session:
            # 100 concurrent wrong codes from one address: at most 10 are checked
            burst = await asyncio.gather(*(post_sign_in(session, url, "bob", f"WRNG-{n:04d}-0000", "10.0.0.1")
                                           for n in range(100)))
            statuses = [status for status, _, _ in burst]
            assert statuses.count(403) <= 10 and statuses.count(429) >= 90, statuses

            # signing in with one's own account does not clear the count of guesses at another
            for n in range(9):
                assert (await post_sign_in(session, url, "carol", f"WRNG-{n:04d}-1111", "10.0.0.2"))[0] == 403
            assert (await post_sign_in(session, url, "alice", codes["alice"], "10.0.0.2"))[0] == 303
            after = [(await post_sign_in(session, url, "carol", f"WRNG-{n:04d}-2222", "10.0.0.2"))[0] for n in range(2)]
            assert after[-1] == 429, after

            # behind the proxy, one address locked out does not lock out the others
            for n in range(10):
                await post_sign_in(session, url, f"guess{n}", "WRNG-0000-3333", "10.0.0.3")
            status, text, _ = await post_sign_in(session, url, "dora", codes["dora"], "10.0.0.3")
            assert status == 429 and "from your address" in text
            assert (await post_sign_in(session, url, "dora", codes["dora"], "10.0.0.4"))[0] == 303
            # a client cannot pick its address: only the proxy's last hop counts
            status, _, _ = await post_sign_in(session, url, "dora", codes["dora"], "10.0.0.99, 10.0.0.3")
            assert status == 429

            # guesses at one name from many addresses lock that name, and only it
            for n in range(10):
                await post_sign_in(session, url, "fred", f"WRNG-{n:04d}-4444", f"10.0.1.{n}")
            status, text, _ = await post_sign_in(session, url, "fred", codes["fred"], "10.0.1.200")
            assert status == 429 and "for this name" in text
            assert (await post_sign_in(session, url, "eve", codes["eve"], "10.0.1.201"))[0] == 303
    finally:
        log = stop(process)
    assert "X-Forwarded-For is believed from: 127.0.0.1/32" in log


async def test_a_hundred_concurrent_guesses_are_not_all_checked(served_alone):
    async with aiohttp.ClientSession(cookie_jar=jar()) as session:
        burst = await asyncio.gather(*(post_sign_in(session, served_alone.url, "bob", f"WRNG-{n:04d}-0000")
                                       for n in range(100)))
    statuses = [status for status, _, _ in burst]
    assert statuses.count(403) <= 10 and statuses.count(429) >= 90, statuses


async def test_signing_in_as_oneself_does_not_clear_the_guesses_at_another(served_alone):
    served = served_alone
    async with aiohttp.ClientSession(cookie_jar=jar()) as session:
        for n in range(9):
            assert (await post_sign_in(session, served.url, "carol", f"WRNG-{n:04d}-1111"))[0] == 403
        assert (await post_sign_in(session, served.url, "alice", served.codes["alice"]))[0] == 303
        after = [(await post_sign_in(session, served.url, "carol", f"WRNG-{n:04d}-2222"))[0] for n in range(2)]
    assert after[-1] == 429, after  # 90 guesses in 10 rounds once


async def test_forwarded_for_is_ignored_without_a_trusted_proxy(served_alone):
    served = served_alone
    async with aiohttp.ClientSession(cookie_jar=jar()) as session:
        for n in range(10):
            await post_sign_in(session, served.url, "alice", "WRONG-CODE-0000", f"10.9.9.{n}")
        status, _, _ = await post_sign_in(session, served.url, "bob", served.codes["bob"], "10.9.9.250")
        assert status == 429


def test_client_address_rules():
    from annotator.web.server import ServeError, client_address, parse_proxies

    proxies = parse_proxies(["127.0.0.1", "10.1.0.0/16"])
    assert client_address("127.0.0.1", "203.0.113.5", ()) == "127.0.0.1"  # not configured: ignored
    assert client_address("198.51.100.7", "203.0.113.5", proxies) == "198.51.100.7"  # not from the proxy
    assert client_address("127.0.0.1", "6.6.6.6, 203.0.113.5", proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", "203.0.113.5, 10.1.2.3", proxies) == "203.0.113.5"  # proxies chained
    assert client_address("127.0.0.1", "", proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", "not-an-address", proxies) == "127.0.0.1"
    with pytest.raises(ServeError):
        parse_proxies(["proxy.example"])


# -- 3. a runaway app process ---------------------------------------------------------------------
def _lease_pid(db, name: str) -> int | None:
    store = Store.open(db)
    try:
        return next((w["pid"] for w in store.writers("demo") if w["annotator"] == name and w["live"]), None)
    finally:
        store.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone too
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


async def _wait(condition, seconds: float, what: str):
    for _ in range(int(seconds * 10)):
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


async def test_a_huge_terminal_is_clamped_and_the_app_ends_with_its_socket(tmp_path):
    db, codes = make_db(tmp_path, names=("alice",))
    process, port = start_server(db, "--max-sessions", "1")
    url, origin = f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=jar()) as session:
            assert (await post_sign_in(session, url, "alice", codes["alice"]))[0] == 303
            ws = await session.ws_connect(url + "ws?width=20000&height=20000", origin=origin)
            pid = await _wait(lambda: _lease_pid(db, "alice"), 60, "the app to take its lease")
            environ = dict(item.split("=", 1) for item in
                           open(f"/proc/{pid}/environ", "rb").read().decode("utf-8", "replace").split("\0") if "=" in item)
            assert int(environ["COLUMNS"]) <= 500 and int(environ["ROWS"]) <= 250
            assert "ANNOTATOR_NAME" not in environ  # the name comes from the sign-in only
            await ws.send_str(json.dumps(["resize", {"width": 20000, "height": 20000}]))
            await ws.send_str(json.dumps(["resize", {"width": "1e9", "height": -5}]))
            await ws.close()
            # bounds against a hang (the server's deadlines end the app within 8 s of a quiet machine)
            await _wait(lambda: not _alive(pid), 60, "the app to end after its socket closed")
            await _wait(lambda: _lease_pid(db, "alice") is None, 60, "the lease to be freed")
            ws = await session.ws_connect(url + "ws", origin=origin)  # the only slot is free again
            await ws.close()
    finally:
        stop(process)


async def test_an_app_that_ignores_quit_and_sigterm_is_killed_by_a_deadline(monkeypatch, tmp_path):
    from annotator.web import server
    from annotator.web.server import WebAppService

    monkeypatch.setattr(server, "QUIT_DEADLINE_S", 0.5)
    monkeypatch.setattr(server, "KILL_DEADLINE_S", 0.5)
    deaf = tmp_path / "ignoring-sigterm"  # written once the app ignores SIGTERM
    stubborn = ("import pathlib, signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                f"pathlib.Path({str(deaf)!r}).touch()\n"
                "sys.stdout.write('__GANGLION__\\n'); sys.stdout.flush()\ntime.sleep(600)\n")

    async def nothing(*_):
        return None

    from textual_serve.download_manager import DownloadManager

    service = WebAppService([sys.executable, "-c", stubborn], name="alice", write_bytes=nothing, write_str=nothing,
                            close=nothing, download_manager=DownloadManager())
    await service.start(80, 24)
    # stopped once it ignores SIGTERM (not after a fixed half second, which a loaded machine
    # could spend starting Python: SIGTERM would then end it before it ignored it)
    await _wait(deaf.exists, 60, "the app to ignore SIGTERM")
    pid = service.pid
    await asyncio.wait_for(service.stop(), 20)
    assert service.killed == "SIGKILL" and not _alive(pid)
    assert service._process.returncode == -signal.SIGKILL


# -- 4. the browser's first minute (the server side; the browser is in test_browser.py) ---------
def test_on_every_interface_the_console_says_which_address_to_open(tmp_path):
    db, _ = make_db(tmp_path, names=("alice",))
    port = None
    process, port = start_server(db, "--host", "0.0.0.0")
    try:
        time.sleep(0.5)
    finally:
        log = stop(process)
    url = f"http://{socket.gethostname().lower()}:{port}/"
    assert f"colleagues must open {url}" in log
    assert "restart with --public-url" in log
