"""The console's view of users: search by anything an operator may hold (e-mail, account id,
IP address, device signal, API key or its visible prefix) and one user's whole picture.

Read-only: actions go through the owning domains' services (``accounts.moderation``,
``accounts.support``, ``notices.adjustments``, ``api_keys.service``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.repository import AccountRepository
from caicaini.accounts.roles import role_of
from caicaini.accounts.support import AccountSupportService
from caicaini.api_keys import keyformat
from caicaini.api_keys.repository import ApiKeyRepository
from caicaini.audit.service import AuditService
from caicaini.config import Settings
from caicaini.console.repository import ConsoleRepository
from caicaini.errors import NotFound
from caicaini.kit.clock import Clock
from caicaini.ledger.service import LedgerService
from caicaini.models.accounts import Account
from caicaini.payments.repository import PaymentRepository
from caicaini.plans.service import PlanService
from caicaini.subscriptions.service import SubscriptionService
from caicaini.trust.service import TrustService, fingerprint_value

SEARCH_LIMIT = 50
USAGE_DAYS = 30
_HEX = re.compile(r"^[0-9a-f]{12,64}$")


@dataclass(frozen=True)
class UserRow:
    account: Account
    plan: str
    balance: int
    matched: str  # what the query matched: "e-mail", "id", "IP", "device", "key"

    @property
    def role(self) -> str | None:
        return role_of(self.account)


@dataclass(frozen=True)
class UsageDay:
    day: str
    messages: int
    credits: int
    share: int  # percent of the busiest day, for the bar chart


def _matchers(query: str) -> list[tuple[str, str]]:
    """(kind, value) look-ups a query stands for; several may apply."""
    q = query.strip()
    if q.startswith("acct_"):
        return [("id", q)]
    if q.startswith(keyformat.PREFIX):
        return [("key", q)]
    try:
        ipaddress.ip_address(q)
        return [("ip", q)]
    except ValueError:
        pass
    found = [("email", q)]
    if _HEX.match(q.lower()):
        found.append(("device", q.lower()))
    elif fingerprint_value(q):
        found.append(("device", fingerprint_value(q) or ""))
    return found


class UserDirectory:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.repo = ConsoleRepository(session)
        self.accounts = AccountRepository(session)
        self.plans = PlanService(session, clock)
        self.ledger = LedgerService(session, clock)

    async def row(self, account: Account, matched: str = "") -> UserRow:
        terms = await self.plans.terms_for(account.id)
        return UserRow(account, terms.plan.name, await self.ledger.balance(account.id), matched)

    async def _find(self, kind: str, value: str) -> list[Account]:
        if kind == "id":
            found = await self.accounts.get(value)
            return [found] if found else []
        if kind == "key":
            if keyformat.well_formed(value):
                return await self.repo.accounts_by_key(
                    key_hash=keyformat.key_hash(value), hint_prefix=None, limit=SEARCH_LIMIT
                )
            prefix = value[: len(keyformat.PREFIX) + 4]
            return await self.repo.accounts_by_key(
                key_hash=None, hint_prefix=prefix, limit=SEARCH_LIMIT
            )
        if kind in ("ip", "device"):
            return await self.repo.accounts_by_signal(kind, [value], SEARCH_LIMIT)
        return await self.accounts.search(value, limit=SEARCH_LIMIT)

    async def search(self, query: str) -> list[UserRow]:
        labels = {"id": "id", "key": "key", "ip": "IP", "device": "device", "email": "e-mail"}
        rows: dict[str, UserRow] = {}
        for kind, value in _matchers(query):
            for account in await self._find(kind, value):
                if account.id not in rows and len(rows) < SEARCH_LIMIT:
                    rows[account.id] = await self.row(account, labels[kind])
        return list(rows.values())

    async def account(self, account_id: str) -> Account:
        account = await self.session.get(Account, account_id)
        if account is None:
            raise NotFound("no such account")
        return account

    async def usage(self, account_id: str) -> list[UsageDay]:
        since = self.clock.now() - timedelta(days=USAGE_DAYS)
        days = await self.repo.usage_by_day(account_id, since)
        top = max((c for _d, _n, c in days), default=0)
        return [UsageDay(d, n, c, round(100 * c / top) if top else 0) for d, n, c in days]

    async def picture(self, account_id: str) -> dict[str, Any]:
        """Everything the user page shows."""
        account = await self.account(account_id)
        support = AccountSupportService(self.session, self.clock, self.settings)
        return {
            "user": await self.row(account),
            "period": await SubscriptionService(self.session, self.clock).current_period(
                account.id
            ),
            "grants": await self.ledger.grants(account.id),
            "usage_days": await self.usage(account.id),
            "recent_usage": await self.repo.recent_usage(account.id, 20),
            "orders": await PaymentRepository(self.session).orders_of(account.id, limit=20),
            "keys": await ApiKeyRepository(self.session).for_account(account.id),
            "related": await TrustService(self.session, self.clock).related_accounts(account.id),
            "second_free": await TrustService(self.session, self.clock).is_second_free_account(
                account.id
            ),
            "lockout": await support.lockout(account),
            "notes": await support.notes(account.id),
            "audit": await AuditService(self.session, self.clock).history(
                subject_account_id=account.id, limit=30
            ),
        }
