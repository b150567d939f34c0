"""The online runner's HTTP: one aiohttp session posting chat completions, every reader bounded.

What the bare client does and no more (the body serialised once, no typed request or
response models, no per-request header merging), plus the bounds a hostile or broken server
needs: a total deadline per request (connect, send and the whole answer, not per read), a
largest answer read (``max_answer_bytes``), and a Retry-After honoured only up to a cap.
The Batch API keeps the official ``openai`` client (``batch.py``).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from annotator import __version__
from annotator.text.sanitize import sanitize_line

from .credentials import OPENAI_URL, Endpoint

MAX_ANSWER_BYTES = 16 * 1024 * 1024  # the largest answer body read; a larger one is a failed call
# (an honest answer of max_tokens tokens with logprobs is far smaller; parsing 16 MiB of text takes
# a second or two of CPU, which a server could otherwise make the run pay over and over)
RETRYABLE = frozenset({408, 409, 429})  # and every 5xx
REFUSED = frozenset({401, 403})  # the credentials: every other call would be refused too


class AnswerTooLarge(Exception):
    pass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Transport:
    """POST ``/chat/completions`` under the endpoint's base URL with a shared connection pool.

    A base URL holding ``user:password@`` is sent as HTTP basic authentication (as the
    openai client's transport does), otherwise the key as a bearer token; query parameters
    of the base URL (``?api-version=``) are kept.
    """

    def __init__(self, endpoint: Endpoint, *, concurrency: int, timeout: float,
                 max_answer_bytes: int = MAX_ANSWER_BYTES):
        import aiohttp

        parts = urlsplit((endpoint.base_url or OPENAI_URL).rstrip("/"))
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        self.url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/chat/completions", parts.query, ""))
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "User-Agent": f"annotator/{__version__}"}
        if parts.username or parts.password:
            import base64
            from urllib.parse import unquote

            pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            headers["Authorization"] = f"Bearer {endpoint.api_key}"
        self.timeout, self.max_answer_bytes = timeout, max_answer_bytes
        # The proxy from the environment (HTTPS_PROXY, NO_PROXY...), looked up once: aiohttp's
        # trust_env looks it up (and ~/.netrc) on a worker thread for every request.
        self.proxy: dict = {}
        try:
            from aiohttp.helpers import get_env_proxy_for_url
            from yarl import URL

            proxy, proxy_auth = get_env_proxy_for_url(URL(self.url))
            self.proxy = {"proxy": proxy, "proxy_auth": proxy_auth}
        except LookupError:
            pass
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max(1, concurrency)), headers=headers,
            timeout=aiohttp.ClientTimeout(total=None), skip_auto_headers=("Accept-Encoding",),
        )

    async def post(self, body: bytes) -> Answer:
        """The answer to one request; raises ``TimeoutError`` past the deadline (in total),
        ``AnswerTooLarge`` past the largest answer, ``aiohttp.ClientError`` on the way."""
        async with asyncio.timeout(self.timeout):
            async with self.session.post(self.url, data=body, **self.proxy) as response:
                length = response.content_length
                if length is not None and length > self.max_answer_bytes:
                    raise AnswerTooLarge(f"an answer of {length:,} bytes, over the limit of {self.max_answer_bytes:,}")
                if length is not None:
                    data = await response.read()
                else:
                    chunks, size = [], 0
                    async for chunk in response.content.iter_chunked(1 << 16):
                        size += len(chunk)
                        if size > self.max_answer_bytes:
                            raise AnswerTooLarge(f"an answer of over {self.max_answer_bytes:,} bytes (the limit)")
                        chunks.append(chunk)
                    data = b"".join(chunks)
                return Answer(response.status, dict(response.headers), data)

    async def close(self) -> None:
        await self.session.close()


def server_message(answer: Answer, limit: int = 300) -> str:
    """The server's own words about an error (``error.message``, ``message``, ``detail``),
    else the start of the body: one line, terminal controls shown as text."""
    text = ""
    try:
        data = json.loads(answer.body)
        if isinstance(data, dict):
            error = data.get("error")
            found = (error.get("message") if isinstance(error, dict) else error) or data.get("message") or data.get("detail")
            text = found if isinstance(found, str) else json.dumps(found) if found else ""
    except ValueError:
        pass
    if not text:
        text = answer.body[:limit].decode("utf-8", "replace")
    return sanitize_line(" ".join(text.split()))[:limit] or "(no message)"


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def retry_after(headers: dict[str, str]) -> tuple[float | None, str]:
    """The wait a server asks for (``retry-after-ms``, else ``retry-after`` in seconds or as
    an HTTP date) and the header's text; ``None`` when it asks for none or it cannot be read."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = _header(headers, name)
        if value is None:
            continue
        try:
            return float(value) / divisor, value
        except ValueError:
            pass
        if name == "retry-after":
            try:
                return email.utils.parsedate_to_datetime(value).timestamp() - time.time(), value
            except (TypeError, ValueError, OverflowError):
                return None, value
    return None, ""


def retry_delay(headers: dict[str, str], attempt: int, base_s: float, cap_s: float, jitter: float) -> tuple[float, str]:
    """How long to wait before retry ``attempt`` (0-based), and a note when the server's
    Retry-After was not followed as asked. The rule (the openai client's): a Retry-After
    between 0 and the cap is honoured; a longer one waits the cap; one that is not a finite
    positive number (``inf``, ``nan``, negative, unreadable) is ignored for the exponential
    backoff (``base_s * 2**attempt``, at most the cap, times ``jitter`` in [0.5, 1])."""
    asked, raw = retry_after(headers)
    if asked is not None and math.isfinite(asked) and 0 < asked <= cap_s:
        return asked, ""
    if asked is not None and math.isfinite(asked) and asked > cap_s:
        return cap_s, f"Retry-After over the cap of {cap_s:g} s (e.g. {sanitize_line(raw)[:40]!r}): waited the cap"
    backoff = min(cap_s, base_s * 2 ** min(attempt, 60)) * jitter
    if raw:
        return backoff, f"Retry-After not a usable wait (e.g. {sanitize_line(raw)[:40]!r}): exponential backoff instead"
    return backoff, ""


def unreachable(error: BaseException) -> str:
    """Why nothing answers at the endpoint, when ``error`` says so ("" otherwise): a refused
    connection or a host name that does not resolve, found in the error or its causes."""
    import socket

    seen = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused: nothing is listening there"
        if isinstance(cause, socket.gaierror):
            return "the host name could not be resolved"
        cause = getattr(cause, "os_error", None) or cause.__cause__ or cause.__context__
    return ""
