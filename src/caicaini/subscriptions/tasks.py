"""Subscription jobs (each idempotent, each account in its own transaction):

- ``subscriptions.issue_allowances``: at 00:00 UTC on the 1st (and for queued periods at their
  start) grant the allowance parts that fell due; start queued periods; end finished ones,
  e-mailing the owner when no renewal follows (the account is back on the free plan).
- ``subscriptions.remind_renewal``: e-mail once, three days before a period ends without a
  renewal queued.
- ``subscriptions.free_allowances``: the free plan's monthly allowance for active accounts
  (at sign-up and on the 1st; never to a second free account from the same device).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.context import AppContext
from caicaini.logs import get_logger
from caicaini.mail.service import MailService
from caicaini.models.subscriptions import SubscriptionPeriod
from caicaini.subscriptions.proration import month_key
from caicaini.subscriptions.repository import SubscriptionRepository
from caicaini.subscriptions.service import SubscriptionService
from caicaini.worker.scheduler import Job

log = get_logger(__name__)

BATCH = 200
REMINDER_BEFORE = timedelta(days=3)


async def issue_allowances(ctx: AppContext) -> int:
    now = ctx.clock.now()
    async with ctx.transaction() as session:
        repo = SubscriptionRepository(session)
        for period in await repo.to_start(now, BATCH):
            period.status = "active"
        due = [(p.period_id, p.position) for p in await repo.due_parts(now, BATCH)]
    issued = 0
    for period_id, position in due:
        async with ctx.transaction() as session:
            service = SubscriptionService(session, ctx.clock)
            part = await service.repo.part(period_id, position)
            if part is not None:
                issued += await service.issue_part(part)
    await _end_finished(ctx)
    return issued


async def _end_finished(ctx: AppContext) -> None:
    now = ctx.clock.now()
    async with ctx.transaction() as session:
        repo = SubscriptionRepository(session)
        for period in await repo.to_end(now, BATCH):
            period.status, period.ended_at = "ended", now
            if not await repo.has_successor(period):
                await _mail(ctx, session, period, "ended")


async def remind_renewal(ctx: AppContext) -> int:
    now = ctx.clock.now()
    sent = 0
    async with ctx.transaction() as session:
        repo = SubscriptionRepository(session)
        for period in await repo.ending_soon(now, now + REMINDER_BEFORE, BATCH):
            period.reminder_sent_at = now
            if not await repo.has_successor(period):
                await _mail(ctx, session, period, "reminder")
                sent += 1
    return sent


async def free_allowances(ctx: AppContext) -> int:
    month = month_key(ctx.clock.now())
    granted = 0
    while True:
        async with ctx.transaction() as session:
            repo = SubscriptionRepository(session)
            accounts = await repo.accounts_without_free_allowance(month, BATCH)
        for account_id in accounts:
            async with ctx.transaction() as session:
                service = SubscriptionService(session, ctx.clock)
                granted += await service.grant_free_allowance(account_id)
        if len(accounts) < BATCH:
            return granted


async def _mail(
    ctx: AppContext, session: AsyncSession, period: SubscriptionPeriod, what: str
) -> None:
    email = await SubscriptionRepository(session).email_of(period.account_id)
    if email is None:
        return
    ends = period.ends_at.strftime("%d %B %Y %H:%M UTC")
    if what == "reminder":
        subject = f"Your {period.plan_name} subscription ends on {ends}"
        body = (
            f"Your {period.plan_name} period ends on {ends}. Renew before then to keep your plan; "
            "otherwise your account returns to the free plan. Top-up credits are not affected."
        )
    else:
        subject = f"Your {period.plan_name} subscription has ended"
        body = (
            f"Your {period.plan_name} period ended on {ends} and your account is now on the free "
            "plan. Top-up credits stay yours. You can subscribe again at any time."
        )
    mail = MailService(session, ctx.clock, ctx.settings.public_url)
    await mail.send(
        email, "notice", {"subject": subject, "body": body}, account_id=period.account_id
    )


JOBS = [
    Job("subscriptions.issue_allowances", timedelta(minutes=1), issue_allowances),
    Job("subscriptions.remind_renewal", timedelta(minutes=15), remind_renewal),
    Job("subscriptions.free_allowances", timedelta(minutes=1), free_allowances),
]
