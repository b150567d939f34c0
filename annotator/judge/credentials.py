"""Where a judge's API key and endpoint come from. The key is only ever held in memory.

The key: the environment variable the judge names (``api_key_env``, default
``OPENAI_API_KEY``), else the ``[api_keys]`` table of the user's config file
(``$ANNOTATOR_CONFIG``, else ``~/.config/annotator/config.toml``), keyed by the same name::

    [api_keys]
    OPENAI_API_KEY = "sk-..."

The endpoint: ``--base-url``, else the judge's ``base_url``, else ``$OPENAI_BASE_URL``, else
OpenAI. Local OpenAI-compatible servers (vLLM, Ollama, llama.cpp) accept any key, so with a
base URL and no key a placeholder key is sent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from annotator.config import ConfigError, config_path, read_config

OPENAI_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "no-key-needed"


class MissingCredentials(RuntimeError):
    pass


class BadEndpoint(MissingCredentials):
    """A base URL no request can be sent to (not http or https, no host): refused before
    any call, instead of retried as a connection error."""


def check_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        shown = public_url(url)
        raise BadEndpoint(f"base URL {shown!r}: the scheme must be http:// or https:// "
                          f"(found {parts.scheme + '://' if parts.scheme else 'none'}), e.g. http://localhost:8000/v1")
    try:
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a port that is not a number in range)
    except ValueError:
        host = None
    if not host:
        raise BadEndpoint(f"base URL {public_url(url)!r} names no host (or no valid port), e.g. http://localhost:8000/v1")


def _key_from_config_file(env_name: str) -> str | None:
    try:
        data = read_config()
    except ConfigError:
        return None
    value = data.get("api_keys", {}).get(env_name)
    return str(value) if value else None


_SECRET_PARAM = re.compile(r"key|token|secret|sig|pass|auth|cred", re.IGNORECASE)


def _secret_params(query: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if _SECRET_PARAM.search(k)]


def public_url(url: str) -> str:
    """``url`` without credentials: a user name and password (``http://user:pw@host``) and
    the values of query parameters named like a key or token (``?api-key=...``, not
    ``?api-version=...``) are replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    secret = {k for k, _ in _secret_params(parts.query)}
    query = "&".join(f"{k}=***" if k in secret else f"{k}={v}"
                     for k, v in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The credentials inside a URL (user name, password, key-like query values), to scrub
    from error messages."""
    if not url:
        return ()
    parts = urlsplit(url)
    found = [parts.password or "", parts.username or "", *(v for _, v in _secret_params(parts.query))]
    return tuple(s for s in found if s)


@dataclass(frozen=True)
class Endpoint:
    base_url: str | None  # None: OpenAI
    api_key: str

    @property
    def url(self) -> str:
        """The endpoint as stored with a run and shown: never the key, nor credentials that
        were written into the base URL."""
        return public_url((self.base_url or OPENAI_URL).rstrip("/"))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Everything secret in this endpoint, to scrub from error messages before storing them."""
        return tuple(s for s in (self.api_key, *url_secrets(self.base_url)) if s and s != PLACEHOLDER_KEY)

    def __repr__(self) -> str:  # keep the key out of any repr, traceback or log line
        return f"Endpoint(base_url={public_url(self.base_url) if self.base_url else None!r}, api_key=***)"


def resolve_endpoint(
    base_url_option: str | None, config_base_url: str, api_key_env: str, *, require_key: bool = True
) -> Endpoint:
    """The server and key to use. ``require_key=False`` (a dry run) does not fail for want of
    a key (it is then ''); a base URL that is not http(s)://HOST... is refused (``BadEndpoint``)."""
    base_url = base_url_option or config_base_url or os.environ.get("OPENAI_BASE_URL") or None
    if base_url:
        check_base_url(base_url)
    key = os.environ.get(api_key_env) or _key_from_config_file(api_key_env)
    if key:
        return Endpoint(base_url, key)
    if base_url:
        return Endpoint(base_url, PLACEHOLDER_KEY)
    if not require_key:
        return Endpoint(base_url, "")
    raise MissingCredentials(
        f"no API key and no server to talk to. Either set ${api_key_env} (or put "
        f"{api_key_env} = \"...\" under [api_keys] in {config_path()}) to use OpenAI, or point "
        "the judge at an OpenAI-compatible server with --base-url URL "
        "(e.g. http://localhost:8000/v1 for vLLM, http://localhost:11434/v1 for Ollama)."
    )
