"""The ledger, by worked example. Each test reads as a page of the bookkeeping manual.

The clock stands on 26 November 2026, 12:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caicaini.context import AppContext
from caicaini.errors import InsufficientCredits
from caicaini.kit.clock import FrozenClock
from caicaini.ledger.errors import HoldAlreadyResolved
from caicaini.ledger.service import LedgerService
from tests.ledger.support import assert_books_balance, balance, make_account, remaining_by_grant

DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
JAN_1 = datetime(2027, 1, 1, tzinfo=UTC)


async def test_a_grant_adds_to_the_balance_once_however_often_it_is_replayed(
    ctx: AppContext,
) -> None:
    alice = await make_account(ctx)
    for _ in range(3):
        async with ctx.transaction() as session:
            grant = await LedgerService(session, ctx.clock).grant(
                alice, 500, "topup", idempotency_key="payment:p1"
            )
    assert (grant.amount, grant.remaining, grant.expires_at) == (500, 500, None)
    assert await balance(ctx, alice) == 500
    await assert_books_balance(ctx)


async def test_this_months_allowance_is_spent_before_top_ups(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        topup = await ledger.grant(alice, 1000, "topup", idempotency_key="t")
        allowance = await ledger.grant(
            alice, 100, "subscription", idempotency_key="s", expires_at=DEC_1
        )
        hold = await ledger.hold(alice, request_id="req-1", amount=60)
    assert hold.allocations == [(allowance.id, 60)]
    assert await remaining_by_grant(ctx, alice) == {allowance.id: 40, topup.id: 1000}


async def test_soonest_expiry_first_then_oldest_top_ups_last(
    ctx: AppContext, clock: FrozenClock
) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        topup = await ledger.grant(alice, 10, "topup", idempotency_key="t")
        promo_jan = await ledger.grant(
            alice, 10, "promotional", idempotency_key="p", expires_at=JAN_1
        )
        sub_dec = await ledger.grant(
            alice, 10, "subscription", idempotency_key="s", expires_at=DEC_1
        )
        hold = await ledger.hold(alice, request_id="r", amount=25)
    assert hold.allocations == [(sub_dec.id, 10), (promo_jan.id, 10), (topup.id, 5)]


async def test_a_hold_across_two_grants_settles_and_returns_the_rest_to_the_same_grants(
    ctx: AppContext,
) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        allowance = await ledger.grant(
            alice, 30, "subscription", idempotency_key="s", expires_at=DEC_1
        )
        topup = await ledger.grant(alice, 100, "topup", idempotency_key="t")
        hold = await ledger.hold(alice, request_id="req-1", amount=50)
    assert hold.allocations == [(allowance.id, 30), (topup.id, 20)]
    assert await balance(ctx, alice) == 80

    # The call cost 35: all 30 of the allowance and 5 of the top-up; 15 go back to the top-up.
    async with ctx.transaction() as session:
        settlement = await LedgerService(session, ctx.clock).settle("req-1", 35)
    assert settlement.charged == 35
    assert settlement.debits == [(allowance.id, 30), (topup.id, 5)]
    assert await remaining_by_grant(ctx, alice) == {allowance.id: 0, topup.id: 95}

    # Settling again (a retry) changes nothing.
    async with ctx.transaction() as session:
        again = await LedgerService(session, ctx.clock).settle("req-1", 35)
    assert again == settlement
    assert await balance(ctx, alice) == 95
    await assert_books_balance(ctx)


async def test_a_released_hold_gives_every_credit_back_to_the_grant_it_came_from(
    ctx: AppContext,
) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        allowance = await ledger.grant(
            alice, 30, "subscription", idempotency_key="s", expires_at=DEC_1
        )
        topup = await ledger.grant(alice, 100, "topup", idempotency_key="t")
        await ledger.hold(alice, request_id="req-1", amount=50)
    for _ in range(2):
        async with ctx.transaction() as session:
            await LedgerService(session, ctx.clock).release("req-1", reason="upstream failed")
    assert await remaining_by_grant(ctx, alice) == {allowance.id: 30, topup.id: 100}
    async with ctx.transaction() as session:
        with pytest.raises(HoldAlreadyResolved):
            await LedgerService(session, ctx.clock).settle("req-1", 10)
    await assert_books_balance(ctx)


async def test_a_hold_is_all_or_nothing(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).grant(alice, 40, "topup", idempotency_key="t")
    async with ctx.transaction() as session:
        with pytest.raises(InsufficientCredits):
            await LedgerService(session, ctx.clock).hold(alice, request_id="r", amount=41)
    assert await balance(ctx, alice) == 40
    await assert_books_balance(ctx)


async def test_top_ups_survive_month_end_while_the_allowance_expires(
    ctx: AppContext, clock: FrozenClock
) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.grant(alice, 833, "subscription", idempotency_key="s", expires_at=DEC_1)
        await ledger.grant(alice, 2000, "topup", idempotency_key="t")
    clock.set(DEC_1)
    assert await balance(ctx, alice) == 2000
    async with ctx.transaction() as session:
        expired = await LedgerService(session, ctx.clock).expire_due(alice)
    assert expired == 833
    assert await balance(ctx, alice) == 2000
    await assert_books_balance(ctx)


async def test_credits_held_over_month_end_expire_when_they_come_back(
    ctx: AppContext, clock: FrozenClock
) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        allowance = await ledger.grant(
            alice, 100, "subscription", idempotency_key="s", expires_at=DEC_1
        )
        await ledger.hold(alice, request_id="late-night", amount=30)
    clock.set(DEC_1 + timedelta(seconds=5))
    async with ctx.transaction() as session:
        assert await LedgerService(session, ctx.clock).expire_due(alice) == 70
    # The request that started in November finishes in December and cost 10.
    async with ctx.transaction() as session:
        settlement = await LedgerService(session, ctx.clock).settle("late-night", 10)
    assert settlement.debits == [(allowance.id, 10)]
    assert await remaining_by_grant(ctx, alice) == {allowance.id: 0}
    await assert_books_balance(ctx)
