"""The gateway's hot path (hold, settle, release as Core statements): the books still balance,
the settlement reports the balance after it, and ORM reads in the same transaction see the
Core updates."""

from __future__ import annotations

from datetime import UTC, datetime

from caicaini.context import AppContext
from caicaini.ledger.service import LedgerService
from tests.ledger.support import assert_books_balance, balance, make_account, remaining_by_grant

DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)


async def test_settlement_reports_the_balance_after_it(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.grant(alice, 30, "subscription", idempotency_key="s", expires_at=DEC_1)
        await ledger.grant(alice, 100, "topup", idempotency_key="t")
    async with ctx.transaction() as session:
        hold = await LedgerService(session, ctx.clock).hold(
            alice, request_id="r1", amount=50, unit_credits=3
        )
    assert [part for _, part in hold.allocations] == [30, 20]
    async with ctx.transaction() as session:
        settlement = await LedgerService(session, ctx.clock).settle("r1", 35)
    assert (settlement.charged, settlement.balance) == (35, 95)
    assert [c for _, c in settlement.debits] == [30, 5]
    async with ctx.transaction() as session:
        again = await LedgerService(session, ctx.clock).settle("r1", 35)
    assert (again.charged, again.debits, again.balance) == (35, settlement.debits, 95)
    assert await balance(ctx, alice) == 95
    await assert_books_balance(ctx)


async def test_orm_reads_in_the_same_transaction_see_the_hot_path(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        grant = await ledger.grant(alice, 100, "topup", idempotency_key="t")
        await ledger.hold(alice, request_id="r1", amount=40)
        assert [g.remaining for g in await ledger.grants(alice)] == [60]
        await ledger.release("r1", reason="test")
        assert [g.remaining for g in await ledger.grants(alice)] == [100]
        await ledger.hold(alice, request_id="r2", amount=10)
        # An ORM operation after the Core ones works on fresh rows.
        assert await ledger.forfeit_all(alice, reason="closed", idempotency_key="f") == 90
        settlement = await ledger.settle("r2", 4)
    assert settlement.balance == 0
    assert await remaining_by_grant(ctx, alice) == {grant.id: 0}
    await assert_books_balance(ctx)
