"""An operator in a real browser: approves a manual transfer and sees the customer's balance
change; suspends a user whose key stops at once, then reinstates them."""

from __future__ import annotations

import httpx
import pytest

from caicaini.context import AppContext
from tests.console.browser import chromium, logged_in, shoot
from tests.console.helpers import make_operator
from tests.console.payment_support import manual_claim, paid_topup, partial_payment, spend
from tests.gateway.support import customer, issue_key, message_body
from tests.web.helpers import balance, catalogue


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_approves_a_manual_transfer(live_server: str, ctx: AppContext) -> None:
    await catalogue(ctx)
    await make_operator(ctx, "op@example.com", "admin")
    account_id, order_id = await manual_claim(ctx)
    async with chromium() as browser:
        page = await logged_in(browser, live_server, "op@example.com")
        await page.wait_for_selector("#console-chart[data-drawn='4']")
        await shoot(page, "console")
        await page.fill("input[name=q]", "ada@")
        await page.click("form[action='/console/users'] button[type=submit]")
        await page.wait_for_selector("#users")
        await shoot(page, "console-users")
        await page.click("#users >> text=ada@example.com")
        await page.wait_for_selector("#user-status")
        assert (await page.inner_text("#user-balance")).startswith("0 credits")
        await page.click("nav.tabs >> text=Review queue")
        await page.wait_for_selector(f"#review-{order_id}")
        await shoot(page, "console-payments")
        await page.fill(f"#review-{order_id} form.approve input[name=reason]", "seen on chain")
        await page.click(f"#review-{order_id} form.approve button")
        await page.wait_for_selector("#confirm")
        assert "the balance goes from 0 to 2,000" in await page.inner_text("#confirm")
        await page.click("#confirm button[type=submit]")
        await page.wait_for_selector("#empty-queue")
        await page.goto(f"{live_server}/console/users/{account_id}")
        assert (await page.inner_text("#user-balance")).startswith("2,000 credits")
    assert await balance(ctx, account_id) == 2000


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_suspends_a_user_whose_key_stops_then_reinstates(
    live_server: str, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_operator(ctx, "op@example.com", "admin")
    grace = await customer(ctx, email="grace@example.com")
    key = await issue_key(ctx, grace, name="laptop")
    headers = {"authorization": f"Bearer {key}"}

    async def call() -> int:
        async with httpx.AsyncClient(base_url=live_server) as http:
            return (
                await http.post("/v1/messages", json=message_body(), headers=headers)
            ).status_code

    assert await call() == 200
    async with chromium() as browser:
        page = await logged_in(browser, live_server, "op@example.com", f"/console/users/{grace}")
        await shoot(page, "console-user")
        await page.check("#status-form input[value=suspend]")
        await page.fill("#status-form input[name=reason]", "spam campaign")
        await page.click("#status-form button[type=submit]")
        await page.wait_for_selector("#confirm")
        await shoot(page, "console-confirm")
        await page.fill("input[name=confirm_text]", "grace@example.com")
        await page.click("#confirm button[type=submit]")
        await page.wait_for_selector("text=Suspended: the user's keys stopped")
        assert await page.inner_text("#user-status") == "suspended"
        assert await call() == 403
        await page.check("#status-form input[value=reinstate]")
        await page.fill("#status-form input[name=reason]", "appeal accepted")
        await page.click("#status-form button[type=submit]")
        await page.wait_for_selector("#confirm")
        await page.click("#confirm button[type=submit]")
        await page.wait_for_selector("text=Reinstated")
        assert await page.inner_text("#user-status") == "active"
        await page.goto(f"{live_server}/console/audit")
        text = await page.inner_text("table.audit")
        assert "spam campaign" in text and "appeal accepted" in text
        await page.fill("#audit-filter input[name=account]", "grace@example.com")
        await page.fill("#audit-filter input[name=action]", "account.")
        await page.click("#audit-filter button[type=submit]")
        await page.click("#verify-chain")
        await page.wait_for_selector("#chain-ok")
        assert "spam campaign" in await page.inner_text("table.audit")
        await shoot(page, "console-audit")
    assert await call() == 200


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_reviews_a_partial_payment(live_server: str, ctx: AppContext) -> None:
    await catalogue(ctx)
    await make_operator(ctx, "op@example.com", "admin")
    account_id, order_id = await partial_payment(ctx)
    await manual_claim(ctx)
    async with chromium() as browser:
        page = await logged_in(browser, live_server, "op@example.com", "/console/payments")
        card = f"#review-{order_id}"
        assert "partially paid" in await page.inner_text(card)
        assert (await page.inner_text(f"{card} .suggested")).startswith("500 credits")
        await shoot(page, "console-review-queue")
        await page.fill(f"{card} form.approve input[name=credits]", "500")
        await page.fill(f"{card} form.approve input[name=reason]", "a quarter paid")
        await page.click(f"{card} form.approve button")
        await page.wait_for_selector("#confirm")
        await page.click("#confirm button[type=submit]")
        await page.wait_for_selector("text=Approved: the credits were granted")
        assert await page.query_selector(card) is None
        await page.goto(f"{live_server}/console/orders")
        await shoot(page, "console-orders")
        await page.click(f"#orders >> text={order_id}")
        await page.wait_for_selector("#order-status")
        await shoot(page, "console-order")
        await page.goto(f"{live_server}/console/payments/settings")
        await shoot(page, "console-payment-settings")
    assert await balance(ctx, account_id) == 500


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_refunds_part_of_a_top_up_ending_with_the_payout_hash(
    live_server: str, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_operator(ctx, "op@example.com", "admin")
    account_id, order_id = await paid_topup(ctx)
    await spend(ctx, account_id, 500, "req_spent_1")
    tx = "ab" * 32
    async with chromium() as browser:
        page = await logged_in(
            browser, live_server, "op@example.com", f"/console/orders/{order_id}"
        )
        await shoot(page, "console-order-paid")
        await page.fill("#refund-form input[name=incident]", "inc_2026_11_26 upstream outage")
        await page.fill("#refund-form input[name=fee]", "0.5")
        await page.click("#refund-form button[type=submit]")
        await page.wait_for_selector("#confirm")
        assert "1,500 unspent credits are frozen" in await page.inner_text("#confirm")
        await shoot(page, "console-refund-confirm")
        await page.fill("input[name=confirm_text]", "3.25")
        await page.click("#confirm button[type=submit]")
        await page.wait_for_selector("#payout-form")
        assert await page.inner_text("#payout-amount") == "3.25 USDT"
        assert await balance(ctx, account_id) == 0
        await page.fill("#payout-form input[name=tx_hash]", tx)
        await page.click("#payout-form button[type=submit]")
        await page.wait_for_selector("text=Payout recorded")
        assert await page.inner_text("#payout-hash") == tx
        assert await page.inner_text("#refund-status") == "paid"
        await shoot(page, "console-refund")
        await page.goto(f"{live_server}/console/refunds")
        assert "3.25" in await page.inner_text("#refunds-report")
        await shoot(page, "console-refunds")
