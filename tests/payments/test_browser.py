"""A real browser pays a hosted invoice on the embedded fake NOWPayments (what ``make run``
serves at /_fake/nowpayments) and the credits arrive."""

from __future__ import annotations

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
from tests.payments.support import (
    PASSWORD,
    balance,
    free_port,
    make_account,
    order,
    setup_catalogue,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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
    await setup_catalogue(ctx)
    with LiveServer(app, port=port, lifespan="on", cleanup=db.dispose) as server:
        yield server.url


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_customer_pays_the_hosted_invoice_in_a_browser(
    embedded: str, ctx: AppContext
) -> None:
    acct = await make_account(ctx)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            login = await page.request.post(
                f"{embedded}/api/v1/auth/login", data={"email": acct.email, "password": PASSWORD}
            )
            csrf = (await login.json())["csrf_token"]
            created = await page.request.post(
                f"{embedded}/api/v1/orders",
                data={"product": "topup:large", "method": "nowpayments"},
                headers={"x-csrf-token": csrf},
            )
            assert created.status == 201
            placed = await created.json()
            assert placed["invoice_url"].startswith(f"{embedded}/_fake/nowpayments/pay/")

            await page.goto(placed["invoice_url"])
            await page.select_option("select[name=pay_currency]", "eth")
            await page.click("button[value=waiting]")
            await page.wait_for_selector("b.status:text('waiting')")
            await page.click("button[value=confirmed]")
            await page.wait_for_selector("b.status:text('confirmed')")
            await page.click("button[value=finished]")
            await page.wait_for_selector("#return")
        finally:
            await browser.close()
    assert await balance(ctx, acct.id) == 25000
    assert (await order(ctx, placed["id"])).status == "paid"
