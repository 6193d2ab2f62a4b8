"""Operator console pages (operators only; others get 403, anonymous visitors the login page).

Every action is a POST with the session's CSRF token and a reason, goes through the owning
domain's service (``ClosureService.set_status``, ``adjust_credits`` (which notifies the user),
``ApprovalService.approve/reject``) and is audited there. A failed action re-renders its page
with the message and what the operator typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts import csrf
from caicaini.accounts.closure import ClosureService
from caicaini.accounts.deps import CurrentAccount, require_operator
from caicaini.audit.service import Actor, AuditService
from caicaini.console.service import ConsoleService, parse_amount, require_reason
from caicaini.context import AppContext
from caicaini.http.deps import app_context, client_ip
from caicaini.kit.ids import new_id
from caicaini.notices import adjustments
from caicaini.payments.approvals import ApprovalService
from caicaini.web.rendering import add_template_dir, remember_form, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")

AUDIT_LIMIT = 100


def _actor(me: CurrentAccount, request: Request) -> Actor:
    return Actor("operator", me.id, client_ip(request))


async def _form(request: Request, me: CurrentAccount) -> dict[str, str]:
    form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))
    return form


@router.get("/console", response_class=HTMLResponse)
async def console_home(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    query = request.query_params.get("q", "")
    async with ctx.transaction() as session:
        console = ConsoleService(session, ctx.clock)
        users = await console.find_users(query)
        queue = await console.review_queue(ctx.settings.public_url)
        audit = await AuditService(session, ctx.clock).history(subject_account_id=None, limit=10)
    return render(
        request,
        "console_home.html",
        {"q": query, "users": users, "queue_size": len(queue), "audit": audit},
    )


async def _user_context(ctx: AppContext, account_id: str) -> dict[str, Any]:
    async with ctx.transaction() as session:
        context = await ConsoleService(session, ctx.clock).user(account_id)
    context["adjust_key"] = new_id("adj")
    return context


@router.get("/console/users/{account_id}", response_class=HTMLResponse)
async def user_page(
    account_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await _user_context(app_context(request), account_id)
    context["done"] = request.query_params.get("done")
    return render(request, "console_user.html", context)


@router.post("/console/users/{account_id}/status")
async def set_status(
    account_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    form = await _form(request, me)
    context = await _user_context(ctx, account_id)
    remember_form(request, "console_user.html", {**context, "form": form, "form_name": "status"})
    reason = require_reason(form.get("reason", ""))
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).set_status(
            account_id, form.get("status", ""), reason, _actor(me, request)
        )
    return RedirectResponse(f"/console/users/{account_id}?done=status", status_code=303)


@router.post("/console/users/{account_id}/credits")
async def adjust_credits(
    account_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    form = await _form(request, me)
    context = await _user_context(ctx, account_id)
    remember_form(request, "console_user.html", {**context, "form": form, "form_name": "credits"})
    reason = require_reason(form.get("reason", ""))
    amount = parse_amount(form.get("amount", ""))
    # The key comes from the rendered form, so a double submit adjusts once.
    key = form.get("adjust_key") or new_id("adj")
    async with ctx.transaction() as session:
        await adjustments.adjust_credits(
            session,
            ctx.clock,
            ctx.settings.public_url,
            context["user"].account.id,
            amount,
            reason=reason,
            idempotency_key=f"console-adjust:{key}",
            actor=_actor(me, request),
        )
    return RedirectResponse(f"/console/users/{account_id}?done=credits", status_code=303)


async def _payments_context(ctx: AppContext) -> dict[str, Any]:
    async with ctx.transaction() as session:
        queue = await ConsoleService(session, ctx.clock).review_queue(ctx.settings.public_url)
    return {"queue": queue}


@router.get("/console/payments", response_class=HTMLResponse)
async def payments_page(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await _payments_context(app_context(request))
    context["done"] = request.query_params.get("done")
    return render(request, "console_payments.html", context)


@router.post("/console/payments/{order_id}/approve")
async def approve(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    form = await _form(request, me)
    remember_form(
        request, "console_payments.html", {**await _payments_context(ctx), "failed": order_id}
    )
    raw = form.get("credits", "")
    credits = parse_amount(raw) if raw else None
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, ctx.settings.public_url).approve(
            order_id, actor=_actor(me, request), credits=credits
        )
    return RedirectResponse("/console/payments?done=approved", status_code=303)


@router.post("/console/payments/{order_id}/reject")
async def reject(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    form = await _form(request, me)
    remember_form(
        request, "console_payments.html", {**await _payments_context(ctx), "failed": order_id}
    )
    reason = require_reason(form.get("reason", ""))
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, ctx.settings.public_url).reject(
            order_id, reason, actor=_actor(me, request)
        )
    return RedirectResponse("/console/payments?done=rejected", status_code=303)


@router.get("/console/audit", response_class=HTMLResponse)
async def audit_page(request: Request, me: CurrentAccount = Depends(require_operator)) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        entries = await AuditService(session, ctx.clock).history(
            subject_account_id=None, limit=AUDIT_LIMIT
        )
    return render(request, "console_audit.html", {"audit": entries})
