"""The operator's powers over an account (Terms §5, §10): suspend, ban, reinstate, forfeit.

One service for the console and the command line (``caicaini users suspend|ban|reinstate|
forfeit --email E --reason R``), so both do exactly the same thing:

- every action needs a reason, which the user is e-mailed and the audit log records with
  the actor;
- suspend and ban end the user's sessions and disable every API key in the same transaction
  (``ClosureService.set_status`` and its hooks); the key cache is told at once, in this
  process and, with Redis, in every other; reinstate re-enables the keys not revoked;
- forfeit removes every unspent credit for good (``LedgerService.forfeit_all``) under an
  idempotency key, so a double submit forfeits once;
- ``preview`` says what an action will do before it is done (the console shows it with
  the typed confirmation).

An action that changes nothing (suspending a suspended account) returns ``changed=False``
and records nothing: a repeated command or a double-submitted form takes effect once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.closure import ClosureService
from caicaini.accounts.repository import AccountRepository
from caicaini.audit.service import Actor
from caicaini.config import Settings
from caicaini.errors import Conflict, InvalidInput, NotFound
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.mail.service import MailService
from caicaini.models.accounts import Account

# action -> the status it sets
STATUS_ACTIONS = {"suspend": "suspended", "ban": "banned", "reinstate": "active"}
ACTIONS = (*STATUS_ACTIONS, "forfeit")


@dataclass(frozen=True)
class Outcome:
    account: Account
    changed: bool
    credits: int = 0  # forfeited


@dataclass(frozen=True)
class Preview:
    action: str
    account: Account
    effects: list[str] = field(default_factory=list)
    blocked: str | None = None  # why the action cannot be done, when it cannot


def require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("give a reason: it is recorded in the audit log", field="reason")
    if len(text) > 500:
        raise InvalidInput("the reason is at most 500 characters", field="reason")
    return text


class ModerationService:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.accounts = AccountRepository(session)

    async def by_email(self, email: str) -> Account:
        from caicaini.accounts.service import AccountService

        account = await AccountService(self.session, self.clock, self.settings).by_email(email)
        if account is None:
            raise NotFound(f"no account with e-mail {email.strip()}")
        return account

    async def _account(self, account_id: str) -> Account:
        account = await self.accounts.get(account_id)
        if account is None:
            raise NotFound("no such account")
        return account

    async def preview(self, action: str, account_id: str) -> Preview:
        from caicaini.api_keys.repository import ApiKeyRepository
        from caicaini.ledger.service import LedgerService

        if action not in ACTIONS:
            raise InvalidInput(f"the action is one of {', '.join(ACTIONS)}", field="action")
        account = await self._account(account_id)
        if account.status == "closed":
            return Preview(action, account, blocked="the account is closed")
        keys = len(await ApiKeyRepository(self.session).active_for_account(account.id))
        if action == "forfeit":
            balance = await LedgerService(self.session, self.clock).balance(account.id)
            return Preview(
                action,
                account,
                [
                    f"{balance:,} unspent credits leave the balance for good (a ledger forfeit)",
                    "the user is e-mailed the reason",
                    "the account's status does not change",
                ],
            )
        target = STATUS_ACTIONS[action]
        if account.status == target:
            return Preview(action, account, blocked=f"the account is already {target}")
        if target == "active":
            effects = [
                f"the account becomes active: {keys} API key(s) not revoked work again",
                "the user can log in again and is e-mailed",
            ]
        else:
            effects = [
                f"{keys} API key(s) stop working at once, on every server process",
                "every web session ends: the user is logged out",
                f"the user is e-mailed that the account is {target}, with the reason",
                "the balance stays as it is (forfeiting is a separate action)",
            ]
            if target == "banned":
                effects.append("new sign-ups from the account's devices and addresses are refused")
        return Preview(action, account, effects)

    async def set_status(
        self, action: str, account_id: str, *, reason: str, actor: Actor
    ) -> Outcome:
        if action not in STATUS_ACTIONS:
            raise InvalidInput(f"the action is one of {', '.join(STATUS_ACTIONS)}", field="action")
        text = require_reason(reason)
        account = await self._account(account_id)
        if account.status == "closed":
            raise Conflict("a closed account cannot change status")
        if account.status == STATUS_ACTIONS[action]:
            return Outcome(account, changed=False)
        closure = ClosureService(self.session, self.clock, self.settings)
        account = await closure.set_status(account.id, STATUS_ACTIONS[action], text, actor)
        return Outcome(account, changed=True)

    async def suspend(self, account_id: str, *, reason: str, actor: Actor) -> Outcome:
        return await self.set_status("suspend", account_id, reason=reason, actor=actor)

    async def ban(self, account_id: str, *, reason: str, actor: Actor) -> Outcome:
        return await self.set_status("ban", account_id, reason=reason, actor=actor)

    async def reinstate(self, account_id: str, *, reason: str, actor: Actor) -> Outcome:
        return await self.set_status("reinstate", account_id, reason=reason, actor=actor)

    async def forfeit(
        self,
        account_id: str,
        *,
        reason: str,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Forfeit every unspent credit. ``idempotency_key`` (a console form's) makes a
        repeated submission forfeit once; without one, each call is a new forfeiture."""
        from caicaini.ledger.service import LedgerService

        text = require_reason(reason)
        account = await self._account(account_id)
        if account.status == "closed":
            raise Conflict("a closed account's credits were already forfeited")
        key = f"forfeit:{account.id}:{idempotency_key or new_id('ffx')}"
        ledger = LedgerService(self.session, self.clock)
        replay = await ledger.repo.entries_for_operation(key)
        credits = await ledger.forfeit_all(
            account.id, reason=text, idempotency_key=key, actor=actor
        )
        if replay:
            return Outcome(account, changed=False, credits=credits)
        await MailService(self.session, self.clock, self.settings.public_url).send(
            account.email,
            "notice",
            {
                "subject": "Credits on your Caicaini account were forfeited",
                "body": f"{credits:,} unspent credits were removed from your account under "
                f"section 5 of the Terms of Service.\n\nReason: {text}",
            },
            account_id=account.id,
        )
        return Outcome(account, changed=True, credits=credits)
