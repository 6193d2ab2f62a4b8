"""All SQL for API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account
from caicaini.models.api_keys import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self.session.flush()
        return key

    async def get(self, key_id: str) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        stmt = select(ApiKey).where(ApiKey.key_hash == key_hash)
        return (await self.session.scalars(stmt)).first()

    async def by_hash_with_account(self, key_hash: str) -> tuple[ApiKey, Account] | None:
        """One query for the gateway: the key and its owner (status, e-mail)."""
        stmt = (
            select(ApiKey, Account)
            .join(Account, Account.id == ApiKey.account_id)
            .where(ApiKey.key_hash == key_hash)
        )
        row = (await self.session.execute(stmt)).first()
        return (row[0], row[1]) if row else None

    async def for_account(self, account_id: str) -> list[ApiKey]:
        stmt = (
            select(ApiKey)
            .where(ApiKey.account_id == account_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
        return list((await self.session.scalars(stmt)).all())

    async def active_for_account(self, account_id: str) -> list[ApiKey]:
        stmt = select(ApiKey).where(ApiKey.account_id == account_id, ApiKey.revoked_at.is_(None))
        return list((await self.session.scalars(stmt)).all())

    async def due_for_rotation(self, created_before: datetime, limit: int = 500) -> list[ApiKey]:
        stmt = (
            select(ApiKey)
            .where(
                ApiKey.created_at < created_before,
                ApiKey.revoked_at.is_(None),
                ApiKey.rotation_reminded_at.is_(None),
            )
            .order_by(ApiKey.created_at)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def touch(self, key_id: str, at: datetime, *, not_since: datetime) -> None:
        """Record use, at most once per period: a no-op when ``last_used_at`` is recent."""
        stmt = (
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < not_since),
            )
            .values(last_used_at=at)
        )
        await self.session.execute(stmt)
