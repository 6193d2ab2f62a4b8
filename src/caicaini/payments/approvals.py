"""Operator decisions: the review queue (manual claims, partial / repeated / mismatched
NOWPayments payments), approval (credits granted, period begins) and rejection with a reason.
Both outcomes are e-mailed to the customer and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput
from caicaini.kit.clock import Clock
from caicaini.models.payments import Payment, PaymentOrder
from caicaini.payments import status as st
from caicaini.payments.errors import OrderNotFound, OrderState
from caicaini.payments.fulfilment import Fulfilment
from caicaini.payments.repository import PaymentRepository


@dataclass(frozen=True)
class ReviewItem:
    order_id: str
    payment_id: str
    account_id: str
    product: str
    price_usd: Decimal
    method: str
    reason: str
    label: str  # the product in words ("Top-up, 2,000 credits")
    pay_currency: str | None
    pay_amount: Decimal | None
    actually_paid: Decimal | None
    tx_hash: str | None
    suggested_credits: int
    network: str | None = None
    payer_address: str | None = None
    created_at: datetime | None = None


class ApprovalService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.repo = PaymentRepository(session)
        self.audit = AuditService(session, clock)
        self.fulfilment = Fulfilment(session, clock, public_url)

    async def queue(self) -> list[ReviewItem]:
        items = []
        for payment, order in await self.repo.review_queue():
            manual = payment.provider == "manual"
            items.append(
                ReviewItem(
                    order_id=order.id,
                    payment_id=payment.id,
                    account_id=order.account_id,
                    product=order.product,
                    label=order.label,
                    price_usd=order.price_usd,
                    method=order.method,
                    reason="manual transfer claim" if manual else (payment.review_reason or ""),
                    pay_currency=payment.pay_currency,
                    pay_amount=payment.pay_amount,
                    actually_paid=payment.actually_paid,
                    tx_hash=payment.tx_hash,
                    suggested_credits=order.credits if manual else (payment.suggested_credits or 0),
                    network=(payment.provider_data or {}).get("network") or order.pay_network,
                    payer_address=payment.payer_address,
                    created_at=payment.created_at,
                )
            )
        return items

    async def _pending(self, order_id: str) -> tuple[Payment, PaymentOrder]:
        order = await self.repo.order(order_id, for_update=True)
        if order is None:
            raise OrderNotFound("no such order")
        for payment in await self.repo.payments_of_order(order.id):
            if payment.granted_at is None and (
                payment.review == "open" or payment.status == "claimed"
            ):
                locked = await self.repo.payment(payment.id, for_update=True)
                assert locked is not None
                return locked, order
        raise OrderState(
            f"order {order.id} has nothing waiting for a decision (it is {order.status})"
        )

    async def approve(
        self,
        order_id: str,
        *,
        actor: Actor,
        credits: int | None = None,
        reason: str | None = None,
    ) -> Payment:
        """Grant the order (or ``credits``: a prorated top-up for a short payment); the
        operator's ``reason`` goes into the audit record."""
        payment, order = await self._pending(order_id)
        if credits is not None and credits < 0:
            raise InvalidInput("credits cannot be negative", field="credits")
        if payment.provider == "manual":
            payment.status = "approved"
            payment.status_rank = st.rank("approved")
            payment.is_open = False
        payment.review = "resolved" if payment.review == "open" else payment.review
        await self.audit.record(
            "payment.approved",
            actor=actor,
            target_type="payment",
            target_id=payment.id,
            subject_account_id=order.account_id,
            details={
                "order_id": order.id,
                "credits": credits if credits is not None else order.credits,
                **({"reason": reason.strip()[:300]} if reason and reason.strip() else {}),
            },
        )
        await self.fulfilment.grant(payment, order, actor=actor, credits=credits)
        return payment

    async def reject(self, order_id: str, reason: str, *, actor: Actor) -> Payment:
        reason = reason.strip()
        if not reason:
            raise InvalidInput("a rejection needs a reason", field="reason")
        payment, order = await self._pending(order_id)
        now = self.clock.now()
        if payment.provider == "manual":
            payment.status = "rejected"
            payment.status_rank = st.rank("rejected")
            payment.is_open = False
        payment.review = "resolved" if payment.review == "open" else payment.review
        payment.review_reason = reason[:300]
        payment.updated_at = now
        order.status = "rejected"
        order.status_reason = reason[:500]
        order.updated_at = now
        await self.repo.flush()
        await self.audit.record(
            "payment.rejected",
            actor=actor,
            target_type="payment",
            target_id=payment.id,
            subject_account_id=order.account_id,
            details={"order_id": order.id, "reason": reason[:300]},
        )
        await self.fulfilment.notify(
            order,
            "Payment not accepted",
            f"We could not accept your payment for {order.label}.\nReason: {reason}\n"
            "Reply to this e-mail if you think this is a mistake.",
        )
        return payment
