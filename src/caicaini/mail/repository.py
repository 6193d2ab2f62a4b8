"""SQL for reading the outbox (the development mail page, tests)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.mail import OutboxEmail


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent(self, limit: int = 50) -> list[OutboxEmail]:
        stmt = select(OutboxEmail).order_by(OutboxEmail.created_at.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())
