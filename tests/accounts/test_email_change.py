"""Changing the e-mail address: confirmed through the new address before it takes effect."""

from __future__ import annotations

import httpx

from caicaini.context import AppContext
from tests.accounts.helpers import (
    PASSWORD,
    account_by_email,
    api_login,
    last_link,
    make_account,
    outbox,
)


async def test_new_address_takes_effect_only_when_confirmed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    csrf = await api_login(client)
    response = await client.post(
        "/api/v1/me/email",
        json={"new_email": "Ada.New@Example.com", "password": PASSWORD},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 202
    assert (await client.get("/api/v1/me")).json()["email"] == "ada@example.com"

    link = await last_link(ctx, "ada.new@example.com", "/confirm-email")
    assert (await client.get(link)).status_code == 200
    assert (await client.get("/api/v1/me")).json()["email"] == "ada.new@example.com"
    notice = (await outbox(ctx, "ada@example.com"))[-1]
    assert "was changed" in notice.subject
    assert (await client.get(link)).status_code == 409  # replay


async def test_cannot_take_an_address_in_use(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await make_account(ctx)
    await make_account(ctx, "bob@example.com")
    csrf = await api_login(client)
    response = await client.post(
        "/api/v1/me/email",
        json={"new_email": "bob@example.com", "password": PASSWORD},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 409
    account = await account_by_email(ctx, "ada@example.com")
    assert account is not None


async def test_password_reset_never_reveals_whether_an_address_exists(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    known = await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    unknown = await client.post("/api/v1/auth/password-reset", json={"email": "zed@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(await outbox(ctx)) == 1


async def test_password_reset_confirm_sets_the_password_and_ends_sessions(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await api_login(client)
    await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    token = (await last_link(ctx, "ada@example.com", "/reset-password")).split("token=")[1]
    done = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": "fresh-Secret-22"},
    )
    assert done.status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 401
    assert await api_login(client, password="fresh-Secret-22")
