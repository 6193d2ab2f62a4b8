"""All SQL of the gateway: usage records and receipts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.usage import Receipt, UsageRecord


class UsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *rows: UsageRecord | Receipt) -> None:
        self.session.add_all(rows)

    async def page(
        self,
        account_id: str,
        *,
        key_id: str | None,
        model: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> list[tuple[UsageRecord, str | None]]:
        stmt = (
            select(UsageRecord, Receipt.id)
            .outerjoin(Receipt, Receipt.request_id == UsageRecord.id)
            .where(UsageRecord.account_id == account_id)
        )
        if key_id:
            stmt = stmt.where(UsageRecord.key_id == key_id)
        if model:
            stmt = stmt.where(UsageRecord.model == model)
        if since:
            stmt = stmt.where(UsageRecord.created_at >= since)
        if until:
            stmt = stmt.where(UsageRecord.created_at < until)
        stmt = stmt.order_by(UsageRecord.created_at.desc(), UsageRecord.id.desc())
        rows = await self.session.execute(stmt.limit(limit).offset(offset))
        return [(r[0], r[1]) for r in rows.all()]

    async def receipt(self, receipt_id: str) -> Receipt | None:
        return await self.session.get(Receipt, receipt_id)

    async def usage(self, request_id: str) -> UsageRecord | None:
        return await self.session.get(UsageRecord, request_id)
