"""SubscriptionService: subscription periods and the allowances they bring.

- ``start_period`` records a confirmed period. It starts at confirmation, or, when a period
  is still running or queued (an early renewal), right when the last one ends. Its allowance
  is split over the calendar months it touches (``proration``); the part for the current
  month is granted at once, later parts by the ``subscriptions.issue_allowances`` job at
  00:00 UTC on the 1st. Every part is a ledger grant expiring at the end of its month.
- When no period runs, the account is on the free plan. The free plan's allowance is granted
  once per calendar month — except to a second free account from the same device.
- Everything is idempotent: a period by its idempotency key, a part by (period, position),
  the free allowance by (account, month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput, NotFound
from caicaini.kit.clock import Clock, start_of_next_month
from caicaini.kit.ids import new_id
from caicaini.ledger.service import LedgerService
from caicaini.logs import get_logger
from caicaini.models.subscriptions import AllowancePart, FreeAllowance, SubscriptionPeriod
from caicaini.plans.catalogue import FREE_PLAN
from caicaini.plans.service import PlanService
from caicaini.subscriptions.proration import add_month, month_key, split_allowance
from caicaini.subscriptions.repository import SubscriptionRepository

log = get_logger(__name__)


@dataclass(frozen=True)
class Period:
    id: str
    account_id: str
    plan_name: str
    starts_at: datetime
    ends_at: datetime
    source_ref: str | None
    status: str
    allowance: int
    complimentary: bool


def period_view(row: SubscriptionPeriod) -> Period:
    return Period(
        id=row.id,
        account_id=row.account_id,
        plan_name=row.plan_name,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        source_ref=row.source_ref,
        status=row.status,
        allowance=row.allowance,
        complimentary=row.complimentary,
    )


class SubscriptionService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.repo = SubscriptionRepository(session)
        self.ledger = LedgerService(session, clock)

    async def start_period(
        self,
        account_id: str,
        plan_name: str,
        *,
        confirmed_at: datetime,
        source_ref: str | None,
        idempotency_key: str,
        complimentary: bool = False,
    ) -> Period:
        await self.repo.lock_account(account_id)
        existing = await self.repo.by_key(idempotency_key)
        if existing is not None:
            return period_view(existing)
        sheet = await PlanService(self.session, self.clock).current_sheet()
        plan = sheet.plans.get(plan_name)
        if plan is None or plan_name == FREE_PLAN:
            raise InvalidInput(f"there is no paid plan named {plan_name!r}", field="plan")
        starts_at = max(
            confirmed_at, await self.repo.last_end(account_id, confirmed_at) or confirmed_at
        )
        now = self.clock.now()
        row = SubscriptionPeriod(
            id=new_id("period"),
            account_id=account_id,
            plan_name=plan_name,
            sheet_version=sheet.version,
            allowance=plan.monthly_credits,
            starts_at=starts_at,
            ends_at=add_month(starts_at),
            confirmed_at=confirmed_at,
            source_ref=source_ref,
            idempotency_key=idempotency_key,
            complimentary=complimentary,
            status="active" if starts_at <= now else "scheduled",
            created_at=now,
        )
        self.repo.add(row)
        await self.repo.flush()
        for part in split_allowance(row.allowance, row.starts_at, row.ends_at):
            self.repo.add(
                AllowancePart(
                    period_id=row.id,
                    position=part.position,
                    account_id=account_id,
                    amount=part.amount,
                    days=part.days,
                    issue_at=part.issue_at,
                    expires_at=part.expires_at,
                )
            )
        await self.repo.flush()
        await self.issue_due_parts_of(row)
        log.info(
            "subscriptions.period_started", account_id=account_id, period_id=row.id, plan=plan_name
        )
        return period_view(row)

    async def start_complimentary(self, account_id: str, plan_name: str, *, actor: Actor) -> Period:
        now = self.clock.now()
        period = await self.start_period(
            account_id,
            plan_name,
            confirmed_at=now,
            source_ref="complimentary",
            idempotency_key=f"complimentary:{account_id}:{now.isoformat()}",
            complimentary=True,
        )
        await AuditService(self.session, self.clock).record(
            "subscription.complimentary_started",
            actor=actor,
            target_type="subscription_period",
            target_id=period.id,
            subject_account_id=account_id,
            details={"plan": plan_name, "starts_at": period.starts_at.isoformat()},
        )
        return period

    async def cancel_period(self, period_id: str, *, reason: str, actor: Actor) -> Period:
        """End a period now (payment reversed, chargeback): parts not yet issued never will
        be, and the account is back on the free plan. Granted credits are left to the caller
        (``LedgerService.remove_remaining``). Idempotent; audited."""
        row = await self.repo.period(period_id)
        if row is None:
            raise NotFound("no such subscription period")
        if row.status == "cancelled":
            return period_view(row)
        now = self.clock.now()
        row.status, row.ended_at = "cancelled", now
        if row.ends_at > now:
            row.ends_at = max(row.starts_at + timedelta(seconds=1), now)
        await self.repo.flush()
        await AuditService(self.session, self.clock).record(
            "subscription.cancelled",
            actor=actor,
            target_type="subscription_period",
            target_id=row.id,
            subject_account_id=row.account_id,
            details={"reason": reason},
        )
        return period_view(row)

    async def current_period(self, account_id: str) -> Period | None:
        row = await self.repo.running(account_id, self.clock.now())
        return period_view(row) if row is not None else None

    async def periods(self, account_id: str) -> list[Period]:
        return [period_view(p) for p in await self.repo.periods_of(account_id)]

    async def issue_part(self, part: AllowancePart) -> int:
        """Grant one allowance part if it is due and its month is not over. Returns credits."""
        now = self.clock.now()
        if part.grant_id is not None or part.skipped_reason is not None or part.issue_at > now:
            return 0
        period = await self.repo.period(part.period_id)
        if period is None or period.status == "cancelled":
            part.skipped_reason = "period cancelled"
        elif part.expires_at <= now:
            part.skipped_reason = "its month was over before it could be issued"
        elif part.amount == 0:
            part.skipped_reason = "nothing to issue"
        if part.skipped_reason:
            await self.repo.flush()
            return 0
        grant = await self.ledger.grant(
            part.account_id,
            part.amount,
            "subscription",
            idempotency_key=f"allowance:{part.period_id}:{part.position}",
            expires_at=part.expires_at,
            source_ref=f"period:{part.period_id}",
        )
        part.grant_id = grant.id
        await self.repo.flush()
        return part.amount

    async def issue_due_parts_of(self, period: SubscriptionPeriod) -> None:
        for position in range(0, 3):
            part = await self.repo.part(period.id, position)
            if part is None:
                break
            await self.issue_part(part)

    async def grant_free_allowance(self, account_id: str) -> int:
        """The free plan's allowance for this month, once; none while a paid period runs and
        none for a second free account from the same device. Returns the credits granted."""
        now = self.clock.now()
        month = month_key(now)
        await self.repo.lock_account(account_id)
        if await self.repo.free_allowance(account_id, month) is not None:
            return 0
        record = FreeAllowance(account_id=account_id, month=month, created_at=now)
        self.repo.add(record)
        if await self.repo.running(account_id, now) is not None:
            record.skipped_reason = "on a paid plan"
            await self.repo.flush()
            return 0
        if await _second_free_account(self.session, self.clock, account_id):
            record.skipped_reason = "second free account from the same device"
            await self.repo.flush()
            return 0
        free = (await PlanService(self.session, self.clock).current_sheet()).plans[FREE_PLAN]
        if free.monthly_credits <= 0:
            record.skipped_reason = "the free plan has no allowance"
            await self.repo.flush()
            return 0
        grant = await self.ledger.grant(
            account_id,
            free.monthly_credits,
            "subscription",
            idempotency_key=f"free:{account_id}:{month}",
            expires_at=start_of_next_month(now),
            source_ref=f"free:{month}",
        )
        record.grant_id = grant.id
        await self.repo.flush()
        return free.monthly_credits


async def _second_free_account(session: AsyncSession, clock: Clock, account_id: str) -> bool:
    try:
        from caicaini.trust.service import TrustService
    except ImportError:  # the trust domain is optional in a partial build
        return False
    return bool(await TrustService(session, clock).is_second_free_account(account_id))
