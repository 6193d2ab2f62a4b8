"""Resolving a session cookie is a read: a logged-in request writes nothing, and a session
still ends exactly when it should (expiry, logout elsewhere, a suspended account).

Sessions have a fixed expiry set at login (``session_max_age_seconds``, the cookie's max-age);
nothing slides, so nothing needs writing while a session is used."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event

from caicaini.accounts.closure import ClosureService
from caicaini.accounts.sessions import session_id_for
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.models.accounts import WebSession
from tests.accounts.helpers import api_login, make_account

WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")


@contextmanager
def statements(ctx: AppContext) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(" ".join(sql.split()).upper())

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def expiry_of(ctx: AppContext, client: httpx.AsyncClient) -> Any:
    async with ctx.read() as session:
        row = await session.get(WebSession, session_id_for(client.cookies["caicaini_session"]))
        assert row is not None
        return row.expires_at


async def test_a_logged_in_read_writes_nothing_not_even_to_resolve_its_session(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await api_login(client)
    before = await expiry_of(ctx, client)
    with statements(ctx) as seen:
        for _ in range(3):
            assert (await client.get("/api/v1/me")).status_code == 200
    assert any(sql.startswith("SELECT") for sql in seen)
    assert [sql for sql in seen if sql.startswith(WRITES)] == []
    assert await expiry_of(ctx, client) == before


async def test_a_session_lasts_its_full_age_and_not_a_second_longer(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await make_account(ctx)
    await api_login(client)
    age = ctx.settings.session_max_age_seconds
    clock.advance(timedelta(seconds=age - 1))
    assert (await client.get("/api/v1/me")).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = await client.get("/api/v1/me")
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "Please log in."


async def test_a_session_ended_elsewhere_is_refused_on_its_next_request(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await api_login(client)
    assert (await client.get("/api/v1/me")).status_code == 200
    async with ctx.transaction() as session:
        row = await session.get(WebSession, session_id_for(client.cookies["caicaini_session"]))
        await session.delete(row)
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_suspending_an_account_refuses_its_live_session_at_once(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    account = await make_account(ctx)
    await api_login(client)
    assert (await client.get("/api/v1/me")).status_code == 200
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).set_status(
            account.id, "suspended", "chargeback on payment 42", Actor("operator", "acct_op")
        )
    refused = await client.get("/api/v1/me")
    assert refused.status_code in (401, 403)
    assert refused.json()["error"]["code"] in ("account_unavailable", "authentication_failed")
