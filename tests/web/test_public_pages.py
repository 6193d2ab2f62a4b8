"""The public price list and status page: anyone can read them; they show the real catalogue
and the real health of each provider route."""

from __future__ import annotations

from datetime import timedelta

import httpx

from caicaini.context import AppContext
from caicaini.kit.ids import new_id
from caicaini.models.usage import UsageRecord
from tests.web.helpers import catalogue, login, make_account


async def test_pricing_shows_the_seeded_catalogue(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    page = await client.get("/pricing")
    assert page.status_code == 200
    html = page.text
    for text in ("$10", "$30", "5,000", "20,000", "Price sheet version 1", "web only"):
        assert text in html
    # pro's opus rate, plus's sonnet rate, and the small pack
    pro = html.split('id="plan-pro"', 1)[1].split("</table>", 1)[0]
    assert '<td>claude-opus-4-5</td><td class="num">10</td>' in pro
    plus = html.split('id="plan-plus"', 1)[1].split("</table>", 1)[0]
    assert '<td>claude-sonnet-4-5</td><td class="num">3</td>' in plus
    assert "claude-opus-4-5" not in plus
    small = html.split('id="topup-small"', 1)[1].split("</tr>", 1)[0]
    assert "$5" in small and "2,000" in small
    assert "ceil(input tokens / included input)" in html
    assert "8,000" in html and "2,000" in html
    assert "costs nothing" in html and "nothing ever costs more" in html
    assert "calendar month" in html and "do not expire while your account is active" in html


async def test_pricing_for_a_logged_in_user_has_the_app_nav(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_account(ctx)
    await login(client)
    html = (await client.get("/pricing")).text
    for link in ("/dashboard", "/usage", "/keys", "/billing", "/settings"):
        assert f'href="{link}"' in html
    assert 'href="/console"' not in html


async def test_status_shows_the_demo_provider_and_its_health(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    acct = await make_account(ctx)
    now = ctx.clock.now()
    async with ctx.transaction() as session:
        for i, (outcome, ms) in enumerate([("ok", 100), ("ok", 300), ("upstream_error", 50)]):
            session.add(
                UsageRecord(
                    id=new_id("req"),
                    account_id=acct.id,
                    key_id=None,
                    model="claude-haiku-4-5",
                    provider="demo",
                    endpoint="anthropic",
                    stream=False,
                    outcome=outcome,
                    units=1,
                    rate=1,
                    sheet_version=1,
                    credits_held=1,
                    credits_charged=0 if outcome != "ok" else 1,
                    duration_ms=ms,
                    created_at=now - timedelta(minutes=i),
                )
            )
        # Older than the window: not counted.
        session.add(
            UsageRecord(
                id=new_id("req"),
                account_id=acct.id,
                key_id=None,
                model="claude-haiku-4-5",
                provider="demo",
                endpoint="anthropic",
                stream=False,
                outcome="upstream_error",
                units=0,
                rate=1,
                sheet_version=1,
                credits_held=1,
                credits_charged=0,
                duration_ms=10,
                created_at=now - timedelta(hours=2),
            )
        )
    page = await client.get("/status")
    assert page.status_code == 200
    row = page.text.split('id="route-demo"', 1)[1].split("</tr>", 1)[0]
    assert "Demo provider" in row
    assert "degraded" in row  # 1 of 3 failed
    assert ">3<" in row and "33.3%" in row and "100 ms" in row
    assert 'id="demo"' in page.text


async def test_status_with_no_traffic_is_operational(client: httpx.AsyncClient) -> None:
    page = await client.get("/status")
    assert page.status_code == 200
    assert "All provider routes are operational" in page.text


async def test_privacy_policy_says_what_why_and_how_long(client: httpx.AsyncClient) -> None:
    page = await client.get("/privacy")
    assert page.status_code == 200
    for section in ("account-data", "signals", "usage-metadata", "chat-history", "payments"):
        assert f'id="{section}"' in page.text
    assert page.text.count("<dt>Why</dt>") == page.text.count("<dt>How long</dt>") >= 5
    assert "365 days" in page.text  # the audit retention setting, not a copy of it
    terms = await client.get("/terms")
    assert '<a href="/privacy">Privacy Policy</a>' in terms.text  # Terms §4 points here


async def test_contact_page_gives_the_support_address(client: httpx.AsyncClient) -> None:
    page = await client.get("/contact")
    assert page.status_code == 200
    assert 'href="mailto:support@caicaini.local"' in page.text
    assert "http://testserver/v1/keys/report-leak" in page.text
