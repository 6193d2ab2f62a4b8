"""A customer cancels a pending order nobody has paid yet. Cancelling twice changes nothing;
an order already on its way cannot be cancelled; a payment that still arrives for a cancelled
order is never credited by itself: it waits for an operator, and the customer is told."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from caicaini.context import AppContext
from caicaini.models.audit import AuditEntry
from caicaini.testing.fake_nowpayments import FakeNowPaymentsServer
from tests.payments.support import balance, eventually, login, mails, make_account, order, payments


async def _buy(live: httpx.AsyncClient, ctx: AppContext) -> tuple[str, str, str]:
    acct = await make_account(ctx)
    csrf = await login(live)
    response = await live.post(
        "/api/v1/orders",
        json={"product": "topup:small", "method": "nowpayments"},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 201, response.text
    return acct.id, response.json()["id"], csrf


async def _advance(fake: FakeNowPaymentsServer, invoice_id: str, status: str, **extra: Any) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{fake.url}/pay/{invoice_id}/advance", json={"status": status, **extra}
        )
        assert response.status_code == 200, response.text


async def _cancel(live: httpx.AsyncClient, order_id: str, csrf: str) -> httpx.Response:
    return await live.post(f"/api/v1/orders/{order_id}/cancel", headers={"x-csrf-token": csrf})


async def test_cancel_twice_then_a_late_payment_is_never_credited(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id, csrf = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "waiting")  # opened on NOWPayments, nothing sent
    await eventually(lambda: payments(ctx_np, order_id), until=lambda found: len(found) == 1)

    first, again = await _cancel(live, order_id, csrf), await _cancel(live, order_id, csrf)
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == again.json()["status"] == "cancelled"
    async with ctx_np.transaction() as session:
        audited = await session.scalar(
            select(func.count()).where(AuditEntry.action == "order.cancelled")
        )
    assert audited == 1

    # The customer pays the invoice anyway.
    for status in ("confirming", "confirmed", "finished"):
        await _advance(fake_np, invoice_id, status)
    (late,) = await eventually(
        lambda: payments(ctx_np, order_id),
        until=lambda found: bool(found) and found[0].status == "finished",
    )
    assert late.review == "open" and late.granted_at is None
    assert "cancelled" in (late.review_reason or "")
    assert (await order(ctx_np, order_id)).status == "cancelled"
    assert await balance(ctx_np, account_id) == 0
    told = [m for m in await mails(ctx_np, "ada@example.com") if "cancelled order" in m.subject]
    assert len(told) == 1 and "Top-up, 2,000 credits" in told[0].body_text
    page = (await live.get(f"/billing/orders/{order_id}/progress")).json()
    assert page["state"] == "cancelled_paid" and page["final"] is False


async def test_an_order_on_its_way_cannot_be_cancelled(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id, csrf = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "confirming")
    await eventually(
        lambda: payments(ctx_np, order_id),
        until=lambda found: bool(found) and found[0].status == "confirming",
    )
    refused = await _cancel(live, order_id, csrf)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "order_state"
    assert "already on its way" in refused.json()["error"]["message"]
    await _advance(fake_np, invoice_id, "confirmed")
    await eventually(lambda: balance(ctx_np, account_id), until=lambda b: b == 2000)
    paid = await _cancel(live, order_id, csrf)
    assert paid.status_code == 409 and "it is paid" in paid.json()["error"]["message"]


async def test_someone_elses_order_cannot_be_cancelled(
    live: httpx.AsyncClient, ctx_np: AppContext
) -> None:
    _, order_id, _ = await _buy(live, ctx_np)
    await make_account(ctx_np, "bob@example.com")
    live.cookies.clear()
    csrf = await login(live, "bob@example.com")
    response = await _cancel(live, order_id, csrf)
    assert response.status_code == 404
    assert (await order(ctx_np, order_id)).status == "pending"
    assert (await live.get(f"/billing/orders/{order_id}/progress")).status_code == 404
