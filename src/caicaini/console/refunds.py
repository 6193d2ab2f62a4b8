"""The console's view of refunds and reversals: what a refund or a reversal of an order
would do (read-only previews over ``payments.refunds`` and the ledger), one refund, and
the refunds report (totals by month and currency, in exact decimals)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.console.formats import crypto
from caicaini.console.repository import ConsoleRepository
from caicaini.kit.clock import Clock
from caicaini.ledger.service import LedgerService
from caicaini.payments.errors import OrderNotFound, OrderState
from caicaini.payments.grants import grants_of_payment
from caicaini.payments.refunds import RefundQuote, RefundService
from caicaini.payments.repository import PaymentRepository


def refund_effects(quote: RefundQuote) -> list[str]:
    cur = quote.currency.upper()
    effects = [
        f"{quote.credits:,} unspent credits are frozen now and leave the balance when the "
        "payout is recorded (credits already spent are never refunded)",
        f"the payout: {crypto(quote.gross)} {cur} prorated from what was paid, less a network "
        f"fee of {crypto(quote.fee)}, is {crypto(quote.amount)} {cur}",
        f"it goes to the wallet the payment came from: {quote.destination}",
        "the customer is e-mailed; you then send the transfer and record its hash",
    ]
    if quote.payment.period_id:
        effects.insert(1, "the subscription period this payment bought is cancelled")
    return effects


async def reversal_effects(session: AsyncSession, clock: Clock, order_id: str) -> list[str]:
    repo = PaymentRepository(session)
    order = await repo.order(order_id)
    if order is None:
        raise OrderNotFound("no such order")
    payment = next(
        (
            p
            for p in await repo.payments_of_order(order.id)
            if p.granted_at is not None and p.reversed_at is None
        ),
        None,
    )
    if payment is None:
        raise OrderState("the order has no granted payment to reverse")
    grants = await grants_of_payment(LedgerService(session, clock), payment)
    left = sum(g.remaining for g in grants if g.active)
    spent = max(0, sum(g.amount for g in grants) - left)
    return [
        f"the {left:,} credits left of this payment leave the balance",
        f"{spent:,} credits already spent from it are recorded as a debt",
        "the account is suspended (Terms §10): its keys stop at once",
        "the customer is e-mailed",
    ]


async def refund_quote(
    session: AsyncSession, clock: Clock, public_url: str, order_id: str, fee: str
) -> RefundQuote:
    return await RefundService(session, clock, public_url).quote(order_id, network_fee=fee)


async def refund_detail(session: AsyncSession, refund_id: str) -> dict[str, Any]:
    repo = PaymentRepository(session)
    refund = await repo.refund(refund_id)
    if refund is None:
        raise OrderNotFound("no such refund")
    account = await repo.account(refund.account_id)
    return {"refund": refund, "email": account.email if account else refund.account_id}


@dataclass
class ReportLine:
    month: str
    currency: str
    refunds: int = 0
    credits: int = 0
    gross: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    paid_out: Decimal = Decimal(0)
    waiting: int = 0  # refunds opened, payout not recorded yet
    ids: list[str] = field(default_factory=list)


async def refunds_report(session: AsyncSession) -> tuple[list[Any], list[ReportLine]]:
    """Every refund (newest first) and the totals by month (of the payout, or of opening
    while it waits) and currency. Paid refunds count in the amounts; waiting ones apart."""
    refunds = await ConsoleRepository(session).refunds()
    lines: dict[tuple[str, str], ReportLine] = defaultdict(lambda: ReportLine("", ""))
    for r in refunds:
        when = r.paid_at or r.created_at
        key = (when.strftime("%Y-%m"), r.currency)
        line = lines[key]
        line.month, line.currency = key
        line.ids.append(r.id)
        if r.status == "paid":
            line.refunds += 1
            line.credits += r.credits
            line.gross += r.gross_amount
            line.fees += r.network_fee
            line.paid_out += r.amount
        elif r.status == "frozen":
            line.waiting += 1
    return refunds, sorted(lines.values(), key=lambda x: (x.month, x.currency), reverse=True)
