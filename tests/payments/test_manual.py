"""Manual transfers: quote, claim (a transaction hash is claimed once), operator approval
(credits granted, period begins) or rejection (the customer is told why)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.payments.approvals import ApprovalService
from caicaini.payments.errors import NoManualRoute, OrderState
from caicaini.payments.manual import ManualService, amount_due
from caicaini.subscriptions.service import SubscriptionService
from tests.payments.support import (
    balance,
    login,
    mails,
    make_account,
    order,
    payments,
    setup_catalogue,
)

OPERATOR = Actor("operator", "op_test")
USDT_ADDRESS = "TReceivingAddressUsdt000001"
BTC_ADDRESS = "bc1qreceivingaddressbtc0001"


@pytest.fixture(autouse=True)
async def configured(ctx: AppContext) -> None:
    await setup_catalogue(ctx)
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, "")
        await manual.set_address("USDT", "trc20", USDT_ADDRESS, actor=OPERATOR)
        await manual.set_address("btc", "bitcoin", BTC_ADDRESS, actor=OPERATOR)
        await manual.set_rate("usdt", "1", actor=OPERATOR)
        await manual.set_rate("btc", "97123.45", actor=OPERATOR)


async def _open(
    client: httpx.AsyncClient, csrf: str, product: str, currency: str
) -> dict[str, object]:
    response = await client.post(
        "/api/v1/orders",
        json={"product": product, "method": "manual", "currency": currency},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _claim(client: httpx.AsyncClient, csrf: str, order_id: object, tx: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/orders/{order_id}/manual-claim",
        json={"tx_hash": tx, "from_address": "TCustomerWallet000000001"},
        headers={"x-csrf-token": csrf},
    )


async def _approve(ctx: AppContext, order_id: str, credits: int | None = None) -> None:
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, ctx.settings.public_url).approve(
            order_id, actor=OPERATOR, credits=credits
        )


def test_amounts_due_round_up_to_the_currency_precision() -> None:
    assert amount_due(Decimal("10.00"), Decimal("97123.45"), "btc") == Decimal("0.00010297")
    assert amount_due(Decimal("10.00"), Decimal("1"), "usdt") == Decimal("10.00")
    assert amount_due(Decimal("5.00"), Decimal("3"), "usdt") == Decimal("1.67")


async def test_claim_then_approve_starts_the_period_and_grants_the_prorated_allowance(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    acct = await make_account(ctx)
    csrf = await login(client)
    quoted = await _open(client, csrf, "plan:plus", "btc")
    assert quoted["pay_address"] == BTC_ADDRESS and quoted["pay_network"] == "bitcoin"
    assert quoted["amount_due"] == "0.00010297"
    claim = await _claim(client, csrf, quoted["id"], "0x" + "AB" * 32)
    assert claim.status_code == 201, claim.text
    assert (await order(ctx, str(quoted["id"]))).status == "claimed"

    async with ctx.transaction() as session:
        queue = await ApprovalService(session, ctx.clock, "").queue()
    assert [item.order_id for item in queue] == [quoted["id"]]

    await _approve(ctx, str(quoted["id"]))
    # 26 Nov → 26 Dec: 5 of 30 days fall in November, so 5000 * 5/30 now.
    assert await balance(ctx, acct.id) == 833
    async with ctx.transaction() as session:
        period = await SubscriptionService(session, ctx.clock).current_period(acct.id)
    assert period is not None and period.plan_name == "plus"
    assert period.starts_at == ctx.clock.now()
    assert (await order(ctx, str(quoted["id"]))).status == "paid"
    [payment] = await payments(ctx, str(quoted["id"]))
    assert payment.status == "approved" and payment.tx_hash == "ab" * 32
    assert "Payment confirmed" in [m.subject for m in await mails(ctx, "ada@example.com")]

    with pytest.raises(OrderState):
        await _approve(ctx, str(quoted["id"]))
    assert await balance(ctx, acct.id) == 833


async def test_a_transaction_hash_is_claimed_once(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    csrf = await login(client)
    first = await _open(client, csrf, "topup:small", "usdt")
    second = await _open(client, csrf, "topup:small", "usdt")
    assert first["amount_due"] == "5.00"
    assert (await _claim(client, csrf, first["id"], "cd" * 32)).status_code == 201
    again = await _claim(client, csrf, second["id"], "0x" + "CD" * 32)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "tx_hash_already_claimed"
    assert await payments(ctx, str(second["id"])) == []
    twice = await _claim(client, csrf, first["id"], "ef" * 32)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "order_state"


async def test_reject_tells_the_customer_why(client: httpx.AsyncClient, ctx: AppContext) -> None:
    acct = await make_account(ctx)
    csrf = await login(client)
    opened = await _open(client, csrf, "topup:small", "usdt")
    await _claim(client, csrf, opened["id"], "12" * 32)
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, "").reject(
            str(opened["id"]), "no such transfer on chain", actor=OPERATOR
        )
    rejected = await order(ctx, str(opened["id"]))
    assert rejected.status == "rejected" and rejected.status_reason == "no such transfer on chain"
    [mail] = [m for m in await mails(ctx, "ada@example.com") if m.subject == "Payment not accepted"]
    assert "no such transfer on chain" in mail.body_text
    assert await balance(ctx, acct.id) == 0
    listed = (await client.get("/api/v1/payments")).json()["data"]
    assert listed[0]["status"] == "rejected"


async def test_approving_a_short_payment_with_fewer_credits(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    acct = await make_account(ctx)
    csrf = await login(client)
    opened = await _open(client, csrf, "topup:small", "usdt")
    await _claim(client, csrf, opened["id"], "34" * 32)
    await _approve(ctx, str(opened["id"]), credits=1200)
    assert await balance(ctx, acct.id) == 1200


async def test_unconfigured_currencies_and_bad_input(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, "")
        with pytest.raises(InvalidInput):
            await manual.set_rate("eth", "-1", actor=OPERATOR)
        with pytest.raises(InvalidInput):
            await manual.set_address("eth", "erc20", "short", actor=OPERATOR)
    acct = await make_account(ctx)
    from caicaini.payments.orders import OrderRequest, OrderService

    async with ctx.transaction() as session:
        account = await session.get(type(acct), acct.id)
        assert account is not None
        with pytest.raises(NoManualRoute):
            await OrderService(session, ctx.clock).open(
                account, OrderRequest("topup:small", "manual", "eth"), actor=OPERATOR
            )


async def test_amounts_are_stored_exactly(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        await ManualService(session, ctx.clock, "").set_rate(
            "eth", "1234.123456789012345678", actor=OPERATOR
        )
    async with ctx.transaction() as session:
        from caicaini.models.payments import ManualRate

        rate = await session.get(ManualRate, "eth")
        assert rate is not None and rate.usd == Decimal("1234.123456789012345678")
