"""Gateway errors and how each endpoint renders them.

The Anthropic endpoints answer ``{"type":"error","error":{"type","message"},"request_id"}``,
the OpenAI endpoints (Chat Completions and the Responses API, which share OpenAI's error
envelope) ``{"error":{"message","type","param","code"}}``; ``/v1/models`` picks by the
``anthropic-version`` header like its success responses. An upstream error keeps the
provider's wording (clients such as Claude Code match on it) and its status.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from caicaini import errors
from caicaini.errors import RequestTooLarge
from caicaini.http.errors import register_renderer, request_id


class GatewayRateLimited(errors.RateLimited):
    """A plan or key limit refused the request; carries the rate-limit headers to send."""

    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: int, headers: dict[str, str]) -> None:
        super().__init__(message, retry_after=retry_after)
        self.headers = headers


class ResponseNotStored(errors.NotFound):
    """Responses are answered in full and never stored, so none can be fetched later."""

    code = "response_not_found"


ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_ANTHROPIC_TYPE_SET = frozenset(ANTHROPIC_TYPES.values())

OPENAI_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    402: ("insufficient_quota", "insufficient_quota"),
    403: ("permission_error", "permission_denied"),
    404: ("invalid_request_error", None),
    413: ("invalid_request_error", "request_too_large"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    503: ("api_error", "overloaded"),
}
OPENAI_CODES = {"unknown_model": "model_not_found"}  # OpenAI's own words for ours


GENERIC_CODES = frozenset({"invalid_input", "error", errors.InsufficientCredits.code})


def _status(exc: errors.DomainError, status: int) -> int:
    if isinstance(exc, RequestTooLarge):
        return 413
    return status


def _headers(request: Request, exc: errors.DomainError) -> dict[str, str]:
    # The stable domain code (``key_cap_reached``, ``insufficient_credits``...), which the
    # Anthropic body has no field for: a header the SDKs ignore and our client reads.
    headers = {"request-id": request_id(request), "caicaini-error-code": exc.code}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["retry-after"] = str(retry_after)
    headers.update(getattr(exc, "headers", None) or {})
    if isinstance(exc, errors.InsufficientCredits | errors.AuthenticationFailed):
        headers["x-should-retry"] = "false"
    return headers


def anthropic_error_body(exc: errors.DomainError, status: int, rid: str) -> dict[str, Any]:
    kind = ANTHROPIC_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    if isinstance(exc, errors.UpstreamError) and exc.error_type in _ANTHROPIC_TYPE_SET:
        kind = exc.error_type
    return {"type": "error", "error": {"type": kind, "message": exc.message}, "request_id": rid}


def openai_error_body(exc: errors.DomainError, status: int) -> dict[str, Any]:
    kind, code = OPENAI_TYPES.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None)
    )
    if isinstance(exc, errors.UpstreamError):
        kind, code = exc.error_type, exc.error_type
    elif (code is None or status == 402) and exc.code not in GENERIC_CODES:
        # e.g. spend_cap_reached: which limit, for code that matches on it
        code = OPENAI_CODES.get(exc.code, exc.code)
    param = getattr(exc, "field", None)
    return {"error": {"message": exc.message, "type": kind, "param": param, "code": code}}


def render_anthropic(request: Request, exc: errors.DomainError, status: int) -> Response:
    status = _status(exc, status)
    body = anthropic_error_body(exc, status, request_id(request))
    return JSONResponse(body, status_code=status, headers=_headers(request, exc))


def render_openai(request: Request, exc: errors.DomainError, status: int) -> Response:
    status = _status(exc, status)
    return JSONResponse(
        openai_error_body(exc, status), status_code=status, headers=_headers(request, exc)
    )


def render_by_version(request: Request, exc: errors.DomainError, status: int) -> Response:
    if "anthropic-version" in request.headers:
        return render_anthropic(request, exc, status)
    return render_openai(request, exc, status)


def register() -> None:
    register_renderer("anthropic", render_anthropic, "/v1/messages")
    register_renderer("openai", render_openai, "/v1/chat/completions")
    register_renderer("responses", render_openai, "/v1/responses")
    register_renderer("gateway", render_by_version, "/v1/models")


register()
