"""What the console shows and does, over the owning domains' services: user look-up with
plan and balance, a user's full picture, and operator actions that always carry a reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.repository import AccountRepository
from caicaini.audit.service import AuditService
from caicaini.errors import InvalidInput, NotFound
from caicaini.kit.clock import Clock
from caicaini.kit.credits import MAX_CREDITS
from caicaini.ledger.service import LedgerService
from caicaini.models.accounts import Account
from caicaini.payments.approvals import ApprovalService, ReviewItem
from caicaini.payments.repository import PaymentRepository
from caicaini.plans.service import PlanService
from caicaini.subscriptions.service import SubscriptionService

SEARCH_LIMIT = 50


@dataclass(frozen=True)
class UserRow:
    account: Account
    plan: str
    balance: int


def require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput("give a reason: it is recorded in the audit log", field="reason")
    return reason


def parse_amount(raw: str) -> int:
    try:
        amount = int(raw.strip().replace(",", ""))
    except ValueError as exc:
        raise InvalidInput("the amount is a whole number of credits", field="amount") from exc
    if amount == 0:
        raise InvalidInput("the amount cannot be zero", field="amount")
    if abs(amount) > MAX_CREDITS:
        raise InvalidInput(f"the amount is at most {MAX_CREDITS:,} credits", field="amount")
    return amount


class ConsoleService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.accounts = AccountRepository(session)
        self.plans = PlanService(session, clock)
        self.ledger = LedgerService(session, clock)

    async def _row(self, account: Account) -> UserRow:
        terms = await self.plans.terms_for(account.id)
        return UserRow(account, terms.plan.name, await self.ledger.balance(account.id))

    async def find_users(self, email_part: str) -> list[UserRow]:
        found = await self.accounts.search(email_part.strip(), limit=SEARCH_LIMIT)
        return [await self._row(a) for a in found]

    async def user(self, account_id: str) -> dict[str, Any]:
        account = await self.accounts.get(account_id)
        if account is None:
            raise NotFound("no such account")
        payments = PaymentRepository(self.session)
        return {
            "user": await self._row(account),
            "period": await SubscriptionService(self.session, self.clock).current_period(
                account.id
            ),
            "grants": [g for g in await self.ledger.grants(account.id) if g.remaining > 0],
            "orders": await payments.orders_of(account.id, limit=20),
            "audit": await AuditService(self.session, self.clock).history(
                subject_account_id=account.id, limit=30
            ),
        }

    async def review_queue(self, public_url: str) -> list[tuple[ReviewItem, str]]:
        items = await ApprovalService(self.session, self.clock, public_url).queue()
        emails = {
            a.id: a.email for a in await self.accounts.by_ids(sorted({i.account_id for i in items}))
        }
        return [(item, emails.get(item.account_id, item.account_id)) for item in items]
