"""One table maps domain errors to HTTP statuses; each edge renders them in its own format.

The format is chosen by the route: the JSON API renders ``{"error": {"code", "message"}}``
(plus ``field`` and ``details`` when the error has them; headers an error carries are sent),
the gateway renders Anthropic or OpenAI error bodies (registered by ``caicaini.gateway``),
pages render HTML. A path no edge claims (an unknown URL) gets the HTML page when the client
asks for HTML (a browser) and the JSON body otherwise. Unexpected exceptions become a 500
with a request id and no traceback.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from caicaini import errors
from caicaini.capacity import RETRY_AFTER_SECONDS, is_overload
from caicaini.logs import get_logger

log = get_logger(__name__)

STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.RequestTooLarge, 413),
    (errors.InvalidInput, 400),
    (errors.AuthenticationFailed, 401),
    (errors.InsufficientCredits, 402),
    (errors.AccountUnavailable, 403),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.RateLimited, 429),
    (errors.Overloaded, 503),
]


def status_for(exc: errors.DomainError) -> int:
    if isinstance(exc, errors.UpstreamError):
        return exc.status
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


# A renderer turns (request, domain error, status) into a response (or an awaitable of one:
# the HTML pages look up who is logged in for their header). Edges register theirs.
Renderer = Callable[[Request, errors.DomainError, int], Response | Awaitable[Response]]
_renderers: dict[str, Renderer] = {}
# (path prefix, format) pairs, longest prefix first; edges register theirs.
_formats: list[tuple[str, str]] = []
# The format for paths no edge claims, when the client accepts HTML.
UNCLAIMED_FORMAT = "html"


def register_renderer(fmt: str, renderer: Renderer, *prefixes: str) -> None:
    _renderers[fmt] = renderer
    for prefix in prefixes:
        _formats.append((prefix, fmt))
    _formats.sort(key=lambda item: len(item[0]), reverse=True)


def format_for(request: Request) -> str:
    explicit = request.scope.get("caicaini.error_format")
    if explicit:
        return str(explicit)
    path = request.url.path
    for prefix, fmt in _formats:
        if path.startswith(prefix):
            return fmt
    if UNCLAIMED_FORMAT in _renderers and "text/html" in request.headers.get("accept", ""):
        return UNCLAIMED_FORMAT
    return "json"


def request_id(request: Request) -> str:
    return str(request.scope.get("caicaini.request_id", ""))


def render_json(request: Request, exc: errors.DomainError, status: int) -> Response:
    body: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message}}
    field = getattr(exc, "field", None)
    if field:
        body["error"]["field"] = field
    if exc.details:
        body["error"]["details"] = exc.details
    body["request_id"] = request_id(request)
    return JSONResponse(body, status_code=status, headers=_headers(exc))


def _headers(exc: errors.DomainError) -> dict[str, str]:
    retry_after = getattr(exc, "retry_after", None)
    headers = {"retry-after": str(retry_after)} if retry_after else {}
    headers.update(getattr(exc, "headers", None) or {})
    return headers


# Machine interfaces answer JSON whatever the client accepts.
register_renderer(
    "json", render_json, "/api/", "/v1/", "/webhooks/", "/healthz", "/readyz", "/metrics"
)


async def render(request: Request, exc: errors.DomainError, status: int | None = None) -> Response:
    renderer = _renderers.get(format_for(request), render_json)
    response = renderer(request, exc, status or status_for(exc))
    if inspect.isawaitable(response):
        response = await response
    return response


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    return await render(request, exc)


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = f"{where}: {first.get('msg', 'invalid input')}" if where else first.get("msg", "")
    return await render(
        request, errors.InvalidInput(message or "invalid input", field=where or None)
    )


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return await render(request, errors.NotFound("not found"))
    if exc.status_code == 413:
        return await render(request, errors.RequestTooLarge(str(exc.detail)))
    message = {405: "method not allowed"}.get(exc.status_code, str(exc.detail))
    return await render(request, errors.InvalidInput(message), exc.status_code)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    if is_overload(exc):
        log.warning("http.overloaded", error=type(exc).__name__, path=request.url.path)
        busy = errors.Overloaded(
            "the service is overloaded; retry shortly", retry_after=RETRY_AFTER_SECONDS
        )
        return await render(request, busy)
    log.error("http.unhandled_error", error=type(exc).__name__, path=request.url.path, exc_info=exc)
    error = errors.DomainError("internal error; quote the request id to support")
    error.code = "internal_error"
    return await render(request, error, 500)
