"""A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted behaviour, for tests and
the throughput benchmark. It speaks POST /v1/chat/completions (with logprobs when asked),
POST /v1/files, GET /v1/files/{id}/content, POST /v1/batches and GET /v1/batches/{id}.

The behaviour is chosen by the model name: ``BEHAVIOUR[;option=value...]``.

Behaviours (which response wins):
  content   the response containing "GOOD" beats the one containing "BAD" (tie otherwise)
  first     always the response shown first (position bias); ``second`` the other one
  malformed an answer with no verdict in it
  empty     an empty message
  refuse    a refusal in the text; ``refusal-field`` in the message's refusal field
  notjson   a 200 whose body is not JSON
Options:
  delay=S   answer after S seconds
  429=N     the first N requests of each distinct message list get 429 (Retry-After-Ms: 5)
  500=N     then the next N get 500
  timeout=N the first N requests of each distinct message list hang until the client drops them
  retryafter=X  the first request of each distinct message list gets 429 with ``Retry-After: X``
            (X as written: 3600, inf, nan)
  trickle=S the answer is sent a few bytes at a time over S seconds (no Content-Length)
  big=N     the answer's text is N characters of padding, then the verdict
  usage=X   the answer's usage says prompt_tokens X (negative, fractional or absurd)
  fullusage=1 the usage is the most a call can honestly use: prompt_tokens one per byte of the
            messages, completion_tokens the request's max_tokens
  flood=M   a 200 whose body streams M MiB (chunked, never held whole by the server)
  status=N  every request gets HTTP N with an error message (404: an unknown model)
Behaviour ``badchoices``: a 200 whose ``choices`` is the string "nope".
An API key beginning ``sk-wrong`` is refused (401), whatever the model.

The answer's format follows the template it recognises (identifier m/M, MT-Bench [[A]],
PROFILE "Preferred: Output (a)").

PROFILE's extractors (``annotator/judge/templates/profile-*.txt``) get scripted answers
whatever the behaviour, so every extracted value is known in advance:
  atomic facts     each sentence of the text is one fact ("." / "!" / "?" or a line end);
                   a text without a sentence is NONE
  fact labels      yes when the fact holds a marker: OFFTOPIC (off focus), INVENTED
                   (hallucination), HELPFUL (helpfulness), WRONG (misinformation); Source
                   Coverage: yes when the response contains the source fact's words
  yes / no         no when the response holds EVADE (receptiveness), OFFINTENT (intent),
                   INFORMAL (formality); yes otherwise
  ratings 1-5      2 when the text holds CLUMSY (fluency) or RAMBLE (coherence), else 5
Behaviour ``miscount`` drops the last fact label (a count that does not match).

Behaviour ``length`` (the experiment tests): the longer response wins, unless the prompt's
guidance asks for less Length or few-shot examples mostly chose the shorter response.

Pointwise ratings ("Rating: [[N]]" prompts: mt-bench-single, wa-*; a bare number for the
WorldAlignment appendix D prompts, which ask for ONLY a number): the judged text's
``SCORE=N`` marker, else 8 for a text with GOOD, 3 with BAD, 5 otherwise; behaviour
``outofrange`` answers 11. Behaviour ``reference``: the response that contains the pair's
reference answer wins (reference-guided judges). Run as a script to serve in its own process:
``python tests/judge/fake_openai.py`` prints the base URL and serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import sys
import threading
import time
from collections import Counter

from aiohttp import web


def _options(model: str) -> tuple[str, dict[str, float]]:
    behaviour, *rest = model.split(";")
    options = {}
    for item in rest:
        key, _, value = item.partition("=")
        options[key] = float(value)
    return behaviour, options


def _raw_option(model: str, key: str) -> str:
    """An option's value as written (``retryafter=inf``)."""
    for item in model.split(";")[1:]:
        name, _, value = item.partition("=")
        if name == key:
            return value
    return ""


