"""``annotator serve``: the annotation app in a browser, behind a sign-in.

Built on textual-serve (its ``Server`` runs the aiohttp application and its ``AppService``
runs one app process per browser tab, speaking to it over a websocket); this module adds
what a campaign with colleagues needs:

* **Sign-in first.** ``/`` shows the app only to a browser holding a session cookie, which
  ``POST /sign-in`` gives for a name and access code matching an active account
  (``annotator annotators add``). The cookie is random, ``HttpOnly`` and
  ``SameSite=Strict``; the code is checked against its scrypt hash and never kept. Each app
  process is started for the signed-in name (``annotate --annotator NAME``), so a person
  labels, sees and revises only their own labels. Sign-in attempts are counted *before* the
  code is checked, per client address and per name (``MAX_FAILURES`` in ``FAILURE_WINDOW_S``
  each; a success takes back only its own attempt, never another name's), and at most
  ``SCRYPT_WORKERS`` codes are checked at once. The address is the connecting one, or, from a
  ``--trusted-proxy`` only, the last address that proxy put in ``X-Forwarded-For``.
* **One session per name.** A name already labelling in another tab or browser is refused
  with a page saying so: two live sessions of one name never write at once. A reload of the
  same tab (the page keeps a tab id in ``sessionStorage``) takes its own session over at once.
* **A home screen** when no ``--task`` was given and the database holds several: each app
  starts without a task and opens on the tasks to choose from; its writer lease and claims are
  those of the task chosen (the server finds a killed app's lease by its process, on any task).
* **Bounded app processes.** Terminal sizes are clamped (``MAX_COLUMNS`` x ``MAX_ROWS``); when
  a socket closes, its app is asked to quit and stopped by a deadline (``QUIT_DEADLINE_S``,
  then SIGTERM, then SIGKILL after ``KILL_DEADLINE_S``); its slot and writer lease are freed.
* **No secret in the console.** Log lines are one line each, with no traceback and no local
  variables; anything shaped like an access code, a session token or a cookie is replaced by
  ``[redacted]``. A busy database is a 503 page that says so, never a 500.
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
import os
import re
import secrets
import shlex
import signal
import socket
import sqlite3
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from annotator.text.sanitize import sanitize_line

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
SCRYPT_WORKERS = 2  # codes checked at once (each check is ~50 ms of one core and 16 MB)
SCRYPT_QUEUE = 32  # sign-ins waiting for a check past which the server answers 503
RECHECK_S = 20.0
RELOAD_GRACE_S = 5.0
QUIT_WAIT_S = 15.0
QUIT_DEADLINE_S = 5.0  # an app asked to quit has this long, then SIGTERM ...
KILL_DEADLINE_S = 3.0  # ... and this long again, then SIGKILL
DB_WAIT_S = 5.0  # a sign-in or page waits this long for a busy database, then says so (503)
MIN_COLUMNS, MAX_COLUMNS = 20, 500
MIN_ROWS, MAX_ROWS = 5, 250
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_TAB = re.compile(r"[A-Za-z0-9_-]{8,64}")


class ServeError(ValueError):
    """The serving options cannot work (the message says why and what to pass)."""


class DatabaseBusy(RuntimeError):
    """The database did not answer within ``DB_WAIT_S`` (another process holds its lock)."""


# -- the console: one line per record, no traceback, no secret -------------------------------
_SECRETS = (
    # a cookie or its value, however it is written
    (re.compile(r"(?i)((?:set-)?cookie|annotator_session)(['\"]?\s*[:=]\s*['\"]?)[^\s;,'\"]+"), r"\1\2[redacted]"),
    # session tokens (43 characters of base64url) and anything as long
    (re.compile(r"[A-Za-z0-9_\-]{24,}"), "[redacted]"),
    # access codes: XXXX-XXXX-XXXX (any case, dashes or spaces), or the 12 characters run together
    (re.compile(r"(?i)(?<![0-9a-z])[0-9a-z]{4}[-\s]+[0-9a-z]{4}[-\s]+[0-9a-z]{4}(?![0-9a-z])"), "[redacted]"),
    (re.compile(r"(?<![0-9A-Za-z])(?=[0-9A-Za-z]*[0-9])(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{12}(?![0-9A-Za-z])"),
     "[redacted]"),
)


def redact(text: str) -> str:
    """``text`` with anything shaped like an access code, a session token or a cookie replaced."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class OneLineFormatter(logging.Formatter):
    """A log record as one line: level, source, message, and for an error only the
    exception's type and first line (never a traceback with its local variables: those held
    typed codes and session tokens), controls made visible and secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            text = record.getMessage()
        except Exception:  # a record whose arguments do not fit its message
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            first = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
            text += f" ({type(error).__name__}{': ' + first if first else ''})"
        when = time.strftime("%H:%M:%S", time.localtime(record.created))
        return redact(sanitize_line(f"{when} {record.levelname:<7} {text}"))[:2000]


def _busy(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and any(
        word in str(error).lower() for word in ("locked", "busy"))


def clamp_size(width, height) -> tuple[int, int]:
    """A terminal size from the browser, within ``MIN_COLUMNS``..``MAX_COLUMNS`` x
    ``MIN_ROWS``..``MAX_ROWS`` (a 20000 x 20000 resize once made the app grow without end)."""
    def number(value, default: int) -> int:
        try:
            return int(str(value)[:6])
        except ValueError:
            return default
    return (min(max(number(width, 80), MIN_COLUMNS), MAX_COLUMNS),
            min(max(number(height, 24), MIN_ROWS), MAX_ROWS))


class SignInLimiter:
    """Sign-in attempts in the last ``window_s`` seconds, per client address and per name.

    An attempt is counted before its code is checked (so a burst of concurrent guesses is
    cut at the limit, not all checked) and taken back when it succeeds; nothing else ever
    removes one, so signing in with one's own account does not clear the count of guesses at
    another. The name is counted whether or not it has an account (the answer must not tell).
    """

    def __init__(self, limit: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S):
        self.limit, self.window_s = limit, window_s
        self.attempts: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self.attempts.get(key, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def _forget_old(self, now: float) -> None:
        for key in [k for k, times in self.attempts.items() if not times or now - times[-1] > self.window_s]:
            del self.attempts[key]

    def begin(self, address: str, name: str) -> tuple[float, float, str]:
        """Count an attempt by ``address`` at ``name``: (its stamp, 0, "") when it may be
        checked, else (0, seconds to wait, "address" or "name")."""
        now = time.monotonic()
        if len(self.attempts) > 1000:
            self._forget_old(now)
        keys = (("address", address), ("name", name.casefold()))
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.limit:
                return 0.0, self.window_s - (now - times[0]), key[0]
        for key in keys:
            self.attempts.setdefault(key, deque()).append(now)
        return now, 0.0, ""

    def take_back(self, address: str, name: str, stamp: float) -> None:
        """Take back the attempt counted at ``stamp`` (it was right), and only that one."""
        for key in (("address", address), ("name", name.casefold())):
            times = self.attempts.get(key)
            if times and stamp in times:
                times.remove(stamp)


def parse_proxies(values) -> tuple:
    """``--trusted-proxy`` values (addresses or networks) as ``ipaddress`` networks."""
    networks = []
    for value in values or ():
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ServeError(f"--trusted-proxy {value!r}: expected an IP address or network, "
                             "such as 127.0.0.1 or 10.0.0.0/8") from None
    return tuple(networks)


def _in(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote: str | None, forwarded_for: str, trusted) -> str:
    """The address a sign-in is counted against: the connecting one, unless it is a trusted
    proxy; then the right-most address in ``X-Forwarded-For`` that is not a trusted proxy
    (the left part of that header is whatever the client sent, and proves nothing)."""
    remote = remote or "?"
    if not trusted or not _in(remote, trusted):
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return remote  # not an address: count it against the proxy itself
    return remote


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


def app_command(db_path, task: str | None, name: str, role: str) -> list[str]:
    """The app a signed-in account gets: a researcher the live dashboard of the task (only that
    role sees every annotator's progress and agreement), an annotator the labelling app, as
    themselves and nobody else. Without a task (several in the database, no ``--task``) each
    opens on its home screen, the tasks to choose from."""
    base = [sys.executable, "-m", "annotator", "--db", str(db_path)]
    chosen = ["--task", task] if task else []
    if role == "researcher":
        return [*base, "dashboard", *chosen]
    return [*base, "annotate", *chosen, "--annotator", name]


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
    tab: str = ""  # the page's tab id: the same tab reloading takes its own session over
    started: float = field(default_factory=time.time)
    # The browser side has closed (a reload, a closed tab): the app is quitting and takes no
    # more keys, so the name is free for a new session while the process finishes.
    browser_gone: bool = False


@dataclass
class ServeOptions:
    db_path: Path
    task: str | None  # None: several tasks, each person picks one on the home screen
    title: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = None
    max_sessions: int = DEFAULT_MAX_SESSIONS
    only: str | None = None  # --annotator: this one person may sign in
    trusted_proxies: tuple[str, ...] = ()  # --trusted-proxy: whose X-Forwarded-For is believed


def _empty_reader() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_eof()
    return reader


class WebAppService(AppService):
    """textual-serve's app process, minus what a served labelling app must not do: open
    anything but an http(s) link in the browser (a ``javascript:`` link in a response would
    run in this site's origin), or deliver files; plus what it must do: run the app itself
    (no shell) in its own process group, keep reading its output after the browser has gone
    (so it can finish), never print its error output raw, and end it by a deadline."""

    def __init__(self, argv: list[str], name: str = "", **kwargs):
        super().__init__(shlex.join(argv), **kwargs)
        self.argv, self.name = argv, name
        self.stderr_tail = b""
        self._stderr_task: asyncio.Task | None = None
        self.killed = ""
        self.quit_itself = False  # the app said it was exiting (q), as opposed to the browser leaving

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment.pop("ANNOTATOR_NAME", None)  # the name comes from the sign-in only
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24):
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self._build_environment(width=width, height=height),
            start_new_session=True)
        self._stdin = process.stdin
        self._stderr_task = asyncio.create_task(self._read_stderr(process.stderr))
        process.stderr = _empty_reader()  # textual-serve would copy it raw to the console
        return process

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while data := await stream.read(4096):
            self.stderr_tail = (self.stderr_tail + data)[-4096:]

    async def on_data(self, payload: bytes) -> None:
        try:
            await self.remote_write_bytes(payload)
        except (ConnectionError, RuntimeError):
            pass  # the browser has gone: keep reading, so the app can finish quitting

    async def on_meta(self, data: bytes) -> None:
        try:
            meta = json.loads(data)
            kind = meta.get("type")
            if kind == "exit":
                self.quit_itself = True
            if kind == "open_url":
                url = str(meta.get("url", ""))
                if urlsplit(url).scheme.lower() in ("http", "https"):
                    await self.remote_write_str(json.dumps(["open_url", {"url": url, "new_tab": True}]))
                return
            if kind == "deliver_file_start":
                return
            await super().on_meta(data)
        except (ConnectionError, RuntimeError):
            pass
        except (ValueError, AttributeError):
            log.warning("the app of %s sent a message that could not be read", self.name)

    async def _signal(self, sig: int) -> None:
        try:
            os.killpg(self._process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    async def _exited_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(asyncio.shield(self._process.wait()), seconds)
            return True
        except TimeoutError:
            return False

    async def stop(self) -> None:
        """Ask the app to quit; past ``QUIT_DEADLINE_S`` send SIGTERM, past ``KILL_DEADLINE_S``
        more SIGKILL (an app busy drawing a huge screen, or blocked, once outlived its socket
        and kept its slot and its lease)."""
        task, process = self._task, self._process
        if task is None or process is None:
            return
        self._task = None
        try:
            await asyncio.wait_for(self.send_meta({"type": "quit"}), 1.0)
        except (TimeoutError, AssertionError, ConnectionError, RuntimeError):
            pass  # its input is full or closed: the deadline below ends it
        if not await self._exited_within(QUIT_DEADLINE_S):
            self.killed = "SIGTERM"
            await self._signal(signal.SIGTERM)
            if not await self._exited_within(KILL_DEADLINE_S):
                self.killed = "SIGKILL"
                await self._signal(signal.SIGKILL)
                await process.wait()
        for pending in (task, self._stderr_task):
            if pending is not None:
                try:
                    await asyncio.wait_for(pending, 5.0)
                except (TimeoutError, asyncio.CancelledError, Exception):
                    pending.cancel()
        if self.killed:
            log.warning("the app of %s did not quit within %.0f s: ended with %s", self.name,
                        QUIT_DEADLINE_S + (KILL_DEADLINE_S if self.killed == "SIGKILL" else 0), self.killed)
        elif process.returncode not in (0, None) and self.stderr_tail:
            last = self.stderr_tail.decode("utf-8", "replace").strip().splitlines()
            log.warning("the app of %s ended with code %s: %s", self.name, process.returncode,
                        last[-1][:300] if last else "")


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
        self.limiter = SignInLimiter()
        self.trusted = parse_proxies(options.trusted_proxies)
        self.checks = asyncio.Semaphore(SCRYPT_WORKERS)
        self.waiting_checks = 0
        self.secure = self.address.public_url.startswith("https://")
        self._recheck: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        # On the home screen (no --task): the task a tab's app was labelling when the browser
        # left it (a reload), so that the reloaded tab resumes on it at once, keyed by
        # (session token, tab id). An app quit with q leaves nothing: the next one starts home.
        self.resume: dict[tuple[str, str], str] = {}

    def initialize_logging(self) -> None:
        """One line per record on the console (see :class:`OneLineFormatter`): textual-serve's
        handler printed tracebacks with their local variables, typed codes and tokens among them."""
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(OneLineFormatter())
        root = logging.getLogger()
        for old in list(root.handlers):
            root.removeHandler(old)
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if self.debug else logging.INFO)

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
            web.get("/ws/{tab}", self.handle_websocket),
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
        elif (request.method == "POST" or request.path == "/ws" or request.path.startswith("/ws/")) and \
                request.headers.get("Origin", "").lower().rstrip("/") not in self.address.origins:
            response = self._refused(403, "Refused", "This request did not come from the annotation page itself "
                                     "(its Origin is another site, or missing).")
        else:
            try:
                response = await handler(request)
            except web.HTTPException:
                raise
            except DatabaseBusy:
                log.warning("%s %s: the database is busy (503)", request.method, request.path)
                response = self._refused(503, "Database busy",
                                         "The annotation database is busy with another program right now. "
                                         "Wait a moment and try again; nothing was lost.", retry=True)
                response.headers["Retry-After"] = "5"
            except (TimeoutError, ConnectionError) as error:
                log.info("%s %s: the connection ended (%s)", request.method, request.path, type(error).__name__)
                raise web.HTTPBadRequest(text="the connection ended") from None
            except Exception as error:  # one line, never a traceback with its local variables
                log.error("%s %s failed: %s", request.method, request.path, type(error).__name__)
                response = self._refused(500, "Something went wrong",
                                         "The server could not answer this request. Try again; if it happens "
                                         "again, tell the researcher running this study.", retry=True)
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
    async def _db(self, action, *args):
        """``action(*args)`` on a worker thread, waiting at most ``DB_WAIT_S`` for a busy
        database (then :class:`DatabaseBusy`: a 503 page that says so, never a 500)."""
        work = asyncio.get_running_loop().run_in_executor(None, action, *args)
        try:
            return await asyncio.wait_for(work, DB_WAIT_S)
        except TimeoutError:
            raise DatabaseBusy() from None
        except sqlite3.OperationalError as error:
            if _busy(error):
                raise DatabaseBusy() from None
            raise

    async def _account(self, name: str):
        return await self._db(self.store.account, name)

    def _in_background(self, action, *args) -> None:
        """Run a store write that nobody waits for (a failure is one log line)."""
        async def run():
            try:
                await asyncio.get_running_loop().run_in_executor(None, action, *args)
            except Exception as error:
                log.warning("%s not recorded: %s", getattr(action, "__name__", "a write"), type(error).__name__)
        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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

    # -- pages -------------------------------------------------------------------------------
    async def handle_sign_in_page(self, request: web.Request) -> web.Response:
        if await self._signed_in(request):
            raise web.HTTPSeeOther("./")
        return web.Response(content_type="text/html", text=pages.sign_in(self.title, only=self.options.only))

    def client(self, request: web.Request) -> str:
        """The address a sign-in is counted against (see :func:`client_address`)."""
        return client_address(request.remote, request.headers.get("X-Forwarded-For", ""), self.trusted)

    def _sign_in_refused(self, status: int, name: str, error: str) -> web.Response:
        return web.Response(status=status, content_type="text/html", text=pages.sign_in(
            self.title, name=name, only=self.options.only, error=error))

    async def _check(self, code: str, account) -> bool:
        """The scrypt check, at most ``SCRYPT_WORKERS`` at once (each is ~50 ms of a core)."""
        loop = asyncio.get_running_loop()
        async with self.checks:
            if account is None:
                return await loop.run_in_executor(None, verify_none, code)  # the same time as a real check
            return await loop.run_in_executor(None, verify, code, account.code_hash)

    async def handle_sign_in(self, request: web.Request) -> web.Response:
        try:
            form = await request.post()
        except (ValueError, AssertionError, UnicodeDecodeError, LookupError):
            log.info("sign-in from %s: a form that could not be read", self.client(request))
            return self._sign_in_refused(400, "", "The sign-in form could not be read: reload the page and try again.")
        name, code = str(form.get("name", "")).strip()[:64], str(form.get("code", ""))[:64]
        client = self.client(request)
        if self.options.only and name != self.options.only:
            return self._sign_in_refused(403, name, f"This server is for {self.options.only} only.")
        if self.waiting_checks >= SCRYPT_QUEUE:
            response = self._sign_in_refused(503, name, "The server is busy checking other sign-ins: try again "
                                             "in a few seconds.")
            response.headers["Retry-After"] = "5"
            return response
        # counted before the check, with no await in between: a burst of guesses stops at the limit
        stamp, wait, which = self.limiter.begin(client, name)
        if wait:
            log.warning("sign-in refused (too many attempts for this %s)", which)
            whose = "from your address" if which == "address" else "for this name"
            return self._sign_in_refused(429, name, f"Too many failed sign-ins {whose}: try again in "
                                         f"{int(wait // 60) + 1} minute(s).")
        self.waiting_checks += 1
        try:
            account = await self._account(name) if name else None
            ok = await self._check(code, account)
        except DatabaseBusy:
            self.limiter.take_back(client, name, stamp)  # not the person's failure
            raise
        finally:
            self.waiting_checks -= 1
        if not ok or account is None or account.disabled:
            log.warning("failed sign-in from %s", client)
            return self._sign_in_refused(403, name, "That name and access code do not match an active account.")
        self.limiter.take_back(client, name, stamp)
        token = secrets.token_urlsafe(32)
        self.sessions[token] = SignedIn(account.name, account.role, account.code_set_at)
        self._in_background(self.store.record_sign_in, account.name)  # a busy database does not hold the sign-in
        response = web.HTTPSeeOther("./")
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=self.secure, path="/")
        return response

    async def handle_sign_out(self, request: web.Request) -> web.Response:
        token = request.cookies.get(COOKIE, "")
        self.sessions.pop(token, None)
        for key in [key for key in self.resume if key[0] == token]:
            del self.resume[key]
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
        go: the browser may close it only once the new page has loaded."""
        for _ in range(int(RELOAD_GRACE_S * 10)):
            if not self._live_of(name):
                return True
            await asyncio.sleep(0.1)
        return not self._live_of(name)

    def _take_over(self, name: str, token: str, tab: str) -> None:
        """The same tab of the same signed-in browser reloading: its old session ends now (its
        app is asked to quit, by a deadline) instead of the new page being told to wait."""
        if not _TAB.fullmatch(tab):
            return
        for live in self.live.values():
            if live.name == name and live.token == token and live.tab == tab and not live.browser_gone:
                live.browser_gone = True
                task = asyncio.create_task(live.websocket.close())
                self._background.add(task)
                task.add_done_callback(self._background.discard)

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
        start (a terminal, another server), if any: the app would be refused. On the home
        screen (no task given) none: the person picks a task, and the picker says which ones
        are open elsewhere (a lease is per task: another task is free to label)."""
        if self.options.task is None or any(live.name == name for live in self.live.values()):
            return None
        return self.store.live_writer(self.options.task, name)

    def _task_of(self, name: str, pid: int | None) -> str | None:
        """The task whose writer lease the app of ``name`` (process ``pid``) holds, if any."""
        return next((w["task"] for w in self.store.writers() if w["annotator"] == name and w["pid"] == pid
                     and w["host"] == socket.gethostname() and w["live"]), None)

    async def _remember_task(self, token: str, tab: str, name: str, app_service: WebAppService) -> None:
        """Before a tab's app stops because the browser left (a reload): which task it labels."""
        if (self.options.task is not None or not tab or app_service.quit_itself or app_service.pid is None
                or token not in self.sessions):  # signed out: nothing to resume
            return
        try:
            chosen = await self._db(self._task_of, name, app_service.pid)
        except Exception as error:  # a busy database: the reloaded tab starts on the home screen
            log.info("the task of %s's session was not looked up: %s", name, type(error).__name__)
            return
        if chosen is not None:
            self.resume[(token, tab)] = chosen

    def _release_lease(self, name: str, pid: int | None) -> None:
        """Free the writer lease an ended app of ``name`` (process ``pid``) still holds, on
        whichever task it chose: a killed app could not give it back."""
        if pid is None:
            return
        for w in self.store.writers(self.options.task):
            if w["annotator"] == name and w["pid"] == pid and w["host"] == socket.gethostname():
                self.store.release_writer(w["task"], name)

    async def handle_state(self, request: web.Request) -> web.Response:
        """What the app page asks before it connects: may this browser start the app now?"""
        found = await self._signed_in(request)
        if found is None:
            return web.json_response({"signed_in": False})
        token, session = found
        self._take_over(session.name, token, request.query.get("tab", ""))
        message = ""
        if not await self._name_free(session.name):
            message = (f"{session.name} is labelling in another tab or browser. Close it first (or wait a minute "
                       "if it was closed without quitting), then try again: one session per name, so two never "
                       "save over each other.")
        else:
            await self._quitting_apps_gone(session.name)
            holder = await self._db(self._held_elsewhere, session.name)
            if holder is not None:  # never its process id or host name: those are the server's business
                message = (f"{session.name} is labelling this task in another session (a terminal or another "
                           f"server, since {str(holder['started_at'])[11:16]} UTC). Close that session first, then "
                           "try again: one session per name, so two never save over each other.")
        return web.json_response({"signed_in": True, "name": session.name, "busy": bool(message),
                                  "message": message})

    # -- the app's websocket -------------------------------------------------------------------
    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        found = await self._signed_in(request)
        if found is None:
            raise web.HTTPForbidden(text="sign in first")
        token, session = found
        tab = request.match_info.get("tab", "")
        self._take_over(session.name, token, tab)
        await self._name_free(session.name)
        await self._quitting_apps_gone(session.name)
        # checked and reserved with no await in between: two tabs cannot both pass
        if self._live_of(session.name):
            raise web.HTTPConflict(text=f"{session.name} already has a session open")
        if len(self.live) >= self.options.max_sessions:
            raise web.HTTPServiceUnavailable(text="too many sessions")
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=64 * 1024)
        key = id(websocket)
        tab = tab if _TAB.fullmatch(tab) else ""
        self.live[key] = Live(session.name, token, websocket, tab=tab)
        task = self.options.task or self.resume.pop((token, tab), None)
        width, height = clamp_size(request.query.get("width", "80"), request.query.get("height", "24"))
        app_service: WebAppService | None = None
        try:
            await websocket.prepare(request)
            app_service = WebAppService(app_command(self.options.db_path, task, session.name, session.role),
                                        name=session.name,
                                        write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                        close=websocket.close, download_manager=self.download_manager,
                                        debug=self.debug)
            await app_service.start(width, height)
            try:
                await self._process_messages(websocket, app_service)
            finally:
                self.live[key].browser_gone = True
                await self._remember_task(token, tab, session.name, app_service)
                await app_service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a broken socket or process: one line, and free the slot
            log.warning("the session of %s ended: %s", session.name, type(error).__name__)
        finally:
            try:
                if app_service is not None:
                    await app_service.stop()
                    await self._db(self._release_lease, session.name, app_service.pid)
            except Exception as error:
                log.warning("the lease of %s was not freed: %s (it expires by itself)", session.name,
                            type(error).__name__)
            finally:
                self.live.pop(key, None)
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """textual-serve's loop, tolerating a malformed message instead of ending on it, and
        clamping the terminal size."""
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
                await app_service.set_terminal_size(*clamp_size(data.get("width", 80), data.get("height", 24)))
            elif kind == "ping":
                await websocket.send_json(["pong", str(data)[:64]])
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

    def startup_lines(self) -> list[str]:
        """What the console says when the server starts: the one address colleagues open."""
        url, port = self.address.public_url, self.options.port
        if self.options.task is None:
            lines = [f"Serving the home screen at {url}: each person signs in, then chooses one of the "
                     f"{len(self.store.tasks())} tasks (--task serves one task only)"]
        else:
            lines = [f"Serving task {self.options.task!r} at {url}"]
        if self.options.host in ("0.0.0.0", "::", "") and not self.options.public_url:
            lines.append(f"Listening on every interface without --public-url: colleagues must open {url} (this "
                         "machine's name); a request for any other address of this machine (its IP address, "
                         "localhost) is refused. If they reach it by another name or by its IP address, restart "
                         f"with --public-url http://THAT-NAME-OR-IP:{port}")
        elif self.options.public_url and _is_loopback(self.options.host) and not self.trusted:
            lines.append("Behind a reverse proxy on this machine? Add --trusted-proxy 127.0.0.1 so failed sign-ins "
                         "are counted per colleague (from the proxy's X-Forwarded-For), not for everyone at once.")
        if self.trusted:
            lines.append("X-Forwarded-For is believed from: " + ", ".join(str(n) for n in self.trusted))
        lines.append("Annotators sign in with their name and access code (annotator annotators add NAME). "
                     "Press Ctrl+C to stop.")
        return lines

    async def on_startup(self, app: web.Application) -> None:
        self._recheck = asyncio.create_task(self._recheck_accounts())
        for line in self.startup_lines():
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    async def on_shutdown(self, app: web.Application) -> None:
        if self._recheck is not None:
            self._recheck.cancel()
        for live in list(self.live.values()):
            await live.websocket.close()
