"""Server-sent events: encode named events and decode a byte stream incrementally.

One decoder serves every stream in the code base (upstream Anthropic streams, upstream
OpenAI/Moonshot streams, tests, benchmarks). It follows the WHATWG event-stream rules that
matter in practice: ``\\n``, ``\\r\\n`` and ``\\r`` line ends (also split across chunks),
comment lines, multi-line ``data``, ``event``/``id``/``retry`` fields, and no dispatch for a
block without data. JSON is parsed only when a consumer asks (``ServerSentEvent.json()``).

Encoding is deliberately tiny: the hot path of the gateway writes one ``bytes`` per event.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

DONE = b"data: [DONE]\n\n"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(obj: Any) -> str:
    """Compact JSON, non-ASCII kept raw (what the providers send)."""
    return _dumps(obj)


def encode_event(event: str, data: Any) -> bytes:
    """A named event: ``event: X`` then ``data: {...}`` (Anthropic's framing)."""
    return f"event: {event}\ndata: {_dumps(data)}\n\n".encode()


def encode_data(data: Any) -> bytes:
    """An unnamed data event (OpenAI's framing); a ``str`` is sent as is."""
    payload = data if isinstance(data, str) else _dumps(data)
    return f"data: {payload}\n\n".encode()


class ServerSentEvent:
    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self, data: str, event: str | None = None, id: str | None = None, retry: int | None = None
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def json(self) -> Any:
        return json.loads(self.data)

    def __repr__(self) -> str:
        return f"ServerSentEvent(event={self.event!r}, data={self.data!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.data, self.event, self.id, self.retry) == (
            other.data,
            other.event,
            other.id,
            other.retry,
        )

    __hash__ = None  # type: ignore[assignment]


class SSEDecoder:
    """Feed bytes as they arrive; get back the events completed so far."""

    __slots__ = ("_buf", "_last_id", "_pending_cr")

    def __init__(self) -> None:
        self._buf = b""
        self._pending_cr = False
        self._last_id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                # A lone \r may be the first half of \r\n: wait for the next chunk.
                self._pending_cr = True
                chunk = chunk[:-1]
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buf = self._buf + chunk if self._buf else chunk
        events: list[ServerSentEvent] = []
        start = 0
        find = buf.find
        while True:
            end = find(b"\n\n", start)
            if end < 0:
                break
            event = self._parse_block(buf[start:end])
            start = end + 2
            if event is not None:
                events.append(event)
        self._buf = buf[start:] if start else buf
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: a final block without its blank line still counts."""
        rest, self._buf = self._buf, b""
        if self._pending_cr:
            self._pending_cr = False
        rest = rest.strip(b"\n")
        if not rest:
            return []
        event = self._parse_block(rest)
        return [event] if event is not None else []

    def _parse_block(self, block: bytes) -> ServerSentEvent | None:
        event: str | None = None
        data: list[str] = []
        retry: int | None = None
        for raw in block.split(b"\n"):
            if not raw or raw[0] == 58:  # blank or ":" comment
                continue
            name, sep, value = raw.partition(b":")
            if sep and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data.append(value.decode("utf-8", "replace"))
            elif name == b"event":
                event = value.decode("utf-8", "replace")
            elif name == b"id":
                if b"\0" not in value:
                    self._last_id = value.decode("utf-8", "replace")
            elif name == b"retry" and value.isdigit():
                retry = int(value)
        if not data:
            return None
        return ServerSentEvent("\n".join(data), event, self._last_id, retry)


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    """Decode an async byte iterator (e.g. ``httpx.Response.aiter_raw()``) into events."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event
