"""Reads of recent usage records by provider route (SQL only here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.usage import UsageRecord

# Enough rows for a stable hourly median without loading a busy hour in full.
SAMPLE_LIMIT = 5000


class HealthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent_calls(self, since: datetime) -> list[tuple[str, str, int]]:
        """(provider, outcome, duration_ms) of the calls since ``since``, newest first."""
        stmt = (
            select(UsageRecord.provider, UsageRecord.outcome, UsageRecord.duration_ms)
            .where(UsageRecord.created_at >= since)
            .order_by(UsageRecord.created_at.desc())
            .limit(SAMPLE_LIMIT)
        )
        rows = await self.session.execute(stmt)
        return [(str(p), str(o), int(d or 0)) for p, o, d in rows.all()]
