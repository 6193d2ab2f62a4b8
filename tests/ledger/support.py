"""Small helpers for the credit tests: accounts to credit and a quick look at the books."""

from __future__ import annotations

from datetime import date

from caicaini.context import AppContext
from caicaini.kit.ids import new_id
from caicaini.ledger.service import LedgerService
from caicaini.ledger.verify import verify_ledger
from caicaini.models.accounts import Account


async def make_account(ctx: AppContext, email: str | None = None) -> str:
    account_id = new_id("acct")
    async with ctx.transaction() as session:
        session.add(
            Account(
                id=account_id,
                email=email or f"{account_id}@example.com",
                password_hash="x",
                date_of_birth=date(1990, 1, 1),
                country="US",
                status="active",
                is_operator=False,
                session_version=1,
                created_at=ctx.clock.now(),
            )
        )
    return account_id


async def balance(ctx: AppContext, account_id: str) -> int:
    async with ctx.transaction() as session:
        return await LedgerService(session, ctx.clock).balance(account_id)


async def remaining_by_grant(ctx: AppContext, account_id: str) -> dict[str, int]:
    async with ctx.transaction() as session:
        grants = await LedgerService(session, ctx.clock).grants(account_id)
    return {g.id: g.remaining for g in grants}


async def assert_books_balance(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        problems = await verify_ledger(session, ctx.clock.now())
    assert problems == []
