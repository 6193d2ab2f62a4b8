"""SQL for incidents and the credits their reconciliations returned."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account
from caicaini.models.incidents import Incident, IncidentCredit, IncidentReconciliation
from caicaini.models.usage import UsageRecord

# Outcomes of a message that did not complete (see gateway.streaming / pipeline).
FAILED_OUTCOMES = ("upstream_error", "client_disconnect")


class IncidentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Incident | IncidentReconciliation | IncidentCredit) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def get(self, incident_id: str, *, for_update: bool = False) -> Incident | None:
        stmt = select(Incident).where(Incident.id == incident_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).first()

    async def recent(self, *, limit: int = 50) -> list[Incident]:
        stmt = select(Incident).order_by(Incident.starts_at.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def touching(self, since: datetime) -> list[Incident]:
        """Incidents still open or ended after ``since``, newest first."""
        stmt = (
            select(Incident)
            .where(or_(Incident.ends_at.is_(None), Incident.ends_at >= since))
            .order_by(Incident.starts_at.desc())
        )
        return list((await self.session.scalars(stmt)).all())

    async def uncredited_failures(
        self, provider: str, starts_at: datetime, ends_at: datetime
    ) -> list[tuple[UsageRecord, str]]:
        """(usage record, owner's e-mail) of the charged messages on ``provider`` that failed
        or were cut in [starts_at, ends_at] and that no reconciliation has credited yet. Closed
        accounts are left out: their credits were forfeited at closure."""
        credited = select(IncidentCredit.request_id)
        stmt = (
            select(UsageRecord, Account.email)
            .join(Account, Account.id == UsageRecord.account_id)
            .where(
                UsageRecord.provider == provider,
                UsageRecord.created_at >= starts_at,
                UsageRecord.created_at <= ends_at,
                UsageRecord.outcome.in_(FAILED_OUTCOMES),
                UsageRecord.credits_charged > 0,
                UsageRecord.id.not_in(credited),
                Account.status != "closed",
            )
            .order_by(UsageRecord.created_at, UsageRecord.id)
        )
        return [(record, str(email)) for record, email in (await self.session.execute(stmt)).all()]

    async def reconciliations(self, incident_id: str) -> list[IncidentReconciliation]:
        stmt = (
            select(IncidentReconciliation)
            .where(IncidentReconciliation.incident_id == incident_id)
            .order_by(IncidentReconciliation.created_at)
        )
        return list((await self.session.scalars(stmt)).all())

    async def credited_total(self, incident_id: str) -> int:
        stmt = select(func.coalesce(func.sum(IncidentCredit.credits), 0)).where(
            IncidentCredit.incident_id == incident_id
        )
        return int(await self.session.scalar(stmt) or 0)
