"""Template rendering for pages, and the HTML error renderer.

A page handler that processes a form first calls ``remember_form(request, template, values)``;
if a domain error escapes the handler, the renderer re-renders that form with the values the
user typed and a clear message, so every form error looks the same. Without a remembered
form, ``AuthenticationFailed`` redirects to the login page and anything else gets a short
error page.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

from caicaini import errors
from caicaini.accounts import csrf
from caicaini.accounts.deps import SCOPE_KEY, CurrentAccount
from caicaini.http.errors import register_renderer

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


templates.env.filters["usd"] = usd
templates.env.filters["credits"] = credits

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


def render_html_error(request: Request, exc: errors.DomainError, status: int) -> Response:
    form = request.scope.get(_FORM_KEY)
    if form is not None:
        template, values, anon = form
        response = render(
            request,
            template,
            {**values, "error": exc.message, "error_field": getattr(exc, "field", None)},
            status=status,
            anon_form=anon,
        )
    elif isinstance(exc, errors.AuthenticationFailed):
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    else:
        response = render(
            request, "error.html", {"error": exc.message, "status": status}, status=status
        )
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response.headers["retry-after"] = str(retry_after)
    return response


register_renderer("html", render_html_error, *PAGE_PREFIXES)
