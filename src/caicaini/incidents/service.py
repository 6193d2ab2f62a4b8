"""Incidents: declare a provider's outage window, end it, and reconcile it.

A reconciliation finds the messages charged on the incident's provider inside its window (up
to now while it is open) whose outcome was a failure or a cut (``upstream_error``,
``client_disconnect``) and that no earlier run credited, and returns each account the credits
those messages cost, as one ``adjustment`` grant per account per run (audited, the customer
notified). The incident row is locked first, so concurrent runs serialise; every credited
message is written to ``incident_credits`` under its request id (the primary key), so no
message is ever credited twice: a second run previews and returns nothing.

Services never commit; the caller's transaction holds the batch, so it lands whole or not at
all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput
from caicaini.incidents.errors import IncidentNotFound, InvalidWindow
from caicaini.incidents.repository import IncidentRepository
from caicaini.kit.clock import Clock, as_utc
from caicaini.kit.ids import new_id
from caicaini.models.incidents import Incident, IncidentCredit, IncidentReconciliation
from caicaini.notices import adjustments

# Provider route names as the gateway records them on usage records.
PROVIDERS = {"anthropic": "Anthropic", "moonshot": "Moonshot AI", "demo": "Demo provider"}
TITLE_MAX = 200


@dataclass(frozen=True)
class FailedMessage:
    request_id: str
    model: str
    outcome: str
    credits: int
    at: datetime


@dataclass
class AccountReturn:
    account_id: str
    email: str
    messages: list[FailedMessage] = field(default_factory=list)

    @property
    def credits(self) -> int:
        return sum(m.credits for m in self.messages)


@dataclass(frozen=True)
class Reconciliation:
    """What a run returns (or, as a preview, would return)."""

    incident: Incident
    accounts: list[AccountReturn]
    reconciliation_id: str | None = None

    @property
    def messages(self) -> int:
        return sum(len(a.messages) for a in self.accounts)

    @property
    def credits(self) -> int:
        return sum(a.credits for a in self.accounts)


def parse_time(value: str, field: str) -> datetime:
    """An ISO 8601 time; ``Z`` or no offset means UTC (a browser's datetime-local too)."""
    try:
        return as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise InvalidInput(
            f"{field} must be an ISO time such as 2026-12-01T14:30Z, not {value!r}", field=field
        ) from None


def check_provider(provider: str) -> str:
    name = provider.strip().lower()
    if name not in PROVIDERS:
        raise InvalidInput(
            f"unknown provider {provider!r}: one of {', '.join(PROVIDERS)}", field="provider"
        )
    return name


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("give the incident a title (shown on the status page)", field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"the title is at most {TITLE_MAX} characters", field="title")
    return title


class IncidentService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.public_url = public_url
        self.repo = IncidentRepository(session)
        self.audit = AuditService(session, clock)

    async def get(self, incident_id: str, *, for_update: bool = False) -> Incident:
        incident = await self.repo.get(incident_id.strip(), for_update=for_update)
        if incident is None:
            raise IncidentNotFound(f"no incident {incident_id!r}")
        return incident

    async def recent(self, *, limit: int = 50) -> list[Incident]:
        return await self.repo.recent(limit=limit)

    async def shown_since(self, since: datetime) -> list[Incident]:
        """What /status lists: incidents open now or ended after ``since``."""
        return [i for i in await self.repo.touching(since) if i.starts_at <= self.clock.now()]

    async def declare(
        self,
        *,
        provider: str,
        title: str,
        starts_at: datetime,
        ends_at: datetime | None,
        actor: Actor,
    ) -> Incident:
        provider, title = check_provider(provider), check_title(title)
        now = self.clock.now()
        if starts_at > now:
            raise InvalidWindow("an incident cannot start in the future", field="start")
        if ends_at is not None and ends_at <= starts_at:
            raise InvalidWindow("an incident must end after it starts", field="end")
        incident = Incident(
            id=new_id("inc"),
            provider=provider,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor.id,
            created_at=now,
        )
        await self.repo.add(incident)
        await self.repo.flush()
        await self.audit.record(
            "incident.declared",
            actor=actor,
            target_type="incident",
            target_id=incident.id,
            details={
                "provider": provider,
                "title": title,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat() if ends_at else None,
            },
        )
        return incident

    async def end(self, incident_id: str, *, ends_at: datetime, actor: Actor) -> Incident:
        """Close an open incident's window (it stays on /status for a while, as ended)."""
        incident = await self.get(incident_id, for_update=True)
        if incident.ends_at is not None:
            raise InvalidWindow("this incident has already ended", field="end")
        if ends_at <= incident.starts_at or ends_at > self.clock.now():
            raise InvalidWindow("the end is after the start and not in the future", field="end")
        incident.ends_at = ends_at
        await self.audit.record(
            "incident.ended",
            actor=actor,
            target_type="incident",
            target_id=incident.id,
            details={"ends_at": ends_at.isoformat()},
        )
        return incident

    async def preview(self, incident_id: str) -> Reconciliation:
        incident = await self.get(incident_id)
        return Reconciliation(incident, await self._uncredited(incident))

    async def _uncredited(self, incident: Incident) -> list[AccountReturn]:
        now = self.clock.now()
        until = min(incident.ends_at, now) if incident.ends_at else now
        found: dict[str, AccountReturn] = {}
        rows = await self.repo.uncredited_failures(incident.provider, incident.starts_at, until)
        for record, email in rows:
            entry = found.setdefault(record.account_id, AccountReturn(record.account_id, email))
            entry.messages.append(
                FailedMessage(
                    record.id, record.model, record.outcome, record.credits_charged,
                    record.created_at,
                )
            )  # fmt: skip
        return list(found.values())

    async def reconcile(
        self, incident_id: str, *, actor: Actor, note: str | None = None
    ) -> Reconciliation:
        """Return the credits of every uncredited failed message in the window, once.
        ``note``: the operator's reason, kept in the audit log."""
        incident = await self.get(incident_id, for_update=True)
        accounts = await self._uncredited(incident)
        if not accounts:
            return Reconciliation(incident, [])
        run = Reconciliation(incident, accounts, new_id("recon"))
        now = self.clock.now()
        await self.repo.add(
            IncidentReconciliation(
                id=run.reconciliation_id,
                incident_id=incident.id,
                messages=run.messages,
                credits=run.credits,
                accounts=len(accounts),
                created_by=actor.id,
                created_at=now,
            )
        )
        await self.repo.flush()
        reason = f"credits returned for incident {incident.id}: {incident.title}"
        for entry in accounts:
            await self._return(run, entry, reason, actor)
        await self.audit.record(
            "incident.reconciled",
            actor=actor,
            target_type="incident",
            target_id=incident.id,
            details={
                "reconciliation_id": run.reconciliation_id,
                "messages": run.messages,
                "credits": run.credits,
                "accounts": len(accounts),
                "reason": reason,
                "note": (note or "").strip()[:500] or None,
            },
        )
        return run

    async def _return(
        self, run: Reconciliation, entry: AccountReturn, reason: str, actor: Actor
    ) -> None:
        assert run.reconciliation_id is not None
        now = self.clock.now()
        for message in entry.messages:
            await self.repo.add(
                IncidentCredit(
                    request_id=message.request_id,
                    incident_id=run.incident.id,
                    reconciliation_id=run.reconciliation_id,
                    account_id=entry.account_id,
                    credits=message.credits,
                    created_at=now,
                )
            )
        await self.repo.flush()  # the unique request ids first: a racing run fails here
        noun = "message" if len(entry.messages) == 1 else "messages"
        await adjustments.adjust_credits(
            self.session,
            self.clock,
            self.public_url,
            entry.account_id,
            entry.credits,
            reason=f"{reason} ({len(entry.messages)} failed {noun})",
            # Each message is credited once, so its first request id names this grant for good.
            idempotency_key=f"incident:{run.incident.id}:{entry.messages[0].request_id}",
            actor=actor,
        )
