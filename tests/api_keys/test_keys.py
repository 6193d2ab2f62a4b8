"""API keys: the format, who may have them, the owner's API, leak reports, rotation
reminders, the CLI, and account suspension or closure switching keys off."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from typer.testing import CliRunner

from caicaini.accounts.closure import ClosureService
from caicaini.accounts.deps import CurrentAccount, current_account, require_csrf
from caicaini.api_keys import keyformat
from caicaini.api_keys.errors import ApiKeysNotInPlan
from caicaini.api_keys.service import ApiKeyService, KeyOptions
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.main import create_app
from caicaini.models.api_keys import ApiKey
from caicaini.models.audit import AuditEntry
from caicaini.models.mail import OutboxEmail
from caicaini.plans.hooks import install_default_catalogue
from tests.gateway.support import customer, issue_key, message_body


@pytest.fixture
async def kctx(ctx: AppContext) -> AppContext:
    await install_default_catalogue(ctx)
    return ctx


def test_key_format_has_prefix_body_and_checksum() -> None:
    key = keyformat.generate()
    assert key.startswith("sk-cai-") and len(key) == keyformat.KEY_LENGTH
    assert keyformat.well_formed(key)
    body = key[len("sk-cai-") : -6]
    assert len(body) >= 32 and body.isalnum()
    for typo in (
        key[:-1] + ("x" if key[-1] != "x" else "y"),
        key.replace(body[3], "!", 1),
        key[:-2],
    ):
        assert not keyformat.well_formed(typo)
    assert keyformat.key_hash(key) != key and len(keyformat.key_hash(key)) == 64
    assert key not in keyformat.hint(key)


async def test_keys_only_for_plans_that_include_them(kctx: AppContext) -> None:
    free = await customer(kctx, plan="free")
    with pytest.raises(ApiKeysNotInPlan):
        await issue_key(kctx, free)
    paid = await customer(kctx, plan="plus")
    key = await issue_key(kctx, paid, name="laptop")
    async with kctx.transaction() as session:
        [row] = (await session.scalars(select(ApiKey).where(ApiKey.account_id == paid))).all()
        audit = (await session.scalars(select(AuditEntry))).all()
    assert row.key_hash == keyformat.key_hash(key) and row.name == "laptop"
    assert key not in str([(a.details, a.personal) for a in audit])


@pytest.fixture
async def owner_client(kctx: AppContext) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The app with session auth overridden: requests act for ``who["id"]``."""
    app = create_app(ctx=kctx)
    who = {"id": ""}

    async def as_owner() -> CurrentAccount:
        return CurrentAccount(who["id"], "o@example.com", "active", False, True, "US",
                              kctx.clock.now().date(), "s", "c")  # fmt: skip

    app.dependency_overrides[current_account] = as_owner
    app.dependency_overrides[require_csrf] = as_owner
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, who


async def test_owner_creates_lists_and_revokes_keys(
    kctx: AppContext, owner_client: tuple[httpx.AsyncClient, dict[str, str]]
) -> None:
    http, who = owner_client
    who["id"] = await customer(kctx)
    r = await http.post("/api/v1/keys", json={"name": "ci", "daily_credit_cap": 100})
    assert r.status_code == 201, r.text
    created = r.json()
    assert keyformat.well_formed(created["key"]) and created["status"] == "active"
    listed = (await http.get("/api/v1/keys")).json()["data"]
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0] and created["key"] not in str(listed)

    r = await http.post("/v1/messages", json=message_body(), headers={"x-api-key": created["key"]})
    assert r.status_code == 200, r.text

    owner = who["id"]
    who["id"] = await customer(kctx)
    assert (await http.delete(f"/api/v1/keys/{created['id']}")).status_code == 404
    who["id"] = owner
    r = await http.delete(f"/api/v1/keys/{created['id']}")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = await http.post("/v1/messages", json=message_body(), headers={"x-api-key": created["key"]})
    assert r.status_code == 401  # revocation evicts the cached key at once


