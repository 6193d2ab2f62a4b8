"""SQL for notices, Terms versions and acceptances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account
from caicaini.models.notices import Notice, TermsAcceptance, TermsVersion
from caicaini.models.subscriptions import SubscriptionPeriod


class NoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_ref(self, account_id: str, ref: str) -> Notice | None:
        stmt = select(Notice).where(Notice.account_id == account_id, Notice.ref == ref)
        return (await self.session.scalars(stmt)).first()

    async def of_account(self, account_id: str, *, limit: int, offset: int) -> list[Notice]:
        stmt = (
            select(Notice)
            .where(Notice.account_id == account_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list((await self.session.scalars(stmt)).all())

    async def mark_read(self, account_id: str, notice_id: str, at: datetime) -> int:
        stmt = (
            update(Notice)
            .where(
                Notice.id == notice_id, Notice.account_id == account_id, Notice.read_at.is_(None)
            )
            .values(read_at=at)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def exists(self, account_id: str, notice_id: str) -> bool:
        stmt = select(Notice.id).where(Notice.id == notice_id, Notice.account_id == account_id)
        return (await self.session.scalars(stmt)).first() is not None

    async def subscribers(self, plans: set[str], now: datetime) -> list[tuple[str, str, str]]:
        """(account id, e-mail, plan) of active accounts with a running or queued period on
        one of ``plans``."""
        stmt = (
            select(Account.id, Account.email, SubscriptionPeriod.plan_name)
            .join(SubscriptionPeriod, SubscriptionPeriod.account_id == Account.id)
            .where(
                SubscriptionPeriod.plan_name.in_(plans),
                SubscriptionPeriod.status.in_(("scheduled", "active")),
                SubscriptionPeriod.ends_at > now,
                Account.status == "active",
            )
            .distinct()
            .order_by(Account.id, SubscriptionPeriod.plan_name)
        )
        return [(a, e, p) for a, e, p in (await self.session.execute(stmt)).all()]

    async def active_accounts(self) -> list[tuple[str, str]]:
        stmt = (
            select(Account.id, Account.email).where(Account.status == "active").order_by(Account.id)
        )
        return [(a, e) for a, e in (await self.session.execute(stmt)).all()]

    async def terms_in_effect(self, at: datetime) -> TermsVersion | None:
        stmt = (
            select(TermsVersion)
            .where(TermsVersion.effective_at <= at)
            .order_by(TermsVersion.effective_at.desc(), TermsVersion.version.desc())
            .limit(1)
        )
        return (await self.session.scalars(stmt)).first()

    async def latest_terms(self) -> TermsVersion | None:
        stmt = select(TermsVersion).order_by(TermsVersion.version.desc()).limit(1)
        return (await self.session.scalars(stmt)).first()

    async def terms_history(self) -> list[TermsVersion]:
        stmt = select(TermsVersion).order_by(TermsVersion.version.desc())
        return list((await self.session.scalars(stmt)).all())

    async def terms_version(self, version: int) -> TermsVersion | None:
        return await self.session.get(TermsVersion, version)

    async def terms_count(self) -> int:
        return int(
            (
                await self.session.execute(select(func.count()).select_from(TermsVersion))
            ).scalar_one()
        )

    async def unaccepted_terms(self, account_id: str, in_effect: int) -> list[TermsVersion]:
        """Versions from ``in_effect`` on (the one in effect and those announced) that the
        account has not accepted, oldest first."""
        accepted = select(TermsAcceptance.version).where(TermsAcceptance.account_id == account_id)
        stmt = (
            select(TermsVersion)
            .where(TermsVersion.version >= in_effect, TermsVersion.version.not_in(accepted))
            .order_by(TermsVersion.version)
        )
        return list((await self.session.scalars(stmt)).all())

    async def acceptances_of(self, account_id: str) -> list[TermsAcceptance]:
        stmt = (
            select(TermsAcceptance)
            .where(TermsAcceptance.account_id == account_id)
            .order_by(TermsAcceptance.version)
        )
        return list((await self.session.scalars(stmt)).all())

    async def acceptance(self, account_id: str, version: int) -> TermsAcceptance | None:
        return await self.session.get(TermsAcceptance, (account_id, version))

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
