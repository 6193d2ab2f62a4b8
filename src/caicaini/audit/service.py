"""The audit log: who did what to which object, when and from where.

Append-only and hash-chained: each row stores ``prev_hash`` (the previous row's
``row_hash``) and its own ``row_hash`` = SHA-256 over its canonical content. Editing,
deleting or reordering a row breaks the chain, which ``caicaini audit verify`` reports.

Personal fields (``ip`` and ``personal``) are not hashed directly: the row hash covers their
digest, so the retention job can erase them a year after the account closed while the chain
still verifies.

Appends are serialised: an advisory transaction lock on PostgreSQL, the ``BEGIN IMMEDIATE``
write lock on SQLite.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.repository import AuditRepository
from caicaini.kit.clock import Clock
from caicaini.models.audit import AuditEntry

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def personal_digest(ip: str | None, personal: dict[str, Any] | None) -> str:
    return hashlib.sha256(_canonical({"ip": ip, "personal": personal}).encode()).hexdigest()


def row_hash(entry: AuditEntry) -> str:
    content = {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "subject_account_id": entry.subject_account_id,
        "details": entry.details,
        "personal_digest": entry.personal_digest,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(_canonical(content).encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who acts: a customer, an operator, or the system itself (jobs, webhooks)."""

    kind: str
    id: str | None = None
    ip: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system")


class AuditService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = AuditRepository(session)
        self.clock = clock

    async def record(
        self,
        action: str,
        *,
        actor: Actor,
        target_type: str | None = None,
        target_id: str | None = None,
        subject_account_id: str | None = None,
        details: dict[str, Any] | None = None,
        personal: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one row. ``details`` must hold no secret and no personal data; put e-mail
        addresses and the like in ``personal``, which retention erases."""
        await self.repo.lock_chain()
        prev = await self.repo.last_hash() or GENESIS
        next_id = (await self.repo.max_id() or 0) + 1
        entry = AuditEntry(
            id=next_id,
            at=self.clock.now(),
            actor_kind=actor.kind,
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            subject_account_id=subject_account_id,
            details=details or {},
            ip=actor.ip,
            personal=personal,
            personal_digest=personal_digest(actor.ip, personal),
            prev_hash=prev,
            row_hash="",
        )
        entry.row_hash = row_hash(entry)
        await self.repo.add(entry)
        return entry

    async def verify(self) -> list[str]:
        """Walk the chain; return a description of every break (empty when intact)."""
        problems: list[str] = []
        expected_prev = GENESIS
        async for entry in self.repo.iter_all():
            if entry.anonymised_at is None and entry.personal_digest != personal_digest(
                entry.ip, entry.personal
            ):
                problems.append(f"row {entry.id}: personal fields were altered")
            if entry.prev_hash != expected_prev:
                problems.append(f"row {entry.id}: does not follow the previous row")
            if entry.row_hash != row_hash(entry):
                problems.append(f"row {entry.id}: content does not match its hash")
            expected_prev = entry.row_hash
        return problems

    async def anonymise_closed_accounts(self, retention: timedelta) -> int:
        """Erase personal fields of rows about accounts closed longer than ``retention`` ago."""
        now = self.clock.now()
        return await self.repo.anonymise_closed_before(now - retention, now)

    async def history(
        self, *, subject_account_id: str | None, limit: int = 100
    ) -> list[AuditEntry]:
        return await self.repo.recent(subject_account_id=subject_account_id, limit=limit)
