"""Reversals and chargebacks (Terms §10): the grant's remainder leaves the ledger, spent credits
become a debt, the account is suspended, the customer is told, and every step is audited."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.config import Settings
from caicaini.errors import InvalidInput
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.logs import get_logger
from caicaini.models.payments import Payment, PaymentDebt, PaymentOrder
from caicaini.payments.errors import OrderNotFound, OrderState
from caicaini.payments.fulfilment import Fulfilment, payment_ref
from caicaini.payments.repository import PaymentRepository

log = get_logger(__name__)


class ReversalService:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.repo = PaymentRepository(session)
        self.audit = AuditService(session, clock)
        self.fulfilment = Fulfilment(session, clock, settings.public_url)

    async def reverse_order(
        self, order_id: str, *, reason: str, actor: Actor
    ) -> PaymentDebt | None:
        """An operator records a chargeback / reversal of the order's granted payment."""
        if not reason.strip():
            raise InvalidInput("a reversal needs a reason", field="reason")
        order = await self.repo.order(order_id, for_update=True)
        if order is None:
            raise OrderNotFound("no such order")
        for payment in await self.repo.payments_of_order(order.id):
            if payment.granted_at is not None and payment.reversed_at is None:
                locked = await self.repo.payment(payment.id, for_update=True)
                assert locked is not None
                return await self.reverse(locked, order, reason=reason.strip(), actor=actor)
        raise OrderState("the order has no granted payment to reverse")

    async def reverse(
        self, payment: Payment, order: PaymentOrder, *, reason: str, actor: Actor
    ) -> PaymentDebt | None:
        from caicaini.ledger.service import LedgerService
        from caicaini.payments.grants import grants_of_payment

        if payment.reversed_at is not None:
            return await self.repo.debt_for_payment(payment.id)
        ledger = LedgerService(self.session, self.clock)
        ref = payment_ref(payment)
        if payment.period_id:
            from caicaini.subscriptions.service import SubscriptionService

            # Allowance parts not issued yet never will be.
            await SubscriptionService(self.session, self.clock).cancel_period(
                payment.period_id, reason=f"payment reversed: {reason}"[:200], actor=actor
            )
        grants = await grants_of_payment(ledger, payment)
        removed = 0
        for grant in grants:
            removed += await ledger.remove_remaining(
                grant.id,
                idempotency_key=f"{ref}:reversal:{grant.id}",
                entry_kind="reversal",
                reason=reason,
            )
        refunded = sum(
            r.credits
            for r in await self.repo.refunds_of_payment(payment.id)
            if r.status != "cancelled"
        )
        issued = sum(g.amount for g in grants)
        spent = max(0, issued - removed - refunded)
        now = self.clock.now()
        debt = None
        if spent > 0:
            usd = (order.price_usd * spent / max(order.credits, 1)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
            debt = PaymentDebt(
                id=new_id("debt"),
                account_id=order.account_id,
                payment_id=payment.id,
                credits=spent,
                usd=usd,
                status="open",
                created_at=now,
            )
            await self.repo.add(debt)
        payment.reversed_at = now
        payment.is_open = False
        payment.updated_at = now
        order.status = "reversed"
        order.status_reason = reason[:500]
        order.updated_at = now
        await self.repo.flush()
        await self._suspend(order.account_id, reason, actor)
        await self.audit.record(
            "payment.reversed",
            actor=actor,
            target_type="payment",
            target_id=payment.id,
            subject_account_id=order.account_id,
            details={
                "order_id": order.id,
                "reason": reason[:300],
                "credits_removed": removed,
                "credits_spent": spent,
                "debt_id": debt.id if debt else None,
                "debt_usd": str(debt.usd) if debt else None,
            },
        )
        owed = (
            f"\nCredits already spent from it ({spent}) are recorded as owed: ${debt.usd}."
            if debt
            else ""
        )
        await self.fulfilment.notify(
            order,
            "Payment reversed: account suspended",
            f"Your payment for {order.label} was reversed ({reason}). "
            "The credits it bought were removed "
            f"({removed}) and your account is suspended (Terms §10).{owed}",
        )
        log.warning("payments.reversed", payment_id=payment.id, removed=removed, spent=spent)
        return debt

    async def _suspend(self, account_id: str, reason: str, actor: Actor) -> None:
        from caicaini.accounts.closure import ClosureService

        text = f"payment reversed: {reason}"[:500]
        account = await self.repo.account(account_id)
        if account is None or account.status in ("suspended", "banned", "closed"):
            return
        await ClosureService(self.session, self.clock, self.settings).set_status(
            account_id, "suspended", text, actor
        )
