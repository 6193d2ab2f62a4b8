"""Concurrent holds never overdraw: on PostgreSQL, 200 requests race for a balance that covers
50 of them; exactly 50 win, the rest are refused, and the balance ends at 0."""

from __future__ import annotations

import asyncio

import pytest

from caicaini.context import AppContext
from caicaini.errors import InsufficientCredits
from caicaini.ledger.service import LedgerService
from tests.ledger.support import assert_books_balance, balance, make_account


async def _try_hold(ctx: AppContext, account_id: str, n: int) -> bool:
    try:
        async with ctx.transaction() as session:
            await LedgerService(session, ctx.clock).hold(
                account_id, request_id=f"race-{n}", amount=1
            )
    except InsufficientCredits:
        return False
    return True


async def test_200_concurrent_holds_against_50_credits(ctx: AppContext) -> None:
    if ctx.db.is_sqlite:
        pytest.skip("SQLite serialises writers by BEGIN IMMEDIATE; the race is PostgreSQL's")
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.grant(alice, 20, "topup", idempotency_key="t")
        await ledger.grant(alice, 30, "promotional", idempotency_key="p")

    results = await asyncio.gather(*(_try_hold(ctx, alice, n) for n in range(200)))

    assert results.count(True) == 50
    assert results.count(False) == 150
    assert await balance(ctx, alice) == 0
    await assert_books_balance(ctx)


async def test_the_same_request_racing_with_itself_holds_once(ctx: AppContext) -> None:
    if ctx.db.is_sqlite:
        pytest.skip("PostgreSQL row locks under test")
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).grant(alice, 100, "topup", idempotency_key="t")

    async def hold() -> None:
        async with ctx.transaction() as session:
            await LedgerService(session, ctx.clock).hold(alice, request_id="same", amount=10)

    await asyncio.gather(*(hold() for _ in range(10)))
    assert await balance(ctx, alice) == 90
    await assert_books_balance(ctx)
