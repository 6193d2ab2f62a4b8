"""Support tools on one account: notes, resending the verification e-mail, clearing a login
lockout. Each is audited with the operator and the reason.

Notes are audit entries (``account.note_added``): append-only, hash-chained, with the actor
and time, and their text kept in the entry's personal part, which retention erases a year
after the account closes like any other personal data about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.moderation import require_reason
from caicaini.accounts.repository import AccountRepository
from caicaini.accounts.service import AccountService
from caicaini.audit.repository import AuditRepository
from caicaini.audit.service import Actor, AuditService
from caicaini.config import Settings
from caicaini.errors import Conflict, InvalidInput, NotFound
from caicaini.kit.clock import Clock
from caicaini.models.accounts import Account

NOTE_ACTION = "account.note_added"
NOTE_MAX = 2000


@dataclass(frozen=True)
class Note:
    at: datetime
    actor_id: str | None
    text: str


@dataclass(frozen=True)
class Lockout:
    failures: int
    limit: int

    @property
    def locked(self) -> bool:
        return self.failures >= self.limit


class AccountSupportService:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.accounts = AccountRepository(session)
        self.audit = AuditService(session, clock)

    async def _account(self, account_id: str) -> Account:
        account = await self.accounts.get(account_id)
        if account is None:
            raise NotFound("no such account")
        return account

    async def add_note(self, account_id: str, text: str, *, actor: Actor) -> None:
        body = text.strip()
        if not body:
            raise InvalidInput("the note is empty", field="note")
        if len(body) > NOTE_MAX:
            raise InvalidInput(f"a note is at most {NOTE_MAX} characters", field="note")
        account = await self._account(account_id)
        await self.audit.record(
            NOTE_ACTION,
            actor=actor,
            target_type="account",
            target_id=account.id,
            subject_account_id=account.id,
            personal={"note": body},
        )

    async def notes(self, account_id: str, *, limit: int = 50) -> list[Note]:
        rows = await AuditRepository(self.session).search(
            subject_account_id=account_id, action=NOTE_ACTION, limit=limit
        )
        return [
            Note(r.at, r.actor_id, str((r.personal or {}).get("note", "(erased)"))) for r in rows
        ]

    async def resend_verification(self, account_id: str, *, reason: str, actor: Actor) -> None:
        text = require_reason(reason)
        account = await self._account(account_id)
        if account.email_verified_at is not None:
            raise Conflict("the e-mail address is already verified")
        if account.status != "active":
            raise Conflict(f"the account is {account.status}")
        await AccountService(self.session, self.clock, self.settings).send_verification(account)
        await self.audit.record(
            "account.verification_resent",
            actor=actor,
            target_type="account",
            target_id=account.id,
            subject_account_id=account.id,
            details={"reason": text},
        )

    async def lockout(self, account: Account) -> Lockout:
        window = timedelta(seconds=self.settings.login_window_seconds)
        count, _oldest = await self.accounts.failures_since(
            f"account:{account.email}", self.clock.now() - window
        )
        return Lockout(count, self.settings.login_max_failures)

    async def clear_lockout(self, account_id: str, *, reason: str, actor: Actor) -> int:
        """Forget the account's failed logins, so its owner can try again now."""
        text = require_reason(reason)
        account = await self._account(account_id)
        failures = (await self.lockout(account)).failures
        await self.accounts.clear_failures(f"account:{account.email}")
        await self.audit.record(
            "account.lockout_cleared",
            actor=actor,
            target_type="account",
            target_id=account.id,
            subject_account_id=account.id,
            details={"reason": text, "failures": failures},
        )
        return failures
