"""Console pages for payments: the review queue (approve, reject, or grant a chosen amount),
every order with filters, one order, and the manual-transfer addresses and rates. Reading
needs the support role; decisions need admin, a reason, and go through the services behind
``caicaini orders approve|reject`` and ``caicaini payments address|rate set``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_admin, require_operator
from caicaini.console import payments
from caicaini.console.formats import crypto
from caicaini.console.forms import Preview, actor, parse_amount, read_form, require_reason
from caicaini.context import AppContext
from caicaini.errors import NotFound
from caicaini.http.deps import app_context
from caicaini.kit.ids import new_id
from caicaini.models.payments import ORDER_STATUSES
from caicaini.payments.approvals import ApprovalService
from caicaini.payments.manual import (
    ManualService,
    check_address,
    normalise_currency,
    parse_rate,
)
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


async def _queue_context(ctx: AppContext) -> dict[str, Any]:
    async with ctx.transaction() as session:
        return {"queue": await payments.review_queue(session, ctx.clock, ctx.settings.public_url)}


@router.get("/console/payments", response_class=HTMLResponse)
async def payments_page(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await _queue_context(app_context(request))
    context["done"] = request.query_params.get("done")
    return render(request, "console_payments.html", context)


async def _decide(request: Request, me: CurrentAccount, order_id: str, approve: bool) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(
        request,
        "console_payments.html",
        {**await _queue_context(ctx), "failed": order_id, "form": form},
    )
    reason = require_reason(form.get("reason"))
    raw = form.get("credits", "")
    credits = parse_amount(raw, "credits") if raw else None
    if approve and form.get("step") != "apply":
        async with ctx.read() as session:
            preview = await payments.approval_preview(
                session, ctx.clock, ctx.settings.public_url, order_id, credits, reason
            )
        context = {"preview": preview, "op": new_id("op"), "console_tab": "payments"}
        return render(request, "console_confirm.html", context)
    async with ctx.transaction() as session:
        service = ApprovalService(session, ctx.clock, ctx.settings.public_url)
        if approve:
            await service.approve(
                order_id, actor=actor(me, request), credits=credits, reason=reason
            )
        else:
            await service.reject(order_id, reason, actor=actor(me, request))
    done = "approved" if approve else "rejected"
    return RedirectResponse(f"/console/payments?done={done}", status_code=303)


@router.post("/console/payments/{order_id}/approve")
async def approve(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    return await _decide(request, me, order_id, approve=True)


@router.post("/console/payments/{order_id}/reject")
async def reject(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    return await _decide(request, me, order_id, approve=False)


@router.get("/console/orders", response_class=HTMLResponse)
async def orders_page(request: Request, me: CurrentAccount = Depends(require_operator)) -> Response:
    ctx = app_context(request)
    wanted = payments.order_filter(dict(request.query_params))
    async with ctx.transaction() as session:
        rows = await payments.orders(session, wanted)
    return render(
        request,
        "console_orders.html",
        {
            "rows": rows,
            "wanted": wanted,
            "statuses": ORDER_STATUSES,
            "methods": payments.METHODS,
            "limit": payments.ORDERS_LIMIT,
        },
    )


async def order_context(ctx: AppContext, order_id: str) -> dict[str, Any]:
    async with ctx.transaction() as session:
        return await payments.order_detail(session, order_id)


@router.get("/console/orders/{order_id}", response_class=HTMLResponse)
async def order_page(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await order_context(app_context(request), order_id)
    context["done"] = request.query_params.get("done")
    return render(request, "console_order.html", context)


async def _settings_context(ctx: AppContext) -> dict[str, Any]:
    async with ctx.transaction() as session:
        return await payments.manual_settings(session)


@router.get("/console/payments/settings", response_class=HTMLResponse)
async def settings_page(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await _settings_context(app_context(request))
    context["done"] = request.query_params.get("done")
    return render(request, "console_payment_settings.html", context)


def _setting_preview(kind: str, form: dict[str, str], current: dict[str, Any]) -> Preview:
    """What changing an address or a rate does, from the current settings."""
    currency = normalise_currency(form.get("currency"))
    carry = {"currency": currency, "reason": require_reason(form.get("reason"))}
    if kind == "address":
        network = normalise_currency(form.get("network"), "network")
        address = check_address(form.get("address", ""))
        old = next(
            (
                a.address
                for a in current["addresses"]
                if (a.currency, a.network) == (currency, network)
            ),
            None,
        )
        carry |= {"network": network, "address": address}
        effects = [
            f"{currency.upper()} on {network}: {old or 'no address yet'} → {address}",
            "new manual orders in this currency are quoted to this address; "
            "orders already opened keep the address they were given",
        ]
        subject = f"{currency.upper()} on {network}"
    else:
        usd = str(parse_rate(form.get("usd", "")))
        old = next((crypto(r.usd) for r in current["rates"] if r.currency == currency), None)
        carry |= {"usd": usd}
        effects = [
            f"1 {currency.upper()} = {old if old is not None else 'no rate yet'} → {usd} USD",
            "new manual orders are quoted at this rate; orders already opened keep theirs",
        ]
        subject = currency.upper()
    effects.append("the audit log records you as the actor, with the reason")
    label = "Set the receiving address" if kind == "address" else "Set the USD rate"
    return Preview(
        label, subject, effects, url=f"/console/payments/settings/{kind}",
        cancel="/console/payments/settings", carry=carry,
    )  # fmt: skip


@router.post("/console/payments/settings/{kind}")
async def change_setting(
    kind: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    if kind not in ("address", "rate"):
        raise NotFound("no such setting")
    form = await read_form(request)
    current = await _settings_context(ctx)
    remember_form(
        request, "console_payment_settings.html", {**current, "form": form, "form_name": kind}
    )
    preview = _setting_preview(kind, form, current)
    if form.get("step") != "apply":
        return render(
            request,
            "console_confirm.html",
            {"preview": preview, "op": new_id("op"), "console_tab": "payments"},
        )
    carry, who = preview.carry, actor(me, request)
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, ctx.settings.public_url)
        if kind == "address":
            await manual.set_address(
                carry["currency"], carry["network"], carry["address"],
                actor=who, reason=carry["reason"],
            )  # fmt: skip
        else:
            await manual.set_rate(
                carry["currency"], carry["usd"], actor=who, reason=carry["reason"]
            )
    return RedirectResponse(f"/console/payments/settings?done={kind}", status_code=303)
