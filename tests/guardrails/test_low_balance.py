"""Low-balance alerts: one e-mail per crossing of the customer's threshold (or the default, a
tenth of the plan's monthly credits), whichever process settles; re-armed once the balance is
above the threshold again; off when the customer turns them off."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.gateway.guardrails import drain
from caicaini.kit.ids import new_id
from caicaini.ledger.service import LedgerService
from caicaini.models.mail import OutboxEmail
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import anthropic_headers, customer, issue_key, message_body
from tests.guardrails.support import set_alert


async def spend(client: httpx.AsyncClient, key: str, times: int = 1) -> int:
    """Send ``times`` 3-credit messages; the balance after the last one."""
    for _ in range(times):
        r = await client.post("/v1/messages", json=message_body(), headers=anthropic_headers(key))
        assert r.status_code == 200, r.text
    await drain()
    return int(r.headers["caicaini-credits-remaining"])


async def alerts_to(ctx: AppContext, account_id: str) -> list[OutboxEmail]:
    async with ctx.read() as session:
        rows = await session.scalars(
            select(OutboxEmail).where(
                OutboxEmail.account_id == account_id, OutboxEmail.template == "low_balance"
            )
        )
        return list(rows)


async def top_up(ctx: AppContext, account_id: str, credits: int) -> None:
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).grant(
            account_id, credits, "topup", idempotency_key=new_id("test")
        )


async def test_one_email_per_crossing_of_the_threshold(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx, credits=20)
    key = await issue_key(gctx, account)
    await set_alert(gctx, account, threshold=10)
    assert await spend(gclient, key, 3) == 11  # above: nothing
    assert await alerts_to(gctx, account) == []
    assert await spend(gclient, key) == 8  # crossed
    [mail] = await alerts_to(gctx, account)
    assert mail.subject == "Your Caicaini balance is low: 8 credits left"
    assert "threshold of 10 credits" in mail.body_text
    assert "http://testserver/pricing#topups" in mail.body_text
    assert await spend(gclient, key, 2) == 2  # still under: no second e-mail
    assert len(await alerts_to(gctx, account)) == 1
    await top_up(gctx, account, 30)
    assert await spend(gclient, key) == 29  # above again: re-armed
    assert await spend(gclient, key, 7) == 8  # the next crossing alerts again
    assert len(await alerts_to(gctx, account)) == 2


async def test_the_default_threshold_is_a_tenth_of_the_plans_monthly_credits(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx, plan="plus", credits=503)  # plus: 5,000 a month -> 500
    key = await issue_key(gctx, account)
    assert await spend(gclient, key) == 500
    [mail] = await alerts_to(gctx, account)
    assert "threshold of 500 credits" in mail.body_text


async def test_alerts_turned_off_send_nothing(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx, credits=12)
    key = await issue_key(gctx, account)
    await set_alert(gctx, account, threshold=10, enabled=False)
    assert await spend(gclient, key) == 9
    assert await alerts_to(gctx, account) == []