_CUT = re.compile(r"\n\[\.\.\. ([\d,]+) more characters not shown \.\.\.\]$")


def _full_length(text: str) -> int:
    """The length of a response, counting what a few-shot example cut off."""
    cut = _CUT.search(text)
    return cut.start() + int(cut.group(1).replace(",", "")) if cut else len(text)


def _length_winner(text: str) -> str:
    """Behaviour ``length``: the longer response wins, unless the prompt's guidance says to
    prefer less Length, or unless few-shot examples are shown, whose verdicts it follows:
    the shorter response wins when most examples chose the shorter one."""
    first = _between(text, "[The Start of Assistant A's Answer]", "[The End of Assistant A's Answer]")
    second = _between(text, "[The Start of Assistant B's Answer]", "[The End of Assistant B's Answer]")
    prefer_short = bool(re.search(r"- Length:[^\n]*Guidance: prefer the response that shows less", text))
    examples = re.findall(r"\[Example \d+\](.*?)\[End of Example \d+\]", text, re.S)
    if examples:
        votes = []
        for example in examples:
            a = _full_length(_between(example, "[The Start of Response A]", "[The End of Response A]"))
            b = _full_length(_between(example, "[The Start of Response B]", "[The End of Response B]"))
            verdict = example.strip().splitlines()[-1].strip()
            if verdict in ("[[A]]", "[[B]]") and a != b:
                chose_a = verdict == "[[A]]"
                votes.append(chose_a == (a < b))
        prefer_short = sum(votes) * 2 > len(votes)
    if len(first) == len(second):
        return "tie"
    return "first" if (len(first) < len(second)) == prefer_short else "second"


def _winner(behaviour: str, text: str) -> str:
    """'first', 'second' or 'tie' (in the presented order)."""
    if behaviour == "first":
        return "first"
    if behaviour == "second":
        return "second"
    if behaviour == "length":
        return _length_winner(text)
    if behaviour == "reference":
        reference = _between(text, "[The Start of Reference Answer]", "[The End of Reference Answer]")
        first = _between(text, "[The Start of Assistant A's Answer]", "[The End of Assistant A's Answer]")
        second = _between(text, "[The Start of Assistant B's Answer]", "[The End of Assistant B's Answer]")
        if reference and (reference in first) != (reference in second):
            return "first" if reference in first else "second"
        return "tie"
    good, bad = text.find("GOOD"), text.find("BAD")
    if good < 0 or bad < 0:
        return "tie"
    return "first" if good < bad else "second"


def _between(text: str, start: str, end: str) -> str:
    i = text.find(start)
    j = text.find(end, i + len(start))
    return text[i + len(start):j].strip() if i >= 0 and j >= 0 else ""


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


_LABEL_MARKERS = {"off the main focus": "OFFTOPIC", "incorrect against the source": "INVENTED",
                  "additional helpful information": "HELPFUL", "incorrect or misleading": "WRONG"}
_NO_MARKERS = {"core question": "EVADE", "intent of the text": "OFFINTENT", "same level of formality": "INFORMAL"}


_PAPER_LABELS = {"related to the main focus": lambda f, post: "OFFTOPIC" not in f,
                 "accurately match the post": lambda f, post: "INVENTED" not in f and f.rstrip(".") in post,
                 "provides helpful information": lambda f, post: "HELPFUL" in f,
                 "potentially incorrect or misleading": lambda f, post: "WRONG" in f}


def paper_profile_answer(behaviour: str, text: str) -> str | None:
    """PROFILE's printed prompts (profile-paper-*), answered in the JSON they ask for: facts
    one per sentence; per-statement decisions by the same markers as the tool's prompts
    ("accurately match the post": the statement is in the post and not INVENTED); response
    decisions EVADE / OFFINTENT -> no, formality INFORMAL -> Not Aligned, CASUAL -> Partially."""
    if "Your task is to extract atomic facts from the INPUT" in text:
        facts = sentences(_between(text, "INPUT: ", "\nOUTPUT:"))
        return "\n".join(f"- {f}" for f in facts) if facts else "NONE"
    if "decision for each statement in the set" in text:
        head, _, post = text.rpartition("Reddit Post: ")
        lines = [re.sub(r"^(?:INPUT: |statements: )", "", line) for line in (head or text).splitlines()]
        facts = [re.sub(r"^\d+\.\s*", "", line) for line in lines if re.match(r"^\d+\. ", line)]
        rule = next(r for phrase, r in _PAPER_LABELS.items() if phrase in text)
        decisions = [{"statement": i, "decision": "yes" if rule(f, post) else "no", "justification": "scripted"}
                     for i, f in enumerate(facts, start=1)]
        return json.dumps(decisions[:-1] if behaviour == "miscount" else decisions)
    if "receptiveness to the original post" in text or "decide if the intents align" in text:
        output = text.rpartition("Response : ")[2] or text.rpartition("Summary : ")[2]
        bad = "EVADE" if "receptiveness" in text else "OFFINTENT"
        return json.dumps({"decision": "no" if bad in output else "yes", "justification": "scripted"})
    if "decide if the formalities align" in text:
        output = text.rpartition("Summary : ")[2]
        level = "Not Aligned" if "INFORMAL" in output else "Partially Aligned" if "CASUAL" in output else "Aligned"
        return json.dumps({"decision": level, "justification": "scripted"})
    return None


def profile_answer(behaviour: str, text: str) -> str | None:
    """The scripted answer of a PROFILE extractor prompt, or None for another prompt."""
    paper = paper_profile_answer(behaviour, text)
    if paper is not None:
        return paper
    if "List every atomic fact" in text:
        facts = sentences(_between(text, "[Text]", "[End of Text]"))
        return "\n".join(f"- {f}" for f in facts) if facts else "NONE"
    if "[Atomic facts of the" in text:
        heading = "[Atomic facts of the response]" if "[Atomic facts of the response]" in text else "[Atomic facts of the source]"
        block = _between(text, heading, "[End of atomic facts]")
        facts = [re.sub(r"^\d+\.\s*", "", line) for line in block.splitlines() if line.strip()]
        if "whether the response states it" in text:
            response = _between(text, "[Response]", "[End of Response]")
            labels = [f.rstrip(".") in response for f in facts]
        else:
            marker = next(m for phrase, m in _LABEL_MARKERS.items() if phrase in text)
            labels = [marker in f for f in facts]
        if behaviour == "miscount":
            labels = labels[:-1]
        return "\n".join(f"{i}. {'yes' if label else 'no'}" for i, label in enumerate(labels, start=1))
    for phrase, marker in _NO_MARKERS.items():
        if phrase in text and "Answer: yes" in text:
            output = _between(text, "[Response]", "[End of Response]") or _between(text, "[Text]", "[End of Text]")
            return f"Checked.\nAnswer: {'no' if marker in output else 'yes'}"
    if "[[N]]" in text or '"[[rating]]"' in text or "respond with ONLY a single number" in text:
        judged = (_between(text, "[The Start of Assistant's Answer]", "[The End of Assistant's Answer]")
                  or _between(text, "[Response]", "[End of Response]")
                  or _between(text, "[Instruction]", "[End of Instruction]"))
        marker = re.search(r"SCORE=(\d+)", judged)
        score = 11 if behaviour == "outofrange" else int(marker.group(1)) if marker else \
            8 if "GOOD" in judged else 3 if "BAD" in judged else 5
        return str(score) if "respond with ONLY a single number" in text else f"Assessed.\nRating: [[{score}]]"
    if "Rate the fluency" in text or "Rate the coherence" in text:
        marker = "CLUMSY" if "Rate the fluency" in text else "RAMBLE"
        return f"Rated.\nRating: {2 if marker in _between(text, '[Text]', '[End of Text]') else 5}"
    return None


