"""Pure ASGI middleware (cheap on the gateway's hot path): request ids, access logs,
Prometheus request metrics, and a cap on request body size."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from caicaini.http.errors import http_error_handler, unexpected_error_handler
from caicaini.kit.ids import new_id
from caicaini.logs import get_logger

log = get_logger("caicaini.http")

REQUESTS = Counter("caicaini_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("caicaini_http_request_seconds", "HTTP request latency", ["method", "route"])

Scope = MutableMapping[str, Any]


class RequestContextMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_id("req")
        scope["caicaini.request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500, "started": 0}
        header = (b"caicaini-request-id", request_id.encode())

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], header]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # What no handler inside took (the framework sends its 500 from outside every
            # middleware): the same 500 here, so it too carries the request id.
            if status_holder["started"]:
                raise
            response = await unexpected_error_handler(Request(scope, receive), exc)
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_name = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], route_name, str(status_holder["status"])).inc()
            LATENCY.labels(scope["method"], route_name).observe(elapsed)
            log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status_holder["status"],
                ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` the moment the bytes received pass the limit. An HTTP
    exception, so the framework's body parsing lets it through and the route's own error
    renderer answers 413 in its format (JSON, Anthropic, OpenAI, HTML)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds the limit of {limit} bytes")


class BodySizeLimitMiddleware:
    """Cap every route's request body without buffering it: a declared ``content-length``
    over the limit is refused before the app runs; otherwise the bytes are counted as they
    arrive (chunked bodies declare nothing) and the read that passes the limit raises
    ``BodyTooLarge``, so at most one chunk past the limit is ever held."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if _declared_size(scope) > limit:
            await _refuse(scope, receive, send, BodyTooLarge(limit))
            return
        received = 0
        started = False

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge as exc:  # read where no exception handler saw it
            if started:
                raise
            await _refuse(scope, receive, send, exc)


async def _refuse(scope: Scope, receive: Any, send: Any, exc: BodyTooLarge) -> None:
    response = await http_error_handler(Request(scope, receive), exc)
    await response(scope, receive, send)


def _declared_size(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0
