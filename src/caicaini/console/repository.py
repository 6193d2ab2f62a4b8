"""SQL the console needs that no domain repository has: finding accounts by any signal, and
per-day figures (one account's usage; the service's revenue and credits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account, AccountSignal
from caicaini.models.api_keys import ApiKey
from caicaini.models.ledger import LedgerEntry
from caicaini.models.payments import ManualRate, PaymentOrder, PaymentRefund
from caicaini.models.subscriptions import SubscriptionPeriod
from caicaini.models.usage import UsageRecord


def day_of(session: AsyncSession, column: Any) -> ColumnElement[str]:
    """The UTC calendar day of a timestamp column, as ``YYYY-MM-DD`` on both databases."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


class ConsoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def accounts_by_signal(self, kind: str, values: list[str], limit: int) -> list[Account]:
        """Accounts seen with a signal: an exact IP, or a device hash (or its first 12+
        characters, as the console shows it)."""
        conditions = [AccountSignal.value == v for v in values]
        if kind == "device":
            conditions += [AccountSignal.value.startswith(v, autoescape=True) for v in values]
        ids = (
            select(AccountSignal.account_id)
            .where(AccountSignal.kind == kind, or_(*conditions))
            .distinct()
        )
        stmt = select(Account).where(Account.id.in_(ids)).order_by(Account.created_at)
        return list((await self.session.scalars(stmt.limit(limit))).all())

    async def accounts_by_key(
        self, *, key_hash: str | None, hint_prefix: str | None, limit: int
    ) -> list[Account]:
        condition = (
            ApiKey.key_hash == key_hash
            if key_hash
            else ApiKey.hint.startswith(hint_prefix or "", autoescape=True)
        )
        ids = select(ApiKey.account_id).where(condition).distinct()
        stmt = select(Account).where(Account.id.in_(ids)).order_by(Account.created_at)
        return list((await self.session.scalars(stmt.limit(limit))).all())

    async def usage_by_day(self, account_id: str, since: datetime) -> list[tuple[str, int, int]]:
        """(day, messages, credits charged) for each day with usage since ``since``."""
        day = day_of(self.session, UsageRecord.created_at)
        stmt = (
            select(day, func.count(), func.coalesce(func.sum(UsageRecord.credits_charged), 0))
            .where(UsageRecord.account_id == account_id, UsageRecord.created_at >= since)
            .group_by(day)
            .order_by(day)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(str(d), int(n), int(c)) for d, n, c in rows]

    async def recent_usage(self, account_id: str, limit: int) -> list[UsageRecord]:
        stmt = (
            select(UsageRecord)
            .where(UsageRecord.account_id == account_id)
            .order_by(UsageRecord.created_at.desc(), UsageRecord.id.desc())
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def orders(
        self,
        *,
        status: str | None,
        method: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> list[tuple[PaymentOrder, str]]:
        """Orders, newest first, with their customer's e-mail."""
        stmt = select(PaymentOrder, Account.email).join(
            Account, Account.id == PaymentOrder.account_id
        )
        if status:
            stmt = stmt.where(PaymentOrder.status == status)
        if method:
            stmt = stmt.where(PaymentOrder.method == method)
        if since is not None:
            stmt = stmt.where(PaymentOrder.created_at >= since)
        if until is not None:
            stmt = stmt.where(PaymentOrder.created_at < until)
        stmt = stmt.order_by(PaymentOrder.created_at.desc(), PaymentOrder.id.desc()).limit(limit)
        return [(o, str(e)) for o, e in (await self.session.execute(stmt)).all()]

    async def rates(self) -> list[ManualRate]:
        return list(
            (await self.session.scalars(select(ManualRate).order_by(ManualRate.currency))).all()
        )

    async def refunds(self, limit: int = 1000) -> list[PaymentRefund]:
        stmt = select(PaymentRefund).order_by(PaymentRefund.created_at.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def paid_orders_since(self, since: datetime) -> list[tuple[datetime, Any]]:
        """(paid at, USD price) of every order paid since ``since`` and not reversed."""
        stmt = select(PaymentOrder.paid_at, PaymentOrder.price_usd).where(
            PaymentOrder.paid_at >= since, PaymentOrder.status != "reversed"
        )
        rows = (await self.session.execute(stmt)).all()
        return [(at, usd) for at, usd in rows if at is not None]

    async def ledger_by_day(self, since: datetime) -> list[tuple[str, str, int, int]]:
        """(day, entry kind, Σ amount, Σ charged) of ledger entries since ``since``."""
        day = day_of(self.session, LedgerEntry.created_at)
        stmt = (
            select(
                day,
                LedgerEntry.kind,
                func.coalesce(func.sum(LedgerEntry.amount), 0),
                func.coalesce(func.sum(LedgerEntry.charged), 0),
            )
            .where(
                LedgerEntry.created_at >= since,
                LedgerEntry.kind.in_(("grant", "settle", "expire")),
            )
            .group_by(day, LedgerEntry.kind)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(str(d), str(k), int(a), int(c)) for d, k, a, c in rows]

    async def running_periods(self, at: datetime) -> tuple[int, int]:
        """(paid, complimentary) subscription periods running at ``at``."""
        stmt = (
            select(SubscriptionPeriod.complimentary, func.count())
            .where(
                SubscriptionPeriod.status.in_(("scheduled", "active")),
                SubscriptionPeriod.starts_at <= at,
                SubscriptionPeriod.ends_at > at,
            )
            .group_by(SubscriptionPeriod.complimentary)
        )
        counts = {bool(c): int(n) for c, n in (await self.session.execute(stmt)).all()}
        return counts.get(False, 0), counts.get(True, 0)
