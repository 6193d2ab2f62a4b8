"""FastAPI dependencies for routes that act for a logged-in account.

    account: CurrentAccount = Depends(current_account)   # any method; cookie session
    account: CurrentAccount = Depends(require_csrf)      # unsafe methods: also checks CSRF
    account: CurrentAccount = Depends(require_operator)  # operators only (GET pages)

``require_csrf`` accepts the session's token in the ``x-csrf-token`` header (JSON clients)
or in a ``csrf_token`` form field (server-rendered forms). The resolved account is cached on
the request, so several dependencies cost one database look-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import Request, Response

from caicaini.accounts import csrf
from caicaini.accounts.repository import AccountRepository
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


async def _resolve(request: Request) -> CurrentAccount:
    cached = request.scope.get(SCOPE_KEY)
    if isinstance(cached, CurrentAccount):
        return cached
    ctx: AppContext = request.app.state.ctx
    async with ctx.transaction() as session:
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


async def require_operator(request: Request) -> CurrentAccount:
    account = await _resolve(request)
    if not account.is_operator:
        raise PermissionDenied("Only operators may do this.")
    return account


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