def generation_answer(behaviour: str, text: str) -> str | None:
    """PROFILE's score-level generation (profile-generate): the level-k response is k
    sentences long ("Point 1 of k. ..."); behaviour ``miscount`` leaves out the last level."""
    found = re.search(r"for each of the scores ([\d, ]+), the lowest", text)
    if not found or '"SCORE N RESPONSE:"' not in text:
        return None
    levels = [int(v) for v in found.group(1).split(",") if v.strip()]
    if behaviour == "miscount":
        levels = levels[:-1]
    return "\n".join(f"SCORE {k} RESPONSE: " + " ".join(f"Point {i} of {k}." for i in range(1, k + 1)) for k in levels)


def improve_answer(behaviour: str, text: str) -> str | None:
    """PROFILE F.2 (experiment improve): feedback names the factors when the prompt lists
    them; the revision appends a sentence to the response (``shorten``: keeps its first word)."""
    if "Write a response to the input. Write only the response." in text:
        return "A short baseline."
    if "Give feedback on the response" in text:
        return "Add detail." + (" Mind the listed aspects." if "consider these aspects" in text else "")
    if "Improved Response:" in text:
        response = _between(text, "Response:\n", "\n\nFeedback:")
        return response.split()[0] if behaviour == "shorten" else response + " One more detail here."
    return None


def answer_text(behaviour: str, messages: list[dict]) -> str:
    text = "\n".join(m.get("content") or "" for m in messages)
    improved = improve_answer(behaviour, text)
    if improved is not None:
        return improved
    generated = generation_answer(behaviour, text)
    if generated is not None:
        return generated
    scripted = profile_answer(behaviour, text)
    if scripted is not None:
        return scripted
    if behaviour == "malformed":
        return "Both responses have merits; it is hard to say which one is preferable overall."
    if behaviour == "empty":
        return ""
    if behaviour == "refuse":
        return "I'm sorry, but I can't help with evaluating this content."
    winner = _winner(behaviour, text)
    if "m or M" in text:
        return "M" if winner == "second" else "m"
    if "[[C]]" in text:
        mark = {"first": "A", "second": "B", "tie": "C"}[winner]
        return f"Assistant {mark if mark != 'C' else 'A and B'} answered better overall.\n\n[[{mark}]]"
    if "Preferred:" in text:
        mark = {"first": "Output (a)", "second": "Output (b)", "tie": "Tie"}[winner]
        return f"{mark} addresses the input more directly.\nPreferred: {mark}"
    return {"first": "first", "second": "second", "tie": "tie"}[winner]


def _logprobs(answer: str, top: int) -> dict:
    other = "M" if answer == "m" else "m"
    tops = [(answer, math.log(0.8)), (other, math.log(0.15)), ("The", math.log(0.05))][: max(1, top)]
    return {"content": [{
        "token": answer, "logprob": math.log(0.8), "bytes": list(answer.encode()),
        "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in tops],
    }]}


