"""The request bodies and cache keys, encoded fast (orjson for the strings), are byte for byte
what the standard library's ``json`` made: the cache of every database stays valid and the
server receives the very same requests."""

import hashlib
import json
import math

import pytest

from annotator.judge import RunOptions, load_judge, run_online
from annotator.judge.calls import CacheKeys, cache_key, messages_json
from annotator.judge.credentials import Endpoint
from annotator.judge.planning import prepare_first


def _reference_key(endpoint, model, params, messages, sample) -> str:
    """The cache key as it has always been computed."""
    blob = json.dumps({"endpoint": endpoint, "model": model, "params": params, "messages": messages, "sample": sample},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _every_code_point() -> list[str]:
    """Every code point but the surrogates, in strings of 4,096 (quotes, backslashes and
    controls among them)."""
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    return ["".join(points[i:i + 4096]) for i in range(0, len(points), 4096)]


TEXTS = ['plain', 'quote " backslash \\ slash /', "controls \x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f end",
         "non-ASCII: é ü ß 中文 😀 \u2028 \u2029 \ufeff", "", "{braces} and [brackets], commas: colons"]


@pytest.mark.parametrize("text", TEXTS + _every_code_point())
def test_messages_encode_as_json_does(text):
    messages = [{"role": "system", "content": text}, {"role": "user", "content": text[::-1]}]
    assert messages_json(messages) == json.dumps(messages, ensure_ascii=False).encode("utf-8")
    assert messages_json(messages, sorted_compact=True) == json.dumps(
        messages, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@pytest.mark.parametrize("messages", [
    [], [{}], [{"z": "1", "a": "2", "é": "3", "content": "x", "role": "user"}],
    [{"role": "user", "content": [{"type": "text", "text": "parts"}]}],  # not text only: json's own path
    [{"role": "user", "content": None}], [{"role": "user", "content": 3, "n": 1.5e-05}], ({"role": "user"},),
])
def test_unusual_messages_encode_as_json_does(messages):
    assert messages_json(messages) == json.dumps(messages, ensure_ascii=False).encode("utf-8")
    assert messages_json(messages, sorted_compact=True) == json.dumps(
        messages, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_a_lone_surrogate_fails_as_it_did():
    messages = [{"role": "user", "content": "half a pair \ud800"}]
    for sorted_compact in (False, True):
        with pytest.raises(UnicodeEncodeError):
            messages_json(messages, sorted_compact=sorted_compact)
    with pytest.raises(UnicodeEncodeError):
        cache_key("http://x/v1", "m", {}, messages, 0)


@pytest.mark.parametrize("endpoint, model, params", [
    ("http://127.0.0.1:8000/v1", "gpt-4o-mini", {"temperature": 0.0, "max_tokens": 2048}),
    ("https://api.example.com/v1?api-version=2024", "modèle \"quoted\"", {"temperature": 0.7, "max_tokens": 5,
                                                                          "logprobs": True, "top_logprobs": 20}),
    ("", "m", {"temperature": 1.5e-05, "max_tokens": 10 ** 20, "z": [1e16, -0.0], "a": {"b": None}}),
    ("http://x", "m", {"temperature": math.inf, "top_p": math.nan}),
])
@pytest.mark.parametrize("sample", [0, 1, 7])
def test_cache_keys_are_the_ones_stored_before(endpoint, model, params, sample):
    keys = CacheKeys(endpoint, model, params)
    for text in TEXTS:
        messages = [{"role": "system", "content": "judge " + text}, {"role": "user", "content": text}]
        expected = _reference_key(endpoint, model, params, messages, sample)
        assert keys(messages, sample) == expected == cache_key(endpoint, model, params, messages, sample)
    odd = [{"role": "user", "content": ["parts"]}]
    assert keys(odd, sample) == _reference_key(endpoint, model, params, odd, sample)


def test_a_known_cache_key_never_changes():
    """A key computed by the old code: runs stored before keep hitting the cache."""
    messages = [{"role": "system", "content": "Be fair."}, {"role": "user", "content": "Which is better? é 😀"}]
    assert cache_key("http://localhost:8000/v1", "gpt-4o-mini", {"temperature": 0.0, "max_tokens": 2048}, messages, 1) \
        == "6624ff309b25847c25af9fbb9cd121b9da041db5b4b20ed58a4b69e04a18b89e"


def test_the_server_receives_the_bodies_json_made(db_store, server):
    """The request body: the model and parameters, then the messages, as json.dumps wrote them."""
    judge = load_judge("mt-bench-pair")
    prep = prepare_first(db_store, "demo", judge, RunOptions(model="content", limit=3), server.url)
    prep.plan_rest()
    calls = {c.cache_key: c for c in [prep.first, *prep.calls] if c is not None}
    prep = prepare_first(db_store, "demo", judge, RunOptions(model="content", limit=3), server.url)
    asyncio_run(run_online(db_store, prep, Endpoint(server.url, "sk-test")))
    head = json.dumps({"model": prep.model, **prep.params}, ensure_ascii=False)[:-1]
    expected = sorted((head + ', "messages": ' + json.dumps(c.messages, ensure_ascii=False) + "}").encode("utf-8")
                      for c in calls.values())
    assert sorted(server.raw_bodies) == expected and len(expected) == 6


def asyncio_run(coroutine):
    import asyncio

    return asyncio.run(coroutine)
