"""The Anthropic endpoint in-process: charges, headers, usage records and receipts."""

from __future__ import annotations

import httpx

from caicaini.context import AppContext
from caicaini.gateway import receipts
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    RATES,
    anthropic_headers,
    assert_books_balance,
    balance,
    customer,
    issue_key,
    message_body,
    receipts_of,
    usage_of,
)


async def test_message_is_charged_rate_times_units_once(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx, credits=1000)
    key = await issue_key(gctx, account)
    fake.push()  # default echo
    r = await gclient.post(
        "/v1/messages?beta=true", json=message_body(CLAUDE), headers=anthropic_headers(key)
    )
    assert r.status_code == 200, r.text
    assert r.json()["content"][0]["text"].startswith("Echo")
    assert r.headers["caicaini-credits-charged"] == str(RATES[CLAUDE])
    assert r.headers["caicaini-credits-remaining"] == str(1000 - RATES[CLAUDE])
    assert r.headers["request-id"] == r.headers["caicaini-request-id"]
    assert await balance(gctx, account) == 1000 - RATES[CLAUDE]
    [record] = await usage_of(gctx, account)
    assert (record.units, record.credits_charged, record.outcome) == (1, RATES[CLAUDE], "ok")
    [receipt] = await receipts_of(gctx, account)
    assert receipt.payload["credits_charged"] == RATES[CLAUDE]
    assert receipts.verify(gctx.settings.secret_key, receipt.payload, receipt.signature)
    await assert_books_balance(gctx)


async def test_units_follow_output_tokens(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx, credits=1000)
    key = await issue_key(gctx, account)
    body = message_body(KIMI, max_tokens=8000)
    r = await gclient.post(
        "/v1/messages",
        json=body,
        headers=anthropic_headers(key, **{"x-fake-output-tokens": "4500"}),
    )
    assert r.status_code == 200, r.text
    assert r.json()["usage"]["output_tokens"] == 4500
    assert r.headers["caicaini-credits-charged"] == str(3 * RATES[KIMI])
    assert await balance(gctx, account) == 1000 - 3 * RATES[KIMI]
