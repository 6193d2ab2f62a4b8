"""The dashboard: balance by grant with expiry, credits used today and this month, a 30-day
chart of credits per day by model, recent messages, notices (price changes with their
effective dates) and the Terms versions awaiting acceptance, with an accept button."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.notices.service import NoticeService
from caicaini.notices.terms import TermsService
from tests.web.helpers import csrf_of, login, make_account
from tests.web.usage_support import paying_customer

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def stat(html: str, name: str) -> str:
    match = re.search(rf'id="{name}">([^<]+)<', html)
    assert match, name
    return match.group(1)


async def test_balance_by_grant_with_expiry_dates(
    gclient: httpx.AsyncClient, gctx: AppContext
) -> None:
    await paying_customer(gctx, credits=2_000)
    await login(gclient)
    page = await gclient.get("/dashboard")
    grants = page.text.split('id="grants"', 1)[1].split("</table>", 1)[0]
    # A complimentary plus period from 26 Nov: 5/30 of the allowance now, expiring 1 Dec.
    assert "Plan credits" in grants and "01 Dec 2026, 00:00 UTC" in grants
    assert (
        "Top-up" in grants and "2,000" in grants and "never, while the account is active" in grants
    )


async def test_a_new_account_sees_empty_states_that_offer_the_next_step(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from tests.web.helpers import catalogue

    await catalogue(ctx)
    await make_account(ctx)
    await login(client)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert stat(page.text, "used-today") == "0" and stat(page.text, "used-month") == "0"
    assert "No credits spent in the last 30 days" in page.text
    assert "No messages yet" in page.text and 'href="/keys"' in page.text
    assert 'id="usage-chart"' not in page.text


async def test_price_change_notices_show_their_effective_date_and_can_be_marked_read(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from tests.web.helpers import catalogue

    await catalogue(ctx)
    acct = await make_account(ctx, plan="plus")
    other = await make_account(ctx, "bob@example.com")
    effective = datetime(2026, 12, 10, 0, 0, tzinfo=UTC)
    async with ctx.transaction() as session:
        notices = NoticeService(session, ctx.clock, ctx.settings.public_url)
        notice = await notices.notify(
            acct.id, kind="price_change", ref="price_sheet:9",
            subject="Changes to your plus plan from 10 December 2026 00:00 UTC",
            body="On 10 December 2026 the plus plan changes: 4,000 credits a month.",
            effective_at=effective,
        )  # fmt: skip
        bobs = await notices.notify(
            other.id, kind="credit_adjustment", ref="x", subject="Bob's", body="b"
        )
    await login(client)
    page = await client.get("/dashboard")
    box = page.text.split('id="notices"', 1)[1].split("</section>", 1)[0]
    assert "Changes to your plus plan" in box and "effective 10 December 2026, 00:00 UTC" in box
    assert "Bob&#39;s" not in box and "Bob's" not in box

    token = csrf_of(page.text)
    done = await client.post(f"/dashboard/notices/{notice.id}/read", data={"csrf_token": token})
    assert done.status_code == 303
    again = await client.get("/dashboard")
    assert f"/dashboard/notices/{notice.id}/read" not in again.text
    # Someone else's notice is not found, and stays unread.
    other_one = await client.post(f"/dashboard/notices/{bobs.id}/read", data={"csrf_token": token})
    assert other_one.status_code == 404


async def test_terms_awaiting_acceptance_have_an_accept_button(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from tests.web.helpers import catalogue

    await catalogue(ctx)
    async with ctx.transaction() as session:
        terms = TermsService(session, ctx.clock, ctx.settings.public_url)
        await terms.publish(
            "v1", effective_at=None, material=False, summary="", actor=Actor.system()
        )
    acct = await make_account(ctx)
    async with ctx.transaction() as session:
        await TermsService(session, ctx.clock, "").accept(acct.id, 1)  # as signing up does
    async with ctx.transaction() as session:
        await TermsService(session, ctx.clock, ctx.settings.public_url).publish(
            "v2", effective_at=NOW + timedelta(days=8), material=True,
            summary="Refunds now cover incidents.", actor=Actor.system(),
        )  # fmt: skip
    await login(client)
    page = await client.get("/dashboard")
    assert 'id="terms-1"' not in page.text
    pending = page.text.split('id="terms-2"', 1)[1].split("</form>", 1)[0]
    assert "takes effect on 04 December 2026, 12:00 UTC" in pending
    assert "Refunds now cover incidents." in pending and "Accept version 2" in pending

    refused = await client.post("/dashboard/terms/2/accept", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    accepted = await client.post(
        "/dashboard/terms/2/accept", data={"csrf_token": csrf_of(page.text)}
    )
    assert accepted.status_code == 303
    after = await client.get(accepted.headers["location"])
    assert (
        'id="terms-2"' not in after.text
        and "version 2 of the Terms of Service is recorded" in after.text
    )
    async with ctx.transaction() as session:
        assert await TermsService(session, ctx.clock, "").has_accepted(acct.id, 2)
    missing = await client.post(
        "/dashboard/terms/7/accept", data={"csrf_token": csrf_of(page.text)}
    )
    assert missing.status_code == 404
