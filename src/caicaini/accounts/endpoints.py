"""Accounts JSON API under ``/api/v1``. Thin: parse, open the transaction, call the service.

Anonymous endpoints take JSON bodies only (a cross-site form cannot send
``application/json`` without a CORS preflight we never grant). Session-authenticated unsafe
requests must carry the session's CSRF token in ``x-csrf-token``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from caicaini.accounts.closure import ClosureService
from caicaini.accounts.deps import (
    SESSION_COOKIE,
    CurrentAccount,
    clear_session_cookie,
    current_account,
    require_csrf,
    set_session_cookie,
)
from caicaini.accounts.schemas import (
    AccountOut,
    ChangeEmailIn,
    ChangePasswordIn,
    CloseIn,
    LoginIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    SessionOut,
    SignUpIn,
    TokenIn,
)
from caicaini.accounts.service import AccountService, SignUp
from caicaini.http.deps import app_context, client_ip

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/accounts", status_code=201)
async def sign_up(body: SignUpIn, request: Request) -> dict[str, object]:
    ctx = app_context(request)
    form = SignUp(
        body.email, body.password, body.date_of_birth, body.country, body.device_fingerprint
    )
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).sign_up(
            form, ip=client_ip(request)
        )
        out = AccountOut.of(account)
    return {"account": out.model_dump(mode="json"), "verification_sent": True}


@router.post("/auth/login")
async def login(body: LoginIn, request: Request) -> JSONResponse:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        attempt = await AccountService(session, ctx.clock, ctx.settings).login(
            body.email,
            body.password,
            ip=client_ip(request),
            device_fingerprint=body.device_fingerprint,
        )
    started = attempt.raise_for_error()
    assert attempt.account is not None
    out = SessionOut(
        account=AccountOut.of(attempt.account), csrf_token=started.web_session.csrf_token
    )
    response = JSONResponse(out.model_dump(mode="json"))
    set_session_cookie(response, started.token, ctx.settings)
    return response


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, _: CurrentAccount = Depends(require_csrf)) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock, ctx.settings).logout(
            request.cookies.get(SESSION_COOKIE)
        )
    response = Response(status_code=204)
    clear_session_cookie(response, ctx.settings)
    return response


@router.post("/auth/verify-email")
async def verify_email(body: TokenIn, request: Request) -> AccountOut:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).verify_email(
            body.token, ip=client_ip(request)
        )
        return AccountOut.of(account)


@router.post("/auth/resend-verification", status_code=202)
async def resend_verification(
    request: Request, me: CurrentAccount = Depends(require_csrf)
) -> dict[str, bool]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        service = AccountService(session, ctx.clock, ctx.settings)
        account = await service.get(me.id)
        if account.email_verified_at is None:
            await service.send_verification(account)
    return {"accepted": True}


@router.post("/auth/password-reset", status_code=202)
async def password_reset(body: PasswordResetIn, request: Request) -> dict[str, bool]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock, ctx.settings).request_password_reset(
            body.email, ip=client_ip(request)
        )
    return {"accepted": True}


@router.post("/auth/password-reset/confirm")
async def password_reset_confirm(body: PasswordResetConfirmIn, request: Request) -> AccountOut:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).reset_password(
            body.token, body.new_password, ip=client_ip(request)
        )
        return AccountOut.of(account)


@router.get("/me")
async def me(request: Request, current: CurrentAccount = Depends(current_account)) -> AccountOut:
    ctx = app_context(request)
    async with ctx.read() as session:
        return AccountOut.of(await AccountService(session, ctx.clock, ctx.settings).get(current.id))


@router.post("/me/password", status_code=204)
async def change_password(
    body: ChangePasswordIn, request: Request, current: CurrentAccount = Depends(require_csrf)
) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        service = AccountService(session, ctx.clock, ctx.settings)
        await service.change_password(
            await service.get(current.id),
            current=body.current_password,
            new=body.new_password,
            keep_session_id=current.session_id,
            ip=client_ip(request),
        )
    return Response(status_code=204)


@router.post("/me/email", status_code=202)
async def change_email(
    body: ChangeEmailIn, request: Request, current: CurrentAccount = Depends(require_csrf)
) -> dict[str, bool]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        service = AccountService(session, ctx.clock, ctx.settings)
        await service.request_email_change(
            await service.get(current.id),
            new_email=body.new_email,
            password=body.password,
            ip=client_ip(request),
        )
    return {"confirmation_sent": True}


@router.post("/me/close")
async def close(
    body: CloseIn, request: Request, current: CurrentAccount = Depends(require_csrf)
) -> JSONResponse:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).get(current.id)
        closed = await ClosureService(session, ctx.clock, ctx.settings).close_own_account(
            account, password=body.password, reason=body.reason, ip=client_ip(request)
        )
        out = AccountOut.of(closed)
    response = JSONResponse(out.model_dump(mode="json"))
    clear_session_cookie(response, ctx.settings)
    return response
