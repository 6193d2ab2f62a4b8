"""The order page follows the payment live in a real browser: each status clicked on the fake
NOWPayments page shows up on the order page, in words, without reloading it; a pending order
is cancelled from its page; a manual transfer shows its QR code and copy buttons, takes the
claim, follows the approval and links the printable receipt. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.payments.approvals import ApprovalService
from caicaini.payments.repository import PaymentRepository
from tests.web.helpers import PASSWORD, balance, make_account
from tests.web.test_billing_browser import CHROMIUM_ARGS, embedded, embedded_settings
from tests.web.test_billing_pages import manual_route

__all__ = ["embedded", "embedded_settings"]
SCREENSHOTS = Path(os.environ.get("CAICAINI_SCREENSHOTS", "/tmp/caicaini-screenshots"))
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (test setup)
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _logged_in(browser: Browser, base: str, email: str) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{base}/login?next=/billing")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(f"{base}/billing")
    return page


async def _shoot(page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px; at 390 nothing may scroll sideways."""
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.set_viewport_size({"width": 1280, "height": 900})


async def _buy(page: Page, base: str, ctx: AppContext, account_id: str, product: str) -> str:
    """Buy ``product`` on the billing page (on to the hosted invoice); returns the order id."""
    await page.check(f"input[name=product][value='{product}']")
    await page.click("#buy-form button[type=submit]")
    await page.wait_for_url(f"{base}/_fake/nowpayments/pay/*")
    async with ctx.transaction() as session:
        orders = await PaymentRepository(session).orders_of(account_id)
    return orders[0].id


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_order_page_follows_the_payment_without_reloading(
    embedded: str, ctx: AppContext, browser: Browser
) -> None:
    acct = await make_account(ctx)
    shop = await _logged_in(browser, embedded, acct.email)
    order_id = await _buy(shop, embedded, ctx, acct.id, "topup:small")

    watcher = await shop.context.new_page()
    await watcher.goto(f"{embedded}/billing/orders/{order_id}")
    assert await watcher.locator("#order-headline").inner_text() == "Waiting for your payment"
    await watcher.evaluate("window.notReloaded = true")
    await _shoot(watcher, "order-waiting")

    await shop.select_option("select[name=pay_currency]", "usdttrc20")
    for click, headline in (
        ("waiting", "Waiting for your payment"),
        ("confirming", "Payment seen on the network"),
        ("confirmed", "Paid"),
    ):
        await shop.click(f"button[value={click}]")
        await shop.wait_for_selector(f"b.status:text('{click}')")
        await watcher.wait_for_selector(f"#order-headline:text-is('{headline}')", timeout=30_000)
        if click == "confirming":
            assert "confirmations" in await watcher.locator("#order-explanation").inner_text()
            assert await watcher.locator("#cancel-form").count() == 0  # money on its way
            await _shoot(watcher, "order-confirming")
    assert "2,000 credits were added" in await watcher.locator("#order-explanation").inner_text()
    assert (await watcher.locator("#balance").inner_text()).startswith("2,000")
    assert await watcher.locator("#order-status").inner_text() == "paid"
    assert await watcher.evaluate("window.notReloaded") is True
    await _shoot(watcher, "order-paid")
    assert await balance(ctx, acct.id) == 2000


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_pending_order_is_cancelled_from_its_page(
    embedded: str, ctx: AppContext, browser: Browser
) -> None:
    acct = await make_account(ctx)
    page = await _logged_in(browser, embedded, acct.email)
    await page.goto(f"{embedded}/pricing")
    await _shoot(page, "pricing")
    await page.click("#topup-medium a.button")  # the pricing page's buy button
    await page.wait_for_url(f"{embedded}/billing?product=topup%3Amedium#buy")
    assert await page.locator("input[name=product][value='topup:medium']").is_checked()
    order_id = await _buy(page, embedded, ctx, acct.id, "topup:medium")
    await page.goto(f"{embedded}/billing/orders/{order_id}")
    questions: list[str] = []

    async def accept(dialog):  # type: ignore[no-untyped-def]
        questions.append(dialog.message)
        await dialog.accept()

    page.on("dialog", accept)
    await page.click("#cancel-form button")
    await page.wait_for_selector("#order-headline:text-is('Cancelled')")
    assert questions and "Cancel this order?" in questions[0]
    assert await page.locator("#pay").count() == 0
    assert await page.locator("#order-status").inner_text() == "cancelled"
    await _shoot(page, "order-cancelled")
    await page.goto(f"{embedded}/billing")
    assert "cancelled" in await page.locator("#orders").inner_text()


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_manual_transfer_with_its_qr_code_then_the_printable_receipt(
    embedded: str, ctx: AppContext, browser: Browser
) -> None:
    await manual_route(ctx)
    acct = await make_account(ctx)
    page = await _logged_in(browser, embedded, acct.email)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=embedded)
    await page.check("input[name=product][value='topup:medium']")
    await page.check("input[name=method][value=manual]")
    await page.select_option("select[name=route]", "usdt/trc20")
    await page.click("#buy-form button[type=submit]")
    await page.wait_for_url(f"{embedded}/billing/orders/*")
    assert await page.locator("#amount-due").inner_text() == "20"
    assert await page.locator("#pay-network").inner_text() == "TRC20"
    assert await page.locator("#address-qr").evaluate("i => i.complete && i.naturalWidth > 0")
    await page.click("button[data-copy='#pay-address']")
    await page.wait_for_selector("button[data-copy='#pay-address']:text('Copied')")
    assert await page.evaluate("navigator.clipboard.readText()") == "TXyzReceivingAddress0001"
    await _shoot(page, "order-manual")

    await page.fill("input[name=tx_hash]", "c0ffee" * 10)
    await page.fill("input[name=from_address]", "TSenderAddress000001")
    await page.click("#claim-form button[type=submit]")
    await page.wait_for_selector(
        "#order-headline:text-is('Transfer submitted: waiting for approval')"
    )
    await page.evaluate("window.notReloaded = true")
    async with ctx.transaction() as session:
        (order,) = await PaymentRepository(session).orders_of(acct.id)
        await ApprovalService(session, ctx.clock, "").approve(order.id, actor=Actor.system())
    await page.wait_for_selector("#order-headline:text-is('Paid')", timeout=30_000)
    assert await page.evaluate("window.notReloaded") is True

    await page.click("#receipt-link")
    await page.wait_for_url(f"{embedded}/billing/orders/*/receipt")
    assert await page.locator("#receipt-tx").inner_text() == "c0ffee" * 10
    assert await page.locator("#receipt-paid").inner_text() == "20 USDT on TRC20"
    await _shoot(page, "payment-receipt")
    await page.emulate_media(media="print")
    assert not await page.locator(".topbar").is_visible()
    assert not await page.locator("button[data-print]").is_visible()
    await page.screenshot(path=str(SCREENSHOTS / "payment-receipt-print.png"), full_page=True)
    await page.goto(f"{embedded}/billing")
    await _shoot(page, "billing-history")
