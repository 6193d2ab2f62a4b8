"""All SQL of the gateway: usage records and receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.ledger import fast_sqlite
from caicaini.models.api_keys import ApiKey
from caicaini.models.usage import Receipt, UsageRecord

_usage = cast(Table, UsageRecord.__table__)
_receipts = cast(Table, Receipt.__table__)
_INSERT_USAGE = insert(_usage)
_INSERT_RECEIPT = insert(_receipts)
# PostgreSQL: the record and its receipt in one statement (one round trip).
_INSERT_USAGE_WITH_RECEIPT = (
    insert(_usage)
    .values({c.name: bindparam(c.name, type_=c.type) for c in _usage.c})
    .add_cte(
        insert(_receipts)
        .values({c.name: bindparam(f"receipt_{c.name}", type_=c.type) for c in _receipts.c})
        .cte("receipt")
    )
)
_keys = cast(Table, ApiKey.__table__)
_TOUCH_KEY = (
    update(_keys)
    .where(
        and_(
            _keys.c.id == bindparam("key_id"),
            or_(_keys.c.last_used_at.is_(None), _keys.c.last_used_at < bindparam("not_since")),
        )
    )
    .values(last_used_at=bindparam("at"))
)


def insert_usage(conn: Connection, record: dict[str, Any], receipt: dict[str, Any] | None) -> None:
    """The hot path: a usage record (and its receipt) as Core inserts."""
    if receipt is not None and conn.dialect.name == "postgresql":
        params = {**record, **{f"receipt_{k}": v for k, v in receipt.items()}}
        conn.execute(_INSERT_USAGE_WITH_RECEIPT, params)
        return
    fast_sqlite.execute(conn, _INSERT_USAGE, record)
    if receipt is not None:
        fast_sqlite.execute(conn, _INSERT_RECEIPT, receipt)


def touch_key(conn: Connection, key_id: str, at: datetime, *, not_since: datetime) -> None:
    """Record a key's use, at most once per period (see ApiKeyRepository.touch)."""
    fast_sqlite.execute(conn, _TOUCH_KEY, {"key_id": key_id, "at": at, "not_since": not_since})


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

    async def usage_with_receipt(self, request_id: str) -> tuple[UsageRecord, str | None] | None:
        stmt = (
            select(UsageRecord, Receipt.id)
            .outerjoin(Receipt, Receipt.request_id == UsageRecord.id)
            .where(UsageRecord.id == request_id)
        )
        row = (await self.session.execute(stmt)).first()
        return (row[0], row[1]) if row else None

    async def totals(
        self,
        account_id: str,
        *,
        since: datetime,
        until: datetime | None,
        key_id: str | None,
    ) -> list[tuple[str, int, int]]:
        """(model, messages, credits charged) over ``[since, until)``, by model."""
        stmt = select(
            UsageRecord.model,
            func.count(),
            func.coalesce(func.sum(UsageRecord.credits_charged), 0),
        ).where(UsageRecord.account_id == account_id, UsageRecord.created_at >= since)
        if until is not None:
            stmt = stmt.where(UsageRecord.created_at < until)
        if key_id:
            stmt = stmt.where(UsageRecord.key_id == key_id)
        rows = await self.session.execute(
            stmt.group_by(UsageRecord.model).order_by(UsageRecord.model)
        )
        return [(str(m), int(n), int(c)) for m, n, c in rows.all()]
