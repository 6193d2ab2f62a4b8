"""FastAPI dependencies for routes that act for a logged-in account.

    account: CurrentAccount = Depends(current_account)   # any method; cookie session
    account: CurrentAccount = Depends(require_csrf)      # unsafe methods: also checks CSRF
    account: CurrentAccount = Depends(require_operator)  # any operator role (read pages)
    account: CurrentAccount = Depends(require_role(ADMIN))  # console: role, and CSRF on POST

``require_role(role)`` is THE console gate: anonymous visitors are sent to log in (401),
customers and weaker roles get 403, and an unsafe method must also carry the session's CSRF
token, so a page handler cannot forget either check.

``require_csrf`` accepts the session's token in the ``x-csrf-token`` header (JSON clients)
or in a ``csrf_token`` form field (server-rendered forms). The resolved account is cached on
the request, so several dependencies cost one database look-up, and that look-up is a read
transaction: a request carrying a cookie writes nothing (no write lock on SQLite).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from fastapi import Request, Response

from caicaini.accounts import csrf
from caicaini.accounts.repository import AccountRepository
from caicaini.accounts.roles import ADMIN, SUPPORT, has_role, role_of
from caicaini.accounts.sessions import SessionService
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.errors import AuthenticationFailed, PermissionDenied

SESSION_COOKIE = "caicaini_session"
# Cached in the ASGI scope (request.state can outlive one request under some test servers).
SCOPE_KEY = "caicaini.account"


@dataclass(frozen=True)
class CurrentAccount:
    id: str
    email: str
    status: str
    is_operator: bool
    email_verified: bool
    country: str
    date_of_birth: date
    session_id: str
    csrf_token: str
    role: str | None = None  # the console role of an operator (accounts.roles)


async def _resolve(request: Request) -> CurrentAccount:
    cached = request.scope.get(SCOPE_KEY)
    if isinstance(cached, CurrentAccount):
        return cached
    ctx: AppContext = request.app.state.ctx
    # A read, never a write: sessions have a fixed expiry (set at login), so resolving one
    # changes nothing and must not queue behind writers (BEGIN IMMEDIATE on SQLite).
    async with ctx.read() as session:
        service = SessionService(AccountRepository(session), ctx.clock, ctx.settings)
        account, web_session = await service.resolve(request.cookies.get(SESSION_COOKIE))
        current = CurrentAccount(
            id=account.id,
            email=account.email,
            status=account.status,
            is_operator=account.is_operator,
            email_verified=account.email_verified_at is not None,
            country=account.country,
            date_of_birth=account.date_of_birth,
            session_id=web_session.id,
            csrf_token=web_session.csrf_token,
            role=role_of(account),
        )
    request.scope[SCOPE_KEY] = current
    return current


async def current_account(request: Request) -> CurrentAccount:
    """The logged-in account; AuthenticationFailed (401) or AccountUnavailable (403)."""
    return await _resolve(request)


async def optional_account(request: Request) -> CurrentAccount | None:
    if not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        return await _resolve(request)
    except (AuthenticationFailed, PermissionDenied):
        return None


async def submitted_csrf(request: Request) -> str | None:
    header = request.headers.get(csrf.HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(csrf.FIELD)
        return value if isinstance(value, str) else None
    return None


async def require_csrf(request: Request) -> CurrentAccount:
    account = await _resolve(request)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.check_session_token(account.csrf_token, await submitted_csrf(request))
    return account


def require_role(role: str) -> Callable[[Request], Awaitable[CurrentAccount]]:
    """The dependency for a console route that needs ``role`` (support or admin)."""

    async def dependency(request: Request) -> CurrentAccount:
        account = await _resolve(request)
        if not has_role(account.role, role):
            if account.role is None:
                raise PermissionDenied("Only operators may do this.")
            raise PermissionDenied(f"This needs the {role} role; you are {account.role}.")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.check_session_token(account.csrf_token, await submitted_csrf(request))
        return account

    dependency.__name__ = f"require_{role}"
    return dependency


require_operator = require_role(SUPPORT)
require_admin = require_role(ADMIN)


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )
