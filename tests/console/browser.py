"""Real Chromium for console tests: log in as an operator, screenshots at desktop and phone
widths, and the check that a page never scrolls sideways at 390 px."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

from tests.web.helpers import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("CAICAINI_SCREENSHOTS", "/tmp/caicaini-screenshots"))
WIDTHS = {"desktop": 1280, "phone": 390}


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (test setup)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def logged_in(browser: Browser, base: str, email: str, next_path: str = "/console") -> Page:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{base}/login?next={next_path}")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(f"{base}{next_path}")
    return page


async def shoot(page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px; at 390 the page must not scroll sideways."""
    for label, width in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-phone-top.png"))
    await page.set_viewport_size({"width": 1280, "height": 900})
