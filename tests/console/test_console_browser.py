"""An operator in a real browser: finds a user, approves a manual transfer from the review
queue; the customer's credits arrive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from caicaini.context import AppContext
from tests.console.test_console_pages import manual_claim
from tests.web.helpers import PASSWORD, balance, catalogue, make_account

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("CAICAINI_SCREENSHOTS", "/tmp/caicaini-screenshots"))


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_approves_a_manual_transfer(live_server: str, ctx: AppContext) -> None:
    await catalogue(ctx)
    await make_account(ctx, "op@example.com", operator=True)
    await make_account(ctx, "grace@example.com", plan="pro")
    account_id, order_id = await manual_claim(ctx)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (test setup)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{live_server}/login?next=/console")
            await page.fill("input[name=email]", "op@example.com")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("form[action='/login'] button[type=submit]")
            await page.wait_for_url(f"{live_server}/console")
            await page.screenshot(path=str(SCREENSHOTS / "console.png"), full_page=True)
            await page.fill("input[name=q]", "ada@")
            await page.click("form[action='/console'] button[type=submit]")
            await page.click("text=ada@example.com")
            await page.wait_for_selector("#user-status")
            await page.screenshot(path=str(SCREENSHOTS / "console-user.png"), full_page=True)
            await page.click("text=Payments review")
            await page.wait_for_selector(f"#review-{order_id}")
            await page.screenshot(path=str(SCREENSHOTS / "console-payments.png"), full_page=True)
            await page.click(f"#review-{order_id} form[action$='/approve'] button")
            await page.wait_for_selector("#empty-queue")
        finally:
            await browser.close()
    assert await balance(ctx, account_id) == 2000