async def test_leak_report_revokes_and_tells_the_owner_but_reveals_nothing(
    kctx: AppContext, owner_client: tuple[httpx.AsyncClient, dict[str, str]]
) -> None:
    http, _who = owner_client
    account = await customer(kctx, email="leaky@example.com")
    key = await issue_key(kctx, account, name="prod")
    answers = []
    for reported in (key, keyformat.generate(), "not even a key", key):
        r = await http.post("/v1/keys/report-leak", json={"key": reported})
        answers.append((r.status_code, r.json()))
    assert len({str(a) for a in answers}) == 1 and answers[0][0] == 202
    async with kctx.transaction() as session:
        row = (await session.scalars(select(ApiKey).where(ApiKey.account_id == account))).one()
        mails = (await session.scalars(select(OutboxEmail))).all()
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert row.revoked_at is not None and row.revoked_reason == "leak_reported"
    assert [m.to_address for m in mails] == ["leaky@example.com"]
    assert "prod" in mails[0].body_text and key not in mails[0].body_text
    assert actions.count("api_key.revoked") == 1
    r = await http.post("/v1/messages", json=message_body(), headers={"x-api-key": key})
    assert r.status_code == 401


async def test_rotation_reminder_once_per_key_older_than_90_days(kctx: AppContext) -> None:
    account = await customer(kctx, email="old@example.com")
    await issue_key(kctx, account, name="ancient")
    await issue_key(kctx, account, name="recent")
    now = kctx.clock.now()
    async with kctx.transaction() as session:
        for row in (await session.scalars(select(ApiKey))).all():
            days = 91 if row.name == "ancient" else 89
            row.created_at = now - timedelta(days=days)
    sent = []
    for _ in range(2):
        async with kctx.transaction() as session:
            sent.append(
                await ApiKeyService(session, kctx.clock).send_rotation_reminders("http://x")
            )
    assert sent == [1, 0]
    async with kctx.transaction() as session:
        mails = (await session.scalars(select(OutboxEmail))).all()
    assert len(mails) == 1 and "ancient" in mails[0].body_text


async def test_suspension_disables_keys_and_closure_revokes_them(
    kctx: AppContext, client: httpx.AsyncClient
) -> None:
    account = await customer(kctx)
    key = await issue_key(kctx, account)
    headers = {"authorization": f"Bearer {key}"}
    assert (
        await client.post("/v1/messages", json=message_body(), headers=headers)
    ).status_code == 200
    operator = Actor("operator", "op")
    async with kctx.transaction() as session:
        await ClosureService(session, kctx.clock, kctx.settings).set_status(
            account, "suspended", "abuse", operator
        )
    r = await client.post("/v1/messages", json=message_body(), headers=headers)
    # Refused, and the key's holder is told why (the terminal client says so).
    assert r.status_code == 403 and "account is suspended" in r.text and key not in r.text
    async with kctx.transaction() as session:
        await ClosureService(session, kctx.clock, kctx.settings).set_status(
            account, "active", "", operator
        )
    assert (
        await client.post("/v1/messages", json=message_body(), headers=headers)
    ).status_code == 200
    async with kctx.transaction() as session:
        await ClosureService(session, kctx.clock, kctx.settings).close_account(
            account, reason="bye", actor=operator
        )
        row = (await session.scalars(select(ApiKey).where(ApiKey.account_id == account))).one()
    assert row.revoked_reason == "account_closed"


async def test_operator_override_of_limits_is_audited(kctx: AppContext) -> None:
    account = await customer(kctx)
    async with kctx.transaction() as session:
        service = ApiKeyService(session, kctx.clock)
        row, _secret = await service.create(account, KeyOptions(), actor=Actor("account", account))
        await service.set_limits(row.id, rpm=5, concurrency=1, actor=Actor("operator", "op"))
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert audit[-1].action == "api_key.limits_overridden"
    assert audit[-1].details["after"] == {"rpm": 5, "concurrency": 1}


async def test_cli_prints_only_the_key(kctx: AppContext) -> None:
    from caicaini.cli import app

    account_email = "cli@example.com"
    await customer(kctx, email=account_email)

    env = {
        "CAICAINI_DATABASE_URL": kctx.settings.resolved_database_url,
        "CAICAINI_DATA_DIR": str(kctx.settings.data_dir),
        "CAICAINI_ENV": "test",
        "CAICAINI_LOG_LEVEL": "WARNING",
    }
    # The CLI runs its own event loop: give it a thread of its own.
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["keys", "create", "--email", account_email, "--rpm", "30"],
        env={**os.environ, **env},
    )
    assert result.exit_code == 0, result.output
    assert keyformat.well_formed(result.stdout.strip())
    assert result.stdout.strip().count("\n") == 0
    missing = await asyncio.to_thread(
        CliRunner().invoke, app, ["keys", "create", "--email", "nobody@example.com"], env=env
    )
    assert missing.exit_code == 1
