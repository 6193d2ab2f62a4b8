"""Every main page a customer reaches, in a real Chromium, at 1280 px and at 390 px: saved as
a screenshot (artifacts/screenshots/), no sideways scroll, and no serious or critical axe-core
violation. The account has a plan, a key, usage, a receipt, a notice and a pending Terms
version, so the pages show their real content rather than empty states."""

from __future__ import annotations

import httpx
import pytest

from caicaini.audit.service import Actor
from caicaini.notices.service import NoticeService
from caicaini.notices.terms import TermsService
from tests.gateway.support import anthropic_headers, issue_key, message_body
from tests.web.browser import check_page, chromium
from tests.web.helpers import PASSWORD
from tests.web.live_app import App
from tests.web.usage_support import paying_customer, web_message

PUBLIC = ["/", "/pricing", "/status", "/terms", "/privacy", "/contact", "/signup", "/login"]
CUSTOMER = [
    "/dashboard", "/usage", "/usage/receipts/verify", "/keys", "/billing", "/settings", "/chat",
    "/dev/mail", "/no-such-page",
]  # fmt: skip


async def seeded(app: App) -> str:
    """A paying customer with a key, two messages (one by the web), a notice and a Terms
    version to accept; returns a receipt id."""
    ctx = app.ctx
    account_id = await paying_customer(ctx, "pages@example.com")
    key = await issue_key(ctx, account_id, name="laptop")
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
        for model in ("claude-sonnet-4-5", "kimi-k2.5"):
            sent = await http.post(
                "/v1/messages", headers=anthropic_headers(key), json=message_body(model)
            )
            assert sent.status_code == 200, sent.text
    await web_message(ctx, account_id, ctx.clock.now(), credits=2)
    async with ctx.transaction() as session:
        await NoticeService(session, ctx.clock, app.url).notify(
            account_id, kind="price_change", ref="price_sheet:2",
            subject="Changes to your plus plan", body="The plus plan changes next month.",
            effective_at=ctx.clock.now(),
        )  # fmt: skip
        await TermsService(session, ctx.clock, app.url).publish(
            "Terms", effective_at=None, material=False, summary="First version.",
            actor=Actor.system(),
        )  # fmt: skip
    return str(sent.headers["caicaini-receipt-id"])


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_main_page_at_desktop_and_phone_width(app: App) -> None:
    receipt_id = await seeded(app)
    async with chromium() as browser:
        page = await browser.new_page()
        for path in PUBLIC:
            await page.goto(app.url + path)
            await check_page(page, "public" + path.replace("/", "-").rstrip("-"))
        await page.goto(app.url + "/login")
        await page.fill("input[name=email]", "pages@example.com")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("form[action='/login'] button[type=submit]")
        await page.wait_for_url(app.url + "/dashboard")
        for path in [*CUSTOMER, f"/usage/receipts/{receipt_id}"]:
            response = await page.goto(app.url + path)
            assert response is not None
            assert response.status == (404 if path == "/no-such-page" else 200), path
            name = "receipt" if receipt_id in path else path.strip("/").replace("/", "-")
            await check_page(page, name)
        await page.goto(app.url + "/dashboard")
        # The chart is drawn by the vendored Chart.js: one dataset per model.
        await page.wait_for_selector("#usage-chart[data-drawn]")
        assert await page.get_attribute("#usage-chart", "data-drawn") == "2"
