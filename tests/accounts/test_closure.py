"""Closure and operator status changes run their hooks in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts import closure
from caicaini.accounts.closure import ClosureService
from caicaini.audit.service import Actor, AuditService
from caicaini.context import AppContext
from caicaini.errors import Conflict
from caicaini.kit.clock import Clock
from caicaini.models.accounts import WebSession
from caicaini.models.audit import AuditEntry
from tests.accounts.helpers import PASSWORD, account_by_email, api_login, make_account, outbox

calls: list[tuple[str, str, str]] = []


async def record_closure(session: AsyncSession, clock: Clock, account_id: str, reason: str) -> None:
    calls.append(("closed", account_id, reason))
    # A hook writes in the caller's transaction, like forfeiting credits would.
    await AuditService(session, clock).record(
        "test.hook_ran", actor=Actor.system(), subject_account_id=account_id
    )


async def record_status(session: AsyncSession, clock: Clock, account_id: str, status: str) -> None:
    calls.append(("status", account_id, status))


async def failing_hook(session: AsyncSession, clock: Clock, account_id: str, reason: str) -> None:
    raise Conflict("keys could not be revoked")


@pytest.fixture
def hooks() -> Iterator[list[tuple[str, str, str]]]:
    calls.clear()
    closure.CLOSURE_HOOKS.append(record_closure)
    closure.STATUS_HOOKS.append(record_status)
    try:
        yield calls
    finally:
        closure.CLOSURE_HOOKS.remove(record_closure)
        closure.STATUS_HOOKS.remove(record_status)


async def test_closing_from_the_api_runs_hooks_and_ends_sessions(
    client: httpx.AsyncClient, ctx: AppContext, hooks: list[tuple[str, str, str]]
) -> None:
    account = await make_account(ctx)
    csrf = await api_login(client)
    response = await client.post(
        "/api/v1/me/close",
        json={"password": PASSWORD, "reason": "too expensive"},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert hooks == [("closed", account.id, "too expensive"), ("status", account.id, "closed")]
    closed = await account_by_email(ctx, "ada@example.com")
    assert closed is not None and closed.closed_at == ctx.clock.now()
    assert closed.closure_reason == "too expensive"
    async with ctx.transaction() as session:
        assert (await session.scalars(select(WebSession))).first() is None
        actions = list((await session.scalars(select(AuditEntry.action))).all())
    assert "test.hook_ran" in actions and "account.closed" in actions
    assert (await client.get("/api/v1/me")).status_code == 401
    again = await client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert again.status_code == 403 and "closed" in again.json()["error"]["message"]


async def test_closing_needs_the_password(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await make_account(ctx)
    csrf = await api_login(client)
    response = await client.post(
        "/api/v1/me/close", json={"password": "wrong-password-1"}, headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 401
    account = await account_by_email(ctx, "ada@example.com")
    assert account is not None and account.status == "active"


async def test_a_failing_hook_rolls_the_closure_back(ctx: AppContext) -> None:
    account = await make_account(ctx)
    closure.CLOSURE_HOOKS.append(failing_hook)
    try:
        with pytest.raises(Conflict):
            async with ctx.transaction() as session:
                await ClosureService(session, ctx.clock, ctx.settings).close_account(
                    account.id, reason="test", actor=Actor("operator", "acct_op")
                )
    finally:
        closure.CLOSURE_HOOKS.remove(failing_hook)
    still = await account_by_email(ctx, "ada@example.com")
    assert still is not None and still.status == "active" and still.closed_at is None


async def test_suspend_and_reactivate(
    ctx: AppContext, client: httpx.AsyncClient, hooks: list[tuple[str, str, str]]
) -> None:
    account = await make_account(ctx)
    await api_login(client)
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).set_status(
            account.id, "suspended", "abuse report", Actor("operator", "acct_op")
        )
    assert (await client.get("/api/v1/me")).status_code == 401  # session ended
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).set_status(
            account.id, "active", "", Actor("operator", "acct_op")
        )
    assert hooks == [("status", account.id, "suspended"), ("status", account.id, "active")]
    assert await api_login(client)
    subjects = [m.subject for m in await outbox(ctx, "ada@example.com")]
    assert subjects == [
        "Your Caicaini account has been suspended",
        "Your Caicaini account is active again",
    ]


async def test_the_database_refuses_an_unknown_status(ctx: AppContext) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    account = await make_account(ctx)
    with pytest.raises(IntegrityError):
        async with ctx.transaction() as session:
            await session.execute(
                text("UPDATE accounts SET status = 'frozen' WHERE id = :id"), {"id": account.id}
            )
