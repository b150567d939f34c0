"""The calls a run makes: one per pair, presented order and sample, with its cache key.

The cache key is a SHA-256 of the endpoint, the model, the request parameters, the exact
messages and the sample number: the same request is never paid for twice, in this run or
any other. Completions (from the online API or a Batch API output file) become
``Judgment`` objects here, with their verdict mapped back to canonical order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from annotator.store.models import Judgment, Pair

from . import parsers

CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text; estimates only
# The worst case of a prompt: one token per byte of UTF-8 text (no tokenizer makes a token of
# less than a byte) plus this many tokens of chat formatting per message and for the reply.
FORMAT_TOKENS = 8
# The stored raw output of one answer: longer ones keep their first and last half of this
# many characters (a verdict is at the start or the end), the middle cut and said so; the
# verdict is parsed from the whole answer before it is cut.
RAW_OUTPUT_LIMIT = 100_000


class MalformedAnswer(ValueError):
    """A 200 answer that is JSON but not a chat completion (e.g. ``"choices": "nope"``)."""


@dataclass
class Call:
    pair: Pair
    order: str  # presented order, "AB" or "BA" ("AB" for a pointwise call)
    sample: int
    messages: list[dict[str, str]]
    cache_key: str
    target: str = ""  # "" a pair; "A" / "B" / "prompt" / "source" for a pointwise call

    @property
    def slot(self) -> tuple[int, str, int, str]:
        return (self.pair.stored_id, self.order, self.sample, self.target)

    @property
    def estimated_prompt_tokens(self) -> int:
        return sum(len(m["content"]) for m in self.messages) // CHARS_PER_TOKEN + 4 * len(self.messages)

    @cached_property
    def max_prompt_tokens(self) -> int:
        """The most prompt tokens this call can honestly be billed for (see FORMAT_TOKENS)."""
        return sum(len(m["content"].encode("utf-8")) + FORMAT_TOKENS for m in self.messages) + FORMAT_TOKENS


def request_params(temperature: float, max_tokens: int, logprobs: bool, top_logprobs: int) -> dict[str, Any]:
    params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
    if logprobs:
        params["logprobs"] = True
        if top_logprobs:
            params["top_logprobs"] = top_logprobs
    return params


def _plain(messages: Any) -> bool:
    """Chat messages of text only: a list of dicts whose keys and values are all ``str``."""
    if type(messages) is not list:
        return False
    for m in messages:
        if type(m) is not dict:
            return False
        for k, v in m.items():
            if type(k) is not str or type(v) is not str:
                return False
    return True


def messages_json(messages: list[dict], *, sorted_compact: bool = False) -> bytes:
    """``json.dumps(messages, ensure_ascii=False)`` as UTF-8 (``sorted_compact``: with
    ``sort_keys=True, separators=(",", ":")``, as in the cache key), byte for byte the same,
    each string encoded by orjson: the standard library encodes non-ASCII output a character
    at a time (~10 us for a 3 kB prompt, twice per call: the cache key and the request body).
    orjson escapes exactly what ``json`` does with ``ensure_ascii=False`` (quote, backslash and
    the controls below U+0020, in the same forms), checked for every code point by the tests.
    Anything else (a value that is not a string, a lone surrogate) takes ``json``'s own path,
    with its own result or error."""
    if _plain(messages):
        import orjson

        try:
            if sorted_compact:
                return orjson.dumps(messages, option=orjson.OPT_SORT_KEYS)
            dumps = orjson.dumps
            return b"[" + b", ".join(
                b"{" + b", ".join(dumps(k) + b": " + dumps(v) for k, v in m.items()) + b"}" for m in messages
            ) + b"]"
        except TypeError:  # a lone surrogate: json's path raises its own error for it
            pass
    if sorted_compact:
        return json.dumps(messages, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return json.dumps(messages, ensure_ascii=False).encode("utf-8")


class CacheKeys:
    """``cache_key`` for the calls of one run: the endpoint, model and parameters encoded
    once, the messages of each call with ``messages_json``."""

    def __init__(self, endpoint: str, model: str, params: dict[str, Any]):
        def encoded(value: Any) -> bytes:
            return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        # the keys in sorted order, as json.dumps(sort_keys=True) writes them
        self.head = b'{"endpoint":' + encoded(endpoint) + b',"messages":'
        self.tail = b',"model":' + encoded(model) + b',"params":' + encoded(params) + b',"sample":'
        self.encoded = encoded
        self.ends: dict[Any, bytes] = {}  # sample -> its encoding and the closing brace

    def __call__(self, messages: list[dict], sample: int) -> str:
        end = self.ends.get(sample) if type(sample) is int else None
        if end is None:
            end = self.encoded(sample) + b"}"
            if type(sample) is int:
                self.ends[sample] = end
        digest = hashlib.sha256(self.head)
        digest.update(messages_json(messages, sorted_compact=True))
        digest.update(self.tail)
        digest.update(end)
        return digest.hexdigest()


def cache_key(endpoint: str, model: str, params: dict[str, Any], messages: list[dict], sample: int) -> str:
    """SHA-256 of ``json.dumps({"endpoint", "model", "params", "messages", "sample"},
    sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` in UTF-8 (the key of every
    cached judgment: it never changes)."""
    return CacheKeys(endpoint, model, params)(messages, sample)


@dataclass(frozen=True)
class Price:
    input: float | None  # USD per million prompt tokens
    output: float | None
    factor: float = 1.0  # 0.5 in Batch API mode

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        """None (unknown) when the price or the token counts are unknown."""
        if self.input is None or self.output is None or prompt_tokens is None or completion_tokens is None:
            return None
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1e6 * self.factor

    def estimate(self, call: Call, max_tokens: int) -> float | None:
        """An upper-end estimate: the prompt at ~4 characters a token, the full max_tokens out."""
        return self.cost(call.estimated_prompt_tokens, max_tokens)

    def worst_case(self, call: Call, max_tokens: int) -> float | None:
        """The most one call can cost: the prompt at one token per byte, the full max_tokens out."""
        return self.cost(call.max_prompt_tokens, max_tokens)


def check_usage(usage: Any, call: Call, max_tokens: int | None) -> tuple[int | None, int | None, str]:
    """The answer's token counts, or (None, None, why) when they cannot be true: not whole
    numbers, negative, a prompt over ``Call.max_prompt_tokens`` or a completion over the
    request's ``max_tokens``. Refused figures are not billed (the cost is unknown)."""
    if usage is None or usage == {}:
        return None, None, ""
    if not isinstance(usage, dict):
        return None, None, "usage figures refused (not an object)"
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    for name, value, most in (("prompt_tokens", prompt, call.max_prompt_tokens), ("completion_tokens", completion, max_tokens)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            return None, None, f"usage figures refused ({name} is not a whole number)"
        if value < 0:
            return None, None, f"usage figures refused ({name} is negative)"
        if most is not None and value > most:
            return None, None, f"usage figures refused ({name} over the most the call can use)"
    return prompt, completion, ""


def cut_output(text: str, limit: int = RAW_OUTPUT_LIMIT) -> str:
    """``text`` as stored: whole up to ``limit`` characters, else its first and last halves
    around a line that says how much was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half:,} characters cut: the answer was {len(text):,} ...]\n{text[-half:]}"


def failure_kind(reason: str) -> tuple[str, str]:
    """A failed call's kind and message from its stored reason (``error: KIND: message``)."""
    rest = reason.removeprefix("error: ")
    kind, sep, message = rest.partition(": ")
    return (kind, message) if sep else ("error", rest)


def tally_failure(failures: dict[str, dict[str, Any]], reason: str) -> None:
    """Count one failed call under its kind, keeping the first message as the example."""
    kind, message = failure_kind(reason)
    failures.setdefault(kind, {"count": 0, "example": message})["count"] += 1


def _first_token_top_logprobs(choice: dict) -> list[tuple[str, float]] | None:
    content = ((choice.get("logprobs") or {}).get("content")) or []
    if not content:
        return None
    first = content[0]
    top = first.get("top_logprobs") or []
    pairs = [(t.get("token", ""), t.get("logprob")) for t in top]
    if not pairs and first.get("token") is not None:
        pairs = [(first["token"], first.get("logprob"))]
    return pairs or None


def _field(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = mapping.get(key)
    if value is not None and not isinstance(value, kind):
        raise MalformedAnswer(f"{where}{key} is {type(value).__name__}, not {getattr(kind, '__name__', 'an object')}")
    return value


def judgment_from_completion(
    call: Call, run: int, parser: str, completion: Any, latency_s: float | None, price: Price,
    max_tokens: int | None = None, notes: list[str] | None = None,
) -> Judgment:
    """A judgment from a chat completion (as a dict: the JSON body of the response).

    Raises ``MalformedAnswer`` when the body is not shaped like a chat completion. Usage
    figures that cannot be true are refused (``check_usage``), an answer over
    ``RAW_OUTPUT_LIMIT`` characters is stored cut; each adds a line to ``notes``.
    """
    if not isinstance(completion, dict):
        raise MalformedAnswer(f"the answer is {type(completion).__name__}, not an object")
    prompt_tokens, completion_tokens, refused = check_usage(completion.get("usage"), call, max_tokens)
    if refused and notes is not None:
        notes.append(refused)
    judgment = Judgment(
        run=run, pair=call.pair.stored_id, order=call.order, sample=call.sample, target=call.target,
        messages=call.messages, cache_key=call.cache_key, latency_s=latency_s,
        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
        cost=price.cost(prompt_tokens, completion_tokens),
    )
    choices = _field(completion, "choices", list, "") or []
    if not choices:
        judgment.unscored_reason = "empty"
        return judgment
    choice = choices[0]
    if not isinstance(choice, dict):
        raise MalformedAnswer(f"choices[0] is {type(choice).__name__}, not an object")
    message = _field(choice, "message", dict, "choices[0].") or {}
    text = _field(message, "content", str, "message.") or ""
    refusal = _field(message, "refusal", str, "message.")
    if refusal and not text:
        judgment.raw_output = cut_output(refusal)
        judgment.unscored_reason = "refusal"
        return judgment
    judgment.raw_output = text
    if choice.get("finish_reason") == "content_filter" and not text.strip():
        judgment.unscored_reason = "refusal"
        return judgment
    try:
        top = _first_token_top_logprobs(choice)
    except (AttributeError, TypeError, IndexError):
        raise MalformedAnswer("choices[0].logprobs is not shaped like logprobs") from None
    judgment.top_logprobs = [list(t) for t in top] if top else []
    apply_parse(judgment, parser, top)
    if judgment.unscored_reason == "unparseable" and choice.get("finish_reason") == "length":
        judgment.unscored_reason = "unparseable (cut at max_tokens)"
    if len(text) > RAW_OUTPUT_LIMIT:
        judgment.raw_output = cut_output(text)
        if notes is not None:
            notes.append(f"answers over {RAW_OUTPUT_LIMIT:,} characters stored cut (first and last "
                         f"{RAW_OUTPUT_LIMIT // 2:,} kept; the verdict read from the whole answer)")
    return judgment


def apply_parse(judgment: Judgment, parser: str, top_logprobs: list[tuple[str, float]] | None, *, keep_p_a: bool = False) -> None:
    """Parse ``judgment.raw_output`` into its canonical verdict, soft verdict and reason (or,
    for a pointwise parser, its score)."""
    result = parsers.parse(parser, judgment.raw_output, top_logprobs)
    verdict, p_a = parsers.to_canonical(result, judgment.order)
    judgment.verdict = verdict
    judgment.score = result.score
    if not keep_p_a:
        judgment.p_a = p_a
    judgment.explanation = result.explanation
    judgment.unscored_reason = result.unscored_reason


def error_judgment(call: Call, run: int, reason: str, latency_s: float | None) -> Judgment:
    """A failed call; ``reason`` is ``KIND: message`` (see ``failure_kind``)."""
    return Judgment(
        run=run, pair=call.pair.stored_id, order=call.order, sample=call.sample, target=call.target,
        messages=call.messages, cache_key=call.cache_key, latency_s=latency_s, unscored_reason=f"error: {reason}"[:500],
        status="failed",
    )
