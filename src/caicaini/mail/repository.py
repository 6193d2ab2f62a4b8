"""SQL for the outbox beyond writing and sending: the development mail page, how many link
mails went to an address or an account lately, and the purge of old sent mail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.mail import OutboxEmail


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent(self, limit: int = 50) -> list[OutboxEmail]:
        stmt = select(OutboxEmail).order_by(OutboxEmail.created_at.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def sent_lately(
        self, templates: Iterable[str], since: datetime, *, to_address: str, account_id: str
    ) -> list[datetime]:
        """When mails of ``templates`` went to ``to_address`` or for ``account_id`` since."""
        stmt = select(OutboxEmail.created_at).where(
            OutboxEmail.template.in_(list(templates)),
            OutboxEmail.created_at >= since,
            or_(OutboxEmail.to_address == to_address, OutboxEmail.account_id == account_id),
        )
        return list((await self.session.scalars(stmt)).all())

    async def purge_done(self, before: datetime) -> int:
        """Delete mail sent (or given up on) before ``before``; returns how many."""
        done = func.coalesce(OutboxEmail.sent_at, OutboxEmail.next_attempt_at)
        stmt = delete(OutboxEmail).where(OutboxEmail.status.in_(("sent", "failed")), done < before)
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
