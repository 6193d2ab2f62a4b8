"""SQL for the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account
from caicaini.models.audit import AuditEntry

# Any constant works; it names the lock that serialises appends to the chain.
_CHAIN_LOCK = 0x0CA1C4A1


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_chain(self) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})

    async def last_hash(self) -> str | None:
        stmt = select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def max_id(self) -> int | None:
        return (await self.session.execute(select(func.max(AuditEntry.id)))).scalar_one_or_none()

    async def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)
        await self.session.flush()

    async def iter_all(self) -> AsyncIterator[AuditEntry]:
        result = await self.session.stream_scalars(select(AuditEntry).order_by(AuditEntry.id))
        async for entry in result:
            yield entry

    async def recent(self, *, subject_account_id: str | None, limit: int) -> list[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if subject_account_id is not None:
            stmt = stmt.where(AuditEntry.subject_account_id == subject_account_id)
        return list((await self.session.scalars(stmt)).all())

    async def search(
        self,
        *,
        actor_id: str | None = None,
        subject_account_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Newest first. ``action`` ending in ``.`` or ``*`` matches a family (``payment.``)."""
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if actor_id:
            stmt = stmt.where(AuditEntry.actor_id == actor_id)
        if subject_account_id:
            stmt = stmt.where(AuditEntry.subject_account_id == subject_account_id)
        if action and action.endswith((".", "*")):
            stmt = stmt.where(AuditEntry.action.startswith(action.rstrip("*"), autoescape=True))
        elif action:
            stmt = stmt.where(AuditEntry.action == action)
        if since is not None:
            stmt = stmt.where(AuditEntry.at >= since)
        if until is not None:
            stmt = stmt.where(AuditEntry.at < until)
        if before_id is not None:
            stmt = stmt.where(AuditEntry.id < before_id)
        return list((await self.session.scalars(stmt)).all())

    async def actions(self) -> list[str]:
        stmt = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
        return list((await self.session.scalars(stmt)).all())

    async def anonymise_closed_before(self, cutoff: datetime, now: datetime) -> int:
        closed = select(Account.id).where(Account.status == "closed", Account.closed_at < cutoff)
        stmt = (
            update(AuditEntry)
            .where(AuditEntry.subject_account_id.in_(closed), AuditEntry.anonymised_at.is_(None))
            .values(ip=None, personal=None, anonymised_at=now)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
