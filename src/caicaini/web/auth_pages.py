"""Pages before login: sign-up, login/logout, e-mailed links, forgotten password."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Match

from caicaini.accounts import csrf
from caicaini.accounts.countries import COUNTRIES
from caicaini.accounts.deps import (
    SESSION_COOKIE,
    clear_session_cookie,
    optional_account,
    set_session_cookie,
)
from caicaini.accounts.service import AccountService, SignUp
from caicaini.errors import InvalidInput
from caicaini.http.deps import app_context, client_ip
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)

COUNTRY_CHOICES = sorted(COUNTRIES.items(), key=lambda item: item[1])


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _safe_next(request: Request, value: str | None) -> str:
    """Where to go after logging in: a local page that opens by a link, else the dashboard
    (``/billing/buy`` only takes a form's POST: landing there would say "method not
    allowed")."""
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and _opens_by_link(request, urlsplit(value).path)
    ):
        return value
    return "/dashboard"


def _opens_by_link(request: Request, path: str) -> bool:
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.routes)


@router.get("/signup", response_class=HTMLResponse)
async def signup_page(request: Request) -> Response:
    await optional_account(request)
    return render(request, "signup.html", {"countries": COUNTRY_CHOICES}, anon_form=True)


@router.post("/signup", response_class=HTMLResponse)
async def signup_submit(request: Request) -> Response:
    ctx = app_context(request)
    form = await _form(request)
    kept = {k: form.get(k, "") for k in ("email", "date_of_birth", "country")}
    remember_form(request, "signup.html", {**kept, "countries": COUNTRY_CHOICES}, anon=True)
    csrf.check_anon(request, form.get(csrf.FIELD))
    if form.get("accept_terms") != "yes":
        raise InvalidInput("Please accept the Terms of Service to continue.", field="accept_terms")
    try:
        born = date.fromisoformat(form.get("date_of_birth", ""))
    except ValueError:
        raise InvalidInput("Enter your date of birth.", field="date_of_birth") from None
    data = SignUp(
        form.get("email", ""),
        form.get("password", ""),
        born,
        form.get("country", ""),
        form.get("device_fingerprint") or None,
    )
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).sign_up(
            data, ip=client_ip(request)
        )
        email = account.email
    return render(request, "check_email.html", {"email": email, "purpose": "verify"})


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> Response:
    await optional_account(request)
    return render(request, "login.html", {"next": _safe_next(request, next)}, anon_form=True)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    ctx = app_context(request)
    form = await _form(request)
    target = _safe_next(request, form.get("next"))
    remember_form(
        request, "login.html", {"email": form.get("email", ""), "next": target}, anon=True
    )
    csrf.check_anon(request, form.get(csrf.FIELD))
    async with ctx.transaction() as session:
        attempt = await AccountService(session, ctx.clock, ctx.settings).login(
            form.get("email", ""),
            form.get("password", ""),
            ip=client_ip(request),
            device_fingerprint=form.get("device_fingerprint") or None,
        )
    started = attempt.raise_for_error()
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, started.token, ctx.settings)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    ctx = app_context(request)
    account = await optional_account(request)
    form = await _form(request)
    if account is not None:
        csrf.check_session_token(account.csrf_token, form.get(csrf.FIELD))
        async with ctx.transaction() as session:
            await AccountService(session, ctx.clock, ctx.settings).logout(
                request.cookies.get(SESSION_COOKIE)
            )
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, ctx.settings)
    return response


@router.get("/verify-email", response_class=HTMLResponse)
async def verify_email(request: Request, token: str = "") -> Response:
    ctx = app_context(request)
    await optional_account(request)
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock, ctx.settings).verify_email(
            token, ip=client_ip(request)
        )
    return render(
        request,
        "message.html",
        {
            "title": "E-mail address verified",
            "message": "Thank you: your e-mail address is confirmed.",
            "link": ("/dashboard", "Go to your dashboard"),
        },
    )


@router.get("/confirm-email", response_class=HTMLResponse)
async def confirm_email(request: Request, token: str = "") -> Response:
    ctx = app_context(request)
    await optional_account(request)
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).confirm_email_change(
            token, ip=client_ip(request)
        )
        email = account.email
    return render(
        request,
        "message.html",
        {
            "title": "E-mail address changed",
            "message": f"Your account now uses {email}.",
            "link": ("/dashboard", "Go to your dashboard"),
        },
    )


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_page(request: Request) -> Response:
    await optional_account(request)
    return render(request, "forgot_password.html", anon_form=True)


@router.post("/forgot-password", response_class=HTMLResponse)
async def forgot_submit(request: Request) -> Response:
    ctx = app_context(request)
    form = await _form(request)
    remember_form(request, "forgot_password.html", {"email": form.get("email", "")}, anon=True)
    csrf.check_anon(request, form.get(csrf.FIELD))
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock, ctx.settings).request_password_reset(
            form.get("email", ""), ip=client_ip(request)
        )
    return render(request, "check_email.html", {"email": form.get("email", ""), "purpose": "reset"})


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_page(request: Request, token: str = "") -> Response:
    await optional_account(request)
    return render(request, "reset_password.html", {"token": token}, anon_form=True)


@router.post("/reset-password", response_class=HTMLResponse)
async def reset_submit(request: Request) -> Response:
    ctx = app_context(request)
    form = await _form(request)
    remember_form(request, "reset_password.html", {"token": form.get("token", "")}, anon=True)
    csrf.check_anon(request, form.get(csrf.FIELD))
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock, ctx.settings).reset_password(
            form.get("token", ""), form.get("new_password", ""), ip=client_ip(request)
        )
    return render(
        request,
        "message.html",
        {
            "title": "Password changed",
            "message": "Your new password is set and every other session was signed out.",
            "link": ("/login", "Log in"),
        },
    )
