"""SQL for subscription periods, their allowance parts and the free plan's allowances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account
from caicaini.models.subscriptions import AllowancePart, FreeAllowance, SubscriptionPeriod

LIVE = ("scheduled", "active")


class SubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_account(self, account_id: str) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT id FROM accounts WHERE id = :a FOR UPDATE"), {"a": account_id}
            )

    async def by_key(self, idempotency_key: str) -> SubscriptionPeriod | None:
        stmt = select(SubscriptionPeriod).where(
            SubscriptionPeriod.idempotency_key == idempotency_key
        )
        return (await self.session.scalars(stmt)).first()

    async def last_end(self, account_id: str, after: datetime) -> datetime | None:
        stmt = select(func.max(SubscriptionPeriod.ends_at)).where(
            SubscriptionPeriod.account_id == account_id,
            SubscriptionPeriod.status.in_(LIVE),
            SubscriptionPeriod.ends_at > after,
        )
        return (await self.session.execute(stmt)).scalar()

    async def running(self, account_id: str, at: datetime) -> SubscriptionPeriod | None:
        stmt = (
            select(SubscriptionPeriod)
            .where(
                SubscriptionPeriod.account_id == account_id,
                SubscriptionPeriod.status.in_(LIVE),
                SubscriptionPeriod.starts_at <= at,
                SubscriptionPeriod.ends_at > at,
            )
            .order_by(SubscriptionPeriod.starts_at.desc())
            .limit(1)
        )
        return (await self.session.scalars(stmt)).first()

    async def periods_of(self, account_id: str) -> list[SubscriptionPeriod]:
        stmt = (
            select(SubscriptionPeriod)
            .where(SubscriptionPeriod.account_id == account_id)
            .order_by(SubscriptionPeriod.starts_at)
        )
        return list((await self.session.scalars(stmt)).all())

    async def has_successor(self, period: SubscriptionPeriod) -> bool:
        stmt = select(SubscriptionPeriod.id).where(
            SubscriptionPeriod.account_id == period.account_id,
            SubscriptionPeriod.status.in_(LIVE),
            SubscriptionPeriod.starts_at >= period.ends_at,
        )
        return (await self.session.scalars(stmt.limit(1))).first() is not None

    async def due_parts(self, now: datetime, limit: int) -> list[AllowancePart]:
        stmt = (
            select(AllowancePart)
            .where(
                AllowancePart.grant_id.is_(None),
                AllowancePart.skipped_reason.is_(None),
                AllowancePart.issue_at <= now,
            )
            .order_by(AllowancePart.issue_at)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def part(self, period_id: str, position: int) -> AllowancePart | None:
        return await self.session.get(AllowancePart, (period_id, position))

    async def period(self, period_id: str) -> SubscriptionPeriod | None:
        return await self.session.get(SubscriptionPeriod, period_id)

    async def to_start(self, now: datetime, limit: int) -> list[SubscriptionPeriod]:
        stmt = (
            select(SubscriptionPeriod)
            .where(SubscriptionPeriod.status == "scheduled", SubscriptionPeriod.starts_at <= now)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def to_end(self, now: datetime, limit: int) -> list[SubscriptionPeriod]:
        stmt = (
            select(SubscriptionPeriod)
            .where(SubscriptionPeriod.status.in_(LIVE), SubscriptionPeriod.ends_at <= now)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def ending_soon(
        self, now: datetime, until: datetime, limit: int
    ) -> list[SubscriptionPeriod]:
        stmt = (
            select(SubscriptionPeriod)
            .where(
                SubscriptionPeriod.status.in_(LIVE),
                SubscriptionPeriod.reminder_sent_at.is_(None),
                SubscriptionPeriod.ends_at > now,
                SubscriptionPeriod.ends_at <= until,
            )
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def email_of(self, account_id: str) -> str | None:
        return (
            await self.session.execute(select(Account.email).where(Account.id == account_id))
        ).scalar()

    async def free_allowance(self, account_id: str, month: str) -> FreeAllowance | None:
        return await self.session.get(FreeAllowance, (account_id, month))

    async def accounts_without_free_allowance(self, month: str, limit: int) -> list[str]:
        given = select(FreeAllowance.account_id).where(FreeAllowance.month == month)
        stmt = (
            select(Account.id)
            .where(Account.status == "active", Account.id.not_in(given))
            .order_by(Account.id)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
