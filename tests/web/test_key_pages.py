"""Keys and usage pages: create (shown once) and revoke through the pages; the free plan is
told why it has no keys; usage lists records with their receipts, only the owner's."""

from __future__ import annotations

from datetime import timedelta

import httpx

from caicaini.context import AppContext
from caicaini.gateway import receipts
from caicaini.kit.ids import new_id
from caicaini.models.usage import Receipt, UsageRecord
from tests.web.helpers import catalogue, login, make_account


async def list_keys(ctx: AppContext, account_id: str) -> list[object]:
    from caicaini.api_keys.service import ApiKeyService

    async with ctx.transaction() as session:
        return list(await ApiKeyService(session, ctx.clock).list_keys(account_id))


async def test_keys_require_login(client: httpx.AsyncClient) -> None:
    for path in ("/keys", "/usage"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


async def test_free_plan_sees_why_there_are_no_keys(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    token = await login(client)
    page = await client.get("/keys")
    assert page.status_code == 200
    assert 'id="no-keys"' in page.text and 'href="/pricing"' in page.text
    assert 'id="create-key"' not in page.text
    refused = await client.post("/keys", data={"csrf_token": token, "name": "x"})
    assert refused.status_code == 403
    assert "does not include API keys" in refused.text
    assert await list_keys(ctx, acct.id) == []


async def test_create_and_revoke_a_key(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx, plan="plus")
    token = await login(client)
    created = await client.post("/keys", data={"csrf_token": token, "name": "laptop"})
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    (key,) = await list_keys(ctx, acct.id)
    secret = created.text.split('id="secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith(key.hint[:6])  # type: ignore[attr-defined]
    assert f"export CAICAINI_API_KEY={secret}" in created.text
    assert "ANTHROPIC_BASE_URL=" in created.text and "base_url=" in created.text
    # The key works against the gateway.
    models = await client.get("/v1/models", headers={"x-api-key": secret})
    assert models.status_code == 200
    # Listed without the secret on the next visit.
    listing = await client.get("/keys")
    assert secret not in listing.text and "laptop" in listing.text
    key_id = key.id  # type: ignore[attr-defined]
    confirm = await client.get(f"/keys/{key_id}/revoke")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    no_csrf = await client.post(f"/keys/{key_id}/revoke", data={})
    assert no_csrf.status_code == 403
    revoked = await client.post(f"/keys/{key_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    listing = await client.get(revoked.headers["location"])
    assert "was revoked" in listing.text and ">revoked<" in listing.text
    assert (await client.get("/v1/models", headers={"x-api-key": secret})).status_code == 401


async def test_someone_elses_key_cannot_be_revoked(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from caicaini.api_keys.service import ApiKeyService, KeyOptions
    from caicaini.audit.service import Actor

    await catalogue(ctx)
    await make_account(ctx, plan="plus")
    bob = await make_account(ctx, "bob@example.com", plan="plus")
    async with ctx.transaction() as session:
        key, _ = await ApiKeyService(session, ctx.clock).create(
            bob.id, KeyOptions(name="bob"), actor=Actor.system()
        )
    token = await login(client)
    assert (await client.get(f"/keys/{key.id}/revoke")).status_code == 404
    response = await client.post(f"/keys/{key.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    (still,) = await list_keys(ctx, bob.id)
    assert still.revoked_at is None  # type: ignore[attr-defined]


async def add_usage(ctx: AppContext, account_id: str, n: int) -> list[str]:
    now = ctx.clock.now()
    receipt_ids = []
    async with ctx.transaction() as session:
        for i in range(n):
            request_id = new_id("req")
            session.add(
                UsageRecord(
                    id=request_id,
                    account_id=account_id,
                    key_id=None,
                    model="claude-haiku-4-5",
                    provider="demo",
                    endpoint="anthropic",
                    stream=False,
                    outcome="ok",
                    input_tokens=100 + i,
                    output_tokens=20,
                    units=1,
                    rate=1,
                    sheet_version=1,
                    credits_held=3,
                    credits_charged=1,
                    duration_ms=50,
                    created_at=now - timedelta(minutes=i),
                )
            )
            payload = {"request_id": request_id, "credits_charged": 1, "model": "claude-haiku-4-5"}
            receipt_id = new_id("rcpt")
            receipt_ids.append(receipt_id)
            session.add(
                Receipt(
                    id=receipt_id,
                    request_id=request_id,
                    account_id=account_id,
                    payload=payload,
                    signature=receipts.sign(ctx.settings.secret_key, payload),
                    created_at=now - timedelta(minutes=i),
                )
            )
    return receipt_ids


async def test_usage_is_paginated_and_links_receipts(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    other = await make_account(ctx, "bob@example.com")
    ids = await add_usage(ctx, acct.id, 27)
    (bobs,) = await add_usage(ctx, other.id, 1)
    await login(client)
    first = await client.get("/usage")
    assert first.status_code == 200
    assert first.text.count('href="/usage/receipts/') == 25
    assert f"/usage/receipts/{ids[0]}" in first.text and 'href="/usage?page=2"' in first.text
    second = await client.get("/usage?page=2")
    assert second.text.count('href="/usage/receipts/') == 2
    receipt = await client.get(f"/usage/receipts/{ids[0]}")
    assert receipt.status_code == 200 and 'id="signature-status">valid' in receipt.text
    assert (await client.get(f"/usage/receipts/{bobs}")).status_code == 404


async def test_dashboard_shows_balance_by_grant_with_expiry(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_account(ctx, plan="plus")
    await login(client)
    page = await client.get("/dashboard")
    grants = page.text.split('id="grants"', 1)[1].split("</table>", 1)[0]
    # A complimentary plus period from 26 Nov: 5/30 of 5,000 now, expiring 1 Dec 00:00 UTC.
    assert "Plan credits" in grants and "01 Dec 2026, 00:00 UTC" in grants
