"""Price-sheet drafts: the console's editor. A draft starts as the sheet in effect (TOML that
reads back to the same sheet), is refused when it does not make a complete sheet, shows every
difference and whether it reduces anything for subscribers (with how many), and is scheduled
through the same 7-day rule and notices as ``caicaini plans schedule``. The clock stands on
26 Nov 2026, 12:00 UTC; Alice subscribes to Plus."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import Conflict
from caicaini.kit.clock import FrozenClock
from caicaini.models.mail import OutboxEmail
from caicaini.plans.catalogue import default_catalogue
from caicaini.plans.drafts import Change, DraftService, parse_draft, sheet_to_toml
from caicaini.plans.errors import InsufficientNotice, InvalidSheet
from caicaini.plans.hooks import install_default_catalogue
from caicaini.plans.service import PlanService
from caicaini.subscriptions.service import SubscriptionService
from tests.ledger.support import make_account

OPERATOR = Actor("operator", "acct_op")


def fewer_plus_credits(text: str, credits: int = 4000) -> str:
    head, plus = text.split('[plans."plus"]', 1)
    plus = re.sub(r"monthly_credits = \d+", f"monthly_credits = {credits}", plus, count=1)
    return head + '[plans."plus"]' + plus


def test_a_sheet_written_as_toml_reads_back_the_same() -> None:
    sheet = default_catalogue()
    assert parse_draft(sheet_to_toml(sheet)) == sheet


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plans = [", "does not parse"),
        ('summary = "x"', "a required entry is missing"),
        ("PLUS_RATE_ZERO", "a rate must be a positive number"),
        ("FREE_GONE", "needs a 'free' plan"),
    ],
)
def test_a_draft_that_is_not_a_complete_sheet_is_refused(text: str, message: str) -> None:
    full = sheet_to_toml(default_catalogue())
    if text == "PLUS_RATE_ZERO":
        text = full.replace('"claude-sonnet-4-5" = 3', '"claude-sonnet-4-5" = 0', 1)
    elif text == "FREE_GONE":
        text = full.replace('[plans."free"]', '[plans."gratis"]')
    with pytest.raises(InvalidSheet, match=message):
        parse_draft(text)


async def setup(ctx: AppContext) -> str:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx, "alice@example.com")
    async with ctx.transaction() as session:
        await SubscriptionService(session, ctx.clock).start_complimentary(
            alice, "plus", actor=OPERATOR
        )
    async with ctx.transaction() as session:
        return (await DraftService(session, ctx.clock, "http://t").start(actor=OPERATOR)).id


async def test_review_shows_the_changes_and_the_reduction_with_its_subscribers(
    ctx: AppContext, clock: FrozenClock
) -> None:
    draft_id = await setup(ctx)
    async with ctx.transaction() as session:
        drafts = DraftService(session, ctx.clock, "http://t")
        untouched = await drafts.review(draft_id)
        assert untouched.changes == [] and not untouched.reducing
        draft = await drafts.get(draft_id)
        sonnet = '"claude-haiku-4-5" = 1, "claude-sonnet-4-5" = '
        text = fewer_plus_credits(draft.text).replace(f"{sonnet}3", f"{sonnet}2", 1)
        await drafts.save(draft_id, text, actor=OPERATOR)
        review = await drafts.review(draft_id)
    assert review.changes == [
        Change("plan plus", "monthly credits", "5000", "4000"),
        Change("plan plus", "rate for claude-sonnet-4-5", "3 credits/unit", "2 credits/unit"),
    ]
    assert review.reductions == {"plus": ["monthly credits 5000 → 4000"]}
    assert review.subscribers == {"plus": 1}
    assert review.earliest_reducing_at == clock.now() + timedelta(days=7)


async def test_scheduling_a_reduction_needs_seven_days_and_notifies_subscribers(
    ctx: AppContext, clock: FrozenClock
) -> None:
    draft_id = await setup(ctx)
    async with ctx.transaction() as session:
        drafts = DraftService(session, ctx.clock, "http://t")
        await drafts.save(
            draft_id, fewer_plus_credits((await drafts.get(draft_id)).text), actor=OPERATOR
        )
    six_days = clock.now() + timedelta(days=6, hours=23, minutes=59)
    with pytest.raises(InsufficientNotice, match="7 days' notice"):
        async with ctx.transaction() as session:
            await DraftService(session, ctx.clock, "http://t").schedule(
                draft_id, effective_at=six_days, actor=OPERATOR
            )
    async with ctx.transaction() as session:
        change = await DraftService(session, ctx.clock, "http://t").schedule(
            draft_id, effective_at=clock.now() + timedelta(days=7), actor=OPERATOR
        )
    assert (change.version, change.reducing, change.notified) == (2, True, 1)
    async with ctx.transaction() as session:
        mails = (await session.scalars(select(OutboxEmail))).all()
        assert [m.to_address for m in mails] == ["alice@example.com"]
        assert "monthly credits 5000 → 4000" in mails[0].body_text
        assert (await PlanService(session, ctx.clock).current_sheet()).version == 1
        draft = await DraftService(session, ctx.clock, "http://t").get(draft_id)
        assert (draft.status, draft.published_version) == ("scheduled", 2)
    clock.advance(timedelta(days=7))
    async with ctx.transaction() as session:
        current = await PlanService(session, ctx.clock).current_sheet()
    assert (current.version, current.plans["plus"].monthly_credits) == (2, 4000)
    with pytest.raises(Conflict, match="was scheduled"):
        async with ctx.transaction() as session:
            await DraftService(session, ctx.clock, "http://t").save(
                draft_id, sheet_to_toml(default_catalogue()), actor=OPERATOR
            )


async def test_a_change_that_reduces_nothing_may_take_effect_at_once(ctx: AppContext) -> None:
    draft_id = await setup(ctx)
    async with ctx.transaction() as session:
        drafts = DraftService(session, ctx.clock, "http://t")
        text = fewer_plus_credits((await drafts.get(draft_id)).text, credits=6000)
        await drafts.save(draft_id, text, actor=OPERATOR)
        change = await drafts.schedule(draft_id, effective_at=None, actor=OPERATOR)
    assert (change.reducing, change.notified) == (False, 0)
    async with ctx.transaction() as session:
        assert (await PlanService(session, ctx.clock).current_sheet()).version == 2
