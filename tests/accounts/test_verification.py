"""E-mail verification links are single-use and expire; a replay is refused clearly."""

from __future__ import annotations

from datetime import timedelta

import httpx

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.models.accounts import AccountToken
from tests.accounts.helpers import (
    account_by_email,
    audit_actions,
    last_link,
    sign_up_body,
    token_of,
)


async def _signed_up(client: httpx.AsyncClient, ctx: AppContext) -> str:
    assert (await client.post("/api/v1/accounts", json=sign_up_body())).status_code == 201
    return token_of(await last_link(ctx, "ada@example.com", "/verify-email"))


async def test_link_verifies_the_address(client: httpx.AsyncClient, ctx: AppContext) -> None:
    token = await _signed_up(client, ctx)
    response = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    assert "account.email_verified" in await audit_actions(ctx)


async def test_only_the_hash_of_the_token_is_stored(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await _signed_up(client, ctx)
    async with ctx.transaction() as session:
        stored = await session.get(AccountToken, (await _token_ids(ctx))[0])
    assert stored is not None and stored.token_hash != token and len(stored.token_hash) == 64


async def _token_ids(ctx: AppContext) -> list[str]:
    from sqlalchemy import select

    async with ctx.transaction() as session:
        return list((await session.scalars(select(AccountToken.id))).all())


async def test_replayed_link_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await _signed_up(client, ctx)
    await client.post("/api/v1/auth/verify-email", json={"token": token})
    before = await account_by_email(ctx, "ada@example.com")

    replay = await client.post("/api/v1/auth/verify-email", json={"token": token})

    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "link_used"
    assert "already been used" in replay.json()["error"]["message"]
    after = await account_by_email(ctx, "ada@example.com")
    assert before is not None and after is not None
    assert after.email_verified_at == before.email_verified_at


async def test_expired_link_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    token = await _signed_up(client, ctx)
    clock.advance(timedelta(seconds=ctx.settings.verification_ttl_seconds + 1))
    response = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "link_expired"
    account = await account_by_email(ctx, "ada@example.com")
    assert account is not None and account.email_verified_at is None


async def test_unknown_link_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/verify-email", json={"token": "nonsense"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "link_invalid"
