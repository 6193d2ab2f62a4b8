"""SQL for sign-up/login signals (IP address, device fingerprint hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account, AccountSignal, SignupRules


class SignalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, signal: AccountSignal) -> None:
        self.session.add(signal)

    async def has(self, account_id: str, kind: str, value: str) -> bool:
        stmt = select(AccountSignal.id).where(
            AccountSignal.account_id == account_id,
            AccountSignal.kind == kind,
            AccountSignal.value == value,
        )
        return (await self.session.scalars(stmt.limit(1))).first() is not None

    async def signals_of(self, account_id: str) -> list[tuple[str, str]]:
        stmt = (
            select(AccountSignal.kind, AccountSignal.value)
            .where(AccountSignal.account_id == account_id)
            .distinct()
        )
        return [(kind, value) for kind, value in (await self.session.execute(stmt)).all()]

    async def accounts_sharing(
        self, pairs: list[tuple[str, str]], *, exclude: str | None = None
    ) -> list[tuple[Account, str]]:
        """(account, kind) for every account that has one of the (kind, value) signals."""
        if not pairs:
            return []
        stmt = (
            select(Account, AccountSignal.kind)
            .join(AccountSignal, AccountSignal.account_id == Account.id)
            .where(tuple_(AccountSignal.kind, AccountSignal.value).in_(pairs))
            .distinct()
            .order_by(Account.created_at)
        )
        if exclude is not None:
            stmt = stmt.where(Account.id != exclude)
        return [(account, kind) for account, kind in (await self.session.execute(stmt)).all()]

    async def earlier_account_on_device(self, account_id: str) -> bool:
        """Another account that shares a device with this one and was opened before it
        (same creation instant: the one whose device was recorded first)."""
        mine = select(AccountSignal.value).where(
            AccountSignal.account_id == account_id, AccountSignal.kind == "device"
        )
        my_created = select(Account.created_at).where(Account.id == account_id).scalar_subquery()
        my_first = (
            select(func.min(AccountSignal.id))
            .where(AccountSignal.account_id == account_id, AccountSignal.kind == "device")
            .scalar_subquery()
        )
        stmt = (
            select(Account.id)
            .join(AccountSignal, AccountSignal.account_id == Account.id)
            .where(
                AccountSignal.kind == "device",
                AccountSignal.value.in_(mine),
                Account.id != account_id,
                or_(
                    Account.created_at < my_created,
                    and_(Account.created_at == my_created, AccountSignal.id < my_first),
                ),
            )
            .limit(1)
        )
        return (await self.session.scalars(stmt)).first() is not None

    async def erase_closed_before(self, cutoff: datetime) -> int:
        """Delete the signals of accounts closed before ``cutoff`` (the privacy policy's
        retention: as long as the audit log keeps their addresses)."""
        closed = select(Account.id).where(Account.status == "closed", Account.closed_at < cutoff)
        stmt = delete(AccountSignal).where(AccountSignal.account_id.in_(closed))
        result = await self.session.execute(stmt.execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def rules(self, *, for_update: bool = False) -> SignupRules | None:
        stmt = select(SignupRules).where(SignupRules.id == 1)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).first()

    async def add_rules(self, rules: SignupRules) -> None:
        self.session.add(rules)
        await self.session.flush()

    async def shared_signals(
        self, since: datetime | None, *, limit: int
    ) -> list[tuple[str, str, Account, datetime]]:
        """(kind, value, account, last seen) for every device, and every sign-up address,
        that two or more accounts have shown since ``since`` (None: ever), most recent
        groups first."""
        recent = and_(
            or_(AccountSignal.kind == "device", AccountSignal.event == "signup"),
            AccountSignal.created_at >= since if since is not None else true(),
        )
        shared = (
            select(AccountSignal.kind, AccountSignal.value)
            .where(recent)
            .group_by(AccountSignal.kind, AccountSignal.value)
            .having(func.count(func.distinct(AccountSignal.account_id)) >= 2)
            .order_by(func.max(AccountSignal.created_at).desc())
            .limit(limit)
        )
        pairs = [(k, v) for k, v in (await self.session.execute(shared)).all()]
        if not pairs:
            return []
        stmt = (
            select(AccountSignal.kind, AccountSignal.value, Account,
                   func.max(AccountSignal.created_at))
            .join(Account, Account.id == AccountSignal.account_id)
            .where(recent, tuple_(AccountSignal.kind, AccountSignal.value).in_(pairs))
            .group_by(AccountSignal.kind, AccountSignal.value, Account.id)
            .order_by(Account.created_at)
        )  # fmt: skip
        rows = (await self.session.execute(stmt)).all()
        return [(str(k), str(v), a, at) for k, v, a, at in rows]
