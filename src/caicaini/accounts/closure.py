"""Account closure and operator status changes (suspend, ban, reactivate).

Later capabilities join in through hooks that run in the SAME transaction as the status
change, so either everything happens or nothing does:

- ``CLOSURE_HOOKS``: ``async def hook(session, clock, account_id, reason)`` run when an
  account closes (credits: forfeit remaining credits; gateway: revoke keys).
- ``STATUS_HOOKS``: ``async def hook(session, clock, account_id, status)`` run after every
  status change (gateway: disable keys while not active, re-enable on reactivation).

Append to these lists at import time of your module (e.g. in ``<domain>/hooks.py`` imported
from your start-up module or your service module).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts import policy
from caicaini.accounts.errors import InvalidCredentials
from caicaini.accounts.repository import AccountRepository
from caicaini.audit.service import Actor, AuditService
from caicaini.config import Settings
from caicaini.errors import Conflict, InvalidInput, NotFound
from caicaini.kit.clock import Clock
from caicaini.kit.text import plain_text
from caicaini.mail.service import MailService
from caicaini.models.accounts import Account

AccountHook = Callable[[AsyncSession, Clock, str, str], Awaitable[None]]

CLOSURE_HOOKS: list[AccountHook] = []
STATUS_HOOKS: list[AccountHook] = []

OPERATOR_STATUSES = ("active", "suspended", "banned")

_NOTICES = {
    "suspended": (
        "Your Caicaini account has been suspended",
        "Your account has been suspended and cannot be used until further notice.",
    ),
    "banned": (
        "Your Caicaini account has been terminated",
        "Your account has been permanently banned under the Terms of Service.",
    ),
    "active": ("Your Caicaini account is active again", "Your account has been reactivated."),
}


class ClosureService:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.repo = AccountRepository(session)
        self.passwords = policy.passwords(settings.password_hash_profile)
        self.audit = AuditService(session, clock)
        self.mail = MailService(session, clock, settings.public_url)

    async def _load(self, account_id: str) -> Account:
        account = await self.repo.get(account_id, for_update=True)
        if account is None:
            raise NotFound("No such account.")
        return account

    async def close_account(self, account_id: str, *, reason: str, actor: Actor) -> Account:
        """Close for good: sessions end, hooks revoke keys and forfeit credits, audited."""
        account = await self._load(account_id)
        if account.status == "closed":
            raise Conflict("This account is already closed.")
        previous = account.status
        account.status = "closed"
        account.status_reason = "Closed at the owner's request." if actor.kind == "user" else reason
        account.closed_at = self.clock.now()
        account.closure_reason = reason[:500]
        account.session_version += 1
        await self.repo.delete_sessions(account.id)
        for hook in CLOSURE_HOOKS:
            await hook(self.session, self.clock, account.id, reason)
        for hook in STATUS_HOOKS:
            await hook(self.session, self.clock, account.id, "closed")
        await self.audit.record(
            "account.closed",
            actor=actor,
            target_type="account",
            target_id=account.id,
            subject_account_id=account.id,
            details={"previous_status": previous, "by": actor.kind},
            personal={"email": account.email, "reason": reason},
        )
        await self.mail.send(
            account.email,
            "notice",
            {
                "subject": "Your Caicaini account is closed",
                "body": "Your account has been closed. Any remaining credits were forfeited, "
                "and API keys no longer work. Thank you for using Caicaini.",
            },
            account_id=account.id,
        )
        return account

    async def close_own_account(
        self, account: Account, *, password: str, reason: str, ip: str | None
    ) -> Account:
        if not self.passwords.verify(account.password_hash, password):
            raise InvalidCredentials("The current password is not correct.")
        return await self.close_account(
            account.id,
            reason=plain_text(reason, "reason", multiline=True).strip() or "closed by the owner",
            actor=Actor("user", account.id, ip),
        )

    async def set_status(self, account_id: str, status: str, reason: str, actor: Actor) -> Account:
        """Operator action: suspend, ban or reactivate, with a reason the user is shown."""
        if status not in OPERATOR_STATUSES:
            raise InvalidInput(
                f"Status must be one of {', '.join(OPERATOR_STATUSES)}.", field="status"
            )
        if status != "active" and not reason.strip():
            raise InvalidInput("Give the reason the user will be shown.", field="reason")
        account = await self._load(account_id)
        if account.status == "closed":
            raise Conflict("A closed account cannot change status.")
        previous = account.status
        if previous == status:
            return account
        account.status = status
        account.status_reason = reason.strip()[:500] if status != "active" else None
        account.session_version += 1
        await self.repo.delete_sessions(account.id)
        for hook in STATUS_HOOKS:
            await hook(self.session, self.clock, account.id, status)
        await self.audit.record(
            "account.status_changed",
            actor=actor,
            target_type="account",
            target_id=account.id,
            subject_account_id=account.id,
            details={"from": previous, "to": status, "reason": reason.strip()[:500]},
        )
        subject, text = _NOTICES[status]
        body = f"{text}\n\nReason: {reason.strip()}" if status != "active" and reason else text
        await self.mail.send(
            account.email, "notice", {"subject": subject, "body": body}, account_id=account.id
        )
        return account
