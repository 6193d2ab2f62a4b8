"""200 concurrent requests never spend past a cap, on SQLite and PostgreSQL (``CI=true`` makes
PostgreSQL mandatory): the caps are checked under the account's ledger lock in the hold's own
transaction, and they count what requests in flight hold."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import (
    anthropic_headers,
    assert_books_balance,
    balance,
    customer,
    issue_key,
    message_body,
    usage_of,
)
from tests.guardrails.support import set_account_caps

UNLIMITED = {"rpm_override": 1000, "concurrency_override": 1000}


async def test_200_concurrent_requests_on_two_keys_never_spend_past_the_account_cap(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx, credits=1_000)
    free_key = await issue_key(gctx, account, **UNLIMITED)
    capped_key = await issue_key(gctx, account, daily_credit_cap=30, **UNLIMITED)
    await set_account_caps(gctx, account, daily=50, monthly=10_000)
    body = message_body("claude-haiku-4-5", max_tokens=100)  # 1 credit each

    async def one(key: str) -> tuple[int, str | None]:
        r = await gclient.post("/v1/messages", json=body, headers=anthropic_headers(key))
        return r.status_code, r.headers.get("caicaini-spend-cap")

    keys = [free_key, capped_key] * 100
    results = await asyncio.gather(*(one(k) for k in keys))
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 50, 402: 150}
    # Every refusal names a cap (the account's, or the capped key's own): none is the balance.
    assert {cap for status, cap in results if status == 402} <= {"account-daily", "key-daily"}
    served_by_capped_key = sum(
        1
        for key, (status, _) in zip(keys, results, strict=True)
        if key == capped_key and status == 200
    )
    assert served_by_capped_key <= 30
    records = await usage_of(gctx, account)
    assert sum(r.credits_charged for r in records) == 50
    assert await balance(gctx, account) == 950
    await assert_books_balance(gctx)
