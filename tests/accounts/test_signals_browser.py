"""In a real browser (Chromium): two people sign up from the same browser (its fingerprint
script gives both the same device signal); an operator finds them as a duplicate-account group
in the console, the second marked with no free allowance. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest

from caicaini.context import AppContext
from tests.console.browser import chromium, logged_in, shoot
from tests.console.helpers import make_operator
from tests.web.helpers import PASSWORD, catalogue


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_finds_a_duplicate_account_group(live_server: str, ctx: AppContext) -> None:
    await catalogue(ctx)
    await make_operator(ctx, "op@example.com", "admin")
    async with chromium() as browser:
        for email in ("first@example.com", "second@example.com"):
            visitor = await browser.new_context()
            page = await visitor.new_page()
            await page.goto(f"{live_server}/signup")
            await page.fill("input[name=email]", email)
            await page.fill("input[name=password]", PASSWORD)
            await page.fill("input[name=date_of_birth]", "1992-03-04")
            await page.select_option("select[name=country]", "DE")
            await page.check("input[name=accept_terms]")
            await page.wait_for_function(
                "() => document.querySelector('input[name=device_fingerprint]').value.length === 64"
            )
            await page.click("button[type=submit]")
            await page.wait_for_selector("text=Check your e-mail")
            await visitor.close()
        page = await logged_in(browser, live_server, "op@example.com", "/console/signals")
        group = page.locator(".group", has_text="second@example.com").filter(has_text="device")
        await group.wait_for()
        text = await group.inner_text()
        assert "first@example.com" in text and "2 accounts" in text
        second_row = group.locator("tr", has_text="second@example.com")
        assert "no free allowance" in await second_row.inner_text()
        await shoot(page, "console-signals")
