"""Read-side SQL over usage records and receipts (the gateway writes them on its hot path;
see ``caicaini.gateway.repository``). Everything here is scoped to one account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.usage import Receipt, UsageRecord

WEB = "web"
API = "api"
SOURCES = (WEB, API)

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class UsageFilter:
    """Which usage records to show: ``[since, until)``, a model, a key, a source (web or api).
    ``None`` means any."""

    since: datetime | None = None
    until: datetime | None = None
    model: str | None = None
    key_id: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    messages: int
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    cache_creation_input_tokens: int
    credits: int


def _where(query: S, account_id: str, f: UsageFilter) -> S:
    """``query`` (a select over usage records) narrowed to the account and ``f``."""
    stmt: Any = query
    stmt = stmt.where(UsageRecord.account_id == account_id)
    if f.since is not None:
        stmt = stmt.where(UsageRecord.created_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(UsageRecord.created_at < f.until)
    if f.model:
        stmt = stmt.where(UsageRecord.model == f.model)
    if f.key_id:
        stmt = stmt.where(UsageRecord.key_id == f.key_id)
    if f.source == WEB:
        stmt = stmt.where(UsageRecord.key_id.is_(None))
    elif f.source == API:
        stmt = stmt.where(UsageRecord.key_id.is_not(None))
    return stmt  # type: ignore[no-any-return]


class UsageReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _utc_day(self) -> Any:
        """The record's UTC day as 'YYYY-MM-DD' (SQLite stores UTC without a zone)."""
        if self.session.get_bind().dialect.name == "postgresql":
            return func.to_char(func.timezone("UTC", UsageRecord.created_at), "YYYY-MM-DD")
        return func.strftime("%Y-%m-%d", UsageRecord.created_at)

    async def page(
        self, account_id: str, f: UsageFilter, *, limit: int, offset: int
    ) -> list[tuple[UsageRecord, str | None]]:
        """Newest first, each with its receipt id (none for a message that cost nothing)."""
        stmt = select(UsageRecord, Receipt.id).outerjoin(
            Receipt, Receipt.request_id == UsageRecord.id
        )
        stmt = _where(stmt, account_id, f).order_by(
            UsageRecord.created_at.desc(), UsageRecord.id.desc()
        )
        rows = await self.session.execute(stmt.limit(limit).offset(offset))
        return [(r[0], r[1]) for r in rows.all()]

    async def totals(self, account_id: str, f: UsageFilter) -> Totals:
        columns = (
            UsageRecord.input_tokens,
            UsageRecord.output_tokens,
            UsageRecord.cache_read_input_tokens,
            UsageRecord.cache_creation_input_tokens,
            UsageRecord.credits_charged,
        )
        stmt = select(func.count(), *(func.coalesce(func.sum(c), 0) for c in columns))
        row = (await self.session.execute(_where(stmt, account_id, f))).one()
        return Totals(*(int(v) for v in row))

    async def credits_by_day_and_model(
        self, account_id: str, since: datetime
    ) -> list[tuple[str, str, int]]:
        """(UTC day 'YYYY-MM-DD', model, credits charged) since ``since``."""
        day = self._utc_day()
        stmt = _where(
            select(day, UsageRecord.model, func.sum(UsageRecord.credits_charged)),
            account_id,
            UsageFilter(since=since),
        )
        rows = await self.session.execute(
            stmt.group_by(day, UsageRecord.model).order_by(day, UsageRecord.model)
        )
        return [(str(d), str(m), int(c)) for d, m, c in rows.all()]

    async def models_used(self, account_id: str) -> list[str]:
        stmt = (
            select(UsageRecord.model)
            .where(UsageRecord.account_id == account_id)
            .distinct()
            .order_by(UsageRecord.model)
        )
        return [str(m) for m in (await self.session.scalars(stmt)).all()]

    async def receipt(self, account_id: str, receipt_id: str) -> Receipt | None:
        row = await self.session.get(Receipt, receipt_id)
        return row if row is not None and row.account_id == account_id else None

    async def record(self, account_id: str, request_id: str) -> UsageRecord | None:
        row = await self.session.get(UsageRecord, request_id)
        return row if row is not None and row.account_id == account_id else None

    async def receipts_of(self, account_id: str) -> list[Receipt]:
        stmt = (
            select(Receipt)
            .where(Receipt.account_id == account_id)
            .order_by(Receipt.created_at, Receipt.id)
        )
        return list((await self.session.scalars(stmt)).all())
