"""Terms of Service versions: "last updated", 7 days' notice for material changes, and each
account's acceptance recorded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.models.mail import OutboxEmail
from caicaini.notices.terms import TermsService
from caicaini.plans.errors import InsufficientNotice
from tests.ledger.support import make_account

OPERATOR = Actor("operator", "acct_op")


def _terms(ctx: AppContext, session: object) -> TermsService:
    return TermsService(session, ctx.clock, "http://testserver")  # type: ignore[arg-type]


async def test_material_changes_need_notice_and_are_mailed_then_accepted(
    ctx: AppContext, clock: FrozenClock
) -> None:
    alice = await make_account(ctx, "alice@example.com")
    now = ctx.clock.now()
    async with ctx.transaction() as session:
        first = await _terms(ctx, session).publish(
            "v1", effective_at=now, material=True, summary="First Terms.", actor=OPERATOR
        )
    assert (first.version, first.last_updated) == (1, date(2026, 11, 26))
    async with ctx.transaction() as session:
        with pytest.raises(InsufficientNotice):
            await _terms(ctx, session).publish(
                "v2",
                effective_at=now + timedelta(days=6),
                material=True,
                summary="x",
                actor=OPERATOR,
            )
        second = await _terms(ctx, session).publish(
            "v2",
            effective_at=now + timedelta(days=7),
            material=True,
            summary="Refunds now take 14 days.",
            actor=OPERATOR,
        )
        mails = (await session.scalars(select(OutboxEmail.to_address))).all()
    assert mails == ["alice@example.com"]
    async with ctx.transaction() as session:
        assert (await _terms(ctx, session).current()).version == 1  # type: ignore[union-attr]
    clock.advance(timedelta(days=7))
    async with ctx.transaction() as session:
        terms = _terms(ctx, session)
        assert (await terms.current()).version == second.version  # type: ignore[union-attr]
        await terms.accept(alice)
        await terms.accept(alice)
        assert await terms.has_accepted(alice, 2)
        assert not await terms.has_accepted(alice, 1)
