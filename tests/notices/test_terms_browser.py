"""In a real browser (Chromium): an operator amends the Terms, compares them with the version
in effect, and publishes a material change at the earliest time the 7-day rule allows; the
history lists it as announced. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest

from caicaini.context import AppContext
from caicaini.notices.hooks import after_migrate
from tests.console.browser import chromium, logged_in, shoot
from tests.console.helpers import make_operator
from tests.notices.test_terms_console import NEW_CLAUSE
from tests.web.helpers import catalogue, make_account


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_publishes_a_material_change(live_server: str, ctx: AppContext) -> None:
    await catalogue(ctx)
    await after_migrate(ctx)
    await make_account(ctx, "alice@example.com")
    await make_operator(ctx, "op@example.com", "admin")
    async with chromium() as browser:
        page = await logged_in(browser, live_server, "op@example.com", "/console/terms")
        text = await page.input_value("#terms-form textarea")
        await page.fill("#terms-form textarea", text.rstrip() + "\n" + NEW_CLAUSE + "\n")
        await page.fill("#terms-form input[name=summary]", "Refund timing.")
        await page.check("#terms-form input[name=material]")
        await page.click("#terms-form button[type=submit]")
        await page.wait_for_selector("#terms-diff")
        assert NEW_CLAUSE in await page.inner_text("#terms-diff .added")
        await shoot(page, "console-terms-review")
        await page.click("#terms-publish button[type=submit]")
        await page.wait_for_selector("#published")
        assert "announced" in await page.inner_text("#terms-2")
        await shoot(page, "console-terms")
