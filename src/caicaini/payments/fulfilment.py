"""Delivering what an order bought, once: credits for a top-up, a period for a plan.

The guard is twofold: ``Payment.granted_at`` is set in the same transaction as the grant (the
payment row is locked first), and the ledger / subscription calls carry idempotency keys derived
from the payment id, so even a replay that slipped past the first guard writes nothing.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.kit.clock import Clock
from caicaini.logs import get_logger
from caicaini.mail.service import MailService
from caicaini.models.payments import Payment, PaymentOrder
from caicaini.payments.repository import PaymentRepository

log = get_logger(__name__)


def payment_ref(payment: Payment) -> str:
    return f"payment:{payment.id}"


def prorated_credits(
    actually_paid: Decimal | None, pay_amount: Decimal | None, credits: int
) -> int:
    """floor(actually_paid / pay_amount * credits), never more than the product's credits."""
    if not actually_paid or not pay_amount or pay_amount <= 0 or actually_paid <= 0:
        return 0
    share = (actually_paid * credits / pay_amount).to_integral_value(rounding=ROUND_FLOOR)
    return min(int(share), credits)


class Fulfilment:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.repo = PaymentRepository(session)
        self.mail = MailService(session, clock, public_url)
        self.audit = AuditService(session, clock)

    async def grant(
        self, payment: Payment, order: PaymentOrder, *, actor: Actor, credits: int | None = None
    ) -> bool:
        """Grant the order's credits (or ``credits``, an operator's prorated figure) once."""
        if payment.granted_at is not None:
            return False
        now = self.clock.now()
        ref = payment_ref(payment)
        if order.product_kind == "plan" and (credits is None or credits >= order.credits):
            from caicaini.subscriptions.service import SubscriptionService

            plan_name = order.product.split(":", 1)[1]
            period = await SubscriptionService(self.session, self.clock).start_period(
                order.account_id,
                plan_name,
                confirmed_at=now,
                source_ref=ref,
                idempotency_key=f"{ref}:period",
            )
            payment.period_id = period.id
            granted = order.credits
            if period.starts_at > now:
                what = (
                    "It follows the month you have now: it begins on "
                    f"{period.starts_at:%d %B %Y} and runs until {period.ends_at:%d %B %Y}."
                )
            else:
                what = f"Your month has begun: it runs until {period.ends_at:%d %B %Y}."
        else:
            from caicaini.ledger.service import LedgerService

            granted = order.credits if credits is None else credits
            if granted > 0:
                await LedgerService(self.session, self.clock).grant(
                    order.account_id,
                    granted,
                    "topup",
                    idempotency_key=f"{ref}:grant",
                    source_ref=ref,
                )
            what = f"{granted:,} credits were added to your balance."
        payment.granted_at = now
        payment.granted_credits = granted
        payment.updated_at = now
        if payment.review == "open":
            payment.review = "resolved"
        order.status = "paid"
        order.paid_at = now
        order.updated_at = now
        await self.repo.flush()
        await self.audit.record(
            "payment.granted",
            actor=actor,
            target_type="payment",
            target_id=payment.id,
            subject_account_id=order.account_id,
            details={
                "order_id": order.id,
                "product": order.product,
                "credits": granted,
                "provider": payment.provider,
                "status": payment.status,
            },
        )
        await self.notify(
            order,
            "Payment confirmed",
            f"Your payment for {order.label} is confirmed. {what}\n\nYour receipt: "
            f"{self.mail.public_url}/billing/orders/{order.id}/receipt",
        )
        log.info("payments.granted", payment_id=payment.id, order_id=order.id, credits=granted)
        return True

    async def to_review(self, payment: Payment, order: PaymentOrder, reason: str) -> None:
        """Hold the payment for an operator with a suggested prorated grant."""
        if payment.granted_at is not None or payment.review != "none":
            return
        payment.review = "open"
        payment.review_reason = reason[:300]
        payment.suggested_credits = prorated_credits(
            payment.actually_paid, payment.pay_amount, order.credits
        )
        if order.status in ("pending", "claimed"):
            order.status = "review"
        order.updated_at = self.clock.now()
        await self.repo.flush()
        await self.audit.record(
            "payment.review_opened",
            actor=Actor.system(),
            target_type="payment",
            target_id=payment.id,
            subject_account_id=order.account_id,
            details={
                "order_id": order.id,
                "reason": payment.review_reason,
                "suggested_credits": payment.suggested_credits,
            },
        )
        log.info("payments.review_opened", payment_id=payment.id, reason=reason)

    async def close(self, order: PaymentOrder, reason: str) -> None:
        if order.status not in ("pending", "claimed"):
            return
        order.status = "closed"
        order.status_reason = reason
        order.updated_at = self.clock.now()
        await self.repo.flush()
        await self.audit.record(
            "order.closed",
            actor=Actor.system(),
            target_type="order",
            target_id=order.id,
            subject_account_id=order.account_id,
            details={"reason": reason},
        )

    async def notify(self, order: PaymentOrder, subject: str, body: str) -> None:
        account = await self.repo.account(order.account_id)
        if account is None:
            return
        await self.mail.send(
            account.email,
            "notice",
            {
                "subject": subject,
                "body": f"{body}\n\nYour order: {self.mail.public_url}/billing/orders/{order.id}",
            },
            account_id=account.id,
        )
