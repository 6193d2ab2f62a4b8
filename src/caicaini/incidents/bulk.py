"""Bulk credit: the same positive adjustment to a chosen set of accounts, with one reason
(compensation after an incident, a goodwill gesture), in one transaction.

The operator names accounts by e-mail address or account id; ``plan`` says who would get what
and which names match nothing, and ``grant`` refuses the whole batch while any name is unknown
or closed (never a partial batch). Each account's credits are an ``adjustment`` grant through
``adjust_credits`` (audited, the customer notified) under ``bulk:<batch key>:<account id>``, so
a double-submitted form grants once; the batch itself is audited once as
``credits.bulk_granted``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.repository import AccountRepository
from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput
from caicaini.kit.clock import Clock
from caicaini.ledger.repository import LedgerRepository
from caicaini.models.accounts import Account
from caicaini.notices import adjustments

MAX_ACCOUNTS = 500
MAX_CREDITS = 1_000_000
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class BulkPlan:
    amount: int
    accounts: list[Account] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.amount * len(self.accounts)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.unknown:
            found.append("no account for " + ", ".join(self.unknown))
        if self.closed:
            found.append("closed (their credits were forfeited): " + ", ".join(self.closed))
        return found


def parse_names(text: str) -> list[str]:
    names: list[str] = []
    for name in _SEPARATORS.split(text.strip()):
        name = name.strip().lower() if "@" in name else name.strip()
        if name and name not in names:
            names.append(name)
    return names


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput("a bulk credit is a positive whole number of credits", field="amount")
    if amount > MAX_CREDITS:
        raise InvalidInput(f"at most {MAX_CREDITS:,} credits an account", field="amount")
    return amount


class BulkCreditService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.public_url = public_url
        self.accounts = AccountRepository(session)

    async def plan(self, names_text: str, amount: int) -> BulkPlan:
        amount = check_amount(amount)
        names = parse_names(names_text)
        if not names:
            raise InvalidInput("name at least one account (e-mail or id)", field="accounts")
        if len(names) > MAX_ACCOUNTS:
            raise InvalidInput(f"at most {MAX_ACCOUNTS} accounts a batch", field="accounts")
        plan = BulkPlan(amount)
        for name in names:
            account = await (
                self.accounts.by_email(name) if "@" in name else self.accounts.get(name)
            )
            if account is None:
                plan.unknown.append(name)
            elif account.status == "closed":
                plan.closed.append(name)
            elif account not in plan.accounts:
                plan.accounts.append(account)
        return plan

    async def grant(
        self, names_text: str, amount: int, *, reason: str, batch_key: str, actor: Actor
    ) -> BulkPlan:
        reason = reason.strip()
        if not reason:
            raise InvalidInput("give a reason: every customer is told it", field="reason")
        plan = await self.plan(names_text, amount)
        if plan.problems:
            raise InvalidInput("; ".join(plan.problems) + ": nothing was granted", field="accounts")
        keys = [f"bulk:{batch_key}:{a.id}" for a in plan.accounts]
        replay = await LedgerRepository(self.session).entry_by_key(keys[0]) is not None
        for account, key in zip(plan.accounts, keys, strict=True):
            await adjustments.adjust_credits(
                self.session, self.clock, self.public_url, account.id, plan.amount,
                reason=reason, idempotency_key=key, actor=actor,
            )  # fmt: skip
        if not replay:
            await AuditService(self.session, self.clock).record(
                "credits.bulk_granted",
                actor=actor,
                target_type="batch",
                target_id=batch_key[:64],
                details={
                    "accounts": len(plan.accounts),
                    "amount": plan.amount,
                    "total": plan.total,
                    "reason": reason[:500],
                },
            )
        return plan
