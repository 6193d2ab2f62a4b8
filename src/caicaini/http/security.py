"""Security headers on every response, the gateway's included.

The pages run only our own and vendored scripts and stylesheets (``/static``), with no inline
script, style attribute or event handler, so the Content-Security-Policy allows ``'self'``
and nothing else; a JSON data block (``<script type="application/json">``) is data, not
script, and needs no exception; the API reference (``/api/docs``) is vendored Swagger UI
started by a static script, under the same policy.
``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` keep every page out of frames
(clickjacking); HSTS is sent when the public URL is https.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: Any, *, hsts: bool) -> None:
        self.app = app
        common = [
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if hsts:
            common.append((b"strict-transport-security", HSTS.encode()))
        self.headers = [(b"content-security-policy", PAGE_POLICY.encode()), *common]

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
