"""Buying through the billing pages: NOWPayments redirects to the hosted invoice, a manual
transfer shows the amount due and takes a claim, and the paid-plan rules show clear errors."""

from __future__ import annotations

import re
from datetime import date

import httpx

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.payments.manual import ManualService
from caicaini.payments.repository import PaymentRepository
from tests.web.helpers import catalogue, csrf_of, login, make_account


async def manual_route(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, ctx.settings.public_url)
        await manual.set_address("usdt", "trc20", "TXyzReceivingAddress0001", actor=Actor.system())
        await manual.set_rate("usdt", "1.00", actor=Actor.system())


async def test_billing_requires_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/billing")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/billing"


async def test_billing_shows_plan_credits_and_products(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_account(ctx)
    await login(client)
    page = await client.get("/billing")
    assert page.status_code == 200
    assert "Free" in page.text and "credits available" in page.text
    for product in ("plan:plus", "plan:pro", "topup:small", "topup:medium", "topup:large"):
        assert f'value="{product}"' in page.text
    assert 'value="plan:free"' not in page.text
    assert "No orders yet." in page.text


async def test_buying_by_nowpayments_redirects_to_the_hosted_invoice(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    token = await login(client)
    response = await client.post(
        "/billing/buy",
        data={"csrf_token": token, "product": "topup:small", "method": "nowpayments"},
    )
    assert response.status_code == 303, response.text
    assert "/_fake/nowpayments/pay/" in response.headers["location"]
    async with ctx.transaction() as session:
        (order,) = await PaymentRepository(session).orders_of(acct.id)
    assert (order.product, order.method, order.status) == ("topup:small", "nowpayments", "pending")
    billing = await client.get("/billing")
    assert f"/billing/orders/{order.id}" in billing.text
    back = await client.get(f"/billing/orders/{order.id}")  # where NOWPayments sends people
    assert back.status_code == 200
    assert "Waiting for your payment" in back.text and "Cancel the order" in back.text


async def test_manual_transfer_quote_and_claim(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await catalogue(ctx)
    await manual_route(ctx)
    acct = await make_account(ctx)
    token = await login(client)
    response = await client.post(
        "/billing/buy",
        data={
            "csrf_token": token,
            "product": "topup:medium",
            "method": "manual",
            "route": "usdt/trc20",
        },
    )
    assert response.status_code == 303, response.text
    order_page = await client.get(response.headers["location"])
    assert re.search(r'id="amount-due">20</span> USDT<', order_page.text)
    assert "TXyzReceivingAddress0001" in order_page.text
    order_url = response.headers["location"]
    claimed = await client.post(
        f"{order_url}/claim",
        data={
            "csrf_token": token,
            "tx_hash": "abc123def4567890",
            "from_address": "TSenderAddr123456",
        },
    )
    assert claimed.status_code == 303
    page = await client.get(claimed.headers["location"])
    assert "We received your transfer details" in page.text
    assert 'id="order-status">claimed<' in page.text
    # The same hash again, on a second order: a clear error on the order page.
    again = await client.post(
        "/billing/buy",
        data={
            "csrf_token": token,
            "product": "topup:small",
            "method": "manual",
            "route": "usdt/trc20",
        },
    )
    second = again.headers["location"]
    refused = await client.post(
        f"{second}/claim",
        data={
            "csrf_token": token,
            "tx_hash": "ABC123DEF4567890",
            "from_address": "TSenderAddr123456",
        },
    )
    assert refused.status_code == 409
    assert "already been claimed" in refused.text
    assert 'value="TSenderAddr123456"' in refused.text
    async with ctx.transaction() as session:
        orders = await PaymentRepository(session).orders_of(acct.id)
    assert sorted(o.status for o in orders) == ["claimed", "pending"]


async def test_unverified_email_cannot_buy(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await catalogue(ctx)
    await make_account(ctx, verified=False)
    token = await login(client)
    page = await client.get("/billing")
    assert "Verify your e-mail address before paying" in page.text
    response = await client.post(
        "/billing/buy",
        data={"csrf_token": token, "product": "topup:small", "method": "nowpayments"},
    )
    assert response.status_code == 403
    assert "verify your e-mail address before paying" in response.text
    assert 'value="topup:small" checked' in response.text


async def test_minor_cannot_buy_a_plan_but_can_top_up(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_account(ctx, born=date(2010, 1, 1), country="US")
    token = await login(client)
    response = await client.post(
        "/billing/buy",
        data={"csrf_token": token, "product": "plan:plus", "method": "nowpayments"},
    )
    assert response.status_code == 403
    assert "requires being at least" in response.text
    topup = await client.post(
        "/billing/buy",
        data={"csrf_token": token, "product": "topup:small", "method": "nowpayments"},
    )
    assert topup.status_code == 303


async def test_buying_without_csrf_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    await login(client)
    response = await client.post(
        "/billing/buy", data={"product": "topup:small", "method": "nowpayments"}
    )
    assert response.status_code == 403
    async with ctx.transaction() as session:
        assert await PaymentRepository(session).orders_of(acct.id) == []


async def test_someone_elses_order_is_not_found(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await catalogue(ctx)
    await manual_route(ctx)
    await make_account(ctx)
    await make_account(ctx, "bob@example.com")
    token = await login(client)
    response = await client.post(
        "/billing/buy",
        data={
            "csrf_token": token,
            "product": "topup:small",
            "method": "manual",
            "route": "usdt/trc20",
        },
    )
    order_url = response.headers["location"]
    client.cookies.clear()
    await login(client, "bob@example.com")
    assert (await client.get(order_url)).status_code == 404
    assert csrf_of((await client.get("/billing")).text)
