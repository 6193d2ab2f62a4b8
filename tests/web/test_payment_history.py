"""Manual transfer (amount due, network, address, copy buttons, a QR code of the address),
the payment history (every order with its status) and the printable receipt of each paid
order (USD price, crypto amount and currency, transaction hash, date); another account's
order, its QR code and its receipt are 404."""

from __future__ import annotations

import httpx
import pytest

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.payments.approvals import ApprovalService
from caicaini.payments.ipn import PaymentSync
from caicaini.payments.nowpayments import PaymentStatus
from caicaini.payments.orders import OrderRequest, OrderService
from caicaini.payments.repository import PaymentRepository
from caicaini.web.qr import qr_svg
from tests.web.helpers import catalogue, login, make_account
from tests.web.test_billing_pages import manual_route

ADDRESS = "TXyzReceivingAddress0001"
TX = "9f" * 32


async def _manual_order(client: httpx.AsyncClient, token: str, product: str) -> str:
    response = await client.post(
        "/billing/buy",
        data={"csrf_token": token, "product": product, "method": "manual", "route": "usdt/trc20"},
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def _claim_and_approve(client: httpx.AsyncClient, ctx: AppContext, token: str, url: str):  # type: ignore[no-untyped-def]
    claimed = await client.post(
        f"{url}/claim", data={"csrf_token": token, "tx_hash": TX, "from_address": "TSender0001x"}
    )
    assert claimed.status_code == 303, claimed.text
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, "").approve(
            url.rsplit("/", 1)[1], actor=Actor.system()
        )


@pytest.fixture
async def token(client: httpx.AsyncClient, ctx: AppContext) -> str:
    """Ada logged in (her CSRF token), with USDT on TRC20 open for manual transfers."""
    await catalogue(ctx)
    await manual_route(ctx)
    await make_account(ctx)
    return await login(client)


async def test_the_manual_transfer_page_gives_what_to_send_where(
    client: httpx.AsyncClient, ctx: AppContext, token: str
) -> None:
    url = await _manual_order(client, token, "topup:medium")
    page = (await client.get(url)).text
    assert 'id="amount-due">20</span> USDT' in page
    assert 'id="pay-network">TRC20<' in page and f'id="pay-address">{ADDRESS}<' in page
    assert 'data-copy="#amount-due"' in page and 'data-copy="#pay-address"' in page
    assert f'src="{url}/address.svg"' in page
    assert page.index('id="manual"') < page.index('id="claim-form"')  # details, then the form
    qr = await client.get(f"{url}/address.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert qr.content == qr_svg(ADDRESS)  # the address and nothing else
    assert qr.content.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')

    await make_account(ctx, "bob@example.com")
    client.cookies.clear()
    await login(client, "bob@example.com")
    assert (await client.get(f"{url}/address.svg")).status_code == 404
    assert (await client.get(f"{url}/receipt")).status_code == 404


async def test_history_lists_every_order_and_a_receipt_for_each_paid_one(
    client: httpx.AsyncClient, ctx: AppContext, token: str
) -> None:
    paid = await _manual_order(client, token, "topup:medium")
    waiting = await _manual_order(client, token, "topup:small")
    await _claim_and_approve(client, ctx, token, paid)

    billing = (await client.get("/billing")).text
    history = billing[billing.index('id="orders"') :]
    assert history.count("<tr>") == 3  # the head and both orders
    assert "Top-up, 9,000 credits" in history and "Top-up, 2,000 credits" in history
    assert "Waiting for your transfer" in history and ">paid<" in history
    assert f'href="{paid}/receipt"' in history and f'href="{waiting}/receipt"' not in history
    assert (await client.get(f"{waiting}/receipt")).status_code == 404

    receipt = await client.get(f"{paid}/receipt")
    assert receipt.status_code == 200
    text = receipt.text
    assert 'id="receipt-product">Top-up, 9,000 credits<' in text
    assert 'id="receipt-price">$20 (USD' in text
    assert 'id="receipt-paid">20 USDT on TRC20<' in text
    assert f'id="receipt-tx">{TX}<' in text
    assert 'id="receipt-date">26 November 2026, 12:00 UTC<' in text
    assert 'href="/static/billing.css"' in text and "data-print" in text
    assert 'id="receipt-link"' in (await client.get(paid)).text


async def test_a_nowpayments_receipt_shows_the_on_chain_hash(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    async with ctx.transaction() as session:
        account = await PaymentRepository(session).account(acct.id)
        assert account is not None
        order = await OrderService(session, ctx.clock).open(
            account, OrderRequest("plan:plus", "nowpayments"), actor=Actor.system()
        )
    fetched = {
        "payment_id": 5077125051,
        "payment_status": "finished",
        "order_id": order.id,
        "price_amount": "10",
        "price_currency": "usd",
        "pay_amount": "0.0001",
        "actually_paid": "0.0001",
        "pay_currency": "btc",
        "payin_hash": "ab" * 32,
    }
    async with ctx.transaction() as session:
        await PaymentSync(session, ctx.clock, ctx.settings).apply(PaymentStatus.from_api(fetched))
    await login(client)
    text = (await client.get(f"/billing/orders/{order.id}/receipt")).text
    assert 'id="receipt-product">Plus plan, one month<' in text
    assert 'id="receipt-price">$10 (USD' in text
    assert 'id="receipt-paid">0.0001 BTC<' in text
    assert f'id="receipt-tx">{"ab" * 32}<' in text
