"""The customer sets spend caps in settings and on the key page, and the low-balance alert in
settings; the dashboard shows the banner while the balance is at or under the threshold. The
same settings are in the JSON API."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.kit.ids import new_id
from caicaini.ledger.service import LedgerService
from caicaini.models.api_keys import ApiKey
from caicaini.models.audit import AuditEntry
from caicaini.models.guardrails import AccountGuardrails
from tests.web.helpers import PASSWORD, catalogue, login, make_account


async def guardrails_of(ctx: AppContext, account_id: str) -> AccountGuardrails | None:
    async with ctx.read() as session:
        return await session.get(AccountGuardrails, account_id)


async def test_spend_caps_are_set_in_settings(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx, plan="plus")
    token = await login(client)
    page = await client.get("/settings")
    assert 'id="spend-caps-form"' in page.text and 'id="low-balance-form"' in page.text
    assert "Default: 500 credits" in page.text  # a tenth of Plus's 5,000
    saved = await client.post(
        "/settings/spend-caps",
        data={"csrf_token": token, "daily_credit_cap": "1,000", "monthly_credit_cap": "20000"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings?done=spend-caps#spend-caps"
    row = await guardrails_of(ctx, acct.id)
    assert row is not None and (row.daily_credit_cap, row.monthly_credit_cap) == (1000, 20000)
    page = await client.get("/settings?done=spend-caps")
    assert "Your spend caps were saved" in page.text
    assert 'value="1000"' in page.text and "0 credits spent or held today of 1,000" in page.text
    async with ctx.read() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "guardrails.caps_set" in actions


async def test_bad_cap_input_is_explained_and_changes_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    token = await login(client)
    for data, message in (
        ({"daily_credit_cap": "lots"}, "enter a whole number of credits"),
        ({"daily_credit_cap": "50", "monthly_credit_cap": "10"}, "cannot be higher than"),
    ):
        refused = await client.post("/settings/spend-caps", data={"csrf_token": token, **data})
        assert refused.status_code == 400
        assert message in refused.text
        assert 'id="spend-caps-form"' in refused.text  # the form again, with what was typed
    assert await guardrails_of(ctx, acct.id) is None


async def test_the_low_balance_alert_is_set_in_settings_and_the_banner_shows(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).grant(
            acct.id, 150, "topup", idempotency_key=new_id("t")
        )
    token = await login(client)
    dashboard = await client.get("/dashboard")
    assert 'id="low-balance-banner"' not in dashboard.text  # free plan default: 20
    saved = await client.post(
        "/settings/low-balance", data={"csrf_token": token, "enabled": "on", "threshold": "200"}
    )
    assert saved.status_code == 303
    dashboard = await client.get("/dashboard")
    assert 'id="low-balance-banner"' in dashboard.text
    assert "Your balance is low: 150 credits left" in dashboard.text
    assert 'href="/pricing#topups"' in dashboard.text
    await client.post("/settings/low-balance", data={"csrf_token": token, "threshold": "200"})
    row = await guardrails_of(ctx, acct.id)
    assert row is not None and row.low_balance_alerts is False
    assert 'id="low-balance-banner"' not in (await client.get("/dashboard")).text


async def test_a_keys_caps_are_set_at_creation_and_on_its_caps_page(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx, plan="plus")
    token = await login(client)
    created = await client.post(
        "/keys", data={"csrf_token": token, "name": "ci", "daily_credit_cap": "100"}
    )
    assert created.status_code == 200
    async with ctx.read() as session:
        key = (await session.scalars(select(ApiKey).where(ApiKey.account_id == acct.id))).one()
    assert (key.daily_credit_cap, key.monthly_credit_cap) == (100, None)
    listing = await client.get("/keys")
    assert "100/day" in listing.text and f'href="/keys/{key.id}/caps"' in listing.text
    page = await client.get(f"/keys/{key.id}/caps")
    assert page.status_code == 200 and 'id="key-caps-form"' in page.text
    saved = await client.post(
        f"/keys/{key.id}/caps",
        data={"csrf_token": token, "daily_credit_cap": "", "monthly_credit_cap": "3000"},
    )
    assert saved.headers["location"] == f"/keys/{key.id}/caps?saved=1"
    async with ctx.read() as session:
        key = await session.get(ApiKey, key.id)
        assert key is not None
        assert (key.daily_credit_cap, key.monthly_credit_cap) == (None, 3000)
    assert "None/day" not in (await client.get("/keys")).text


async def test_another_accounts_key_caps_are_not_found(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    owner = await make_account(ctx, "owner@example.com", plan="plus")
    await make_account(ctx, plan="plus")
    async with ctx.transaction() as session:
        from caicaini.api_keys.service import ApiKeyService, KeyOptions
        from caicaini.audit.service import Actor

        key, _ = await ApiKeyService(session, ctx.clock).create(
            owner.id, KeyOptions(), actor=Actor.system()
        )
    token = await login(client)
    assert (await client.get(f"/keys/{key.id}/caps")).status_code == 404
    refused = await client.post(
        f"/keys/{key.id}/caps", data={"csrf_token": token, "daily_credit_cap": "0"}
    )
    assert refused.status_code == 404


async def test_guardrails_in_the_json_api(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx, plan="plus")
    r = await client.post("/api/v1/auth/login", json={"email": acct.email, "password": PASSWORD})
    csrf = {"x-csrf-token": r.json()["csrf_token"]}
    got = (await client.get("/api/v1/guardrails")).json()
    assert got["spend_caps"]["daily"] == {
        "credits": None, "spent": 0, "resets_at": "2026-11-27T00:00:00+00:00",
    }  # fmt: skip
    assert got["low_balance_alert"] == {
        "enabled": True, "threshold": 500, "default_threshold": 500, "custom": False,
    }  # fmt: skip
    put = await client.put(
        "/api/v1/guardrails/spend-caps", json={"monthly_credit_cap": 9000}, headers=csrf
    )
    assert put.status_code == 200 and put.json()["spend_caps"]["monthly"]["credits"] == 9000
    bad = await client.put(
        "/api/v1/guardrails/spend-caps",
        json={"daily_credit_cap": 10, "monthly_credit_cap": 5},
        headers=csrf,
    )
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "daily_credit_cap"
    alert = await client.put(
        "/api/v1/guardrails/low-balance-alert", json={"threshold": 50}, headers=csrf
    )
    assert alert.json()["low_balance_alert"]["threshold"] == 50
    assert (await client.put("/api/v1/guardrails/spend-caps", json={})).status_code == 403


async def test_the_data_export_has_the_guardrails(ctx: AppContext) -> None:
    from caicaini.accounts.export import collect_export
    from caicaini.audit.service import Actor
    from caicaini.guardrails.service import GuardrailService

    await catalogue(ctx)
    acct = await make_account(ctx)
    async with ctx.transaction() as session:
        await GuardrailService(session, ctx.clock).set_caps(
            acct.id, daily=10, monthly=None, actor=Actor.system()
        )
        exported = await collect_export(session, acct.id)
    assert exported["guardrails"]["spend_caps"] == {"daily": 10, "monthly": None}
    assert exported["guardrails"]["low_balance_alert"]["enabled"] is True
