"""The fake upstream as an ASGI app: Anthropic Messages and OpenAI/Moonshot chat completions.

Routes: ``POST /v1/messages`` (any query string), ``POST /v1/messages/count_tokens``,
``POST /v1/chat/completions`` and ``POST /chat/completions`` (so a base URL with or without
``/v1`` works), ``GET /v1/models``. Behaviour per request comes from the ``FakeScript``
(see ``script.py`` for the queue, the ``x-fake-*`` headers and the in-message directive).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from caicaini.kit.sse import dumps
from caicaini.testing.fake_upstream import anthropic, openai
from caicaini.testing.fake_upstream.replies import (
    Conversation,
    anthropic_conversation,
    estimate_tokens,
    next_id,
    openai_conversation,
    plan_reply,
)
from caicaini.testing.fake_upstream.script import Behaviour, FakeScript

HANG_LIMIT_SECONDS = 600.0
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(obj).encode(), status, headers, media_type="application/json")


class _Fake:
    def __init__(self, script: FakeScript, stopping: threading.Event) -> None:
        self.script = script
        self.stopping = stopping

    async def hang(self, request: Request | None = None) -> None:
        """Stay silent until the client leaves, the server stops, or a generous limit."""
        deadline = time.monotonic() + HANG_LIMIT_SECONDS
        while not self.stopping.is_set() and time.monotonic() < deadline:
            if request is not None and await request.is_disconnected():
                return
            await asyncio.sleep(0.02)

    async def _read(self, request: Request) -> Any:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.script.record(request.url.path, request.headers, body)
        return body

    def _authorised(self, request: Request) -> bool:
        key = self.script.api_key
        if key is None:
            return True
        bearer = request.headers.get("authorization", "")
        return request.headers.get("x-api-key") == key or bearer == f"Bearer {key}"

    async def _prelude(self, request: Request, conv: Conversation) -> Behaviour | None:
        """Choose the behaviour and play its latency; None when the request is hung up."""
        b = self.script.choose(request.headers, conv.last_user_text)
        if b.latency:
            await asyncio.sleep(b.latency)
        if b.hang:
            await self.hang(request)
            return None
        return b

    # -- Anthropic ----------------------------------------------------------------------
    def _anthropic_error(self, status: int, b: Behaviour | None) -> Response:
        request_id = next_id("req_fake")
        headers = {"request-id": request_id}
        if status in (429, 529):
            headers["retry-after"] = str(b.retry_after if b and b.retry_after is not None else 1)
        elif b and b.retry_after is not None:
            headers["retry-after"] = str(b.retry_after)
        return _json(anthropic.error_body(status, b, request_id), status, headers)

    async def messages(self, request: Request) -> Response:
        body = await self._read(request)
        if not self._authorised(request):
            return self._anthropic_error(401, Behaviour(message="invalid x-api-key"))
        problem = anthropic.validate(body, dict(request.headers))
        if problem:
            return self._anthropic_error(400, Behaviour(message=problem))
        conv = anthropic_conversation(body)
        b = await self._prelude(request, conv)
        if b is None:
            return Response(status_code=499)
        if b.status is not None and b.fail_after_events is None:
            return self._anthropic_error(b.status, b)
        reply = plan_reply(conv, b)
        headers = {"request-id": next_id("req_fake")}
        if not body.get("stream"):
            return _json(anthropic.message(reply, b, body["model"]), headers=headers)
        events = anthropic.events(reply, b, body["model"])
        return StreamingResponse(
            anthropic.stream(events, b, self.hang),
            media_type="text/event-stream",
            headers=SSE_HEADERS | headers,
        )

    async def count_tokens(self, request: Request) -> Response:
        body = await self._read(request)
        if not self._authorised(request):
            return self._anthropic_error(401, Behaviour(message="invalid x-api-key"))
        problem = anthropic.validate(body, dict(request.headers), count=True)
        if problem:
            return self._anthropic_error(400, Behaviour(message=problem))
        tokens = estimate_tokens(body.get("system"), body["messages"], body.get("tools"))
        return _json({"input_tokens": tokens}, headers={"request-id": next_id("req_fake")})

    # -- OpenAI / Moonshot --------------------------------------------------------------
    def _openai_error(self, status: int, b: Behaviour | None) -> Response:
        headers = {"x-request-id": next_id("req_fake")}
        if status in (429, 529) or (b and b.retry_after is not None):
            headers["retry-after"] = str(b.retry_after if b and b.retry_after is not None else 1)
        return _json(openai.error_body(status, b), status, headers)

    async def chat_completions(self, request: Request) -> Response:
        body = await self._read(request)
        if not self._authorised(request):
            return self._openai_error(401, Behaviour(message="Invalid Authentication"))
        problem = openai.validate(body)
        if problem:
            return self._openai_error(400, Behaviour(message=problem))
        conv = openai_conversation(body)
        b = await self._prelude(request, conv)
        if b is None:
            return Response(status_code=499)
        if b.status is not None and b.fail_after_events is None:
            return self._openai_error(b.status, b)
        reply = plan_reply(conv, b)
        headers = {"x-request-id": next_id("req_fake")}
        if not body.get("stream"):
            return _json(openai.completion(reply, b, body["model"]), headers=headers)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = openai.chunks(reply, b, body["model"], include_usage)
        return StreamingResponse(
            openai.stream(chunks, b, self.hang),
            media_type="text/event-stream",
            headers=SSE_HEADERS | headers,
        )

    async def models(self, request: Request) -> Response:
        ids = ["claude-sonnet-4-5", "claude-haiku-4-5", "kimi-k2.5"]
        if "anthropic-version" in request.headers:
            created = "2026-01-01T00:00:00Z"
            data = [
                {"type": "model", "id": i, "display_name": i, "created_at": created} for i in ids
            ]
            return _json({"data": data, "has_more": False, "first_id": ids[0], "last_id": ids[-1]})
        listed = [{"id": i, "object": "model", "created": 0, "owned_by": "fake"} for i in ids]
        return _json({"object": "list", "data": listed})


def create_fake_upstream_app(
    script: FakeScript | None = None, *, stopping: threading.Event | None = None
) -> Starlette:
    """The ASGI app; ``app.state.script`` is the script, ``app.state.stopping`` ends hangs."""
    fake = _Fake(script or FakeScript(), stopping or threading.Event())
    routes = [
        Route("/v1/messages", fake.messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", fake.count_tokens, methods=["POST"]),
        Route("/v1/chat/completions", fake.chat_completions, methods=["POST"]),
        Route("/chat/completions", fake.chat_completions, methods=["POST"]),
        Route("/v1/models", fake.models, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.script = fake.script
    app.state.stopping = fake.stopping
    return app
