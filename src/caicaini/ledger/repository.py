"""SQL for the ledger. Locking lives here: on PostgreSQL every movement first locks the
account row, then the account's grants ``ORDER BY id`` (one fixed order, so concurrent
transactions queue instead of deadlocking); on SQLite ``BEGIN IMMEDIATE`` already
serialises writers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.ledger import Grant, Hold, HoldAllocation, LedgerEntry


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.is_postgres = session.get_bind().dialect.name == "postgresql"

    async def lock_account(self, account_id: str) -> list[Grant]:
        """Serialise ledger work on one account; return its grants, locked, by id."""
        stmt = select(Grant).where(Grant.account_id == account_id).order_by(Grant.id)
        if self.is_postgres:
            await self.session.execute(
                text("SELECT id FROM accounts WHERE id = :a FOR UPDATE"), {"a": account_id}
            )
            stmt = stmt.with_for_update()
        return list(
            (await self.session.scalars(stmt.execution_options(populate_existing=True))).all()
        )

    async def grant(self, grant_id: str) -> Grant | None:
        # populate_existing: the hot path (hold_repository) changes grants with Core updates.
        return await self.session.get(Grant, grant_id, populate_existing=True)

    async def grants_of(self, account_id: str) -> list[Grant]:
        stmt = select(Grant).where(Grant.account_id == account_id).order_by(Grant.id)
        stmt = stmt.execution_options(populate_existing=True)
        return list((await self.session.scalars(stmt)).all())

    async def entry_by_key(self, key: str) -> LedgerEntry | None:
        stmt = select(LedgerEntry).where(LedgerEntry.idempotency_key == key)
        return (await self.session.scalars(stmt)).first()

    async def entries_for_operation(self, operation_key: str) -> list[LedgerEntry]:
        stmt = (
            select(LedgerEntry)
            .where(LedgerEntry.operation_key == operation_key)
            .order_by(LedgerEntry.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def hold_by_request(self, request_id: str, *, lock: bool = False) -> Hold | None:
        stmt = select(Hold).where(Hold.request_id == request_id)
        if lock and self.is_postgres:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt.execution_options(populate_existing=True))).first()

    async def allocations(self, hold_id: str) -> list[HoldAllocation]:
        stmt = (
            select(HoldAllocation)
            .where(HoldAllocation.hold_id == hold_id)
            .order_by(HoldAllocation.position)
            .execution_options(populate_existing=True)
        )
        return list((await self.session.scalars(stmt)).all())

    async def mark_started(self, request_id: str, at: datetime) -> int:
        stmt = (
            update(Hold)
            .where(Hold.request_id == request_id, Hold.started_at.is_(None))
            .values(started_at=at)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def expired_holds(self, now: datetime, limit: int) -> Sequence[tuple[str, str]]:
        stmt = (
            select(Hold.request_id, Hold.account_id)
            .where(Hold.status == "held", Hold.purpose == "request", Hold.expires_at <= now)
            .order_by(Hold.expires_at)
            .limit(limit)
        )
        return [(r, a) for r, a in (await self.session.execute(stmt)).all()]

    async def accounts_with_due_expiry(self, now: datetime, limit: int) -> list[str]:
        stmt = (
            select(Grant.account_id)
            .where(Grant.status == "active", Grant.expires_at <= now)
            .group_by(Grant.account_id)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def history(self, account_id: str, *, limit: int, offset: int) -> list[LedgerEntry]:
        stmt = (
            select(LedgerEntry)
            .where(LedgerEntry.account_id == account_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list((await self.session.scalars(stmt)).all())

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()


async def account_id_by_email(session: AsyncSession, email: str) -> str | None:
    from caicaini.models.accounts import Account

    stmt = select(Account.id).where(func.lower(Account.email) == email.strip().lower())
    return (await session.execute(stmt)).scalar_one_or_none()
