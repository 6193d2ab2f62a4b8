"""Pure ASGI middleware (cheap on the gateway's hot path): request ids, access logs,
Prometheus request metrics, and a cap on request body size."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

import structlog
from prometheus_client import Counter, Histogram

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
        status_holder = {"status": 500}
        header = (b"caicaini-request-id", request_id.encode())

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], header]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
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


class BodySizeLimitMiddleware:
    """Refuse bodies over the limit with 413 before reading them into memory. The gateway
    checks the size itself too, so its 413 comes in the Anthropic or OpenAI shape."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        # The gateway (/v1/) caps its own bodies so its 413 comes in the Anthropic/OpenAI shape.
        if (
            scope["type"] == "http"
            and not scope["path"].startswith("/v1/")
            and self._declared_size(scope) > self.max_bytes
        ):
            body = b'{"error":{"code":"request_too_large","message":"request body too large"}}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _declared_size(scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit():
                return int(value)
        return 0
