"""The HTTP edge of the API endpoints: read the body, authenticate the key, then hand the
message to the engine (``pipeline.admit_caller``), which knows nothing of HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from caicaini.errors import RequestTooLarge
from caicaini.gateway.auth import authenticate
from caicaini.gateway.caller import Caller
from caicaini.gateway.pipeline import Call, admit_caller
from caicaini.gateway.state import gateway_state
from caicaini.http.errors import request_id
from caicaini.kit.jsonbody import parse_object

FORWARDED_HEADERS = ("anthropic-version", "anthropic-beta")


async def read_json(request: Request, max_bytes: int) -> tuple[dict[str, Any], int]:
    """The body as a JSON object, refusing oversize bodies before reading them whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise RequestTooLarge(f"request body exceeds the limit of {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise RequestTooLarge(f"request body exceeds the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return parse_object(b"".join(chunks)), size


def forwarded_headers(request: Request) -> dict[str, str]:
    headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
    for name, value in request.headers.items():
        if name.startswith("x-fake-"):  # scripting hooks of the demo/fake provider
            headers[name] = value
    return headers


async def admit(
    request: Request, body: dict[str, Any], body_size: int, *, endpoint: str, stream: bool
) -> Call:
    """Authenticate the request's API key and admit its (canonical) message."""
    ctx = request.app.state.ctx
    key = await authenticate(request, ctx, gateway_state(ctx))
    return await admit_caller(
        ctx,
        Caller.for_key(key),
        body,
        body_size,
        endpoint=endpoint,
        stream=stream,
        request_id=request_id(request),
        headers=forwarded_headers(request),
    )
