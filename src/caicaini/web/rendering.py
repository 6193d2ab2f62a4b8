"""Template rendering for pages, and the HTML error renderer.

A page handler that processes a form first calls ``remember_form(request, template, values)``;
if a domain error escapes the handler, the renderer re-renders that form with the values the
user typed and a clear message, so every form error looks the same. Without a remembered
form, ``AuthenticationFailed`` redirects to the login page and anything else gets the error
page (404, 403, 500 with the request id...); unknown URLs get it too when a browser asks.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

from caicaini import errors
from caicaini.accounts import csrf
from caicaini.accounts.deps import SCOPE_KEY, CurrentAccount, optional_account
from caicaini.http.errors import register_renderer, request_id

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
_template_dirs: list[BaseLoader] = [FileSystemLoader(str(HERE / "templates"))]
templates.env.loader = ChoiceLoader(_template_dirs)


def usd(value: Decimal | int) -> str:
    """$10, $12.50: whole dollars without cents."""
    amount = Decimal(value)
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else f"${amount:,.2f}"


def credits(value: int) -> str:
    return f"{int(value):,}"


def amount(value: Decimal | int | str | None) -> str:
    """A crypto amount as written to a wallet: exact, no trailing zeros, never 1E-7."""
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


GRANT_KINDS = {
    "subscription": "Plan credits",
    "topup": "Top-up",
    "promotional": "Promotional",
    "adjustment": "Adjustment",
}


def grant_kind(kind: str | None) -> str:
    """A grant's kind in words: "Plan credits", "Top-up"..."""
    return GRANT_KINDS.get(kind or "", kind or "")


templates.env.filters["usd"] = usd
templates.env.filters["grant_kind"] = grant_kind
templates.env.filters["credits"] = credits
templates.env.filters["amount"] = amount

_FORM_KEY = "caicaini.form"

PAGE_PREFIXES = (
    "/signup",
    "/login",
    "/logout",
    "/verify-email",
    "/forgot-password",
    "/reset-password",
    "/confirm-email",
    "/dashboard",
    "/settings",
    "/terms",
    "/privacy",
    "/contact",
    "/dev/mail",
    "/pricing",
    "/status",
    "/billing",
    "/keys",
    "/usage",
    "/console",
)


def add_template_dir(directory: Path) -> None:
    """Let another page package (the operator console) keep its templates next to its code
    while extending ``base.html``."""
    loader = FileSystemLoader(str(directory))
    known = [getattr(existing, "searchpath", None) for existing in _template_dirs]
    if loader.searchpath not in known:
        _template_dirs.append(loader)
        templates.env.loader = ChoiceLoader(_template_dirs)


def current(request: Request) -> CurrentAccount | None:
    account = request.scope.get(SCOPE_KEY)
    return account if isinstance(account, CurrentAccount) else None


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    anon_form: bool = False,
) -> HTMLResponse:
    """Render a page; ``anon_form`` adds the double-submit CSRF token (and its cookie)."""
    ctx = request.app.state.ctx
    values: dict[str, Any] = {
        "account": current(request),
        "env": ctx.settings.env,
        "path": request.url.path,
        **(context or {}),
    }
    cookie = None
    if anon_form:
        values["csrf_token"], cookie = csrf.anon_token(request)
    elif values["account"] is not None:
        values.setdefault("csrf_token", values["account"].csrf_token)
    response = templates.TemplateResponse(request, name, values, status_code=status)
    if cookie:
        response.set_cookie(
            csrf.ANON_COOKIE,
            cookie,
            max_age=csrf.ANON_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=ctx.settings.secure_cookies,
            path="/",
        )
    return response


def remember_form(
    request: Request, template: str, values: dict[str, Any], *, anon: bool = False
) -> None:
    request.scope[_FORM_KEY] = (template, values, anon)


async def render_html_error(request: Request, exc: errors.DomainError, status: int) -> Response:
    """The page for a domain error: the remembered form with its message, the login page for
    a missing session, or the error page (with the request id for a server error)."""
    form = request.scope.get(_FORM_KEY)
    if isinstance(exc, errors.AuthenticationFailed) and form is None:
        return RedirectResponse(login_url(request), status_code=303)
    await _header_account(request)
    if form is not None:
        template, values, anon = form
        response = render(
            request,
            template,
            {**values, "error": exc.message, "error_field": getattr(exc, "field", None)},
            status=status,
            anon_form=anon,
        )
    else:
        response = render(
            request,
            "error.html",
            {"error": exc.message, "status": status, "request_id": request_id(request)},
            status=status,
        )
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response.headers["retry-after"] = str(retry_after)
    return response


def login_url(request: Request) -> str:
    """The login page, coming back here afterwards: to this page (with its query) for a GET,
    and for a form posted without a session (it expired) to the page the form was on, never
    to the form's target, which cannot be opened by a link."""
    target: str | None = request.url.path
    if request.method not in ("GET", "HEAD"):
        target = _same_site_path(request, request.headers.get("referer", ""))
    elif request.url.query:
        target = f"{target}?{request.url.query}"
    return f"/login?next={quote(target, safe='/')}" if target else "/login"


def _same_site_path(request: Request, referer: str) -> str | None:
    parts = urlsplit(referer)
    if not referer or parts.netloc != request.url.netloc or not parts.path.startswith("/"):
        return None
    return parts.path


async def _header_account(request: Request) -> None:
    """Resolve the session for the page header when no dependency did (an unknown URL, a
    wrong method): the error page must not look logged out. A failure here (the database is
    what broke) leaves the header logged out rather than failing the error page too."""
    if request.scope.get(SCOPE_KEY) is not None:
        return
    with contextlib.suppress(Exception):
        await optional_account(request)


register_renderer("html", render_html_error, *PAGE_PREFIXES)
