"""The console's audit log: filters by actor, account, action and time (an e-mail address
stands for its account's id), the newest entries first with paging, and the chain's
verification on demand (it reads the whole chain)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.repository import AccountRepository
from caicaini.audit.repository import AuditRepository
from caicaini.audit.service import AuditService
from caicaini.errors import InvalidInput
from caicaini.kit.clock import Clock

PAGE = 100


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    account: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None  # inclusive
    before: int | None = None
    query: dict[str, str] = field(default_factory=dict)


def _day(raw: str, name: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError as exc:
        raise InvalidInput(f"{name} is a date such as 2026-11-30", field=name) from exc


def audit_filter(params: dict[str, str]) -> AuditFilter:
    values = {
        k: params.get(k, "").strip()[:200] for k in ("actor", "account", "action", "from", "to")
    }
    before = params.get("before", "").strip()
    if before and not before.isdigit():
        raise InvalidInput("before is an entry number", field="before")
    since, until = _day(values["from"], "from"), _day(values["to"], "to")
    if since and until and until < since:
        raise InvalidInput("the end date is before the start date", field="to")
    return AuditFilter(
        values["actor"], values["account"], values["action"], since, until,
        int(before) if before else None, values,
    )  # fmt: skip


async def _account_id(session: AsyncSession, value: str, name: str) -> str | None:
    if not value or "@" not in value:
        return value or None
    account = await AccountRepository(session).by_email(value.lower())
    if account is None:
        raise InvalidInput(f"no account with e-mail {value}", field=name)
    return account.id


def _start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=UTC) if day else None


async def search(session: AsyncSession, wanted: AuditFilter) -> dict[str, Any]:
    repo = AuditRepository(session)
    entries = await repo.search(
        actor_id=await _account_id(session, wanted.actor, "actor"),
        subject_account_id=await _account_id(session, wanted.account, "account"),
        action=wanted.action or None,
        since=_start(wanted.since),
        until=_start(wanted.until + timedelta(days=1)) if wanted.until else None,
        before_id=wanted.before,
        limit=PAGE,
    )
    return {
        "audit": entries,
        "actions": await repo.actions(),
        "older": entries[-1].id if len(entries) == PAGE else None,
    }


@dataclass(frozen=True)
class ChainStatus:
    rows: int
    problems: list[str]
    checked_at: datetime


async def verify_chain(session: AsyncSession, clock: Clock) -> ChainStatus:
    problems = await AuditService(session, clock).verify()
    rows = await AuditRepository(session).max_id() or 0
    return ChainStatus(rows, problems, clock.now())
