"""All SQL for device authorizations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.devices import DeviceAuthorization


class DeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: DeviceAuthorization) -> None:
        self.session.add(row)
        await self.session.flush()

    async def by_device_code_hash(self, digest: str) -> DeviceAuthorization | None:
        stmt = select(DeviceAuthorization).where(DeviceAuthorization.device_code_hash == digest)
        return (await self.session.scalars(stmt)).first()

    async def by_user_code(self, user_code: str) -> DeviceAuthorization | None:
        stmt = select(DeviceAuthorization).where(DeviceAuthorization.user_code == user_code)
        return (await self.session.scalars(stmt)).first()

    async def started_since(self, ip: str, since: datetime) -> int:
        stmt = select(func.count()).where(
            DeviceAuthorization.client_ip == ip, DeviceAuthorization.created_at >= since
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def claim_for_issue(self, row_id: str) -> bool:
        """Move an approved authorization to ``issued``; False when another poll did first
        (one key per approval, however many polls race)."""
        stmt = (
            update(DeviceAuthorization)
            .where(DeviceAuthorization.id == row_id, DeviceAuthorization.status == "approved")
            .values(status="issued")
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    async def delete_expired(self, before: datetime) -> None:
        """Forget requests that expired long ago (the keys they issued stay)."""
        await self.session.execute(
            delete(DeviceAuthorization).where(DeviceAuthorization.expires_at < before)
        )
