"""A real browser signs up, verifies through the mailed link, logs in and sees the dashboard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.models.accounts import AccountSignal
from tests.accounts.helpers import PASSWORD, last_link

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
async def test_sign_up_verify_login_dashboard(live_server: str, ctx: AppContext) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{live_server}/signup")
            await page.fill("input[name=email]", "lin@example.com")
            await page.fill("input[name=password]", PASSWORD)
            await page.fill("input[name=date_of_birth]", "1992-03-04")
            await page.select_option("select[name=country]", "DE")
            await page.check("input[name=accept_terms]")
            await page.wait_for_function(
                "() => document.querySelector('input[name=device_fingerprint]').value.length === 64"
            )
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (test setup)
            await page.screenshot(path=str(SCREENSHOTS / "signup.png"), full_page=True)
            await page.click("button[type=submit]")
            await page.wait_for_selector("text=Check your e-mail")

            link = await last_link(ctx, "lin@example.com", "/verify-email")
            await page.goto(f"{live_server}{link}")
            await page.wait_for_selector("text=E-mail address verified")

            await page.goto(f"{live_server}/login")
            await page.fill("input[name=email]", "lin@example.com")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("form[action='/login'] button[type=submit]")
            await page.wait_for_url(f"{live_server}/dashboard")
            assert await page.locator("h1").inner_text() == "Your account"
            assert "lin@example.com" in await page.content()
            await page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
        finally:
            await browser.close()

    async with ctx.transaction() as session:
        signals = [(s.kind, s.event) for s in (await session.scalars(select(AccountSignal))).all()]
    # The page's script computed the fingerprint; the login on the same device adds no row.
    assert sorted(signals) == [("device", "signup"), ("ip", "signup")]


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_navigation_collapses_into_a_menu_at_phone_width(live_server: str) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            wide = await browser.new_page(viewport={"width": 1280, "height": 800})
            await wide.goto(f"{live_server}/pricing")
            assert not await wide.is_visible(".menu-toggle")
            assert await wide.is_visible(".site-nav >> text=Status")
            assert await wide.get_attribute(".site-nav >> text=Pricing", "aria-current") == "page"

            phone = await browser.new_page(viewport={"width": 390, "height": 800})
            await phone.goto(f"{live_server}/pricing")
            assert not await phone.is_visible(".site-nav >> text=Status")
            await phone.click(".menu-toggle")
            assert await phone.get_attribute(".menu-toggle", "aria-expanded") == "true"
            assert await phone.is_visible(".site-nav >> text=Status")
            await phone.keyboard.press("Escape")
            assert not await phone.is_visible(".site-nav >> text=Status")
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390
        finally:
            await browser.close()
