"""Refunds (Terms §3): operator decisions tied to a documented service failure.

Refundable credits are what remains unspent of the payment's grants. The payout is prorated
from what was actually paid (``actually_paid * refundable / granted``) minus the network fee, in
the payment's currency, to the wallet it came from. ``open`` freezes the credits (a ledger hold
on each grant); ``record_payout`` settles the holds as ``refund`` entries once the transfer's
hash is known. A subscription's refund also counts the allowance parts not issued yet and
cancels the period, so they never are. Both steps e-mail the customer and are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import Conflict, InvalidInput
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.ledger.views import Grant
from caicaini.models.payments import Payment, PaymentOrder, PaymentRefund
from caicaini.payments.errors import NothingRefundable, OrderNotFound, OrderState
from caicaini.payments.fulfilment import Fulfilment
from caicaini.payments.manual import DECIMALS, DEFAULT_DECIMALS
from caicaini.payments.repository import PaymentRepository
from caicaini.payments.txhash import normalise_tx_hash


def parse_amount(value: str | Decimal, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInput(f"{field} must be a decimal number", field=field) from exc
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(f"{field} cannot be negative", field=field)
    return amount


@dataclass(frozen=True)
class RefundQuote:
    payment: Payment
    order: PaymentOrder
    grants: list[Grant]  # the payment's grants with credits left (frozen by ``open``)
    credits: int  # refundable: unspent, including allowance parts not issued yet
    granted: int
    gross: Decimal  # the paid amount prorated to the refundable credits
    fee: Decimal
    amount: Decimal  # sent to the wallet: gross less the network fee

    @property
    def currency(self) -> str:
        return self.payment.pay_currency or ""

    @property
    def destination(self) -> str:
        return self.payment.payer_address or ""


class RefundService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.repo = PaymentRepository(session)
        self.audit = AuditService(session, clock)
        self.fulfilment = Fulfilment(session, clock, public_url)

    async def _granted_payment(self, order_id: str) -> tuple[Payment, PaymentOrder]:
        order = await self.repo.order(order_id, for_update=True)
        if order is None:
            raise OrderNotFound("no such order")
        for payment in await self.repo.payments_of_order(order.id):
            if payment.granted_at is not None and payment.reversed_at is None:
                locked = await self.repo.payment(payment.id, for_update=True)
                assert locked is not None
                return locked, order
        raise OrderState("only a paid order can be refunded")

    async def quote(self, order_id: str, *, network_fee: str | Decimal) -> RefundQuote:
        """What refunding the order would do now: the unspent credits and the payout (what
        ``open`` then does, and what the console previews). Changes nothing."""
        from caicaini.ledger.service import LedgerService
        from caicaini.payments.grants import grants_of_payment

        fee = parse_amount(network_fee, "fee")
        payment, order = await self._granted_payment(order_id)
        if any(r.status == "frozen" for r in await self.repo.refunds_of_payment(payment.id)):
            raise OrderState("a refund of this payment is already waiting for its payout")
        if not payment.payer_address or not payment.pay_currency:
            raise Conflict("the wallet this payment came from is not known; it cannot be refunded")
        issued = await grants_of_payment(LedgerService(self.session, self.clock), payment)
        grants = [g for g in issued if g.active and g.remaining > 0]
        # A subscription's allowance parts not issued yet are unspent too: the period is
        # cancelled so they never will be, and they count towards the refund.
        unissued = 0
        if payment.period_id:
            unissued = max(0, (payment.granted_credits or 0) - sum(g.amount for g in issued))
        credits = sum(g.remaining for g in grants) + unissued
        if credits <= 0:
            raise NothingRefundable(
                "every credit of this payment has been spent: nothing is refundable"
            )
        granted = max(payment.granted_credits or order.credits, credits)
        paid = payment.actually_paid or payment.pay_amount or Decimal(0)
        places = Decimal(1).scaleb(-DECIMALS.get(payment.pay_currency, DEFAULT_DECIMALS))
        gross = (paid * credits / granted).quantize(places, rounding=ROUND_DOWN)
        amount = gross - fee
        if amount <= 0:
            raise InvalidInput(
                f"the network fee ({fee}) leaves nothing of {gross} to refund", field="fee"
            )
        return RefundQuote(payment, order, grants, credits, granted, gross, fee, amount)

    async def open(
        self,
        order_id: str,
        *,
        network_fee: str | Decimal,
        actor: Actor,
        incident: str | None = None,
        failed_requests: list[str] | None = None,
    ) -> PaymentRefund:
        from caicaini.ledger.service import LedgerService

        reason_kind, reason_ref = _reason(incident, failed_requests)
        quote = await self.quote(order_id, network_fee=network_fee)
        payment, order, grants = quote.payment, quote.order, quote.grants
        ledger = LedgerService(self.session, self.clock)
        credits, gross, fee, amount = quote.credits, quote.gross, quote.fee, quote.amount
        refund = PaymentRefund(
            id=new_id("rfd"),
            payment_id=payment.id,
            order_id=order.id,
            account_id=order.account_id,
            reason_kind=reason_kind,
            reason_ref=reason_ref,
            credits=credits,
            holds={},
            currency=quote.currency,
            destination=quote.destination,
            gross_amount=gross,
            network_fee=fee,
            amount=amount,
            status="frozen",
            created_by=actor.id,
            created_at=self.clock.now(),
        )
        holds = {}
        for grant in grants:
            request_id = f"refund:{refund.id}:{grant.id}"
            await ledger.freeze(grant.id, request_id=request_id, amount=grant.remaining)
            holds[request_id] = grant.remaining
        refund.holds = holds
        await self.repo.add(refund)
        if payment.period_id:
            await _cancel_period(self, payment.period_id, f"refund {refund.id}", actor)
        await self.audit.record(
            "refund.opened",
            actor=actor,
            target_type="refund",
            target_id=refund.id,
            subject_account_id=order.account_id,
            details={
                "order_id": order.id,
                "payment_id": payment.id,
                "reason_kind": reason_kind,
                "reason_ref": reason_ref[:300],
                "credits": credits,
                "currency": refund.currency,
                "gross": str(gross),
                "fee": str(fee),
                "amount": str(amount),
            },
            personal={"destination": refund.destination},
        )
        await self.fulfilment.notify(
            order,
            "Refund approved",
            f"We approved a refund for {order.label} because of a service failure on our side "
            f"({reason_ref[:200]}).\n{credits} unspent credits are frozen and will leave your "
            f"balance; {amount} {refund.currency.upper()} ({gross} less a network fee of {fee}) "
            "will be sent to "
            f"{refund.destination}.",
        )
        return refund

    async def record_payout(self, refund_id: str, tx_hash: str, *, actor: Actor) -> PaymentRefund:
        from caicaini.ledger.service import LedgerService

        refund = await self.repo.refund(refund_id, for_update=True)
        if refund is None:
            raise OrderNotFound("no such refund")
        if refund.status != "frozen":
            raise OrderState(f"the refund is {refund.status}")
        tx = normalise_tx_hash(tx_hash)
        if await self.repo.refund_by_tx_hash(tx) is not None:
            raise Conflict("this transaction hash is already recorded for a refund")
        ledger = LedgerService(self.session, self.clock)
        for request_id, amount in refund.holds.items():
            await ledger.settle(request_id, int(amount), entry_kind="refund")
        refund.status = "paid"
        refund.tx_hash = tx
        refund.paid_at = self.clock.now()
        await self.repo.flush()
        await self.audit.record(
            "refund.paid",
            actor=actor,
            target_type="refund",
            target_id=refund.id,
            subject_account_id=refund.account_id,
            details={
                "tx_hash": tx,
                "amount": str(refund.amount),
                "currency": refund.currency,
                "credits": refund.credits,
            },
        )
        order = await self.repo.order(refund.order_id)
        assert order is not None
        await self.fulfilment.notify(
            order,
            "Refund sent",
            f"Your refund of {refund.amount} {refund.currency.upper()} "
            f"was sent to {refund.destination}.\n"
            f"Transaction: {tx}\n{refund.credits} credits left your balance.",
        )
        return refund


def _reason(incident: str | None, failed_requests: list[str] | None) -> tuple[str, str]:
    incident = (incident or "").strip()
    requests = [r.strip() for r in failed_requests or [] if r.strip()]
    if bool(incident) == bool(requests):
        raise InvalidInput(
            "a refund names either an incident or a list of failed requests", field="reason"
        )
    if incident:
        return "incident", incident[:1000]
    return "failed_requests", ",".join(requests)[:1000]


async def _cancel_period(service: RefundService, period_id: str, reason: str, actor: Actor) -> None:
    from caicaini.subscriptions.service import SubscriptionService

    await SubscriptionService(service.session, service.clock).cancel_period(
        period_id, reason=reason, actor=actor
    )
