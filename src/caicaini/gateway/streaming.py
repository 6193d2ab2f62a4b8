"""Streaming responses: a pipeline of async iterators with settlement when the response closes.

    provider.stream ─► first event awaited before the response starts (an upstream failure
      │                 here is still an HTTP error, and the next route may be tried)
    with_pings       ─► keep-alives while upstream is silent (clients abort silent streams)
    StreamTracker    ─► usage accumulated as events pass (cumulative counts: last one wins)
    encoder          ─► Anthropic named events, or OpenAI chunks + [DONE]
    MeteredStream    ─► on close, whatever closed it (end, upstream error, client gone):
                        close upstream, settle what was produced or release, free the slot

What a stream costs: a completed message is charged at upstream's final usage; a stream cut
by an upstream error or by the client is charged for what was produced so far (the output
counted from the deltas that passed, at least one unit); nothing produced → released.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from caicaini.errors import UpstreamError
from caicaini.gateway.pipeline import RETRYABLE_STATUSES, Call, as_upstream_error, to_completion
from caicaini.gateway.upstreams.base import Provider, Usage
from caicaini.kit.credits import ceil_div

Event = dict[str, Any]
CHARS_PER_TOKEN = 4

ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "timeout_error": 504,
    "overloaded_error": 529,
}


class StreamTracker:
    """Watches the canonical events going to the client and knows what they cost."""

    __slots__ = ("chars", "completed", "errored", "produced", "usage")

    def __init__(self) -> None:
        self.usage = Usage()
        self.chars = 0
        self.produced = False
        self.completed = False
        self.errored = False

    def observe(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "content_block_delta":
            delta = event.get("delta") or {}
            piece = delta.get("text") or delta.get("partial_json") or delta.get("thinking") or ""
            self.chars += len(piece)
            self.produced = True
        elif kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") == "tool_use" or block.get("text"):
                self.produced = True
                self.chars += len(block.get("name") or block.get("text") or "")
        elif kind == "message_start":
            self.usage.update((event.get("message") or {}).get("usage"))
        elif kind == "message_delta":
            self.usage.update(event.get("usage"))
        elif kind == "message_stop":
            self.completed = True
        elif kind == "error":
            self.errored = True

    def billable(self) -> tuple[Usage | None, str]:
        if self.completed:
            return self.usage, "ok"
        outcome = "upstream_error" if self.errored else "client_disconnect"
        if not self.produced:
            return None, outcome
        usage = Usage(
            input_tokens=self.usage.input_tokens,
            output_tokens=max(self.usage.output_tokens, ceil_div(self.chars, CHARS_PER_TOKEN), 1),
            cache_creation_input_tokens=self.usage.cache_creation_input_tokens,
            cache_read_input_tokens=self.usage.cache_read_input_tokens,
        )
        return usage, outcome


async def open_stream(call: Call) -> tuple[Provider, Event, AsyncIterator[Event]]:
    """Start upstream and wait for its first event, trying the next route on a retryable
    failure (nothing has reached the client yet)."""
    for index, provider in enumerate(call.routes):
        call.meter.provider = provider.name
        events = provider.stream(call.upstream)
        try:
            first = await anext(events)
            if first.get("type") == "error":
                error = first.get("error") or {}
                kind = str(error.get("type", "api_error"))
                raise UpstreamError(
                    str(error.get("message", "upstream error")),
                    status=ERROR_STATUS.get(kind, 500),
                    error_type=kind,
                )
            return provider, first, events
        except (UpstreamError, httpx.HTTPError, StopAsyncIteration) as exc:
            await _close(events)
            error = (
                UpstreamError("upstream closed the stream", status=502, error_type="api_error")
                if isinstance(exc, StopAsyncIteration)
                else as_upstream_error(exc)
            )
            if error.status in RETRYABLE_STATUSES and index + 1 < len(call.routes):
                continue
            raise error from None
    raise UpstreamError("no route answered", status=502, error_type="api_error")


async def _close(events: AsyncIterator[Event]) -> None:
    closer = getattr(events, "aclose", None)
    if closer is not None:
        with contextlib.suppress(Exception):
            await closer()


async def with_pings(
    first: Event, events: AsyncIterator[Event], interval: float
) -> AsyncIterator[Event | None]:
    """Upstream events, with ``None`` whenever upstream stayed silent for ``interval``."""
    yield first
    pending: asyncio.Future[Event] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait((pending,), timeout=interval)
            if not done:
                yield None
                continue
            task, pending = pending, None
            try:
                event = task.result()
            except StopAsyncIteration:
                return
            yield event
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        await _close(events)


async def anthropic_sse(
    first: Event, events: AsyncIterator[Event], tracker: StreamTracker, ping_every: float
) -> AsyncIterator[bytes]:
    from caicaini.kit.sse import encode_event

    async for event in with_pings(first, events, ping_every):
        if event is None:
            yield b'event: ping\ndata: {"type":"ping"}\n\n'
            continue
        tracker.observe(event)
        yield encode_event(str(event.get("type", "message")), event)


async def openai_sse(
    first: Event,
    events: AsyncIterator[Event],
    tracker: StreamTracker,
    ping_every: float,
    model: str,
    include_usage: bool,
) -> AsyncIterator[bytes]:
    from caicaini.gateway.wire import AnthropicToOpenAIStream
    from caicaini.kit.sse import DONE, encode_data

    translator = AnthropicToOpenAIStream(model, include_usage=include_usage)
    async for event in with_pings(first, events, ping_every):
        if event is None:
            yield b": keep-alive\n\n"
            continue
        tracker.observe(event)
        for chunk in translator.feed(event):
            yield encode_data(chunk)
    if not tracker.errored:
        yield DONE


class MeteredStream(StreamingResponse):
    """A streaming response that always runs ``on_close`` once the response is over, shielded
    from cancellation, after closing the body iterator (and with it the upstream call)."""

    def __init__(
        self,
        content: AsyncIterator[bytes],
        *,
        on_close: Callable[[], Any],
        headers: dict[str, str],
        media_type: str = "text/event-stream",
    ) -> None:
        super().__init__(content, headers=headers, media_type=media_type)
        self._content = content
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except (ClientDisconnect, OSError):
            pass  # the client left; on_close charges what was produced
        finally:
            await to_completion(self._close())

    async def _close(self) -> None:
        closer = getattr(self._content, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()
        await self._on_close()


async def stream_response(
    call: Call, encoder: Callable[..., AsyncIterator[bytes]], *args: Any
) -> MeteredStream:
    """Open upstream (releasing the hold if that fails) and build the metered response."""
    try:
        _provider, first, events = await open_stream(call)
    except BaseException:
        await call.settle(None, outcome="upstream_error")
        raise
    tracker = StreamTracker()

    async def on_close() -> None:
        usage, outcome = tracker.billable()
        await call.settle(usage, outcome=outcome)

    headers = {
        **call.headers,
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
    }
    return MeteredStream(
        encoder(first, events, tracker, call.state.ping_interval, *args),
        on_close=on_close,
        headers=headers,
    )
