"""The OpenAI-format endpoint ``POST /v1/chat/completions``: translated to the canonical
(Anthropic) format on the way in and back to OpenAI's on the way out, streams included."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from caicaini.gateway import errors as _errors  # noqa: F401  (registers the error renderers)
from caicaini.gateway.edge import admit, read_json
from caicaini.gateway.pipeline import charge_headers, send
from caicaini.gateway.streaming import openai_sse, stream_response
from caicaini.gateway.wire import anthropic_response_to_openai, openai_request_to_anthropic
from caicaini.http.deps import app_context
from caicaini.http.disconnect import while_connected
from caicaini.http.lane import fast_lane

router = APIRouter(tags=["gateway"])


async def chat_completions(request: Request) -> Response:
    ctx = app_context(request)
    raw, size = await read_json(request, ctx.settings.max_body_bytes)
    body = openai_request_to_anthropic(raw)
    stream = raw.get("stream") is True
    call = await admit(request, body, size, endpoint="openai", stream=stream)
    model = str(raw.get("model"))
    if stream:
        options: Any = raw.get("stream_options") or {}
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        metered = stream_response(call, openai_sse, model, include_usage)
        return await while_connected(request, metered)
    message, charge = await while_connected(request, send(call))
    return JSONResponse(
        anthropic_response_to_openai(message, model), headers=charge_headers(call, charge)
    )


# The hot path: a plain Starlette route in the fast lane (see ``anthropic_api``).
router.add_route(
    "/v1/chat/completions", fast_lane(chat_completions), methods=["POST"], include_in_schema=False
)
