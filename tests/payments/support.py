"""Shared steps for payment tests: accounts, the catalogue, logging in, waiting for the app."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from caicaini.accounts.service import AccountService
from caicaini.context import AppContext
from caicaini.ledger.service import LedgerService
from caicaini.models.accounts import Account
from caicaini.models.mail import OutboxEmail
from caicaini.models.payments import Payment, PaymentCallback, PaymentOrder
from caicaini.plans.hooks import install_default_catalogue

PASSWORD = "correct-Horse-7"
T = TypeVar("T")


async def setup_catalogue(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)


async def make_account(
    ctx: AppContext,
    email: str = "ada@example.com",
    *,
    verified: bool = True,
    born: date = date(1990, 5, 17),
    country: str = "GB",
) -> Account:
    async with ctx.transaction() as session:
        return await AccountService(session, ctx.clock, ctx.settings).create(
            email=email, password=PASSWORD, date_of_birth=born, country=country, verified=verified
        )


async def login(client: httpx.AsyncClient, email: str = "ada@example.com") -> str:
    """Log in through the JSON API; returns the CSRF token (the cookie stays in the client)."""
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


async def balance(ctx: AppContext, account_id: str) -> int:
    async with ctx.transaction() as session:
        return await LedgerService(session, ctx.clock).balance(account_id)


async def grants(ctx: AppContext, account_id: str) -> list[Any]:
    async with ctx.transaction() as session:
        return await LedgerService(session, ctx.clock).grants(account_id)


async def order(ctx: AppContext, order_id: str) -> PaymentOrder:
    async with ctx.transaction() as session:
        row = await session.get(PaymentOrder, order_id)
        assert row is not None
        return row


async def payments(ctx: AppContext, order_id: str) -> list[Payment]:
    async with ctx.transaction() as session:
        query = select(Payment).where(Payment.order_id == order_id).order_by(Payment.created_at)
        return list(await session.scalars(query))


async def callbacks(ctx: AppContext) -> list[PaymentCallback]:
    async with ctx.transaction() as session:
        return list(await session.scalars(select(PaymentCallback).order_by(PaymentCallback.id)))


async def mails(ctx: AppContext, to: str) -> list[OutboxEmail]:
    async with ctx.transaction() as session:
        query = (
            select(OutboxEmail).where(OutboxEmail.to_address == to).order_by(OutboxEmail.created_at)
        )
        return list(await session.scalars(query))


async def account(ctx: AppContext, account_id: str) -> Account:
    async with ctx.transaction() as session:
        row = await session.get(Account, account_id)
        assert row is not None
        return row


async def eventually(
    check: Callable[[], Awaitable[T]], *, until: Callable[[T], bool], tries: int = 1200
) -> T:
    """Wait for the app's background processing: re-check until the condition holds (bounded)."""
    value = await check()
    for _ in range(tries):
        if until(value):
            return value
        await asyncio.sleep(0.025)
        value = await check()
    raise AssertionError(f"condition never held; last value {value!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
