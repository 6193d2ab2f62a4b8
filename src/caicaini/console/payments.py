"""The console's view of payments: the review queue with each item's customer, every order
(filtered by status, method and date), one order with its payments, refunds and debt, and
the manual-transfer settings. Read-only; decisions go through ``payments.approvals``,
``payments.manual``, ``payments.refunds`` and ``payments.reversals``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.repository import AccountRepository
from caicaini.console.forms import Preview
from caicaini.console.repository import ConsoleRepository
from caicaini.errors import InvalidInput
from caicaini.kit.clock import Clock
from caicaini.ledger.service import LedgerService
from caicaini.models.payments import ORDER_STATUSES
from caicaini.payments.approvals import ApprovalService, ReviewItem
from caicaini.payments.errors import OrderNotFound, OrderState
from caicaini.payments.repository import PaymentRepository

METHODS = ("nowpayments", "manual")
ORDERS_LIMIT = 200


@dataclass(frozen=True)
class OrderFilter:
    status: str = ""
    method: str = ""
    since: date | None = None
    until: date | None = None  # inclusive
    query: dict[str, str] = field(default_factory=dict)


def _day(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{name} is a date such as 2026-11-30", field=name) from exc


def order_filter(params: dict[str, str]) -> OrderFilter:
    status = params.get("status", "").strip()
    method = params.get("method", "").strip()
    if status and status not in ORDER_STATUSES:
        raise InvalidInput(f"status is one of {', '.join(ORDER_STATUSES)}", field="status")
    if method and method not in METHODS:
        raise InvalidInput(f"method is one of {', '.join(METHODS)}", field="method")
    since, until = (
        _day(params.get("from", "").strip(), "from"),
        _day(params.get("to", "").strip(), "to"),
    )
    if since and until and until < since:
        raise InvalidInput("the end date is before the start date", field="to")
    query = {
        "status": status,
        "method": method,
        "from": params.get("from", ""),
        "to": params.get("to", ""),
    }
    return OrderFilter(status, method, since, until, query)


def _start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=UTC) if day else None


async def orders(session: AsyncSession, wanted: OrderFilter) -> list[tuple[Any, str]]:
    return await ConsoleRepository(session).orders(
        status=wanted.status or None,
        method=wanted.method or None,
        since=_start(wanted.since),
        until=_start(wanted.until + timedelta(days=1)) if wanted.until else None,
        limit=ORDERS_LIMIT,
    )


async def order_detail(session: AsyncSession, order_id: str) -> dict[str, Any]:
    repo = PaymentRepository(session)
    order = await repo.order(order_id)
    if order is None:
        raise OrderNotFound("no such order")
    payments = await repo.payments_of_order(order.id)
    refunds = [r for p in payments for r in await repo.refunds_of_payment(p.id)]
    debts = [d for p in payments if (d := await repo.debt_for_payment(p.id)) is not None]
    account = await repo.account(order.account_id)
    return {
        "order": order,
        "payments": payments,
        "refunds": refunds,
        "debts": debts,
        "email": account.email if account else order.account_id,
        "granted": any(p.granted_at is not None and p.reversed_at is None for p in payments),
    }


async def review_queue(
    session: AsyncSession, clock: Clock, public_url: str
) -> list[tuple[ReviewItem, str]]:
    items = await ApprovalService(session, clock, public_url).queue()
    ids = sorted({i.account_id for i in items})
    emails = {a.id: a.email for a in await AccountRepository(session).by_ids(ids)}
    return [(item, emails.get(item.account_id, item.account_id)) for item in items]


async def approval_preview(
    session: AsyncSession,
    clock: Clock,
    public_url: str,
    order_id: str,
    credits: int | None,
    reason: str,
) -> Preview:
    """What approving does: the credits granted (or the period begun) and the balance after."""
    queue = await review_queue(session, clock, public_url)
    found = next(((i, e) for i, e in queue if i.order_id == order_id), None)
    if found is None:
        raise OrderState(f"order {order_id} has nothing waiting for a decision")
    item, email = found
    grant = credits if credits is not None else item.suggested_credits
    before = await LedgerService(session, clock).balance(item.account_id)
    effects = [
        f"{grant:,} credits are granted to {email}: the balance goes from {before:,} to "
        f"{before + grant:,}"
        if item.product.startswith("topup:") or credits is not None
        else f"the {item.product} period begins for {email}, with its monthly allowance",
        "the customer is e-mailed that the payment is confirmed",
        "the audit log records you as the actor, with the reason",
    ]
    carry = {"reason": reason, "credits": "" if credits is None else str(credits)}
    return Preview(
        "Approve the payment", f"order {order_id}", effects,
        url=f"/console/payments/{order_id}/approve", cancel="/console/payments", carry=carry,
    )  # fmt: skip


async def manual_settings(session: AsyncSession) -> dict[str, Any]:
    return {
        "addresses": await PaymentRepository(session).addresses(),
        "rates": await ConsoleRepository(session).rates(),
    }


async def emails_of(session: AsyncSession, ids: set[str | None]) -> dict[str, str]:
    """Account id -> e-mail, to name actors and subjects next to their full ids."""
    wanted = sorted(i for i in ids if i and i.startswith("acct_"))
    return {a.id: a.email for a in await AccountRepository(session).by_ids(wanted)}
