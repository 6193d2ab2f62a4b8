"""Console pages for payments: the review queue (approve, reject, grant a chosen amount).
Reading needs the support role; decisions need admin and go through ``ApprovalService``,
the service behind ``caicaini orders approve|reject``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_admin, require_operator
from caicaini.console.forms import actor, parse_amount, read_form, require_reason
from caicaini.console.payments import review_queue
from caicaini.context import AppContext
from caicaini.http.deps import app_context
from caicaini.payments.approvals import ApprovalService
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


async def _queue_context(ctx: AppContext) -> dict[str, Any]:
    async with ctx.transaction() as session:
        return {"queue": await review_queue(session, ctx.clock, ctx.settings.public_url)}


@router.get("/console/payments", response_class=HTMLResponse)
async def payments_page(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await _queue_context(app_context(request))
    context["done"] = request.query_params.get("done")
    return render(request, "console_payments.html", context)


@router.post("/console/payments/{order_id}/approve")
async def approve(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(
        request, "console_payments.html", {**await _queue_context(ctx), "failed": order_id}
    )
    raw = form.get("credits", "")
    credits = parse_amount(raw, "credits") if raw else None
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, ctx.settings.public_url).approve(
            order_id, actor=actor(me, request), credits=credits
        )
    return RedirectResponse("/console/payments?done=approved", status_code=303)


@router.post("/console/payments/{order_id}/reject")
async def reject(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(
        request, "console_payments.html", {**await _queue_context(ctx), "failed": order_id}
    )
    reason = require_reason(form.get("reason", ""))
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, ctx.settings.public_url).reject(
            order_id, reason, actor=actor(me, request)
        )
    return RedirectResponse("/console/payments?done=rejected", status_code=303)
