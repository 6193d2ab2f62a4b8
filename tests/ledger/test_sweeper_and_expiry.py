"""Jobs that keep the books clean: the hold sweeper and the month-end expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.ledger.service import LedgerService
from caicaini.ledger.tasks import expire_grants, sweep_holds
from caicaini.models.ledger import Hold
from tests.ledger.support import assert_books_balance, balance, make_account

DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)


async def _hold_row(ctx: AppContext, request_id: str) -> Hold:
    async with ctx.transaction() as session:
        hold = await session.scalar(select(Hold).where(Hold.request_id == request_id))
    assert hold is not None
    return hold


async def test_an_abandoned_hold_that_never_reached_upstream_is_released(
    ctx: AppContext, clock: FrozenClock
) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.grant(alice, 100, "topup", idempotency_key="t")
        await ledger.hold(alice, request_id="crashed", amount=40, ttl_seconds=900)
    clock.advance(timedelta(seconds=899))
    await sweep_holds(ctx)
    assert await balance(ctx, alice) == 60  # not yet expired
    clock.advance(timedelta(seconds=1))
    await sweep_holds(ctx)
    assert await balance(ctx, alice) == 100
    hold = await _hold_row(ctx, "crashed")
    assert (hold.status, hold.resolution) == ("released", "expired: no upstream call was recorded")
    await assert_books_balance(ctx)


async def test_an_abandoned_hold_whose_call_started_is_settled_at_one_message_unit(
    ctx: AppContext, clock: FrozenClock
) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.grant(alice, 100, "topup", idempotency_key="t")
        await ledger.hold(alice, request_id="crashed", amount=40, unit_credits=3)
        await ledger.mark_started("crashed")
    clock.advance(timedelta(hours=1))
    await sweep_holds(ctx)
    await sweep_holds(ctx)
    assert await balance(ctx, alice) == 97
    hold = await _hold_row(ctx, "crashed")
    assert (hold.status, hold.charged) == ("settled", 3)
    assert "one message unit" in (hold.resolution or "")
    await assert_books_balance(ctx)


async def test_month_end_expires_the_allowance_but_not_held_credits_or_top_ups(
    ctx: AppContext, clock: FrozenClock
) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.grant(alice, 833, "subscription", idempotency_key="s", expires_at=DEC_1)
        await ledger.grant(alice, 2000, "topup", idempotency_key="t")
        await ledger.hold(alice, request_id="in-flight", amount=100)
    clock.set(DEC_1)
    assert await expire_grants(ctx) == 733
    assert await expire_grants(ctx) == 0
    # The in-flight request is released after midnight: its 100 credits expire too.
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).release("in-flight", reason="client gone")
    assert await balance(ctx, alice) == 2000
    await assert_books_balance(ctx)
