"""The OpenAI Responses API endpoint ``POST /v1/responses`` (what Codex CLI speaks).

The request is translated to the canonical (Anthropic) body on the way in
(``wire.responses_request``), the message and its stream back to the Responses API's object
and named events on the way out (``wire.responses_output``); in between, the same admission,
hold, settlement, receipt and ``caicaini-*`` headers as the other two message endpoints.

A stream's charge is known at its end, so its last event (``response.completed``,
``response.incomplete`` or ``response.failed``) carries it in a ``caicaini`` field, as the
chat endpoint's last chunks do; the official SDK and Codex ignore fields they do not know.
Nothing is stored (every response is ``store: false``), so the stored-response endpoints
(retrieve, delete, cancel, input items) answer 404 saying so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from caicaini.gateway import errors as _errors  # noqa: F401  (registers the error renderers)
from caicaini.gateway.edge import admit, read_json
from caicaini.gateway.errors import ResponseNotStored
from caicaini.gateway.pipeline import charge_headers, send
from caicaini.gateway.streaming import MeteredEvents, stream_response
from caicaini.gateway.wire.responses_output import (
    TERMINAL,
    AnthropicToResponsesStream,
    anthropic_to_responses,
)
from caicaini.gateway.wire.responses_request import (
    NOT_STORED,
    ResponsesRequest,
    responses_request_to_anthropic,
)
from caicaini.http.deps import app_context
from caicaini.http.disconnect import while_connected
from caicaini.http.lane import fast_lane
from caicaini.kit.sse import encode_event

router = APIRouter(tags=["gateway"])

KEEP_ALIVE = b": keep-alive\n\n"
CLOSED_EARLY = {"type": "api_error", "message": "upstream closed the stream before the end"}


async def create_response(request: Request) -> Response:
    ctx = app_context(request)
    raw, size = await read_json(request, ctx.settings.max_body_bytes)
    req = responses_request_to_anthropic(raw)
    call = await admit(request, req.body, size, endpoint="responses", stream=req.stream)
    if req.stream:
        return await while_connected(request, stream_response(call, responses_sse, req))
    message, charge = await while_connected(request, send(call))
    return JSONResponse(anthropic_to_responses(message, req), headers=charge_headers(call, charge))


async def responses_sse(stream: MeteredEvents, req: ResponsesRequest) -> AsyncIterator[bytes]:
    """The Responses API's named events; the last one carries the charge (``caicaini``)."""
    translator = AnthropicToResponsesStream(req)
    async for event in stream:
        if event is None or event.get("type") == "ping":  # bytes on the wire for proxies' timers
            yield KEEP_ALIVE
            continue
        for out in translator.feed(event):
            yield await _terminal(stream, out) if out["type"] in TERMINAL else _encode(out)
    if not translator.finished:  # upstream ended without a stop or an error event
        ending = translator.finish() if stream.tracker.completed else translator.fail(CLOSED_EARLY)
        for out in ending:
            yield await _terminal(stream, out) if out["type"] in TERMINAL else _encode(out)


def _encode(event: dict[str, Any]) -> bytes:
    return encode_event(event["type"], event)


async def _terminal(stream: MeteredEvents, event: dict[str, Any]) -> bytes:
    """The last event, with the charge: known once the message completed; a failed stream
    is settled here (settlement is idempotent) so that its last event can say what it cost."""
    if event["type"] == "response.failed":
        await stream.close()
    trailer = stream.trailer()
    if trailer is not None:
        event["caicaini"] = trailer
    return _encode(event)


async def not_stored(request: Request) -> Response:
    raise ResponseNotStored(
        f"{NOT_STORED}: {request.method} {request.url.path} has nothing to return; this "
        "gateway serves POST /v1/responses, answered in full on that call"
    )


# The hot path: a plain Starlette route in the fast lane (see ``anthropic_api``).
router.add_route(
    "/v1/responses", fast_lane(create_response), methods=["POST"], include_in_schema=False
)
router.add_route(
    "/v1/responses/{rest:path}",
    not_stored,
    methods=["GET", "POST", "DELETE"],
    include_in_schema=False,
)
