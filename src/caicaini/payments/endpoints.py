"""HTTP for payments: the NOWPayments IPN callback, the customer orders API, and (embedded
default only) the fake NOWPayments mounted at ``/_fake/nowpayments``."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, BackgroundTasks, Depends, Request
from starlette.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from caicaini.accounts.deps import CurrentAccount, current_account, require_csrf
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.http.deps import app_context, client_ip
from caicaini.logs import get_logger
from caicaini.payments.errors import PaymentProviderError
from caicaini.payments.ipn import CallbackIntake, sync_payment
from caicaini.payments.manual import ManualService
from caicaini.payments.nowpayments import FAKE_MOUNT_PATH, ipn_secret
from caicaini.payments.orders import OrderRequest, OrderService, create_order
from caicaini.payments.repository import PaymentRepository
from caicaini.payments.runtime import FAKE_KEY, provider_for
from caicaini.payments.schemas import CreateOrder, ManualClaim, OrderOut, PaymentOut

log = get_logger(__name__)
router = APIRouter()


@router.post("/webhooks/nowpayments", include_in_schema=False)
async def nowpayments_ipn(
    request: Request, background: BackgroundTasks, ctx: AppContext = Depends(app_context)
) -> dict[str, bool]:
    raw = await request.body()
    async with ctx.transaction() as session:
        payment_id, _ = await CallbackIntake(session, ctx.clock).receive(
            raw, request.headers.get("x-nowpayments-sig"), ipn_secret(ctx.settings)
        )
    background.add_task(_process, ctx, payment_id)
    return {"ok": True}


async def _process(ctx: AppContext, payment_id: str) -> None:
    try:
        await sync_payment(ctx, provider_for(ctx), payment_id)
    except PaymentProviderError as exc:
        # The callback is stored unprocessed; the poller retries it.
        log.warning("payments.ipn_deferred", payment_id=payment_id, error=exc.message)
    except Exception:
        log.exception("payments.ipn_processing_failed", payment_id=payment_id)


def _actor(account: CurrentAccount, request: Request) -> Actor:
    return Actor("account", account.id, client_ip(request))


@router.get("/api/v1/orders")
async def list_orders(
    ctx: AppContext = Depends(app_context), account: CurrentAccount = Depends(current_account)
) -> dict[str, list[OrderOut]]:
    async with ctx.transaction() as session:
        orders = await PaymentRepository(session).orders_of(account.id)
        return {"data": [OrderOut.of(o) for o in orders]}


@router.post("/api/v1/orders", status_code=201)
async def open_order(
    body: CreateOrder,
    request: Request,
    ctx: AppContext = Depends(app_context),
    account: CurrentAccount = Depends(require_csrf),
) -> OrderOut:
    request_ = OrderRequest(body.product, body.method, body.currency, body.network)
    order = await create_order(
        ctx, provider_for(ctx), account.id, request_, actor=_actor(account, request)
    )
    return OrderOut.of(order)


@router.get("/api/v1/orders/{order_id}")
async def get_order(
    order_id: str,
    ctx: AppContext = Depends(app_context),
    account: CurrentAccount = Depends(current_account),
) -> dict[str, Any]:
    async with ctx.transaction() as session:
        order = await OrderService(session, ctx.clock).get(order_id, account_id=account.id)
        payments = await PaymentRepository(session).payments_of_order(order.id)
        out = OrderOut.of(order).model_dump(mode="json")
        out["payments"] = [PaymentOut.of(p).model_dump(mode="json") for p in payments]
        return out


@router.post("/api/v1/orders/{order_id}/cancel")
async def cancel_order(
    order_id: str,
    request: Request,
    ctx: AppContext = Depends(app_context),
    account: CurrentAccount = Depends(require_csrf),
) -> OrderOut:
    """Cancel a pending order nobody has paid yet (again: no change)."""
    async with ctx.transaction() as session:
        order = await OrderService(session, ctx.clock).cancel(
            order_id, account.id, actor=_actor(account, request)
        )
        return OrderOut.of(order)


@router.post("/api/v1/orders/{order_id}/manual-claim", status_code=201)
async def manual_claim(
    order_id: str,
    body: ManualClaim,
    request: Request,
    ctx: AppContext = Depends(app_context),
    account: CurrentAccount = Depends(require_csrf),
) -> PaymentOut:
    async with ctx.transaction() as session:
        payment = await ManualService(session, ctx.clock, ctx.settings.public_url).claim(
            order_id, account.id, body.tx_hash, body.from_address, actor=_actor(account, request)
        )
        return PaymentOut.of(payment)


@router.get("/api/v1/payments")
async def list_payments(
    ctx: AppContext = Depends(app_context), account: CurrentAccount = Depends(current_account)
) -> dict[str, list[PaymentOut]]:
    async with ctx.transaction() as session:
        payments = await PaymentRepository(session).payments_of(account.id)
        return {"data": [PaymentOut.of(p) for p in payments]}


class EmbeddedFakeNowPayments:
    """Forwards to the in-process fake when this app uses it; 404 otherwise (production, or a
    real NOWPayments base URL configured)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope.get("app")
        ctx: AppContext | None = getattr(getattr(app, "state", None), "ctx", None)
        fake = ctx.extras.get(FAKE_KEY) if ctx is not None else None
        if fake is None or app is None or scope["type"] != "http":
            response = JSONResponse(
                {"error": {"code": "not_found", "message": "not found"}}, status_code=404
            )
            await response(scope, receive, send)
            return
        if fake.ipn_transport is None:
            # Callbacks to ourselves go in-process: no reliance on the public URL being reachable.
            fake.ipn_transport = httpx.ASGITransport(app=app)
        await fake.app(scope, receive, send)


router.routes.append(Mount(FAKE_MOUNT_PATH, app=EmbeddedFakeNowPayments()))
