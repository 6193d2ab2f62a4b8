"""An operator in a real browser (Chromium): declares an incident for the failures the
gateway just served, reconciles it twice (the second run returns nothing), sees it on
/status, and credits two customers in bulk. Screenshots at 1280 and 390 px."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from caicaini.testing.live_server import LiveServer
from tests.conftest import _empty_tables
from tests.console.browser import chromium, logged_in, shoot
from tests.console.helpers import make_operator
from tests.gateway.support import CLAUDE, RATES, balance
from tests.incidents.support import two_customers_with_a_failure_each
from tests.web.helpers import catalogue


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_declares_reconciles_twice_and_credits_in_bulk(
    live: LiveServer, lctx: AppContext, fake: FakeScript
) -> None:
    await _empty_tables(lctx.db)
    await catalogue(lctx)
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        alice, bob = await two_customers_with_a_failure_each(lctx, http)
    before = {a: await balance(lctx, a) for a in (alice, bob)}
    await make_operator(lctx, "op@example.com", "admin")
    start = (lctx.clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    async with chromium() as browser:
        page = await logged_in(browser, live.url, "op@example.com", "/console/incidents")
        assert "degraded" in await page.inner_text("#health-anthropic")
        await shoot(page, "console-incidents")

        await page.select_option("#declare-form select[name=provider]", "anthropic")
        await page.fill("#declare-form input[name=title]", "Anthropic overloaded")
        await page.fill("#declare-form input[name=start]", start)
        await page.click("#declare-form button[type=submit]")
        await page.wait_for_selector("#preview-total")
        total = await page.inner_text("#preview-total")
        assert total == f"2 messages, {2 * RATES[CLAUDE]} credits to 2 accounts"
        await shoot(page, "console-incident")

        await page.fill("#reconcile-form input[name=reason]", "Anthropic 529s")
        await page.click("#reconcile-form button[type=submit]")
        await page.wait_for_selector("#reconciled")
        assert f"Returned {2 * RATES[CLAUDE]} credits" in await page.inner_text("#reconciled")
        await page.fill("#reconcile-form input[name=reason]", "once more")
        await page.click("#reconcile-form button[type=submit]")
        await page.wait_for_selector("#reconciled")
        assert "Nothing more to return" in await page.inner_text("#reconciled")
        assert await page.locator("#runs tbody tr").count() == 1
        await shoot(page, "console-incident-reconciled")

        await page.goto(f"{live.url}/status")
        assert "Anthropic overloaded" in await page.inner_text("#incidents")
        await shoot(page, "status-incident")

        await page.goto(f"{live.url}/console/credits/bulk")
        await page.fill("#bulk-form textarea", "alice@example.com\nbob@example.com")
        await page.fill("#bulk-form input[name=amount]", "100")
        await page.fill("#bulk-form input[name=reason]", "goodwill after the outage")
        await page.click("#bulk-form button[type=submit]")
        await page.wait_for_selector("#bulk-confirm")
        assert "200 in all" in await page.inner_text("#bulk-total")
        await shoot(page, "console-bulk-credit")
        await page.click("#bulk-confirm button[type=submit]")
        await page.wait_for_selector("#granted")
    for account in (alice, bob):
        assert await balance(lctx, account) == before[account] + RATES[CLAUDE] + 100
