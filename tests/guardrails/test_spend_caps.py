"""Spend caps, daily and monthly, per account and per key: enforced wherever credits are spent
(API key or web chat caller), in each endpoint's own error format, naming the cap and when it
resets; a request that fits only partly is served shorter; caps reset with their period."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.gateway import pipeline
from caicaini.gateway.caller import Caller
from caicaini.guardrails.errors import SpendCapReached
from caicaini.kit.clock import FrozenClock
from caicaini.kit.ids import new_id
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import (
    CLAUDE,
    anthropic_headers,
    assert_books_balance,
    balance,
    customer,
    issue_key,
    message_body,
    usage_of,
)
from tests.guardrails.support import set_account_caps

HAIKU = "claude-haiku-4-5"  # 1 credit per unit


async def send(client: httpx.AsyncClient, key: str, **body: object) -> httpx.Response:
    return await client.post(
        "/v1/messages", json=message_body(**body), headers=anthropic_headers(key)
    )


async def test_an_account_daily_cap_refuses_in_the_anthropic_format(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    await set_account_caps(gctx, account, daily=5)
    assert (await send(gclient, key)).status_code == 200  # 3 credits of 5
    r = await send(gclient, key)
    assert r.status_code == 402
    body = r.json()
    assert body["type"] == "error" and body["error"]["type"] == "billing_error"
    message = body["error"]["message"]
    assert "Your account's daily spend cap of 5 credits is reached" in message
    assert "(3 spent or held today)" in message
    assert "resets at 00:00 UTC on 27 Nov 2026 (in 12 h)" in message
    assert r.headers["caicaini-spend-cap"] == "account-daily"
    assert r.headers["caicaini-spend-cap-resets-at"] == "2026-11-27T00:00:00+00:00"
    assert r.headers["x-should-retry"] == "false"
    assert await balance(gctx, account) == 997
    await assert_books_balance(gctx)


async def test_a_key_monthly_cap_refuses_in_the_openai_format(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    capped = await issue_key(gctx, account, monthly_credit_cap=3)
    other = await issue_key(gctx, account)
    chat = {"model": CLAUDE, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100}
    auth = {"authorization": f"Bearer {capped}"}
    assert (await gclient.post("/v1/chat/completions", json=chat, headers=auth)).status_code == 200
    r = await gclient.post("/v1/chat/completions", json=chat, headers=auth)
    assert r.status_code == 402
    error = r.json()["error"]
    assert error["type"] == "insufficient_quota" and error["code"] == "spend_cap_reached"
    assert "This API key's monthly spend cap of 3 credits is reached" in error["message"]
    assert "resets at 00:00 UTC on 01 Dec 2026" in error["message"]
    assert r.headers["caicaini-spend-cap"] == "key-monthly"
    # The account's other keys are not bound by this key's cap.
    assert (await send(gclient, other)).status_code == 200


async def test_a_cap_that_fits_part_of_a_request_lowers_max_tokens(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    await set_account_caps(gctx, account, daily=3)
    # max_tokens 10,000 is 5 output units of 2,000: 5 credits; the cap leaves room for 3.
    r = await send(gclient, key, model=HAIKU, max_tokens=10_000)
    assert r.status_code == 200, r.text
    assert r.headers["caicaini-max-tokens-lowered"] == "6000"
    assert fake.last_request.body["max_tokens"] == 6000


async def test_the_tightest_cap_is_named_and_caps_reset_with_their_period(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, clock: FrozenClock
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account, daily_credit_cap=100)
    await set_account_caps(gctx, account, daily=6, monthly=6)
    for _ in range(2):
        assert (await send(gclient, key)).status_code == 200
    r = await send(gclient, key)
    # Both account caps are spent; the monthly one blocks longer, so it is the one named.
    assert r.headers["caicaini-spend-cap"] == "account-monthly"
    assert "resets at 00:00 UTC on 01 Dec 2026 (in 4 days 12 h)" in r.json()["error"]["message"]
    await set_account_caps(gctx, account, daily=6, monthly=None)
    assert (await send(gclient, key)).headers["caicaini-spend-cap"] == "account-daily"
    clock.advance(timedelta(hours=12))  # 27 Nov, 00:00 UTC: a new day
    assert (await send(gclient, key)).status_code == 200
    assert sum(u.credits_charged for u in await usage_of(gctx, account)) == 9


async def test_the_web_chat_is_capped_like_the_api(gctx: AppContext, fake: FakeScript) -> None:
    """A web caller has no key: the account's caps still apply, through the same engine."""
    account = await customer(gctx)
    await set_account_caps(gctx, account, daily=3)
    body = message_body()

    async def one() -> None:
        call = await pipeline.admit_caller(
            gctx, Caller.for_web(account), dict(body), 200, endpoint="web", stream=False,
            request_id=new_id("req"),
        )  # fmt: skip
        await pipeline.send(call)

    await one()
    with pytest.raises(SpendCapReached) as refused:
        await one()
    assert refused.value.room.cap.scope == "account"
    assert refused.value.details["resets_at"] == "2026-11-27T00:00:00+00:00"
    assert [u.key_id for u in await usage_of(gctx, account)] == [None]


async def test_a_zero_cap_stops_spending_at_once(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    assert (await send(gclient, key)).status_code == 200  # guardrails now cached: none
    await set_account_caps(gctx, account, daily=0)  # what the settings page does
    r = await send(gclient, key)
    assert r.status_code == 402 and r.headers["caicaini-spend-cap"] == "account-daily"
    await set_account_caps(gctx, account)  # lifted
    assert (await send(gclient, key)).status_code == 200