def completion(body: dict) -> dict:
    behaviour, options = _options(body.get("model", "content"))
    messages = body.get("messages", [])
    text = answer_text(behaviour, messages)
    if options.get("big"):
        text = "x" * int(options["big"]) + "\n" + text
    message: dict = {"role": "assistant", "content": text, "refusal": None}
    if behaviour == "refusal-field":
        message = {"role": "assistant", "content": None, "refusal": "I can't assist with that request."}
    choice: dict = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    if body.get("logprobs") and text:
        choice["logprobs"] = _logprobs(text.split()[0], int(body.get("top_logprobs") or 1))
    prompt_tokens = sum(len(m.get("content") or "") for m in messages) // 4
    completion_tokens = len(text) // 4 + 1
    if "usage" in options:
        prompt_tokens = options["usage"] if options["usage"] % 1 else int(options["usage"])
    if options.get("fullusage"):
        prompt_tokens = sum(len((m.get("content") or "").encode()) for m in messages)
        completion_tokens = int(body.get("max_tokens") or completion_tokens)
    return {
        "id": f"chatcmpl-{hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]}",
        "object": "chat.completion", "created": int(time.time()), "model": body.get("model", ""),
        "choices": "nope" if behaviour == "badchoices" else [choice],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class FakeOpenAI:
    """Start with ``start()`` (serves in a thread), stop with ``stop()``. ``url`` is the base URL."""

    def __init__(self):
        self.chat_requests: list[dict] = []
        self.raw_bodies: list[bytes] = []  # each request's body as sent
        self.headers: list[dict] = []
        self.attempts: Counter = Counter()  # per distinct message list
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.batch_lines = 0
        self.in_flight = 0
        self.max_in_flight = 0
        # wall-clock times (time.time()) of the first chat request to arrive and of the last
        # answer sent since /_stats?reset=1: the benchmark tells start-up and exit from the calls
        self.first_request_at: float | None = None
        self.last_answer_at: float | None = None
        self.url = ""
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    # -- handlers ------------------------------------------------------------------------------
    async def chat(self, request: web.Request) -> web.Response:
        if self.first_request_at is None:
            self.first_request_at = time.time()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._chat(request)
        finally:
            self.in_flight -= 1
            self.last_answer_at = time.time()

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        raw = await request.read()  # the bytes json() parsed (read once, kept by aiohttp)
        behaviour, options = _options(body.get("model", "content"))
        key = hashlib.sha1(json.dumps(body.get("messages"), sort_keys=True).encode()).hexdigest()
        with self._lock:
            self.chat_requests.append(body)
            self.raw_bodies.append(raw)
            self.headers.append(dict(request.headers))
            self.attempts[key] += 1
            attempt = self.attempts[key]
        if attempt <= options.get("timeout", 0):
            # Hang until the client gives up and drops the connection (no fixed length to
            # race against: the client's timeout decides, however loaded the machine).
            for _ in range(6000):
                if request.transport is None or request.transport.is_closing():
                    return web.Response(status=499)
                await asyncio.sleep(0.01)
        if request.headers.get("Authorization", "").startswith("Bearer sk-wrong"):
            return web.json_response({"error": {"message": "Incorrect API key provided: sk-wr***ng.",
                                                "type": "invalid_request_error", "code": "invalid_api_key"}},
                                     status=401)
        if options.get("status"):
            status = int(options["status"])
            message = {"error": {"message": f"The model `{body.get('model')}` does not exist", "type": "invalid_request_error"}}
            if status == 422:
                message = {"detail": [{"loc": ["body", "messages"], "msg": "field required"}]}
            return web.json_response(message, status=status)
        if "retryafter" in options and attempt == 1:
            return web.json_response({"error": {"message": "Slow down"}}, status=429,
                                     headers={"retry-after": _raw_option(body.get("model", ""), "retryafter")})
        if attempt <= options.get("429", 0):
            return web.json_response({"error": {"message": "Rate limit reached", "type": "requests"}},
                                     status=429, headers={"retry-after-ms": "5"})
        if attempt <= options.get("429", 0) + options.get("500", 0):
            return web.json_response({"error": {"message": "The server had an error"}}, status=500,
                                     headers={"retry-after-ms": "5"})
        if options.get("delay"):
            await asyncio.sleep(options["delay"])
        if behaviour == "notjson":
            return web.Response(text="<html>upstream proxy error</html>", content_type="application/json")
        if options.get("flood"):
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            chunk = b"x" * (1 << 20)
            try:
                await response.write(b'{"choices": [{"message": {"content": "')
                for _ in range(int(options["flood"])):
                    await response.write(chunk)
                await response.write(b'"}}]}')
                await response.write_eof()
            except ConnectionError:  # the client stopped reading, as it should
                pass
            return response
        if options.get("trickle"):
            data = json.dumps(completion(body)).encode()
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            pieces = 20
            step = max(1, len(data) // pieces + 1)
            try:
                for start in range(0, len(data), step):
                    await response.write(data[start:start + step])
                    await asyncio.sleep(options["trickle"] / pieces)
                await response.write_eof()
            except ConnectionError:  # the client gave up, as it should
                pass
            return response
        return web.json_response(completion(body))

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        field = form["file"]
        data = field.file.read()
        with self._lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = data
        return web.json_response({"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                                  "filename": field.filename, "purpose": form.get("purpose", ""), "status": "processed"})

    async def file_content(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["file_id"])
        if data is None:
            return web.json_response({"error": {"message": "no such file"}}, status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def create_batch(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body["input_file_id"] not in self.files:
            return web.json_response({"error": {"message": "no such file"}}, status=400)
        total = sum(1 for line in self.files[body["input_file_id"]].splitlines() if line.strip())
        with self._lock:
            batch_id = f"batch_{len(self.batches) + 1}"
            self.batches[batch_id] = {
                "id": batch_id, "object": "batch", "endpoint": body["endpoint"], "errors": None,
                "input_file_id": body["input_file_id"], "completion_window": body["completion_window"],
                "status": "validating", "output_file_id": None, "error_file_id": None,
                "created_at": int(time.time()), "metadata": body.get("metadata"),
                "request_counts": {"total": total, "completed": 0, "failed": 0}, "polls": 0,
            }
        return web.json_response(self._public(batch_id))

    def _public(self, batch_id: str) -> dict:
        return {k: v for k, v in self.batches[batch_id].items() if k != "polls"}

    async def get_batch(self, request: web.Request) -> web.Response:
        batch_id = request.match_info["batch_id"]
        batch = self.batches.get(batch_id)
        if batch is None:
            return web.json_response({"error": {"message": "no such batch"}}, status=404)
        batch["polls"] += 1
        if batch["polls"] == 1:
            batch["status"] = "in_progress"
        elif batch["status"] == "in_progress":
            out = []
            for line in self.files[batch["input_file_id"]].decode().splitlines():
                if not line.strip():
                    continue
                request_line = json.loads(line)
                with self._lock:
                    self.batch_lines += 1
                out.append(json.dumps({
                    "id": f"batch_req_{self.batch_lines}", "custom_id": request_line["custom_id"],
                    "response": {"status_code": 200, "request_id": "req", "body": completion(request_line["body"])},
                    "error": None,
                }))
            with self._lock:
                file_id = f"file-{len(self.files) + 1}"
                self.files[file_id] = ("\n".join(out) + "\n").encode()
            batch.update(status="completed", output_file_id=file_id,
                         request_counts={"total": len(out), "completed": len(out), "failed": 0})
        return web.json_response(self._public(batch_id))

    async def stats(self, request: web.Request) -> web.Response:
        stats = {"chat_requests": len(self.chat_requests), "batch_lines": self.batch_lines,
                 "max_in_flight": self.max_in_flight, "first_request_at": self.first_request_at,
                 "last_answer_at": self.last_answer_at}
        if request.query.get("reset"):
            self.first_request_at = self.last_answer_at = None
        return web.json_response(stats)

    # -- lifecycle -----------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/files", self.upload)
        app.router.add_get("/v1/files/{file_id}/content", self.file_content)
        app.router.add_post("/v1/batches", self.create_batch)
        app.router.add_get("/v1/batches/{batch_id}", self.get_batch)
        app.router.add_get("/_stats", self.stats)
        return app

    def start(self) -> FakeOpenAI:
        ready = threading.Event()

        def serve():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            # a handler whose client went away (a timeout, an answer refused as too large) is cancelled
            self._runner = web.AppRunner(self.app(), access_log=None, handler_cancellation=True)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
            self._loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]
            self.url = f"http://127.0.0.1:{port}/v1"
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None


if __name__ == "__main__":
    server = FakeOpenAI().start()
    print(server.url, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
    server.stop()
