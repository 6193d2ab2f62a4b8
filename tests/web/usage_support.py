"""Real metered messages for page tests: a paying customer who can log in, a key, messages
sent through the gateway to the fake upstream on chosen days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.kit.ids import new_id
from caicaini.ledger.service import LedgerService
from caicaini.models.subscriptions import SubscriptionPeriod
from caicaini.models.usage import UsageRecord
from tests.gateway.support import anthropic_headers, message_body
from tests.web.helpers import make_account


async def paying_customer(
    ctx: AppContext,
    email: str = "ada@example.com",
    credits: int = 10_000,
    *,
    plan_since: datetime | None = None,
) -> str:
    """A verified account on the plus plan with a top-up of ``credits``: a complimentary
    period from now, or with ``plan_since`` a period running from then to 30 days ahead."""
    account = await make_account(ctx, email, plan=None if plan_since else "plus")
    now = ctx.clock.now()
    async with ctx.transaction() as session:
        if plan_since is not None:
            session.add(
                SubscriptionPeriod(
                    id=new_id("per"), account_id=account.id, plan_name="plus", sheet_version=1,
                    allowance=0, starts_at=plan_since, ends_at=now + timedelta(days=30),
                    confirmed_at=plan_since, idempotency_key=new_id("idem"), complimentary=True,
                    status="active", created_at=plan_since,
                )
            )  # fmt: skip
        await LedgerService(session, ctx.clock).grant(
            account.id, credits, "topup", idempotency_key=new_id("test")
        )
    return account.id


async def send(
    client: httpx.AsyncClient, key: str, model: str = "claude-sonnet-4-5", **extra: Any
) -> httpx.Response:
    response = await client.post(
        "/v1/messages", headers=anthropic_headers(key), json=message_body(model, **extra)
    )
    assert response.status_code == 200, response.text
    return response


async def send_on(
    clock: FrozenClock, when: datetime, client: httpx.AsyncClient, key: str, model: str
) -> int:
    """One message at ``when`` (the clock goes back where it was); its charge."""
    was = clock.now()
    clock.set(when)
    try:
        response = await send(client, key, model)
    finally:
        clock.set(was)
    return int(response.headers["caicaini-credits-charged"])


async def web_message(ctx: AppContext, account_id: str, at: datetime, credits: int) -> str:
    """A usage record as the web chat leaves it (no key)."""
    request_id = new_id("req")
    async with ctx.transaction() as session:
        session.add(
            UsageRecord(
                id=request_id, account_id=account_id, key_id=None, model="kimi-k2.5",
                provider="demo", endpoint="anthropic", stream=True, outcome="ok",
                input_tokens=10, output_tokens=10, units=1, rate=credits, sheet_version=1,
                credits_held=credits, credits_charged=credits, duration_ms=5, created_at=at,
            )
        )  # fmt: skip
    return request_id
