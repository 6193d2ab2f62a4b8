"""An account holds at most ``MAX_ACTIVE_KEYS`` working keys (an abuse pass created 144):
revoked and expired keys do not count, and the refusal is a 409 in the API's format."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from caicaini.api_keys.errors import TooManyKeys
from caicaini.api_keys.service import MAX_ACTIVE_KEYS, ApiKeyService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.plans.hooks import install_default_catalogue
from tests.gateway.support import issue_key
from tests.web.helpers import login, make_account


async def test_working_keys_are_capped_and_revoked_or_expired_ones_free_a_place(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    await install_default_catalogue(ctx)
    account = await make_account(ctx, plan="plus")
    await issue_key(
        ctx, account.id, name="expiring", expires_at=ctx.clock.now() + timedelta(hours=1)
    )
    for index in range(MAX_ACTIVE_KEYS - 1):
        await issue_key(ctx, account.id, name=f"k{index}")
    with pytest.raises(TooManyKeys):
        await issue_key(ctx, account.id, name="one too many")

    csrf = await login(client)
    refused = await client.post(
        "/api/v1/keys", json={"name": "via the API"}, headers={"x-csrf-token": csrf}
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "too_many_api_keys"

    ctx.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    await issue_key(ctx, account.id, name="in the expired key's place")
    with pytest.raises(TooManyKeys):
        await issue_key(ctx, account.id, name="one too many")
    async with ctx.transaction() as session:
        service = ApiKeyService(session, ctx.clock)
        [k0] = [k for k in await service.list_keys(account.id) if k.name == "k0"]
        await service.revoke(account.id, k0.id, actor=Actor("account", account.id))
    created = await client.post(
        "/api/v1/keys", json={"name": "via the API"}, headers={"x-csrf-token": csrf}
    )
    assert created.status_code == 201, created.text
