"""Forfeiture and operator adjustments: always with a reason, always audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import InsufficientCredits
from caicaini.ledger.errors import ReasonRequired
from caicaini.ledger.service import LedgerService
from caicaini.models.audit import AuditEntry
from tests.ledger.support import assert_books_balance, balance, make_account

DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
OPERATOR = Actor("operator", "acct_op")


async def _audit(ctx: AppContext) -> list[tuple[str, dict[str, object]]]:
    async with ctx.transaction() as session:
        rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(r.action, r.details) for r in rows]


async def test_forfeiting_takes_every_credit_and_credits_in_flight_follow(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.grant(alice, 100, "subscription", idempotency_key="s", expires_at=DEC_1)
        await ledger.grant(alice, 2000, "topup", idempotency_key="t")
        await ledger.hold(alice, request_id="in-flight", amount=150)
    for _ in range(2):
        async with ctx.transaction() as session:
            forfeited = await LedgerService(session, ctx.clock).forfeit_all(
                alice, reason="severe violation", idempotency_key="forfeit-1", actor=OPERATOR
            )
        assert forfeited == 1950
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).settle("in-flight", 20)
    assert await balance(ctx, alice) == 0
    assert [a for a, _ in await _audit(ctx)] == ["credits.forfeited"]
    await assert_books_balance(ctx)


async def test_adjustments_need_a_reason_and_are_audited(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        with pytest.raises(ReasonRequired):
            await ledger.adjust(alice, 100, reason="  ", idempotency_key="a0")
        for _ in range(2):
            grant = await ledger.adjust(
                alice, 300, reason="goodwill for incident 7", idempotency_key="a1", actor=OPERATOR
            )
        assert grant is not None and grant.kind == "adjustment"
        for _ in range(2):
            await ledger.adjust(alice, -100, reason="double grant", idempotency_key="a2")
        with pytest.raises(InsufficientCredits):
            await ledger.adjust(alice, -1000, reason="too much", idempotency_key="a3")
    assert await balance(ctx, alice) == 200
    audit = await _audit(ctx)
    assert [a for a, _ in audit] == ["credits.adjusted", "credits.adjusted"]
    assert audit[0][1]["reason"] == "goodwill for incident 7"
    await assert_books_balance(ctx)


async def test_a_reversal_removes_what_is_left_of_one_grant(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        grant = await ledger.grant(alice, 2000, "topup", idempotency_key="pay-1")
        await ledger.hold(alice, request_id="r", amount=500)
        await ledger.settle("r", 500)
        assert await ledger.remove_remaining(grant.id, idempotency_key="refunded-1") == 1500
        assert await ledger.remove_remaining(grant.id, idempotency_key="refunded-1") == 1500
    assert await balance(ctx, alice) == 0
    await assert_books_balance(ctx)


async def test_a_refund_freezes_credits_of_one_grant_then_takes_them_out(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        grant = await ledger.grant(alice, 2000, "topup", idempotency_key="pay-1")
        await ledger.freeze(grant.id, request_id="refund-1", amount=1200)
        assert await ledger.balance(alice) == 800
        settlement = await ledger.settle("refund-1", 1200, entry_kind="refund")
    assert settlement.debits == [(grant.id, 1200)]
    assert await balance(ctx, alice) == 800
    await assert_books_balance(ctx)


async def test_closing_an_account_forfeits_its_credits(ctx: AppContext) -> None:
    closure = pytest.importorskip("caicaini.accounts.closure")
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).grant(alice, 2000, "topup", idempotency_key="t")
    async with ctx.transaction() as session:
        await closure.ClosureService(session, ctx.clock, ctx.settings).close_account(
            alice, reason="moving on", actor=Actor("user", alice)
        )
    assert await balance(ctx, alice) == 0
    assert "credits.forfeited" in [a for a, _ in await _audit(ctx)]
    await assert_books_balance(ctx)
