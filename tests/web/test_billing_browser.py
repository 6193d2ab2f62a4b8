"""A real browser buys a small top-up through the billing page, pays the hosted invoice on the
embedded fake NOWPayments, comes back, and sees 2,000 more credits, granted exactly once."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.db import Database
from caicaini.kit.clock import FrozenClock
from caicaini.main import create_app
from caicaini.testing.live_server import LiveServer
from tests.conftest import make_settings
from tests.payments.support import free_port
from tests.web.helpers import PASSWORD, balance, catalogue, make_account

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("CAICAINI_SCREENSHOTS", "/tmp/caicaini-screenshots"))


@pytest.fixture
def embedded_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, public_url=f"http://127.0.0.1:{free_port()}")


@pytest.fixture
async def embedded(
    embedded_settings: Settings, clock: FrozenClock, ctx: AppContext
) -> AsyncIterator[str]:
    db = Database(embedded_settings.resolved_database_url)
    app = create_app(ctx=AppContext(embedded_settings, db, clock))
    port = int(embedded_settings.public_url.rsplit(":", 1)[1])
    await catalogue(ctx)
    with LiveServer(app, port=port, lifespan="on", cleanup=db.dispose) as server:
        yield server.url


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_buy_a_small_top_up_in_the_browser(embedded: str, ctx: AppContext) -> None:
    acct = await make_account(ctx)
    before = await balance(ctx, acct.id)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (test setup)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{embedded}/pricing")
            await page.screenshot(path=str(SCREENSHOTS / "pricing.png"), full_page=True)
            await page.goto(f"{embedded}/login?next=/billing")
            await page.fill("input[name=email]", acct.email)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("form[action='/login'] button[type=submit]")
            await page.wait_for_url(f"{embedded}/billing")
            await page.screenshot(path=str(SCREENSHOTS / "billing.png"), full_page=True)

            await page.check("input[name=product][value='topup:small']")
            await page.check("input[name=method][value=nowpayments]")
            await page.click("#buy-form button[type=submit]")
            await page.wait_for_url(f"{embedded}/_fake/nowpayments/pay/*")
            await page.click("button[value=waiting]")
            await page.wait_for_selector("b.status:text('waiting')")
            await page.click("button[value=confirmed]")
            await page.wait_for_selector("b.status:text('confirmed')")
            await page.click("button[value=finished]")
            await page.click("#return")
            await page.wait_for_url(f"{embedded}/billing/orders/*")
            # The order page follows the order until the IPN has been processed.
            await page.wait_for_selector("#order-headline:text('Paid')", timeout=30_000)
            await page.goto(f"{embedded}/billing")
            shown = await page.locator("#balance").inner_text()
            assert shown.startswith(f"{before + 2000:,}")
            assert await page.locator("#orders .badge").first.inner_text() == "paid"
            await page.screenshot(path=str(SCREENSHOTS / "billing-paid.png"), full_page=True)
            # Returning again (reload of the success page) grants nothing more.
            await page.go_back()
            await page.reload()
        finally:
            await browser.close()
    assert await balance(ctx, acct.id) == before + 2000


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_create_and_revoke_a_key_in_the_browser(live_server: str, ctx: AppContext) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx, plan="plus")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (test setup)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{live_server}/login?next=/keys")
            await page.fill("input[name=email]", acct.email)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("form[action='/login'] button[type=submit]")
            await page.wait_for_url(f"{live_server}/keys")
            await page.fill("#create-key input[name=name]", "laptop")
            await page.click("#create-key button[type=submit]")
            secret = await page.locator("#secret").inner_text()
            assert len(secret) > 20
            await page.screenshot(path=str(SCREENSHOTS / "keys-created.png"), full_page=True)
            await page.click("#keys a:text('Revoke')")
            await page.click("button:text('Revoke the key')")
            await page.wait_for_selector("text=The key was revoked")
            assert secret not in await page.content()
            assert await page.locator("#keys .badge").first.inner_text() == "revoked"
        finally:
            await browser.close()
