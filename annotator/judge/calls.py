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
from typing import Any

from annotator.store.models import Judgment, Pair

from . import parsers

CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text; estimates only


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


def request_params(temperature: float, max_tokens: int, logprobs: bool, top_logprobs: int) -> dict[str, Any]:
    params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
    if logprobs:
        params["logprobs"] = True
        if top_logprobs:
            params["top_logprobs"] = top_logprobs
    return params


def cache_key(endpoint: str, model: str, params: dict[str, Any], messages: list[dict], sample: int) -> str:
    blob = json.dumps(
        {"endpoint": endpoint, "model": model, "params": params, "messages": messages, "sample": sample},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


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


def judgment_from_completion(
    call: Call, run: int, parser: str, completion: dict, latency_s: float | None, price: Price
) -> Judgment:
    """A judgment from a chat completion (as a dict: the JSON body of the response)."""
    usage = completion.get("usage") or {}
    prompt_tokens, completion_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
    judgment = Judgment(
        run=run, pair=call.pair.stored_id, order=call.order, sample=call.sample, target=call.target,
        messages=call.messages, cache_key=call.cache_key, latency_s=latency_s,
        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
        cost=price.cost(prompt_tokens, completion_tokens),
    )
    choices = completion.get("choices") or []
    if not choices:
        judgment.unscored_reason = "empty"
        return judgment
    choice = choices[0]
    message = choice.get("message") or {}
    text = message.get("content") or ""
    refusal = message.get("refusal")
    if refusal and not text:
        judgment.raw_output = refusal
        judgment.unscored_reason = "refusal"
        return judgment
    judgment.raw_output = text
    if choice.get("finish_reason") == "content_filter" and not text.strip():
        judgment.unscored_reason = "refusal"
        return judgment
    top = _first_token_top_logprobs(choice)
    judgment.top_logprobs = [list(t) for t in top] if top else []
    apply_parse(judgment, parser, top)
    if judgment.unscored_reason == "unparseable" and choice.get("finish_reason") == "length":
        judgment.unscored_reason = "unparseable (cut at max_tokens)"
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
    return Judgment(
        run=run, pair=call.pair.stored_id, order=call.order, sample=call.sample, target=call.target,
        messages=call.messages, cache_key=call.cache_key, latency_s=latency_s, unscored_reason=f"error: {reason}"[:500],
        status="failed",
    )
