"""Streaming responses: a pipeline of async iterators with settlement when the response closes.

    provider.stream ─► first event awaited before the response starts (an upstream failure
      │                 here is still an HTTP error, and the next route may be tried)
    MeteredEvents    ─► keep-alives while upstream is silent (clients abort silent streams);
      │                 usage accumulated as events pass (cumulative counts: last one wins);
      │                 settled as soon as the message is complete, so the charge is known
    encoder          ─► Anthropic named events + ``caicaini_charge``, or OpenAI chunks (the
      │                 last ones carrying ``caicaini``) + [DONE]; other edges (the web chat,
      │                 the Responses API) encode the same ``MeteredEvents`` their own way
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
from caicaini.gateway.metering import Charge
from caicaini.gateway.pipeline import RETRYABLE_STATUSES, Call, as_upstream_error, to_completion
from caicaini.gateway.upstreams.base import Provider, Usage
from caicaini.kit.credits import ceil_div

Event = dict[str, Any]
CHARS_PER_TOKEN = 4
CHARGE_EVENT = "caicaini_charge"

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
            if (event.get("delta") or {}).get("stop_reason"):
                self.completed = True
        elif kind == "message_stop":
            self.completed = True
        elif kind == "error":
            self.errored = True

    @staticmethod
    def final(event: Event) -> bool:
        """Whether ``event`` completes the message: its usage is then final."""
        if event.get("type") == "message_stop":
            return True
        return event.get("type") == "message_delta" and bool(
            (event.get("delta") or {}).get("stop_reason")
        )

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
            first = await _first_event(events)
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


async def _first_event(events: AsyncIterator[Event]) -> Event:
    """Upstream's first event; cancelled (the client left), the upstream call is closed."""
    try:
        return await anext(events)
    except asyncio.CancelledError:
        await _close(events)
        raise


async def _close(events: AsyncIterator[Any]) -> None:
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


class MeteredEvents:
    """The canonical events of one held call's stream, metered, for any edge to encode.

    Iterating yields upstream's events (``None`` for a keep-alive while upstream is silent)
    and watches them with a ``StreamTracker``. The moment the message is complete (the
    ``message_delta`` with its stop reason: the usage is final) the call is settled, before
    that event is passed on, so ``charge`` is known while the edge can still tell its client
    (the ``caicaini_charge`` event, the ``caicaini`` field of the last chunks). ``close``
    settles whatever else ended the stream (an upstream error, the client gone) and is
    idempotent, as settlement is.
    """

    def __init__(self, call: Call, first: Event, events: AsyncIterator[Event]) -> None:
        self.call = call
        self.tracker = StreamTracker()
        self.charge: Charge | None = None
        self._events = with_pings(first, events, call.state.ping_interval)

    async def __aiter__(self) -> AsyncIterator[Event | None]:
        tracker = self.tracker
        async for event in self._events:
            if event is not None:
                tracker.observe(event)
                if self.charge is None and tracker.final(event):
                    usage, outcome = tracker.billable()
                    self.charge = await self.call.settle(usage, outcome=outcome)
            yield event

    async def close(self) -> None:
        await _close(self._events)
        usage, outcome = self.tracker.billable()
        self.charge = await self.call.settle(usage, outcome=outcome)

    def trailer(self) -> dict[str, Any] | None:
        """What the message cost, for the edge to send before its stream ends."""
        charge = self.charge
        if charge is None:
            return None
        return {
            "request_id": self.call.meter.request_id,
            "credits_charged": charge.credits,
            "credits_remaining": charge.remaining,
            "receipt_id": charge.receipt_id,
            "units": charge.units,
        }


async def anthropic_sse(stream: MeteredEvents) -> AsyncIterator[bytes]:
    """Anthropic's named events, then ``caicaini_charge`` (the SDKs and Claude Code ignore
    event names they do not know)."""
    from caicaini.kit.sse import encode_event

    async for event in stream:
        if event is None:
            yield b'event: ping\ndata: {"type":"ping"}\n\n'
            continue
        yield encode_event(str(event.get("type", "message")), event)
    trailer = stream.trailer()
    if trailer is not None and stream.tracker.completed:
        yield encode_event(CHARGE_EVENT, {"type": CHARGE_EVENT, **trailer})


async def openai_sse(
    stream: MeteredEvents, model: str, include_usage: bool
) -> AsyncIterator[bytes]:
    """OpenAI chunks; from the one carrying ``finish_reason`` on, each chunk also carries the
    charge as a ``caicaini`` field (no chunk of its own: naive clients index ``choices[0]``)."""
    from caicaini.gateway.wire import AnthropicToOpenAIStream
    from caicaini.kit.sse import DONE, encode_data

    translator = AnthropicToOpenAIStream(model, include_usage=include_usage)
    async for event in stream:
        if event is None:
            yield b": keep-alive\n\n"
            continue
        trailer = stream.trailer()
        for chunk in translator.feed(event):
            if trailer is not None and "error" not in chunk:
                chunk["caicaini"] = trailer
            yield encode_data(chunk)
    if not stream.tracker.errored:
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
    stream = await open_metered(call)
    headers = {
        **call.headers,
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
    }
    return MeteredStream(encoder(stream, *args), on_close=stream.close, headers=headers)


async def open_metered(call: Call) -> MeteredEvents:
    """Open upstream for a held call: a failure before the first event releases the hold and
    raises (nothing reached the client yet); then the metered events."""
    try:
        _provider, first, events = await open_stream(call)
    except asyncio.CancelledError:  # the client left before the first event
        await call.settle(None, outcome="client_disconnect")
        raise
    except BaseException:
        await call.settle(None, outcome="upstream_error")
        raise
    return MeteredEvents(call, first, events)
