"""``annotator serve``: the annotation app in a browser, behind a sign-in.

Built on textual-serve (its ``Server`` runs the aiohttp application and its ``AppService``
runs one app process per browser tab, speaking to it over a websocket); this module adds
what a campaign with colleagues needs:

* **Sign-in first.** ``/`` shows the app only to a browser holding a session cookie, which
  ``POST /sign-in`` gives for a name and access code matching an active account
  (``annotator annotators add``). The cookie is random, ``HttpOnly`` and
  ``SameSite=Strict``; the code is checked against its scrypt hash and never kept. Each app
  process is started for the signed-in name (``annotate --annotator NAME``), so a person
  labels, sees and revises only their own labels. Failed sign-ins are limited per client
  address (``MAX_FAILURES`` in ``FAILURE_WINDOW_S``).
* **One session per name.** A name already labelling in another tab or browser is refused
  with a page saying so: two live sessions of one name never write at once.
* **Requests from elsewhere refused.** Every request's ``Host`` must be the served address
  (``--public-url``, or the loopback names when serving on 127.0.0.1), which defeats DNS
  rebinding; ``POST`` requests and the websocket must also come with that ``Origin`` (a page
  on another site cannot drive a signed-in colleague's session). Refusals are 403 pages.
* **A cap on live sessions** (``--max-sessions``, default 50): past it, a page says so (503).
* **Pages that work behind a proxy or on 0.0.0.0**: the page loads its assets by relative
  URLs and opens the websocket to its own origin, so whatever address the browser used is
  the one it talks to. No font or script is fetched from another site.
* Accounts are looked at again every ``RECHECK_S`` seconds: disabling an account or
  resetting its code ends its open sessions.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import secrets
import shlex
import socket
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from . import pages
from .codes import verify, verify_none
from .private_api import AppService, Server, to_int

log = logging.getLogger("annotator.web")

DEFAULT_PORT = 8421  # not 8000 (vLLM), 8080, 7860 (Gradio), 8888 (Jupyter) or 11434 (Ollama)
DEFAULT_MAX_SESSIONS = 50
COOKIE = "annotator_session"
SESSION_IDLE_S = 12 * 3600
MAX_FAILURES = 10
FAILURE_WINDOW_S = 600
RECHECK_S = 20.0
RELOAD_GRACE_S = 5.0
QUIT_WAIT_S = 15.0
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class ServeError(ValueError):
    """The serving options cannot work (the message says why and what to pass)."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _origin(scheme: str, host: str, port: int | None) -> str:
    default = {"http": 80, "https": 443}.get(scheme)
    host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{scheme}://{host.lower()}" + ("" if port in (None, default) else f":{port}")


