"""The web chat in a real Chromium against a live server and the fake upstream (paced, so
a reply visibly streams): what a customer sees and pays."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from caicaini.context import AppContext
from caicaini.testing.fake_upstream import Behaviour, FakeScript
from caicaini.testing.live_server import LiveServer
from tests.chat.support import balance, grant
from tests.web.helpers import PASSWORD, make_account

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(os.environ.get("CAICAINI_SCREENSHOTS", "/tmp/caicaini-screenshots"))
PACED = 40.0  # tokens per second: a reply of a dozen words takes a visible while

# Records every text the streaming reply shows, and any script node or dialog.
WATCH = """
() => {
  window.__partials = [];
  window.__scripts = 0;
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeName === 'SCRIPT' || (n.querySelectorAll && n.querySelectorAll('script').length))
        window.__scripts += 1;
    }
    const s = document.querySelector('.stream-text');
    if (s && s.textContent && window.__partials.at(-1) !== s.textContent)
      window.__partials.push(s.textContent);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def customer(ctx: AppContext, email: str, credits: int = 500) -> str:
    account = await make_account(ctx, email, plan="plus")
    await grant(ctx, account.id, credits)
    return account.id


async def open_chat(browser: Browser, base: str, email: str, width: int = 1280) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": 900})
    await page.goto(f"{base}/login?next=/chat")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(f"{base}/chat")
    await page.evaluate(WATCH)
    return page


async def send(page: Page, text: str) -> None:
    replies = await page.locator(".msg-assistant .cost").count()
    await page.fill("#prompt", text)
    await page.press("#prompt", "Enter")
    await page.wait_for_function(
        f"document.querySelectorAll('.msg-assistant .cost').length > {replies}"
    )


def credits_of(text: str) -> int:
    match = re.search(r"([\d,]+) credits?", text)
    assert match, text
    return int(match.group(1).replace(",", ""))


async def test_a_reply_streams_and_its_cost_is_the_receipts_and_the_balance_change(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    account_id = await customer(lctx, "ada@example.com")
    page = await open_chat(browser, live.url, "ada@example.com")
    balance_before = credits_of(await page.inner_text(".chat-balance"))
    hold = credits_of(await page.inner_text("#hold"))
    fake.push(
        Behaviour(text="One two three four five six seven eight nine ten.", tokens_per_second=PACED)
    )

    await send(page, "Count to ten")

    partials = await page.evaluate("window.__partials")
    assert len(partials) >= 2, partials
    assert partials[-1].startswith("One two")
    assert re.fullmatch(rf"{live.url}/chat/conv_\w+", page.url)
    meta = await page.inner_text(".msg-assistant .msg-meta")
    cost = credits_of(meta)
    assert 1 <= cost <= hold
    receipt_href = await page.get_attribute(".msg-assistant a.receipt", "href")
    assert receipt_href
    receipt_id = receipt_href.rsplit("/", 1)[-1]
    receipt = await page.request.get(f"{live.url}/api/v1/receipts/{receipt_id}")
    assert receipt.ok
    assert (await receipt.json())["credits_charged"] == cost
    shown_balance = credits_of(await page.inner_text(".chat-balance"))
    assert shown_balance == balance_before - cost == await balance(lctx, account_id)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (test setup)
    await page.screenshot(path=str(SCREENSHOTS / "chat-1280.png"), full_page=True)
    await page.reload()  # the address is the conversation's own: it comes back
    assert "One two three" in await page.inner_text("#thread")
