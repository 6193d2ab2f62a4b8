"""Scheduled price changes and their notices (Terms §1, ARCHITECTURE §5).

The clock stands on 26 Nov 2026, 12:00 UTC. Alice subscribes to Plus; Bob stays on free.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.models.mail import OutboxEmail
from caicaini.notices.service import NoticeService
from caicaini.plans.catalogue import default_catalogue
from caicaini.plans.changes import PriceChangeService, reductions
from caicaini.plans.errors import InsufficientNotice
from caicaini.plans.hooks import install_default_catalogue
from caicaini.plans.pricing import price
from caicaini.plans.service import PlanService
from caicaini.plans.views import PriceSheetView
from caicaini.subscriptions.service import SubscriptionService
from tests.ledger.support import make_account

OPERATOR = Actor("operator", "acct_op")


def _with_plus(sheet: PriceSheetView, **changes: object) -> PriceSheetView:
    plus = dataclasses.replace(sheet.plans["plus"], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(sheet, plans={**sheet.plans, "plus": plus})


def _sonnet_at(rate: int) -> PriceSheetView:
    base = default_catalogue()
    return _with_plus(base, rates={**base.plans["plus"].rates, "claude-sonnet-4-5": rate})


def test_what_counts_as_a_reduction() -> None:
    base = default_catalogue()
    assert reductions(base, base) == {}
    assert reductions(base, _with_plus(base, monthly_credits=4000)) == {
        "plus": ["monthly credits 5000 → 4000"]
    }
    assert "plus" in reductions(base, _sonnet_at(4))
    assert reductions(base, _sonnet_at(2)) == {}  # cheaper is not a reduction
    assert "plus" in reductions(base, _with_plus(base, rpm=30))
    fewer = {k: v for k, v in base.plans["plus"].rates.items() if k != "kimi-k2.5"}
    assert reductions(base, _with_plus(base, rates=fewer)) == {
        "plus": ["kimi-k2.5 is no longer available"]
    }
    smaller = dataclasses.replace(base.models["kimi-k2.5"], included_output_tokens=1000)
    shrunk = dataclasses.replace(base, models={**base.models, "kimi-k2.5": smaller})
    assert set(reductions(base, shrunk)) == {"free", "plus", "pro"}


async def _setup(ctx: AppContext) -> tuple[str, str]:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx, "alice@example.com")
    bob = await make_account(ctx, "bob@example.com")
    async with ctx.transaction() as session:
        await SubscriptionService(session, ctx.clock).start_period(
            alice, "plus", confirmed_at=ctx.clock.now(), source_ref=None, idempotency_key="o1"
        )
    return alice, bob


async def _schedule(ctx: AppContext, sheet: PriceSheetView, effective_at: datetime) -> object:
    async with ctx.transaction() as session:
        return await PriceChangeService(session, ctx.clock, "http://testserver").schedule(
            sheet, effective_at=effective_at, actor=OPERATOR
        )


async def test_a_reducing_change_with_less_than_seven_days_notice_is_refused(
    ctx: AppContext,
) -> None:
    await _setup(ctx)
    too_soon = ctx.clock.now() + timedelta(days=7) - timedelta(seconds=1)
    with pytest.raises(InsufficientNotice) as refused:
        await _schedule(ctx, _sonnet_at(4), too_soon)
    assert "7 days' notice" in refused.value.message
    assert (
        "claude-sonnet-4-5 costs 4 credits per message unit instead of 3" in refused.value.message
    )
    async with ctx.transaction() as session:
        assert (await PlanService(session, ctx.clock).current_sheet()).version == 1


async def test_with_notice_subscribers_are_told_and_new_rates_apply_exactly_from_then(
    ctx: AppContext, clock: FrozenClock
) -> None:
    alice, bob = await _setup(ctx)
    effective = datetime(2026, 12, 3, 12, tzinfo=UTC)  # exactly seven days later
    change = await _schedule(ctx, _sonnet_at(4), effective)
    assert change.reducing and change.notified == 1  # type: ignore[attr-defined]

    async with ctx.transaction() as session:
        mails = (await session.scalars(select(OutboxEmail))).all()
        alice_notices = await NoticeService(session, ctx.clock, "").list_for(alice)
        bob_notices = await NoticeService(session, ctx.clock, "").list_for(bob)
    assert [m.to_address for m in mails] == ["alice@example.com"]
    assert "03 December 2026" in mails[0].subject
    assert len(alice_notices) == 1 and "claude-sonnet-4-5 costs 4" in alice_notices[0].body
    assert bob_notices == []

    async def sonnet_price() -> int:
        async with ctx.transaction() as session:
            rate = await PlanService(session, ctx.clock).rate_for(alice, "claude-sonnet-4-5")
        return price(rate, 1000, 1000).credits

    clock.set(effective - timedelta(microseconds=1))
    assert await sonnet_price() == 3
    clock.set(effective)
    assert await sonnet_price() == 4


async def test_a_non_reducing_change_may_take_effect_at_once(ctx: AppContext) -> None:
    await _setup(ctx)
    change = await _schedule(ctx, _sonnet_at(2), ctx.clock.now())
    assert not change.reducing and change.notified == 0  # type: ignore[attr-defined]
    async with ctx.transaction() as session:
        sheet = await PlanService(session, ctx.clock).current_sheet()
    assert (sheet.version, sheet.plans["plus"].rates["claude-sonnet-4-5"]) == (2, 2)