@dataclass(frozen=True)
class Address:
    """Where colleagues reach the server (``public_url``) and the origins it answers to."""

    public_url: str
    origins: frozenset[str]

    @classmethod
    def make(cls, host: str, port: int, public_url: str | None) -> Address:
        """``public_url`` as given (checked), else http://HOST:PORT, with the loopback
        names added when serving on a loopback interface. On 0.0.0.0 / :: without
        ``public_url`` the machine's name is used."""
        origins = set()
        if public_url:
            parts = urlsplit(public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ServeError(f"--public-url {public_url!r}: expected an http:// or https:// address "
                                 "such as https://annotate.example.org or http://myhost:8421")
            try:
                public_port = parts.port
            except ValueError:
                raise ServeError(f"--public-url {public_url!r}: the port is not a number") from None
            origin = _origin(parts.scheme, parts.hostname, public_port)
            public = origin + (parts.path.rstrip("/") or "") + "/"
            origins.add(origin)
        else:
            name = host
            if host in ("0.0.0.0", "::", ""):
                name = socket.gethostname()
            origin = _origin("http", name, port)
            public = origin + "/"
            origins.add(origin)
        if _is_loopback(host):
            origins.update(_origin("http", name, port) for name in LOOPBACK_NAMES)
        return cls(public, frozenset(origins))

    def allows_host(self, host_header: str) -> bool:
        """Whether a request's ``Host`` header names one of the served origins."""
        if not host_header:
            return False
        for origin in self.origins:
            parts = urlsplit(origin)
            if _origin(parts.scheme, *_split_host(host_header, parts.scheme)) == origin:
                return True
        return False


def _split_host(host_header: str, scheme: str) -> tuple[str, int | None]:
    parts = urlsplit(f"{scheme}://{host_header}")
    try:
        return (parts.hostname or ""), parts.port
    except ValueError:
        return "", -1


def app_command(db_path, task: str, name: str, role: str) -> list[str]:
    """The app a signed-in account gets: a researcher the live dashboard of the task (only that
    role sees every annotator's progress and agreement), an annotator the labelling app, as
    themselves and nobody else."""
    base = [sys.executable, "-m", "annotator", "--db", str(db_path)]
    if role == "researcher":
        return [*base, "dashboard", "--task", task]
    return [*base, "annotate", "--task", task, "--annotator", name]


@dataclass
class SignedIn:
    name: str
    role: str
    code_set_at: str
    last_seen: float = field(default_factory=time.monotonic)


@dataclass
class Live:
    """One browser tab's app process."""

    name: str
    token: str
    websocket: web.WebSocketResponse
    started: float = field(default_factory=time.time)
    # The browser side has closed (a reload, a closed tab): the app is quitting and takes no
    # more keys, so the name is free for a new session while the process finishes.
    browser_gone: bool = False


@dataclass
class ServeOptions:
    db_path: Path
    task: str
    title: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = None
    max_sessions: int = DEFAULT_MAX_SESSIONS
    only: str | None = None  # --annotator: this one person may sign in


class WebAppService(AppService):
    """textual-serve's app process, minus what a served labelling app must not do: open
    anything but an http(s) link in the browser (a ``javascript:`` link in a response would
    run in this site's origin), or deliver files."""

    async def on_meta(self, data: bytes) -> None:
        meta = json.loads(data)
        kind = meta.get("type")
        if kind == "open_url":
            url = str(meta.get("url", ""))
            if urlsplit(url).scheme.lower() in ("http", "https"):
                await self.remote_write_str(json.dumps(["open_url", {"url": url, "new_tab": True}]))
            return
        if kind == "deliver_file_start":
            return
        await super().on_meta(data)


class AnnotatorServer(Server):
    """See the module docstring. ``store`` answers account look-ups (never written here
    except the last sign-in time)."""

    def __init__(self, options: ServeOptions, store):
        self.options = options
        self.address = Address.make(options.host, options.port, options.public_url)
        super().__init__("", host=options.host, port=options.port, title=options.title,
                         public_url=self.address.public_url.rstrip("/"))
        self.store = store
        self.sessions: dict[str, SignedIn] = {}
        self.live: dict[int, Live] = {}
        self.failures: dict[str, deque[float]] = {}
        self.secure = self.address.public_url.startswith("https://")
        self._recheck: asyncio.Task | None = None

    # -- the aiohttp application -------------------------------------------------------------
    # textual-serve's private hook (web/private_api.py, MAKE_APP_HOOK): serve() awaits it.
    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024)
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/sign-in", self.handle_sign_in_page),
            web.post("/sign-in", self.handle_sign_in),
            web.post("/sign-out", self.handle_sign_out),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/state", self.handle_state),
            web.get("/assets/{name}", self.handle_asset),
            web.static("/static", self.statics_path, show_index=False, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if not self.address.allows_host(request.headers.get("Host", "")):
            response = self._refused(403, "Wrong address",
                                     f"This annotation server answers at {self.address.public_url} only; open that "
                                     "address (the server's --public-url).")
        elif (request.method == "POST" or request.path == "/ws") and \
                request.headers.get("Origin", "").lower().rstrip("/") not in self.address.origins:
            response = self._refused(403, "Refused", "This request did not come from the annotation page itself "
                                     "(its Origin is another site, or missing).")
        else:
            response = await handler(request)
        if not isinstance(response, web.WebSocketResponse):
            response.headers.setdefault("Content-Security-Policy",
                                        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                                        "base-uri 'none'; form-action 'self'")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")  # no-referrer would make forms send Origin: null
            if response.content_type == "text/html":
                response.headers.setdefault("Cache-Control", "no-store")
        return response

    def _refused(self, status: int, heading: str, message: str, **buttons) -> web.Response:
        return web.Response(status=status, content_type="text/html",
                            text=pages.notice(self.title, heading, message, **buttons))

    async def handle_asset(self, request: web.Request) -> web.Response:
        assets = {"annotator.js": (pages.ANNOTATOR_JS, "application/javascript"),
                  "page.css": (pages.STYLE, "text/css"), "app.css": (pages.APP_CSS, "text/css")}
        name = request.match_info["name"]
        if name not in assets:
            raise web.HTTPNotFound()
        text, kind = assets[name]
        return web.Response(text=text, content_type=kind)

    # -- sessions ----------------------------------------------------------------------------
    async def _account(self, name: str):
        return await asyncio.get_running_loop().run_in_executor(None, self.store.account, name)

    async def _signed_in(self, request: web.Request) -> tuple[str, SignedIn] | None:
        """The session of this browser, if it holds one that is still good."""
        token = request.cookies.get(COOKIE, "")
        session = self.sessions.get(token)
        if session is None:
            return None
        if time.monotonic() - session.last_seen > SESSION_IDLE_S:
            self.sessions.pop(token, None)
            return None
        account = await self._account(session.name)
        if account is None or account.disabled or account.code_set_at != session.code_set_at:
            self.sessions.pop(token, None)
            return None
        session.last_seen = time.monotonic()
        return token, session

    def _live_of(self, name: str) -> Live | None:
        return next((live for live in self.live.values() if live.name == name and not live.browser_gone), None)

    def _throttled(self, client: str) -> float:
        """Seconds until ``client`` may try again (0 when it may)."""
        now = time.monotonic()
        for address in [a for a, times in self.failures.items() if not times or now - times[-1] > FAILURE_WINDOW_S]:
            del self.failures[address]  # forget addresses whose failures are all old
        recent = self.failures.get(client, deque())
        while recent and now - recent[0] > FAILURE_WINDOW_S:
            recent.popleft()
        return FAILURE_WINDOW_S - (now - recent[0]) if len(recent) >= MAX_FAILURES else 0.0

    # -- pages -------------------------------------------------------------------------------
    async def handle_sign_in_page(self, request: web.Request) -> web.Response:
        if await self._signed_in(request):
            raise web.HTTPSeeOther("./")
        return web.Response(content_type="text/html", text=pages.sign_in(self.title, only=self.options.only))

    async def handle_sign_in(self, request: web.Request) -> web.Response:
        form = await request.post()
        name, code = str(form.get("name", "")).strip(), str(form.get("code", ""))
        client = request.remote or "?"
        wait = self._throttled(client)
        if wait:
            return web.Response(status=429, content_type="text/html", text=pages.sign_in(
                self.title, name=name, only=self.options.only,
                error=f"Too many failed sign-ins from your address: try again in {int(wait // 60) + 1} minute(s)."))
        if self.options.only and name != self.options.only:
            return web.Response(status=403, content_type="text/html", text=pages.sign_in(
                self.title, name=name, only=self.options.only,
                error=f"This server is for {self.options.only} only."))
        account = await self._account(name) if name else None
        loop = asyncio.get_running_loop()
        if account is None:
            ok = await loop.run_in_executor(None, verify_none, code)  # the same time as a real check
        else:
            ok = await loop.run_in_executor(None, verify, code, account.code_hash)
        if not ok or account is None or account.disabled:
            self.failures.setdefault(client, deque()).append(time.monotonic())
            log.warning("failed sign-in from %s", client)
            return web.Response(status=403, content_type="text/html", text=pages.sign_in(
                self.title, name=name, only=self.options.only,
                error="That name and access code do not match an active account."))
        self.failures.pop(client, None)
        token = secrets.token_urlsafe(32)
        self.sessions[token] = SignedIn(account.name, account.role, account.code_set_at)
        await loop.run_in_executor(None, self.store.record_sign_in, account.name)
        response = web.HTTPSeeOther("./")
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=self.secure, path="/")
        return response

    async def handle_sign_out(self, request: web.Request) -> web.Response:
        token = request.cookies.get(COOKIE, "")
        self.sessions.pop(token, None)
        for live in [live for live in self.live.values() if live.token == token]:
            await live.websocket.close()
        response = web.HTTPSeeOther("sign-in")
        response.del_cookie(COOKIE, path="/")
        return response

    async def handle_index(self, request: web.Request) -> web.Response:
        found = await self._signed_in(request)
        if found is None:
            response = web.HTTPSeeOther("sign-in")
            response.del_cookie(COOKIE, path="/")
            raise response
        _, session = found
        if len(self.live) >= self.options.max_sessions:
            return self._refused(503, "Server full", f"{len(self.live)} sessions are open, the most this server "
                                 f"allows (--max-sessions {self.options.max_sessions}). Try again in a few minutes.",
                                 retry=True, sign_out=True)
        font = to_int(request.query.get("fontsize", "16"), 16)
        return web.Response(content_type="text/html", text=pages.app_page(self.title, session.name, font))

    async def _name_free(self, name: str) -> bool:
        """Whether ``name`` has no live session, after letting a reloaded page's old socket
        go: the browser closes it only once the new page has loaded."""
        for _ in range(int(RELOAD_GRACE_S * 10)):
            if not self._live_of(name):
                return True
            await asyncio.sleep(0.1)
        return not self._live_of(name)

    async def _quitting_apps_gone(self, name: str) -> None:
        """Wait (at most ``QUIT_WAIT_S``) for this name's quitting app processes to end: the
        store lets one live session hold a name, so a new app started while the old one still
        runs would be refused."""
        for _ in range(int(QUIT_WAIT_S * 10)):
            if not any(live.name == name and live.browser_gone for live in self.live.values()):
                return
            await asyncio.sleep(0.1)

    def _held_elsewhere(self, name: str) -> dict | None:
        """The live writer lease of ``name`` on the task held by a session this server did not
        start (a terminal, another server), if any: the app would be refused."""
        from annotator.store.leases import process_gone

        if any(live.name == name for live in self.live.values()):
            return None
        holder = next((w for w in self.store.writers(self.options.task) if w["annotator"] == name and w["live"]), None)
        if holder is None or (holder["host"] == socket.gethostname() and process_gone(holder["pid"])):
            return None
        return holder

    async def handle_state(self, request: web.Request) -> web.Response:
        """What the app page asks before it connects: may this browser start the app now?"""
        found = await self._signed_in(request)
        if found is None:
            return web.json_response({"signed_in": False})
        _, session = found
        message = ""
        if not await self._name_free(session.name):
            message = (f"{session.name} is labelling in another tab or browser. Close it first (or wait a minute "
                       "if it was closed without quitting), then try again: one session per name, so two never "
                       "save over each other.")
        else:
            await self._quitting_apps_gone(session.name)
            holder = await asyncio.get_running_loop().run_in_executor(None, self._held_elsewhere, session.name)
            if holder is not None:
                message = (f"{session.name} is labelling this task in another session (process {holder['pid']} on "
                           f"{holder['host']}, since {str(holder['started_at'])[:19]}). Close that session first, then "
                           "try again: one session per name, so two never save over each other.")
        return web.json_response({"signed_in": True, "name": session.name, "busy": bool(message),
                                  "message": message})

    # -- the app's websocket -------------------------------------------------------------------
    def command_for(self, session: SignedIn) -> str:
        return shlex.join(app_command(self.options.db_path, self.options.task, session.name, session.role))

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        found = await self._signed_in(request)
        if found is None:
            raise web.HTTPForbidden(text="sign in first")
        token, session = found
        await self._name_free(session.name)
        await self._quitting_apps_gone(session.name)
        # checked and reserved with no await in between: two tabs cannot both pass
        if self._live_of(session.name):
            raise web.HTTPConflict(text=f"{session.name} already has a session open")
        if len(self.live) >= self.options.max_sessions:
            raise web.HTTPServiceUnavailable(text="too many sessions")
        websocket = web.WebSocketResponse(heartbeat=15)
        key = id(websocket)
        self.live[key] = Live(session.name, token, websocket)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)
            app_service = WebAppService(self.command_for(session), write_bytes=websocket.send_bytes,
                                        write_str=websocket.send_str, close=websocket.close,
                                        download_manager=self.download_manager, debug=self.debug)
            await app_service.start(width, height)
            try:
                await self._process_messages(websocket, app_service)
            finally:
                self.live[key].browser_gone = True
                await app_service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a broken socket or process: log, and free the slot
            log.exception(error)
        finally:
            self.live.pop(key, None)
            if app_service is not None:
                await app_service.stop()
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """textual-serve's loop, tolerating a malformed message instead of ending on it."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
                kind, data = envelope[0], (envelope[1] if len(envelope) > 1 else None)
            except (ValueError, TypeError, IndexError, KeyError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await app_service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await app_service.set_terminal_size(to_int(str(data.get("width", 80)), 80),
                                                    to_int(str(data.get("height", 24)), 24))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()

    async def _recheck_accounts(self) -> None:
        """End the sessions of accounts disabled, or whose code was reset, since they signed in."""
        while True:
            await asyncio.sleep(RECHECK_S)
            for token, session in list(self.sessions.items()):
                try:
                    account = await self._account(session.name)
                except Exception as error:  # a busy database: look again next time
                    log.warning("could not check the account of %s: %s", session.name, error)
                    continue
                if account is None or account.disabled or account.code_set_at != session.code_set_at:
                    self.sessions.pop(token, None)
                    for live in [live for live in self.live.values() if live.token == token]:
                        await live.websocket.close()

    async def on_startup(self, app: web.Application) -> None:
        self._recheck = asyncio.create_task(self._recheck_accounts())
        self.console.print(f"Serving task {self.options.task!r} at {self.address.public_url}", markup=False,
                           highlight=False)
        self.console.print("Annotators sign in with their name and access code (annotator annotators add NAME). "
                           "Press Ctrl+C to stop.", markup=False, highlight=False)

    async def on_shutdown(self, app: web.Application) -> None:
        if self._recheck is not None:
            self._recheck.cancel()
        for live in list(self.live.values()):
            await live.websocket.close()
