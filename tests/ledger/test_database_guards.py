"""The database itself guards the books: ``remaining`` never below zero or above the grant,
ledger entries never edited, a published price sheet never changed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from caicaini.context import AppContext
from caicaini.ledger.service import LedgerService
from caicaini.plans.hooks import install_default_catalogue
from tests.ledger.support import make_account


async def _refused(ctx: AppContext, sql: str) -> None:
    with pytest.raises((IntegrityError, DBAPIError)):
        async with ctx.transaction() as session:
            await session.execute(text(sql))


async def test_the_database_refuses_to_break_the_books(ctx: AppContext) -> None:
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).grant(alice, 100, "topup", idempotency_key="t")
    await _refused(ctx, "UPDATE grants SET remaining = -1")
    await _refused(ctx, "UPDATE grants SET remaining = 101")
    await _refused(ctx, "UPDATE ledger_entries SET amount = 1000")
    await install_default_catalogue(ctx)
    await _refused(ctx, "UPDATE plan_model_rates SET credits_per_unit = 1")
    await _refused(ctx, "UPDATE plans SET monthly_credits = 1")
