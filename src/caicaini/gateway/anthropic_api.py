"""The Anthropic-format endpoints: ``POST /v1/messages`` (any query string, e.g. Claude
Code's ``?beta=true``), ``POST /v1/messages/count_tokens`` and ``HEAD /api/hello``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from caicaini.gateway import errors as _errors  # noqa: F401  (registers the error renderers)
from caicaini.gateway.auth import authenticate
from caicaini.gateway.caller import Caller
from caicaini.gateway.edge import admit, forwarded_headers, read_json
from caicaini.gateway.pipeline import (
    admitted_count,
    charge_headers,
    providers_for,
    resolve_rate,
    send,
)
from caicaini.gateway.state import gateway_state
from caicaini.gateway.streaming import anthropic_sse, stream_response
from caicaini.gateway.upstreams.base import UpstreamRequest
from caicaini.http.deps import app_context
from caicaini.http.disconnect import while_connected
from caicaini.http.errors import request_id
from caicaini.http.lane import fast_lane

router = APIRouter(tags=["gateway"])


async def messages(request: Request) -> Response:
    ctx = app_context(request)
    body, size = await read_json(request, ctx.settings.max_body_bytes)
    stream = body.get("stream") is True
    call = await admit(request, body, size, endpoint="anthropic", stream=stream)
    call.headers["request-id"] = request_id(request)
    if stream:
        return await while_connected(request, stream_response(call, anthropic_sse))
    message, charge = await while_connected(request, send(call))
    return JSONResponse(message, headers=charge_headers(call, charge))


# The hot path: a plain Starlette route (no FastAPI dependency solving) in the fast lane
# (``caicaini.http.lane``: no framework middleware or router walk; the request-context
# middleware and the app's exception handlers apply as to every route).
router.add_route("/v1/messages", fast_lane(messages), methods=["POST"], include_in_schema=False)


@router.post("/v1/messages/count_tokens", include_in_schema=False)
async def count_tokens(request: Request) -> Response:
    """Free, but not unlimited: the key is checked before the body is read, and each count
    is admitted against the plan's limits in buckets of its own (messages are not used up)."""
    ctx = app_context(request)
    state = gateway_state(ctx)
    key = await authenticate(request, ctx, state)
    body, _size = await read_json(request, ctx.settings.max_body_bytes)
    rate = await resolve_rate(ctx, state, key.account_id, body.get("model"))
    upstream = UpstreamRequest(
        body=body,
        upstream_model=rate.model.upstream_model,
        max_output_tokens=rate.model.max_output_tokens,
        headers=forwarded_headers(request),
    )
    async with admitted_count(state, Caller.for_key(key), rate) as headers:
        tokens = await providers_for(ctx, rate)[0].count_tokens(upstream)
    headers["request-id"] = request_id(request)
    return JSONResponse({"input_tokens": tokens}, headers=headers)


@router.head("/api/hello", include_in_schema=False)
async def hello() -> Response:
    """Claude Code's connectivity probe: 200 without authentication."""
    return Response(status_code=200)
