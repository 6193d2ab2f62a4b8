"""An operator in a real browser (Chromium) drafts a reducing price change (fewer monthly
credits on Plus), sees it flagged with its subscriber, is refused a date under 7 days, then
schedules it at the earliest allowed time; the subscriber's notice is in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.models.mail import OutboxEmail
from caicaini.models.plans import PriceSheet
from tests.console.browser import chromium, logged_in, shoot
from tests.console.helpers import make_operator
from tests.plans.test_drafts import fewer_plus_credits
from tests.web.helpers import catalogue, make_account


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operator_schedules_a_reducing_change_with_seven_days_notice(
    live_server: str, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_account(ctx, "alice@example.com", plan="plus")
    await make_operator(ctx, "op@example.com", "admin")
    async with chromium() as browser:
        page = await logged_in(browser, live_server, "op@example.com", "/console/pricing")
        await page.click("#start-draft button")
        await page.wait_for_selector("#save-form")
        text = await page.input_value("#save-form textarea")
        await page.fill("#save-form textarea", fewer_plus_credits(text))
        await page.click("#save-form button[type=submit]")
        await page.wait_for_selector("#reducing")
        assert await page.inner_text("#reducing") == "reduces what subscribers get"
        reductions = await page.inner_text("#reductions")
        assert "plus (1 active subscriber): monthly credits 5000 → 4000" in reductions
        await shoot(page, "console-price-draft")

        earliest = await page.input_value("#schedule-form input[name=effective_at]")
        # The server's clock is real time; a day before the earliest is under 7 days' notice.
        day_before = datetime.fromisoformat(earliest) - timedelta(days=1)
        await page.fill(
            "#schedule-form input[name=effective_at]", day_before.strftime("%Y-%m-%dT%H:%M")
        )
        await page.click("#schedule-form button[type=submit]")
        await page.wait_for_selector(".alert.error")
        await shoot(page, "console-price-draft-refused")
        assert "needs 7 days' notice" in await page.inner_text(".alert.error")
        async with ctx.transaction() as session:
            assert len((await session.scalars(select(PriceSheet))).all()) == 1

        await page.fill("#schedule-form input[name=effective_at]", earliest)
        await page.click("#schedule-form button[type=submit]")
        await page.wait_for_selector("#scheduled")
        assert "1 subscriber notified" in await page.inner_text("#scheduled")
        await shoot(page, "console-pricing")
    async with ctx.transaction() as session:
        mails = (await session.scalars(select(OutboxEmail))).all()
    [notice] = [m for m in mails if m.to_address == "alice@example.com"]
    assert "Changes to your plus plan" in notice.subject
    assert "monthly credits 5000 → 4000" in notice.body_text
