"""Billing pages: current plan and credits, buying a plan period or a top-up pack
(NOWPayments hosted invoice, or a manual transfer claimed with its transaction hash), and the
order and payment history.

NOWPayments sends the customer back to ``/billing/orders/{id}``, paid or not; credits arrive by
the signed IPN callback, never by the return itself. The order page follows the order through
its feed (``/billing/orders/{id}/progress``, polled by ``static/order.js``), which says where the
order stands in words (``payments.progress``) and re-renders the parts that change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from caicaini.accounts import csrf
from caicaini.accounts.deps import CurrentAccount, current_account
from caicaini.accounts.majority import age_of_majority
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.http.deps import app_context, client_ip
from caicaini.ledger.service import LedgerService
from caicaini.models.payments import Payment
from caicaini.payments.errors import OrderNotFound
from caicaini.payments.manual import ManualService
from caicaini.payments.orders import OrderRequest, OrderService, create_order
from caicaini.payments.progress import Progress, can_cancel, describe
from caicaini.payments.receipts import payment_receipt
from caicaini.payments.repository import PaymentRepository
from caicaini.payments.runtime import provider_for
from caicaini.plans.service import PlanService
from caicaini.subscriptions.service import SubscriptionService
from caicaini.web.qr import qr_svg
from caicaini.web.rendering import remember_form, render, templates

router = APIRouter(include_in_schema=False)


async def _form(request: Request, me: CurrentAccount) -> dict[str, str]:
    form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))
    return form


async def billing_context(ctx: AppContext, me: CurrentAccount) -> dict[str, Any]:
    async with ctx.transaction() as session:
        plans = PlanService(session, ctx.clock)
        sheet = await plans.current_sheet()
        terms = await plans.terms_for(me.id)
        period = await SubscriptionService(session, ctx.clock).current_period(me.id)
        ledger = LedgerService(session, ctx.clock)
        balance = await ledger.balance(me.id)
        grants = [g for g in await ledger.grants(me.id) if g.remaining > 0]
        repo = PaymentRepository(session)
        routes = [(a.currency, a.network) for a in await repo.addresses()]
        orders = await repo.orders_of(me.id, limit=None)
        payments = await repo.payments_of(me.id, limit=None)
    of_order: dict[str, list[Payment]] = {}
    for payment in payments:
        of_order.setdefault(payment.order_id, []).append(payment)
    return {
        "plan": terms.plan,
        "period": period,
        "balance": balance,
        "grants": grants,
        "paid_plans": sorted(
            (p for p in sheet.plans.values() if p.price_usd > 0), key=lambda p: p.price_usd
        ),
        "topups": sorted(sheet.topups.values(), key=lambda t: t.price_usd),
        "manual_routes": sorted(routes),
        # The payment history: every order, where it stands, and what paid it.
        "history": [
            (order, describe(order, of_order.get(order.id, [])), _credited(of_order, order.id))
            for order in orders
        ],
        "majority_age": age_of_majority(me.country or ""),
    }


def _credited(of_order: dict[str, list[Payment]], order_id: str) -> Payment | None:
    return next((p for p in of_order.get(order_id, []) if p.granted_at is not None), None)


@router.get("/billing", response_class=HTMLResponse)
async def billing(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    """``?product=topup:small`` (the pricing page's buy buttons) chooses that product."""
    context = await billing_context(app_context(request), me)
    wanted = request.query_params.get("product")
    products = [p.product for p in (*context["paid_plans"], *context["topups"])]
    context["preselected"] = wanted if wanted in products else None
    return render(request, "billing.html", context)


@router.post("/billing/buy")
async def buy(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    ctx = app_context(request)
    form = await _form(request, me)
    remember_form(request, "billing.html", {**await billing_context(ctx, me), "form": form})
    method = form.get("method", "nowpayments")
    currency, _, network = form.get("route", "").partition("/")
    order = await create_order(
        ctx,
        provider_for(ctx),
        me.id,
        OrderRequest(
            form.get("product", ""),
            method,
            (currency or None) if method == "manual" else None,
            (network or None) if method == "manual" else None,
        ),
        actor=Actor("account", me.id, client_ip(request)),
    )
    if order.method == "nowpayments" and order.invoice_url:
        return RedirectResponse(order.invoice_url, status_code=303)
    return RedirectResponse(f"/billing/orders/{order.id}", status_code=303)


async def order_context(ctx: AppContext, me: CurrentAccount, order_id: str) -> dict[str, Any]:
    async with ctx.transaction() as session:
        order = await OrderService(session, ctx.clock).get(order_id, account_id=me.id)
        payments = await PaymentRepository(session).payments_of_order(order.id)
        balance = await LedgerService(session, ctx.clock).balance(me.id)
    return {
        "order": order,
        "payments": payments,
        "balance": balance,
        "progress": describe(order, payments),
        "cancellable": can_cancel(order, payments),
    }


@router.get("/billing/orders/{order_id}", response_class=HTMLResponse)
async def order_page(
    order_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    context = await order_context(app_context(request), me, order_id)
    return render(request, "order.html", context)


# The live parts of the order page, by element id (see static/order.js).
LIVE_PANELS = {
    "order-status-panel": "_order_status.html",
    "order-details-panel": "_order_details.html",
}


@router.get("/billing/orders/{order_id}/progress")
async def order_progress(
    order_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> JSONResponse:
    """The order page's feed: where the order stands (in words) and its re-rendered parts."""
    context = await order_context(app_context(request), me, order_id)
    values = {**context, "request": request, "csrf_token": me.csrf_token}
    progress: Progress = context["progress"]
    return JSONResponse(
        {
            "order_id": order_id,
            "status": context["order"].status,
            "state": progress.state,
            "headline": progress.headline,
            "explanation": progress.explanation,
            "final": progress.final,
            "balance": context["balance"],
            "panels": {
                element: templates.get_template(name).render(values)
                for element, name in LIVE_PANELS.items()
            },
        },
        headers={"cache-control": "no-store"},
    )


@router.post("/billing/orders/{order_id}/cancel")
async def cancel(
    order_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    await _form(request, me)
    remember_form(request, "order.html", await order_context(ctx, me, order_id))
    async with ctx.transaction() as session:
        await OrderService(session, ctx.clock).cancel(
            order_id, me.id, actor=Actor("account", me.id, client_ip(request))
        )
    return RedirectResponse(f"/billing/orders/{order_id}", status_code=303)


@router.get("/billing/orders/{order_id}/receipt", response_class=HTMLResponse)
async def payment_receipt_page(
    order_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    """The printable receipt of a paid order (404 for any other order)."""
    context = await order_context(app_context(request), me, order_id)
    receipt = payment_receipt(context["order"], context["payments"])
    return render(request, "payment_receipt.html", {"r": receipt})


@router.get("/billing/orders/{order_id}/address.svg")
async def address_qr(
    order_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    """The receiving address of a manual-transfer order as a QR code."""
    ctx = app_context(request)
    async with ctx.transaction() as session:
        order = await OrderService(session, ctx.clock).get(order_id, account_id=me.id)
    if order.method != "manual" or not order.pay_address:
        raise OrderNotFound("this order has no transfer address")
    return Response(
        qr_svg(order.pay_address),
        media_type="image/svg+xml",
        headers={"cache-control": "private, max-age=86400"},
    )


@router.post("/billing/orders/{order_id}/claim")
async def claim(
    order_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = await _form(request, me)
    context = await order_context(ctx, me, order_id)
    remember_form(request, "order.html", {**context, "form": form})
    async with ctx.transaction() as session:
        await ManualService(session, ctx.clock, ctx.settings.public_url).claim(
            order_id,
            me.id,
            form.get("tx_hash", ""),
            form.get("from_address", ""),
            actor=Actor("account", me.id, client_ip(request)),
        )
    return RedirectResponse(f"/billing/orders/{order_id}?claimed=1", status_code=303)
