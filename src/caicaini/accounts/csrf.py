"""CSRF protection.

Logged-in requests: each web session has its own random CSRF token; forms carry it in a
hidden ``csrf_token`` field and JSON clients send it in the ``x-csrf-token`` header.

Anonymous forms (sign-up, login, password reset) have no session yet, so they use a signed
double-submit cookie: the cookie holds the token signed with the server secret
(itsdangerous) and the form carries the plain token. A cross-site page can make the browser
send the cookie but can neither read it nor forge the signature.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from caicaini.accounts.errors import CsrfFailed
from caicaini.context import AppContext

ANON_COOKIE = "caicaini_csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
ANON_MAX_AGE = 24 * 3600

CSRF_MESSAGE = "This form has expired or did not come from this site. Please try again."


def _serializer(request: Request) -> URLSafeTimedSerializer:
    ctx: AppContext = request.app.state.ctx
    return URLSafeTimedSerializer(ctx.settings.secret_key, salt="caicaini.anon-csrf")


def _cookie_token(request: Request) -> str | None:
    cookie = request.cookies.get(ANON_COOKIE)
    if not cookie:
        return None
    try:
        value = _serializer(request).loads(cookie, max_age=ANON_MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def anon_token(request: Request) -> tuple[str, str | None]:
    """The token for an anonymous form, and the cookie value to set (None if already set)."""
    existing = _cookie_token(request)
    if existing:
        return existing, None
    token = secrets.token_urlsafe(24)
    return token, _serializer(request).dumps(token)


def check_anon(request: Request, submitted: str | None) -> None:
    expected = _cookie_token(request)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfFailed(CSRF_MESSAGE)


def check_session_token(expected: str, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfFailed(CSRF_MESSAGE)
