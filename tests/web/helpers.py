"""Shared steps for page tests: the catalogue, accounts, logging in through the form."""

from __future__ import annotations

import re
from datetime import date

import httpx

from caicaini.accounts.service import AccountService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.ledger.service import LedgerService
from caicaini.models.accounts import Account
from caicaini.plans.hooks import install_default_catalogue
from caicaini.subscriptions.service import SubscriptionService

PASSWORD = "correct-Horse-7"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def catalogue(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)


async def make_account(
    ctx: AppContext,
    email: str = "ada@example.com",
    *,
    verified: bool = True,
    born: date = date(1990, 5, 17),
    country: str = "GB",
    operator: bool = False,
    plan: str | None = None,
) -> Account:
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).create(
            email=email, password=PASSWORD, date_of_birth=born, country=country, verified=verified
        )
        if operator:
            account.is_operator = True
        if plan:
            await SubscriptionService(session, ctx.clock).start_complimentary(
                account.id, plan, actor=Actor.system()
            )
        return account


async def login(client: httpx.AsyncClient, email: str = "ada@example.com") -> str:
    """Log in through the page; returns the session's CSRF token."""
    page = await client.get("/login")
    token = csrf_of(page.text)
    response = await client.post(
        "/login", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 303, response.text
    return csrf_of((await client.get("/settings")).text)


async def balance(ctx: AppContext, account_id: str) -> int:
    async with ctx.transaction() as session:
        return await LedgerService(session, ctx.clock).balance(account_id)
