"""The actions an admin takes on one user, each in two steps: a preview that says what will
happen (and, when destructive, asks for the account's e-mail typed out), then the action
itself through the owning domain's service, the same one its CLI command uses.

    suspend, ban, reinstate, forfeit   accounts.moderation.ModerationService
    credits                            notices.adjustments.adjust_credits (ledger + notice)
    revoke-key                         api_keys.service.ApiKeyService.revoke
    resend-verification, clear-lockout accounts.support.AccountSupportService

The preview hands the action an operation key (``op``) carried by the confirmation form, so
a double-submitted confirmation adjusts or forfeits once; the status changes are idempotent
by themselves.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.moderation import ModerationService
from caicaini.accounts.support import AccountSupportService
from caicaini.api_keys.service import ApiKeyService
from caicaini.audit.service import Actor
from caicaini.config import Settings
from caicaini.console.forms import Preview, parse_amount, require_reason
from caicaini.errors import Conflict, InvalidInput
from caicaini.kit.clock import Clock
from caicaini.ledger.service import LedgerService
from caicaini.models.accounts import Account
from caicaini.notices import adjustments

LABELS = {
    "suspend": "Suspend",
    "ban": "Ban",
    "reinstate": "Reinstate",
    "forfeit": "Forfeit credits",
    "credits": "Adjust credits",
    "revoke-key": "Revoke key",
    "resend-verification": "Resend verification e-mail",
    "clear-lockout": "Clear login lockout",
}
DONE = {
    "suspend": "Suspended: the user's keys stopped and the user was e-mailed.",
    "ban": "Banned: the user's keys stopped and the user was e-mailed.",
    "reinstate": "Reinstated: the account is active again and the user was e-mailed.",
    "forfeit": "Credits forfeited; the user was e-mailed.",
    "credits": "Credits adjusted. The user was notified by e-mail and on their dashboard.",
    "revoke-key": "Key revoked: it stopped working at once.",
    "resend-verification": "A new verification e-mail was sent.",
    "clear-lockout": "Login lockout cleared: the user can log in now.",
    "note": "Note added.",
}
# The form field a failure belongs to, so the user page shows it on the right card.
GROUP = {"suspend": "status", "ban": "status", "reinstate": "status"}


def action_of(form: dict[str, str]) -> str:
    action = form.get("action", "")
    if action not in LABELS:
        raise InvalidInput("choose an action", field="action")
    return action


def is_destructive(action: str, form: dict[str, str]) -> bool:
    if action == "credits":
        return parse_amount(form.get("amount", "")) < 0
    return action in ("suspend", "ban", "forfeit", "revoke-key")


class UserActions:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.moderation = ModerationService(session, clock, settings)
        self.support = AccountSupportService(session, clock, settings)
        self.keys = ApiKeyService(session, clock)

    async def preview(self, account: Account, action: str, form: dict[str, str]) -> Preview:
        reason = require_reason(form.get("reason"))
        carry = {"action": action, "reason": reason}
        if action in ("suspend", "ban", "reinstate", "forfeit"):
            found = await self.moderation.preview(action, account.id)
            if found.blocked:
                raise Conflict(f"cannot {action}: {found.blocked}")
            effects = found.effects
        elif action == "credits":
            effects = await self._credit_effects(account, parse_amount(form.get("amount", "")))
            carry["amount"] = str(parse_amount(form.get("amount", "")))
        elif action == "revoke-key":
            key = await self.keys.owned(account.id, form.get("key_id", ""))
            if key.revoked_at is not None:
                raise Conflict("that key is already revoked")
            effects = [f'the key "{key.name}" ({key.hint}) stops working at once, for good']
            carry["key_id"] = key.id
        elif action == "resend-verification":
            if account.email_verified_at is not None:
                raise Conflict("the e-mail address is already verified")
            effects = [f"a new verification link is e-mailed to {account.email}"]
        else:
            lockout = await self.support.lockout(account)
            effects = [
                f"{lockout.failures} recent failed login(s) are forgotten; "
                "the user can log in at once"
            ]
        effects.append("the audit log records you as the actor, with the reason")
        return Preview(
            LABELS[action],
            account.email,
            effects,
            url=f"/console/users/{account.id}/actions",
            cancel=f"/console/users/{account.id}",
            carry=carry,
            confirm_word=account.email if is_destructive(action, form) else None,
        )

    async def _credit_effects(self, account: Account, amount: int) -> list[str]:
        balance = await LedgerService(self.session, self.clock).balance(account.id)
        if balance + amount < 0:
            raise InvalidInput(
                f"only {balance:,} credits are available to take out", field="amount"
            )
        verb = "granted" if amount > 0 else "taken out"
        return [
            f"{abs(amount):,} credits are {verb}: the balance goes from {balance:,} "
            f"to {balance + amount:,}",
            "the user is told by e-mail and on the dashboard",
        ]

    async def apply(
        self, account: Account, action: str, form: dict[str, str], *, op: str, actor: Actor
    ) -> None:
        reason = require_reason(form.get("reason"))
        if action in ("suspend", "ban", "reinstate"):
            await self.moderation.set_status(action, account.id, reason=reason, actor=actor)
        elif action == "forfeit":
            await self.moderation.forfeit(
                account.id, reason=reason, actor=actor, idempotency_key=op
            )
        elif action == "credits":
            await adjustments.adjust_credits(
                self.session,
                self.clock,
                self.settings.public_url,
                account.id,
                parse_amount(form.get("amount", "")),
                reason=reason,
                idempotency_key=f"console-adjust:{op}",
                actor=actor,
            )
        elif action == "revoke-key":
            await self.keys.revoke(
                account.id, form.get("key_id", ""), actor=actor, reason="operator", note=reason
            )
        elif action == "resend-verification":
            await self.support.resend_verification(account.id, reason=reason, actor=actor)
        else:
            await self.support.clear_lockout(account.id, reason=reason, actor=actor)
