"""The free plan's allowance: 200 credits for the calendar month, once a month, to every
active account without a paid period — but not to a second free account from one device."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.models.accounts import AccountSignal
from caicaini.plans.hooks import install_default_catalogue
from caicaini.subscriptions.service import SubscriptionService
from caicaini.subscriptions.tasks import free_allowances
from tests.ledger.support import assert_books_balance, balance, make_account


async def test_free_accounts_get_the_allowance_each_month(
    ctx: AppContext, clock: FrozenClock
) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    assert await free_allowances(ctx) == 200
    assert await free_allowances(ctx) == 0
    assert await balance(ctx, alice) == 200
    clock.set(datetime(2026, 12, 1, tzinfo=UTC))
    assert await balance(ctx, alice) == 0  # November's allowance is over
    assert await free_allowances(ctx) == 200
    assert await balance(ctx, alice) == 200
    await assert_books_balance(ctx)


async def test_paid_accounts_get_no_free_allowance(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        await SubscriptionService(session, ctx.clock).start_period(
            alice, "plus", confirmed_at=ctx.clock.now(), source_ref=None, idempotency_key="o"
        )
    await free_allowances(ctx)
    assert await balance(ctx, alice) == 833


async def test_a_second_free_account_from_the_same_device_gets_none(
    ctx: AppContext, clock: FrozenClock
) -> None:
    pytest.importorskip("caicaini.trust.service")
    await install_default_catalogue(ctx)
    first = await make_account(ctx)
    clock.advance(timedelta(minutes=5))
    second = await make_account(ctx)
    async with ctx.transaction() as session:
        for account in (first, second):
            session.add(
                AccountSignal(
                    account_id=account,
                    kind="device",
                    value="device-fingerprint-0001",
                    event="signup",
                    created_at=ctx.clock.now(),
                )
            )
    await free_allowances(ctx)
    assert await balance(ctx, first) == 200
    assert await balance(ctx, second) == 0
