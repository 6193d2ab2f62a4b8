"""One person, one account: shared signals, blocked devices, second free accounts."""

from __future__ import annotations

from datetime import timedelta

import httpx

from caicaini.accounts.closure import ClosureService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.trust.repository import SignalRepository
from caicaini.trust.service import TrustService
from caicaini.trust.tasks import erase_closed_signals
from tests.accounts.helpers import account_by_email, sign_up_body


async def _sign_up(client: httpx.AsyncClient, email: str, fingerprint: str) -> str:
    response = await client.post(
        "/api/v1/accounts", json=sign_up_body(email, device_fingerprint=fingerprint)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["account"]["id"])


async def test_accounts_sharing_signals_are_related(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    first = await _sign_up(client, "one@example.com", "1" * 64)
    second = await _sign_up(client, "two@example.com", "1" * 64)
    async with ctx.transaction() as session:
        related = await TrustService(session, ctx.clock).related_accounts(first)
    assert [r.account_id for r in related] == [second]
    assert sorted(related[0].shared) == ["device", "ip"]


async def test_a_later_account_on_the_same_device_is_a_second_free_account(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    first = await _sign_up(client, "one@example.com", "1" * 64)
    second = await _sign_up(client, "two@example.com", "1" * 64)
    other = await _sign_up(client, "three@example.com", "2" * 64)
    async with ctx.transaction() as session:
        trust = TrustService(session, ctx.clock)
        assert await trust.is_second_free_account(first) is False
        assert await trust.is_second_free_account(second) is True
        assert await trust.is_second_free_account(other) is False


async def test_device_of_a_suspended_account_cannot_open_a_new_one(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    first = await _sign_up(client, "one@example.com", "1" * 64)
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).set_status(
            first, "suspended", "spam", Actor("operator", "acct_op")
        )
    response = await client.post(
        "/api/v1/accounts", json=sign_up_body("evader@example.com", device_fingerprint="1" * 64)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "signup_blocked"
    assert "suspended account" in response.json()["error"]["message"]
    assert await account_by_email(ctx, "evader@example.com") is None


async def test_signals_of_an_account_closed_a_year_ago_are_erased(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    """The privacy policy: signals are kept with the audit log, then erased."""
    closed = await _sign_up(client, "one@example.com", "1" * 64)
    open_ = await _sign_up(client, "two@example.com", "2" * 64)
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).close_account(
            closed, reason="leaving", actor=Actor.system()
        )
    clock.advance(timedelta(days=ctx.settings.audit_retention_days - 1))
    await erase_closed_signals(ctx)
    assert await _signal_count(ctx, closed) == 2
    clock.advance(timedelta(days=2))
    await erase_closed_signals(ctx)
    assert await _signal_count(ctx, closed) == 0
    assert await _signal_count(ctx, open_) == 2


async def _signal_count(ctx: AppContext, account_id: str) -> int:
    async with ctx.transaction() as session:
        return len(await SignalRepository(session).signals_of(account_id))
