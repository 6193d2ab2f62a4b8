"""The web chat in a real Chromium against a live server and the fake upstream (paced, so
a reply visibly streams): what a customer sees and pays."""

from __future__ import annotations

import os
import re
import uuid
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
    if (s && s.textContent && window.__partials.at(-1) !== s.textContent) {
      window.__partials.push(s.textContent);
      window.__preview = s.innerHTML;
    }
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


async def customer(ctx: AppContext, name: str, credits: int = 500) -> tuple[str, str]:
    """A plus customer with ``credits`` more; (account id, e-mail). The live server's
    database lives for the session, so each test's e-mails are its own."""
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    account = await make_account(ctx, email, plan="plus")
    await grant(ctx, account.id, credits)
    return account.id, email


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
    # Predicates are written as functions: under the pages' CSP (no 'unsafe-eval') Playwright
    # can poll a function but not a bare expression string.
    await page.wait_for_function(
        f"() => document.querySelectorAll('.msg-assistant .cost').length > {replies}"
    )


def credits_of(text: str) -> int:
    match = re.search(r"([\d,]+) credits?", text)
    assert match, text
    return int(match.group(1).replace(",", ""))


async def test_a_reply_streams_and_its_cost_is_the_receipts_and_the_balance_change(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    account_id, email = await customer(lctx, "ada")
    page = await open_chat(browser, live.url, email)
    balance_before = credits_of(await page.inner_text(".chat-balance"))
    hold = credits_of(await page.inner_text("#hold"))
    fake.push(
        Behaviour(
            text="One **two** three four five six seven eight nine ten.", tokens_per_second=PACED
        )
    )

    await send(page, "Count to ten")

    partials = await page.evaluate("window.__partials")
    assert len(partials) >= 2, partials
    assert partials[-1].startswith("One two")
    assert "<strong>two</strong>" in await page.evaluate("window.__preview")  # markdown, live
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


async def test_a_stop_mid_reply_is_charged_less_than_a_full_reply_and_never_over_the_hold(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    _id, email = await customer(lctx, "ada")
    page = await open_chat(browser, live.url, email)
    hold = credits_of(await page.inner_text("#hold"))
    fake.push(Behaviour(output_tokens=3000))  # two units of output
    await send(page, "Write at length")
    full = credits_of(await page.inner_text(".msg-assistant:last-of-type .msg-meta"))

    fake.push(Behaviour(output_tokens=3000, tokens_per_second=PACED))
    await page.evaluate("window.__partials = []")
    await page.fill("#prompt", "Write at length again")
    await page.press("#prompt", "Enter")
    await page.wait_for_function("() => window.__partials.length >= 2")
    await page.click("#stop")
    await page.wait_for_selector(".msg-assistant .badge.warn")  # "stopped"
    meta = await page.inner_text(".msg-assistant:last-of-type .msg-meta")
    stopped = credits_of(meta)
    assert "stopped" in meta
    assert stopped < full <= hold
    assert await page.is_hidden("#stop")


async def test_regenerate_and_edit_create_branches_that_can_be_switched(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    _id, email = await customer(lctx, "ada")
    page = await open_chat(browser, live.url, email)
    fake.reply("Answer A.").reply("Answer B.").reply("Answer C.")
    await send(page, "Question one")

    await page.click(".msg-assistant .regenerate")
    await page.wait_for_selector(".msg-assistant .branch-pos >> text=2 / 2")
    assert "Answer B." in await page.inner_text("#thread")

    await page.click(".msg-assistant .branch-prev")
    await page.wait_for_selector(".msg-assistant .branch-pos >> text=1 / 2")
    assert "Answer A." in await page.inner_text("#thread")

    await page.click(".msg-user .edit")
    await page.fill(".edit-form textarea", "Question two")
    await page.click(".edit-form button[type=submit]")
    await page.wait_for_selector(".msg-user .branch-pos >> text=2 / 2")
    thread = await page.inner_text("#thread")
    assert "Question two" in thread and "Answer C." in thread and "Question one" not in thread

    await page.click(".msg-user .branch-prev")
    await page.wait_for_selector(".msg-user .branch-pos >> text=1 / 2")
    thread = await page.inner_text("#thread")  # the branch's newest reply shows
    assert "Question one" in thread and "Answer B." in thread


async def test_rename_search_and_delete(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    _id, email = await customer(lctx, "ada")
    page = await open_chat(browser, live.url, email)
    page.on("dialog", lambda dialog: dialog.accept())
    fake.reply("Pelicans have a throat pouch.").reply("Bread needs yeast.")
    await send(page, "Tell me about birds")
    await page.click("a.chat-new")
    await page.wait_for_url(f"{live.url}/chat")
    await page.evaluate(WATCH)
    await send(page, "A recipe please")  # the panel appears without a reload

    await page.click(".chat-manage summary")
    await page.fill(".chat-manage input[name=title]", "Baking")
    await page.click(".chat-manage form[action$='/rename'] button")
    await page.wait_for_selector("h1#chat-title >> text=Baking")

    await page.fill("#chat-q", "pouch")
    await page.press("#chat-q", "Enter")
    await page.wait_for_url(re.compile(r".*q=pouch"))
    listed = await page.locator("#conversations a").all_inner_texts()
    assert listed == ["Tell me about birds"]

    await page.click("#conversations a")
    await page.click(".chat-manage summary")
    await page.click(".chat-manage form[action$='/delete'] button")
    await page.wait_for_url(f"{live.url}/chat")
    assert await page.locator("#conversations a").all_inner_texts() == ["Baking"]


async def test_another_account_gets_404_for_the_page_and_the_json(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    _ada, email = await customer(lctx, "ada")
    _eve, eve_email = await customer(lctx, "eve")
    page = await open_chat(browser, live.url, email)
    fake.reply("Only for Ada.")
    await send(page, "My secret")
    conversation_url = page.url
    conversation_id = conversation_url.rsplit("/", 1)[-1]

    eve = await browser.new_context()
    try:
        other = await eve.new_page()
        await other.goto(f"{live.url}/login")
        await other.fill("input[name=email]", eve_email)
        await other.fill("input[name=password]", PASSWORD)
        await other.click("form[action='/login'] button[type=submit]")
        await other.wait_for_url(re.compile(r".*/dashboard"))
        response = await other.goto(conversation_url)
        assert response is not None and response.status == 404
        assert "Only for Ada." not in await other.content()
        api = await other.request.get(f"{live.url}/api/v1/chat/conversations/{conversation_id}")
        assert api.status == 404
        assert (await api.json())["error"]["code"] == "conversation_not_found"
    finally:
        await eve.close()


async def test_a_reply_of_html_and_script_renders_inert(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    _id, email = await customer(lctx, "ada")
    page = await open_chat(browser, live.url, email)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    hostile = (
        "<script>alert('script')</script> <img src=x onerror=\"alert('img')\"> "
        "[click me](javascript:alert('link')) <a href=\"javascript:alert('a')\">a</a> "
        "<svg onload=alert('svg')></svg>"
    )
    fake.push(Behaviour(text=hostile, tokens_per_second=PACED))
    await send(page, "Be hostile")
    assert await page.evaluate("window.__scripts") == 0  # while it streamed
    await page.reload()  # the stored reply, rendered by the server
    await page.evaluate(WATCH)
    body = page.locator(".msg-assistant .markdown")
    assert await page.evaluate("window.__scripts") == 0
    assert await body.locator("script, img, svg, [onerror], [onload]").count() == 0
    hrefs = await body.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert all(not href.startswith("javascript:") for href in hrefs)
    assert "alert('script')" in await body.inner_text()  # shown as text, not run
    await page.wait_for_timeout(300)
    assert dialogs == []


async def test_at_390_px_nothing_scrolls_sideways(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    _id, email = await customer(lctx, "ada")
    page = await open_chat(browser, live.url, email, width=390)
    wide = (
        "```python\n"
        + "x = '"
        + "y" * 300
        + "'\n```\n\n"
        + "z" * 200
        + "\n\n| a | b |\n|---|---|\n| "
        + "w " * 80
        + "| v |"
    )
    fake.reply(wide)
    await send(page, "Something wide " + "q" * 120)
    await page.reload()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    assert await page.locator(".markdown pre button.copy").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (test setup)
    await page.screenshot(path=str(SCREENSHOTS / "chat-390.png"), full_page=True)


async def test_errors_show_inline_in_words_with_the_action_to_take(
    live: LiveServer, lctx: AppContext, fake: FakeScript, browser: Browser
) -> None:
    # A free account (web only, no API key): the chat is where its credits are spent.
    email = f"free-{uuid.uuid4().hex[:8]}@example.com"
    account = await make_account(lctx, email)
    page = await open_chat(browser, live.url, email)

    await page.fill("#prompt", "Hello")
    await page.press("#prompt", "Enter")
    error = page.locator(".chat-error").last
    await error.wait_for()
    assert "Not enough credits" in await error.inner_text()
    assert await error.locator("a[href='/billing']").count() == 1
    assert await page.input_value("#prompt") == "Hello"  # the prompt is kept to send again

    await grant(lctx, account.id, 100)
    fake.fail(500, "the model is down")
    await page.click("#send")
    error = page.locator(".chat-error").last
    await error.wait_for()
    await page.wait_for_function(
        "() => document.querySelector('.chat-error:last-of-type')"
        ".textContent.includes('not charged')"
    )
    assert await balance(lctx, account.id) == 100
    fake.reply("Back up.")
    await error.locator("button", has_text="Retry").click()
    await page.wait_for_selector(".msg-assistant .cost")
    assert "Back up." in await page.inner_text("#thread")

    csrf = await page.get_attribute("#chat", "data-csrf")
    assert csrf
    for _ in range(10):  # the free plan allows 10 messages a minute: use them up
        sent = await page.request.post(
            f"{live.url}/api/v1/chat/messages",
            data={"model": "claude-haiku-4-5", "content": "again"},
            headers={"x-csrf-token": csrf},
        )
        if sent.status == 429:
            break
        assert sent.ok, await sent.text()
    await page.fill("#prompt", "One too many")
    await page.press("#prompt", "Enter")
    await page.wait_for_selector(".chat-error >> text=Too many messages")
    words = await page.locator(".chat-error").last.inner_text()
    assert re.search(r"Retry in \d+ seconds?", words), words
    await page.screenshot(path=str(SCREENSHOTS / "chat-errors.png"), full_page=True)
