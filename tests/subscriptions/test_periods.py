"""Subscriptions in the ledger, by worked example (the clock stands on 26 Nov 2026, 12:00 UTC).

The Plus plan brings 5,000 credits a month. A period bought on 26 Nov runs to 26 Dec: 5 of
its 30 days are in November and 25 in December, so 5/30 of the allowance (833 credits) is
granted at once, valid until 1 Dec 00:00 UTC, and 25/30 (the other 4,167) on 1 Dec.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.kit.clock import FrozenClock
from caicaini.ledger.service import LedgerService
from caicaini.models.audit import AuditEntry
from caicaini.models.mail import OutboxEmail
from caicaini.plans.hooks import install_default_catalogue
from caicaini.plans.service import PlanService
from caicaini.subscriptions.proration import add_month, split_allowance
from caicaini.subscriptions.service import SubscriptionService
from caicaini.subscriptions.tasks import issue_allowances, remind_renewal
from tests.ledger.support import assert_books_balance, balance, make_account

NOV_26 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
JAN_1 = datetime(2027, 1, 1, tzinfo=UTC)


async def _subscribe(ctx: AppContext, account: str, key: str = "order-1") -> None:
    async with ctx.transaction() as session:
        await SubscriptionService(session, ctx.clock).start_period(
            account, "plus", confirmed_at=ctx.clock.now(), source_ref=key, idempotency_key=key
        )


async def _grants(ctx: AppContext, account: str) -> list[tuple[str, int, int, datetime | None]]:
    async with ctx.transaction() as session:
        grants = await LedgerService(session, ctx.clock).grants(account)
    return [(g.kind, g.amount, g.remaining, g.expires_at) for g in grants]


def test_periods_end_on_the_same_day_next_month_clamped_at_month_end() -> None:
    assert add_month(NOV_26) == datetime(2026, 12, 26, 12, tzinfo=UTC)
    assert add_month(datetime(2027, 1, 31, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_month(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize("allowance", [1, 7, 200, 5000, 20000, 99991])
def test_the_parts_always_add_up_to_exactly_one_allowance(allowance: int) -> None:
    for start in (NOV_26, datetime(2027, 1, 31, 9, tzinfo=UTC), DEC_1):
        parts = split_allowance(allowance, start, add_month(start))
        assert sum(p.amount for p in parts) == allowance


async def test_bought_on_26_november(ctx: AppContext, clock: FrozenClock) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    await _subscribe(ctx, alice)

    # At once: 5/30 of 5,000, valid for November.
    assert await _grants(ctx, alice) == [("subscription", 833, 833, DEC_1)]
    async with ctx.transaction() as session:
        assert (await PlanService(session, ctx.clock).terms_for(alice)).plan.name == "plus"

    # 1 December, 00:00 UTC: November's part expires and December's 25/30 is issued.
    clock.set(DEC_1)
    assert await issue_allowances(ctx) == 4167
    assert await issue_allowances(ctx) == 0  # the job is idempotent
    assert await balance(ctx, alice) == 4167
    assert ("subscription", 4167, 4167, JAN_1) in await _grants(ctx, alice)
    await assert_books_balance(ctx)


async def test_the_same_confirmation_twice_is_one_period(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    await _subscribe(ctx, alice)
    await _subscribe(ctx, alice)
    assert await balance(ctx, alice) == 833


async def test_an_early_renewal_starts_when_the_running_period_ends(
    ctx: AppContext, clock: FrozenClock
) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    await _subscribe(ctx, alice, "first")
    clock.set(datetime(2026, 12, 20, tzinfo=UTC))
    await issue_allowances(ctx)
    await _subscribe(ctx, alice, "renewal")
    async with ctx.transaction() as session:
        periods = await SubscriptionService(session, ctx.clock).periods(alice)
    assert [(p.starts_at, p.ends_at, p.status) for p in periods] == [
        (NOV_26, datetime(2026, 12, 26, 12, tzinfo=UTC), "active"),
        (
            datetime(2026, 12, 26, 12, tzinfo=UTC),
            datetime(2027, 1, 26, 12, tzinfo=UTC),
            "scheduled",
        ),
    ]
    assert await balance(ctx, alice) == 4167  # nothing of the renewal yet

    # 26 Dec 12:00: the renewal starts; its December part (6 of 31 days) arrives.
    clock.set(datetime(2026, 12, 26, 12, tzinfo=UTC))
    await issue_allowances(ctx)
    assert await balance(ctx, alice) == 4167 + 5000 * 6 // 31
    await assert_books_balance(ctx)


async def test_complimentary_periods_are_audited(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        period = await SubscriptionService(session, ctx.clock).start_complimentary(
            alice, "pro", actor=Actor("operator", "acct_op")
        )
    assert period.complimentary and period.plan_name == "pro"
    assert await balance(ctx, alice) == 20000 * 5 // 30
    async with ctx.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "subscription.complimentary_started" in actions


async def test_the_free_plan_cannot_be_bought(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        with pytest.raises(InvalidInput):
            await SubscriptionService(session, ctx.clock).start_period(
                alice, "free", confirmed_at=ctx.clock.now(), source_ref=None, idempotency_key="x"
            )


async def test_a_reminder_three_days_before_the_end_then_back_to_free(
    ctx: AppContext, clock: FrozenClock
) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx, "alice@example.com")
    await _subscribe(ctx, alice)
    clock.set(datetime(2026, 12, 23, 11, tzinfo=UTC))
    assert await remind_renewal(ctx) == 0  # more than three days left
    clock.advance(timedelta(hours=2))
    assert await remind_renewal(ctx) == 1
    assert await remind_renewal(ctx) == 0  # once
    clock.set(datetime(2026, 12, 26, 12, tzinfo=UTC))
    await issue_allowances(ctx)
    async with ctx.transaction() as session:
        assert (await PlanService(session, ctx.clock).terms_for(alice)).plan.name == "free"
        subjects = (await session.scalars(select(OutboxEmail.subject))).all()
    assert any("ends on 26 December 2026" in s for s in subjects)
    assert any("has ended" in s for s in subjects)


async def test_a_cancelled_period_issues_nothing_more_and_the_account_is_free_again(
    ctx: AppContext, clock: FrozenClock
) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    await _subscribe(ctx, alice)
    async with ctx.transaction() as session:
        service = SubscriptionService(session, ctx.clock)
        period = await service.current_period(alice)
        assert period is not None
        await service.cancel_period(period.id, reason="payment reversed", actor=Actor("system"))
        await service.cancel_period(period.id, reason="payment reversed", actor=Actor("system"))
        assert await service.current_period(alice) is None
        assert (await PlanService(session, ctx.clock).terms_for(alice)).plan.name == "free"
    clock.set(DEC_1)
    assert await issue_allowances(ctx) == 0
