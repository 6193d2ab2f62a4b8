"""Payments in the console: the review queue shows what a decision needs and approves,
grants a chosen amount or rejects, each once and with a reason; every order can be
filtered; the manual addresses and rates are edited with a preview, through the services
the CLI uses, and audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.models.audit import AuditEntry
from caicaini.payments.repository import PaymentRepository
from tests.accounts.helpers import audit_actions
from tests.console.helpers import as_operator, confirmation
from tests.console.payment_support import SENDER, manual_claim, partial_payment
from tests.web.helpers import balance


async def last(ctx: AppContext, action: str) -> AuditEntry:
    async with ctx.transaction() as session:
        stmt = select(AuditEntry).where(AuditEntry.action == action)
        entry = (await session.scalars(stmt.order_by(AuditEntry.id.desc()))).first()
    assert entry is not None, action
    return entry


async def test_the_queue_shows_what_a_decision_needs(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await as_operator(client, ctx)
    _, manual = await manual_claim(ctx)
    _, partial = await partial_payment(ctx)
    page = (await client.get("/console/payments")).text
    card = page.split(f'id="review-{manual}"', 1)[1].split('class="card review', 1)[0]
    for fact in (
        "manual transfer claim",
        "USDT on trc20",
        SENDER,
        "deadbeef00112233",
        "2,000 credits",
    ):
        assert fact in card, fact
    card = page.split(f'id="review-{partial}"', 1)[1]
    for fact in ("partially paid", "1.25", "TPartialPayer00001", "c0ffee00112233445566"):
        assert fact in card, fact
    assert "500 credits (prorated: paid 1.25 of 5" in card


async def test_grant_a_chosen_amount_for_a_partial_payment_once(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    account_id, order_id = await partial_payment(ctx)
    url = f"/console/payments/{order_id}/approve"
    missing = await client.post(url, data={"csrf_token": token, "credits": "500"})
    assert missing.status_code == 400 and "give a reason" in missing.text
    bad = await client.post(url, data={"csrf_token": token, "credits": "many", "reason": "x"})
    assert bad.status_code == 400 and "whole number" in bad.text
    assert await balance(ctx, account_id) == 0
    form = {"csrf_token": token, "credits": "450", "reason": "paid a quarter, less fees"}
    shown = await client.post(url, data=form)
    assert "450 credits are granted to bob@example.com" in shown.text
    form = confirmation(shown.text, token, None)
    assert (await client.post(url, data=form)).status_code == 303
    again = await client.post(url, data=form)
    assert again.status_code == 409 and "nothing waiting for a decision" in again.text
    assert await balance(ctx, account_id) == 450
    entry = await last(ctx, "payment.approved")
    assert (
        entry.details["credits"] == 450 and entry.details["reason"] == "paid a quarter, less fees"
    )
    assert entry.actor_kind == "operator" and entry.actor_id and entry.actor_id.startswith("acct_")


async def test_orders_are_filtered_by_status_method_and_date(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await as_operator(client, ctx)
    _, manual = await manual_claim(ctx)
    _, partial = await partial_payment(ctx)

    async def listed(**params: str) -> str:
        page = await client.get("/console/orders", params=params)
        assert page.status_code == 200, page.text
        return page.text.split('id="orders"', 1)[1]

    both = await listed()
    assert manual in both and partial in both
    only = await listed(method="manual")
    assert manual in only and partial not in only
    review = await listed(status="review")
    assert partial in review and manual not in review
    assert manual in await listed(**{"from": "2026-11-26", "to": "2026-11-26"})
    assert "No orders match." in await listed(**{"from": "2026-11-27"})
    for params, message in (
        ({"status": "lost"}, "status is one of"),
        ({"from": "yesterday"}, "from is a date"),
        ({"from": "2026-11-27", "to": "2026-11-26"}, "the end date is before"),
    ):
        refused = await client.get("/console/orders", params=params)
        assert refused.status_code == 400 and message in refused.text
    order_page = await client.get(f"/console/orders/{partial}")
    assert order_page.status_code == 200 and "TPartialPayer00001" in order_page.text
    assert (await client.get("/console/orders/ord_nothing")).status_code == 404


async def test_addresses_and_rates_are_edited_with_a_preview_and_audited(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    await manual_claim(ctx)
    url = "/console/payments/settings"
    shown = await client.post(
        f"{url}/address",
        data={"csrf_token": token, "currency": "USDT", "network": "trc20",
              "address": "TNewReceivingAddress02", "reason": "wallet rotated"},
    )  # fmt: skip
    assert shown.status_code == 200
    assert "TXyzReceivingAddress0001 → TNewReceivingAddress02" in shown.text
    before = await audit_actions(ctx)
    assert (await client.get(url)).text.count("TNewReceivingAddress02") == 0
    done = await client.post(f"{url}/address", data=confirmation(shown.text, token, None))
    assert done.status_code == 303
    assert "TNewReceivingAddress02" in (await client.get(url)).text
    entry = await last(ctx, "payments.address_set")
    assert entry.details["reason"] == "wallet rotated" and entry.actor_id
    assert len(await audit_actions(ctx)) == len(before) + 1

    bad = await client.post(
        f"{url}/rate", data={"csrf_token": token, "currency": "btc", "usd": "-3", "reason": "x"}
    )
    assert bad.status_code == 400 and "positive number" in bad.text
    no_reason = await client.post(
        f"{url}/rate", data={"csrf_token": token, "currency": "btc", "usd": "95000"}
    )
    assert no_reason.status_code == 400 and "give a reason" in no_reason.text
    shown = await client.post(
        f"{url}/rate",
        data={"csrf_token": token, "currency": "usdt", "usd": "0.999", "reason": "depeg"},
    )
    assert "1 USDT = 1 → 0.999 USD" in shown.text or "1.00" in shown.text
    assert (
        await client.post(f"{url}/rate", data=confirmation(shown.text, token, None))
    ).status_code == 303
    async with ctx.transaction() as session:
        rate = await PaymentRepository(session).rate("usdt")
        assert rate is not None and str(rate.usd.normalize()) == "0.999"
    assert (await client.post(f"{url}/fees", data={"csrf_token": token})).status_code == 404
