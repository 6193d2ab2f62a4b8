"""What the fake upstream does for one request: a ``Behaviour``, chosen in this order:

1. the next behaviour queued on the ``FakeScript`` (tests in the same process);
2. ``x-fake-*`` request headers (out-of-process tests, benchmarks, curl);
3. a ``[fake key=value ...]`` directive inside the last user message (reaches the fake through
   any gateway, which forwards message content but not arbitrary headers);
4. the script's ``default`` behaviour.

Header / directive keys (same names, ``x-fake-`` prefix for headers):

    text=...              reply with this text instead of the echo
    reasoning=...         think first: a thinking block (Anthropic) / reasoning_content (OpenAI)
    output-tokens=N       reply with N deterministic words (one token each)
    tool=NAME             call tool NAME (must be offered); tool-input=<json object>
    latency-ms=N          wait N ms before the response headers
    tokens-per-second=N   pace the streamed tokens
    status=N              fail before any output with HTTP N (429, 529, 500, 400...)
    error-type=T          override the error type; message=M overrides the wording
    retry-after=N         retry-after header on the failure (default 1 on 429/529)
    fail-after-events=N   stream N events then an error event, and close
    hang=1                never answer (until the client gives up)
    hang-after-events=N   stream N events then go silent
    cache-read=N          report N cached input tokens (cache_read / cached_tokens)
    cache-creation=N      report N cache-write input tokens (Anthropic only)
    moonshot=1            Moonshot usage quirks on chat completions
    ping-interval-ms=N    Anthropic streams: ping while silent for this long (default 5000)

Without any of these, the reply is deterministic: ``"Echo: <first words of the last user
message>"``; when the request offers tools and the last user message contains ``use tool``,
the reply is a short text block followed by a call of the first offered tool (arguments built
from its schema); when the last user turn carries a tool result, the reply acknowledges it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class Behaviour:
    text: str | None = None
    reasoning: str | None = None
    output_tokens: int | None = None
    tool: str | None = None
    tool_input: dict[str, Any] | None = None
    latency: float = 0.0
    tokens_per_second: float = 0.0
    status: int | None = None
    error_type: str | None = None
    message: str | None = None
    retry_after: int | None = None
    fail_after_events: int | None = None
    hang: bool = False
    hang_after_events: int | None = None
    cache_read: int = 0
    cache_creation: int = 0
    moonshot: bool = False
    ping_interval: float = 5.0


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeScript:
    """A queue of behaviours for the next requests, plus a record of what was received.

    Thread-safe: tests push from their thread while the server answers in its own.
    """

    default: Behaviour = field(default_factory=Behaviour)
    api_key: str | None = None  # when set, requests must carry it (x-api-key or Bearer)
    requests: list[RecordedRequest] = field(default_factory=list)
    _queue: deque[Behaviour] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def push(self, *behaviours: Behaviour) -> FakeScript:
        with self._lock:
            self._queue.extend(behaviours)
        return self

    def reply(self, text: str, **kw: Any) -> FakeScript:
        return self.push(Behaviour(text=text, **kw))

    def call_tool(
        self, name: str, tool_input: dict[str, Any] | None = None, **kw: Any
    ) -> FakeScript:
        return self.push(Behaviour(tool=name, tool_input=tool_input, **kw))

    def fail(
        self, status: int, message: str | None = None, *, retry_after: int | None = None, **kw: Any
    ) -> FakeScript:
        return self.push(Behaviour(status=status, message=message, retry_after=retry_after, **kw))

    def fail_mid_stream(self, after_events: int, **kw: Any) -> FakeScript:
        return self.push(Behaviour(fail_after_events=after_events, **kw))

    def hang(self, **kw: Any) -> FakeScript:
        return self.push(Behaviour(hang=True, **kw))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def record(self, path: str, headers: Mapping[str, str], body: Any) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(path, dict(headers), body))

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]

    def choose(self, headers: Mapping[str, str], last_user_text: str) -> Behaviour:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        overrides = parse_overrides(headers, last_user_text)
        return replace(self.default, **overrides) if overrides else self.default


_FIELDS = {f.name: f for f in fields(Behaviour)}
_DIRECTIVE = re.compile(r"\[fake((?:\s+[a-z-]+=[^\s\]]*)+)\s*\]")


def parse_overrides(headers: Mapping[str, str], text: str) -> dict[str, Any]:
    raw: dict[str, str] = {}
    if "[fake" in text:
        match = _DIRECTIVE.search(text)
        if match:
            for pair in match.group(1).split():
                key, _, value = pair.partition("=")
                raw[key] = value
    for name, value in headers.items():
        if name.startswith("x-fake-"):
            raw[name[7:]] = value
    return {k: v for k, v in (_convert(key, value) for key, value in raw.items()) if k}


def _convert(key: str, value: str) -> tuple[str, Any]:
    if key == "latency-ms":
        return "latency", int(value) / 1000
    if key == "ping-interval-ms":
        return "ping_interval", int(value) / 1000
    if key == "tool-input":
        return "tool_input", json.loads(value)
    name = key.replace("-", "_")
    if name not in _FIELDS or name in ("latency", "ping_interval", "tool_input"):
        return "", None
    kind = _FIELDS[name].type
    if "bool" in str(kind):
        return name, value.lower() in ("1", "true", "yes", "on")
    if "float" in str(kind):
        return name, float(value)
    if "int" in str(kind):
        return name, int(value)
    return name, value
