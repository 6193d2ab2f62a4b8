"""Reconciling an incident returns, once, the credits of the messages charged on the
incident's provider inside its window that failed or were cut. Real gateway traffic against the
fake upstream makes the messages; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.incidents.errors import IncidentNotFound, InvalidWindow
from caicaini.incidents.service import IncidentService, Reconciliation
from caicaini.kit.clock import FrozenClock
from caicaini.models.incidents import Incident
from caicaini.models.mail import OutboxEmail
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    RATES,
    assert_books_balance,
    balance,
    customer,
    issue_key,
)
from tests.incidents.support import (
    audit_of,
    completed,
    failed_before_output,
    failed_mid_stream,
    wait_for_records,
)

OPERATOR = Actor("operator", "acct_operator_1", "198.51.100.4")


async def declare(
    ctx: AppContext, start: datetime, end: datetime | None = None, provider: str = "anthropic"
) -> Incident:
    async with ctx.transaction() as session:
        return await IncidentService(session, ctx.clock, ctx.settings.public_url).declare(
            provider=provider, title="Anthropic errors", starts_at=start, ends_at=end,
            actor=OPERATOR,
        )  # fmt: skip


async def preview(ctx: AppContext, incident_id: str) -> Reconciliation:
    async with ctx.transaction() as session:
        return await IncidentService(session, ctx.clock, "http://t").preview(incident_id)


async def reconcile(ctx: AppContext, incident_id: str) -> Reconciliation:
    async with ctx.transaction() as session:
        return await IncidentService(session, ctx.clock, "http://t").reconcile(
            incident_id, actor=OPERATOR
        )


async def test_reconcile_returns_failed_and_cut_messages_once(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, clock: FrozenClock
) -> None:
    start = clock.now() - timedelta(minutes=30)
    alice = await customer(gctx, email="alice@example.com")
    bob = await customer(gctx, email="bob@example.com")
    carol = await customer(gctx, email="carol@example.com")
    alice_key, bob_key, carol_key = [await issue_key(gctx, a) for a in (alice, bob, carol)]
    await failed_mid_stream(gclient, alice_key)  # anthropic, cut by an error: 3 credits
    await completed(gclient, alice_key)  # completed: charged, kept
    await failed_before_output(gclient, alice_key)  # failed before output: charged nothing
    await failed_mid_stream(gclient, bob_key)  # anthropic: 3 credits
    await failed_mid_stream(gclient, carol_key, KIMI)  # another provider: not this incident
    await wait_for_records(gctx, 5)
    spent = {a: 1000 - await balance(gctx, a) for a in (alice, bob, carol)}
    assert spent[bob] == RATES[CLAUDE] and spent[alice] > RATES[CLAUDE]
    clock.advance(timedelta(minutes=5))
    incident = await declare(gctx, start)

    plan = await preview(gctx, incident.id)
    assert {a.email: a.credits for a in plan.accounts} == {
        "alice@example.com": RATES[CLAUDE],
        "bob@example.com": RATES[CLAUDE],
    }
    assert (plan.messages, plan.credits) == (2, 2 * RATES[CLAUDE])
    assert {m.outcome for a in plan.accounts for m in a.messages} == {"upstream_error"}
    assert await balance(gctx, bob) == 1000 - RATES[CLAUDE]  # a preview changes nothing

    first = await reconcile(gctx, incident.id)
    assert (first.messages, first.credits, len(first.accounts)) == (2, 6, 2)
    assert first.reconciliation_id is not None
    assert await balance(gctx, bob) == 1000
    assert await balance(gctx, alice) == 1000 - spent[alice] + RATES[CLAUDE]
    assert await balance(gctx, carol) == 1000 - spent[carol]

    second = await reconcile(gctx, incident.id)
    assert (second.messages, second.credits, second.accounts) == (0, 0, [])
    assert second.reconciliation_id is None
    # An overlapping incident finds the same messages already credited.
    again = await declare(gctx, start - timedelta(hours=1))
    assert (await reconcile(gctx, again.id)).credits == 0
    assert await balance(gctx, bob) == 1000

    [audit] = await audit_of(gctx, "incident.reconciled")
    assert (audit.actor_kind, audit.actor_id) == ("operator", OPERATOR.id)
    assert audit.details["credits"] == 6 and incident.id in audit.details["reason"]
    adjusted = await audit_of(gctx, "credits.adjusted")
    assert {e.subject_account_id for e in adjusted} == {alice, bob}
    assert all(e.actor_id == OPERATOR.id and incident.id in e.details["reason"] for e in adjusted)
    async with gctx.transaction() as session:
        mails = (await session.execute(select(OutboxEmail.to_address, OutboxEmail.subject))).all()
    told = {to for to, subject in mails if subject == "We added 3 credits to your Caicaini balance"}
    assert told == {"alice@example.com", "bob@example.com"}
    await assert_books_balance(gctx)


async def test_the_window_bounds_what_is_returned(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, clock: FrozenClock
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    await failed_mid_stream(gclient, key)  # at 12:00
    await wait_for_records(gctx, 1)
    clock.advance(timedelta(hours=1))
    await failed_mid_stream(gclient, key)  # at 13:00
    await wait_for_records(gctx, 2)
    ended = await declare(
        gctx, clock.now() - timedelta(hours=2), clock.now() - timedelta(minutes=30)
    )
    open_since_12_30 = await declare(gctx, clock.now() - timedelta(minutes=30))
    assert (await preview(gctx, ended.id)).messages == 1
    assert (await preview(gctx, open_since_12_30.id)).messages == 1
    assert (await reconcile(gctx, ended.id)).credits == RATES[CLAUDE]
    assert (await reconcile(gctx, open_since_12_30.id)).credits == RATES[CLAUDE]
    assert await balance(gctx, account) == 1000


async def test_declaring_checks_provider_title_and_window(
    gctx: AppContext, clock: FrozenClock
) -> None:
    now = clock.now()
    with pytest.raises(InvalidInput, match="unknown provider"):
        await declare(gctx, now, provider="openrouter")
    with pytest.raises(InvalidWindow, match="future"):
        await declare(gctx, now + timedelta(minutes=1))
    with pytest.raises(InvalidWindow, match="end after it starts"):
        await declare(gctx, now - timedelta(hours=1), now - timedelta(hours=2))
    with pytest.raises(InvalidInput, match="title"):
        async with gctx.transaction() as session:
            await IncidentService(session, gctx.clock, "http://t").declare(
                provider="anthropic", title="  ", starts_at=now, ends_at=None, actor=OPERATOR
            )
    with pytest.raises(IncidentNotFound):
        await reconcile(gctx, "inc_nope")
    assert await audit_of(gctx, "incident.declared") == []


async def test_two_runs_at_once_return_the_credits_once(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, clock: FrozenClock
) -> None:
    account = await customer(gctx)
    await failed_mid_stream(gclient, await issue_key(gctx, account))
    await wait_for_records(gctx, 1)
    incident = await declare(gctx, clock.now() - timedelta(hours=1))
    runs = await asyncio.gather(*(reconcile(gctx, incident.id) for _ in range(2)))
    assert sorted(r.credits for r in runs) == [0, RATES[CLAUDE]]
    assert await balance(gctx, account) == 1000
    await assert_books_balance(gctx)
