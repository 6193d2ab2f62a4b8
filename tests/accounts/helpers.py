"""Shared steps for account tests: sign up, read the outbox, log in, make accounts."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select

from caicaini.accounts.service import AccountService
from caicaini.context import AppContext
from caicaini.mail import links
from caicaini.models.accounts import Account
from caicaini.models.audit import AuditEntry
from caicaini.models.mail import OutboxEmail

PASSWORD = "correct-Horse-7"
FINGERPRINT = "a" * 64


def sign_up_body(email: str = "ada@example.com", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": email,
        "password": PASSWORD,
        "date_of_birth": "1990-05-17",
        "country": "GB",
        "device_fingerprint": FINGERPRINT,
    }
    body.update(overrides)
    return body


async def outbox(ctx: AppContext, to: str | None = None) -> list[OutboxEmail]:
    async with ctx.transaction() as session:
        stmt = select(OutboxEmail).order_by(OutboxEmail.created_at, OutboxEmail.id)
        if to is not None:
            stmt = stmt.where(OutboxEmail.to_address == to)
        return list((await session.scalars(stmt)).all())


async def last_link(ctx: AppContext, to: str, path: str) -> str:
    """The path+query of the newest link to ``path`` mailed to ``to``, as it is sent (the
    outbox holds a placeholder in the token's place: ``caicaini.mail.links``)."""
    for mail in reversed(await outbox(ctx, to)):
        body = links.reveal(mail.body_text, ctx.settings.secret_key)
        match = re.search(rf"https?://[^/\s]+({re.escape(path)}\?token=[\w-]+)", body)
        if match:
            return match.group(1)
    raise AssertionError(f"no {path} link mailed to {to}")


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


async def count(ctx: AppContext, model: type[Any]) -> int:
    async with ctx.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def account_by_email(ctx: AppContext, email: str) -> Account | None:
    async with ctx.transaction() as session:
        return (await session.scalars(select(Account).where(Account.email == email))).first()


async def audit_actions(ctx: AppContext) -> list[str]:
    async with ctx.transaction() as session:
        return list(
            (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        )


async def make_account(
    ctx: AppContext,
    email: str = "ada@example.com",
    password: str = PASSWORD,
    *,
    verified: bool = True,
    born: date = date(1990, 5, 17),
    country: str = "GB",
) -> Account:
    async with ctx.transaction() as session:
        return await AccountService(session, ctx.clock, ctx.settings).create(
            email=email,
            password=password,
            date_of_birth=born,
            country=country,
            verified=verified,
        )


async def api_login(
    client: httpx.AsyncClient, email: str = "ada@example.com", password: str = PASSWORD
) -> str:
    """Log in through the JSON API; returns the CSRF token (the cookie stays in the client)."""
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])
