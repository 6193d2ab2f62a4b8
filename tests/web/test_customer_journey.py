"""The main journey, as a new user walks it, in a real Chromium against the whole app under
uvicorn (gateway on the fake upstream, the embedded fake NOWPayments, mail in the outbox):

1. sign up, and verify from the outbox (the dev mail page);
2. buy a Plus month and a top-up on the fake NOWPayments hosted page, the order page following
   each payment until it is paid;
3. create a key and use it from the page's curl snippet, pasted into a shell;
4. the dashboard: balance, the chart drawn, notices;
5. usage, its CSV export, and a receipt that verifies;
6. a daily spend cap, and a request refused by it;
7. the low-balance banner, and its e-mail;
8. the data export, then closing the account: the key stops.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from tests.web.browser import chromium, screenshot
from tests.web.helpers import PASSWORD
from tests.web.live_app import App

EMAIL = "journey@example.com"


def run_shell(script: str, home: Path) -> dict[str, object]:
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["bash", "-euc", script], capture_output=True, text=True, cwd=home, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reply: dict[str, object] = json.loads(done.stdout)
    return reply


async def sign_up_and_verify(page: Page, url: str) -> None:
    await page.goto(f"{url}/signup")
    await page.fill("input[name=email]", EMAIL)
    await page.fill("input[name=password]", PASSWORD)
    await page.fill("input[name=date_of_birth]", "1991-07-14")
    await page.select_option("select[name=country]", "NL")
    await page.check("input[name=accept_terms]")
    await page.wait_for_function(
        "() => document.querySelector('input[name=device_fingerprint]').value.length === 64"
    )
    await page.click("form[action='/signup'] button[type=submit]")
    await page.wait_for_selector("h1:text('Check your e-mail')")
    await page.goto(f"{url}/dev/mail")
    link = await page.locator("a[href*='/verify-email?token=']").first.get_attribute("href")
    assert link and link.startswith(url)
    await page.goto(link)
    await page.wait_for_selector("text=E-mail address verified")
    await page.goto(f"{url}/login")
    await page.fill("input[name=email]", EMAIL)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(f"{url}/dashboard")


async def buy(page: Page, url: str, product: str) -> None:
    await page.goto(f"{url}/billing")
    await page.check(f"input[name=product][value='{product}']")
    await page.check("input[name=method][value=nowpayments]")
    await page.click("#buy-form button[type=submit]")
    await page.wait_for_url(f"{url}/_fake/nowpayments/pay/*")
    for status in ("waiting", "confirming", "confirmed", "finished"):
        await page.click(f"button[value={status}]")
        await page.wait_for_selector(f"b.status:text('{status}')")
    await page.click("#return")
    await page.wait_for_url(f"{url}/billing/orders/*")
    # No reload: the order page follows the payment until the callback is processed.
    await page.wait_for_selector("#order-headline:text('Paid')", timeout=30_000)


async def downloaded(info: Any) -> str:
    """The text of a file the page made the browser download."""
    path = await (await info.value).path()
    return await asyncio.to_thread(Path(path).read_text)


async def balance_shown(page: Page, url: str) -> int:
    await page.goto(f"{url}/dashboard")
    return int((await page.locator("#balance").inner_text()).replace(",", ""))


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_new_customer_walks_the_main_journey(app: App, tmp_path: Path) -> None:
    url = app.url
    async with chromium() as browser:
        page = await browser.new_page(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))

        # 1. Sign up, verify from the outbox.
        await sign_up_and_verify(page, url)

        # 2. A Plus month (for API keys) and a small top-up, paid on the hosted page.
        await buy(page, url, "plan:plus")
        await buy(page, url, "topup:small")
        after_buying = await balance_shown(page, url)
        assert after_buying > 2_000

        # 3. A key, used from the curl snippet exactly as the page shows it.
        await page.goto(f"{url}/keys")
        await page.fill("#create-key input[name=name]", "journey")
        await page.click("#create-key button[type=submit]")
        key_line = await page.locator("#snippet-key").inner_text()
        curl = await page.locator("#snippet-curl").inner_text()
        assert await page.is_visible("button[data-copy='#snippet-curl']")
        await screenshot(page, "journey-key-created")
        reply = await asyncio.to_thread(run_shell, f"{key_line}\n{curl}", tmp_path)
        assert reply["type"] == "message"

        # 4. The dashboard: the balance went down, the chart is drawn, notices are there.
        spent = after_buying - await balance_shown(page, url)
        assert spent > 0
        assert (await page.locator("#used-today").inner_text()) == f"{spent:,}"
        await page.wait_for_selector("#usage-chart[data-drawn='1']")
        assert await page.is_visible("#notices")
        await screenshot(page, "journey-dashboard")

        # 5. Usage, its CSV, and a receipt that verifies.
        await page.goto(f"{url}/usage")
        async with page.expect_download() as download_info:
            await page.click("text=Download CSV")
        rows = list(csv.DictReader(io.StringIO(await downloaded(download_info))))
        assert [r["key_name"] for r in rows] == ["journey"]
        assert rows[0]["credits_charged"] == str(spent)
        await page.click("#usage a:text('Receipt')")
        await page.wait_for_selector("h1:text('Receipt')")
        assert await page.locator("#credits-charged").inner_text() == str(spent)
        await page.click("button:text('Verify this receipt')")
        await page.wait_for_selector("#verify-result:has-text('Valid.')")

        # 6. A daily cap already spent: the next request is refused, saying which cap.
        await page.goto(f"{url}/settings")
        await page.fill("#spend-caps-form input[name=daily_credit_cap]", "1")
        await page.click("#spend-caps-form button[type=submit]")
        refused = await asyncio.to_thread(run_shell, f"{key_line}\n{curl}", tmp_path)
        assert refused["type"] == "error"
        assert "daily spend cap of 1 credits is reached" in str(refused["error"])
        await page.goto(f"{url}/settings")
        await page.fill("#spend-caps-form input[name=daily_credit_cap]", "")
        await page.click("#spend-caps-form button[type=submit]")

        # 7. An alert threshold above the balance: the next message crosses it.
        balance = await balance_shown(page, url)
        await page.goto(f"{url}/settings")
        await page.check("#alert-enabled")
        await page.fill("#threshold", str(balance + 1_000))
        await page.click("#low-balance-form button[type=submit]")
        again = await asyncio.to_thread(run_shell, f"{key_line}\n{curl}", tmp_path)
        assert again["type"] == "message"
        await page.goto(f"{url}/dashboard")
        assert await page.is_visible("#low-balance-banner")
        await page.goto(f"{url}/dev/mail")
        assert await page.locator("text=Your Caicaini balance is low").count() == 1

        # 8. The data export, then closing the account.
        await page.goto(f"{url}/settings")
        async with page.expect_download() as export_info:
            await page.click("text=Download my data (JSON)")
        exported_text = await downloaded(export_info)
        exported = json.loads(exported_text)
        assert exported["profile"]["email"] == EMAIL
        assert len(exported["usage"]) == 2 and len(exported["receipts"]) == 2
        assert [k["name"] for k in exported["api_keys"]] == ["journey"]
        assert len(exported["payments"]["orders"]) == 2
        assert key_line.split("=", 1)[1] not in exported_text
        await page.fill("form[action='/settings/close'] input[name=password]", PASSWORD)
        await page.click("form[action='/settings/close'] button[type=submit]")
        await page.wait_for_selector("h1:text('Account closed')")
        closed = await asyncio.to_thread(run_shell, f"{key_line}\n{curl}", tmp_path)
        assert closed["type"] == "error"
        assert "this account is closed" in str(closed["error"])
