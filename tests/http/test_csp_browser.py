"""The Content-Security-Policy fits the pages: every page, loaded in Chromium with the policy
in force, runs without one refusal (no inline script, style or handler anywhere), and the
scripts that draw the pages (the dashboard's chart, the chat) still run."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from caicaini.context import AppContext
from tests.console.browser import chromium
from tests.console.helpers import make_operator
from tests.web.helpers import PASSWORD, catalogue, make_account

PUBLIC = ["/", "/pricing", "/terms", "/privacy", "/status", "/contact", "/login", "/signup",
          "/forgot-password"]  # fmt: skip
CUSTOMER = ["/dashboard", "/usage", "/keys", "/billing", "/settings", "/chat"]
OPERATOR = ["/console", "/console/users", "/console/payments", "/console/audit"]


async def log_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state("networkidle")


async def refusals(page: Page, base: str, paths: list[str]) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda m: found.append(f"{page.url}: {m.text}") if "Content Security" in m.text else None,
    )
    page.on("pageerror", lambda e: found.append(f"{page.url}: {e}"))
    for path in paths:
        r = await page.goto(base + path)
        assert r is not None and r.status == 200, (path, r and r.status)
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
        await page.wait_for_load_state("networkidle")
    return found


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_no_page_breaks_under_the_content_security_policy(
    live_server: str, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_account(ctx, "ada@example.com", plan="plus")
    await make_operator(ctx, "op@example.com", "admin")
    async with chromium() as browser:
        anonymous = await browser.new_page()
        problems = await refusals(anonymous, live_server, PUBLIC)
        customer = await browser.new_page()
        await log_in(customer, live_server, "ada@example.com")
        problems += await refusals(customer, live_server, CUSTOMER)
        operator = await browser.new_page()
        await log_in(operator, live_server, "op@example.com")
        problems += await refusals(operator, live_server, OPERATOR)
    assert problems == []


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_api_reference_is_drawn_from_our_own_origin_under_the_policy(
    live_server: str,
) -> None:
    async with chromium() as browser:
        page = await browser.new_page()
        elsewhere: list[str] = []
        page.on(
            "request",
            lambda r: None if r.url.startswith(live_server) else elsewhere.append(r.url),
        )
        problems = await refusals(page, live_server, ["/api/docs"])
        await page.locator(".opblock-summary-path", has_text="/api/v1/balance").first.wait_for()
    assert problems == [] and elsewhere == []
