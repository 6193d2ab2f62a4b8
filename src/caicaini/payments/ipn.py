"""NOWPayments callbacks: verify, store once, answer; then re-fetch and advance.

1. ``CallbackIntake.receive`` checks ``x-nowpayments-sig`` (raw body, then the canonical form)
   and stores the callback under the unique (provider, payment id, status). A bad signature
   raises before anything is written. A repeat is recognised and ignored.
2. ``sync_payment`` asks the API for the payment (the callback body is never trusted for
   status or amounts) and ``PaymentSync.apply`` advances our record monotonically, granting,
   reviewing, closing or reversing as the status demands. The poller calls the same function.
   A payment reported paid goes to review instead of being credited when something does not
   match: a repeated deposit, another price, an order already paid or cancelled, or less
   actually paid than due beyond ``underpayment_tolerance_percent`` (``underpayment``; the
   suggested grant is prorated to what was paid, as for ``partially_paid``).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.errors import AuthenticationFailed, InvalidInput
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.logs import get_logger
from caicaini.models.payments import Payment, PaymentCallback, PaymentOrder
from caicaini.payments import status as st
from caicaini.payments.fulfilment import Fulfilment
from caicaini.payments.nowpayments import PaymentProvider, PaymentStatus
from caicaini.payments.repository import PaymentRepository
from caicaini.payments.signature import parse_body, verify

log = get_logger(__name__)
PROVIDER = "nowpayments"


def underpayment(payment: Payment, tolerance_percent: Decimal) -> str | None:
    """Why a payment reported paid (``finished``, ``confirmed``...) is not credited in full:
    what was actually paid falls short of what was due, in the payment's own currency, by
    more than ``tolerance_percent`` (network fees deducted by an exchange). None when it
    does not (or when the provider reported no amounts to compare)."""
    paid, due = payment.actually_paid, payment.pay_amount
    if paid is None or due is None or due <= 0:
        return None
    if paid * 100 >= due * (100 - tolerance_percent):
        return None
    short = ((due - paid) * 100 / due).quantize(Decimal("0.01"))
    currency = f" {payment.pay_currency}" if payment.pay_currency else ""
    return (
        f"underpaid: {paid} of {due}{currency} actually paid "
        f"({short}% short, over the {tolerance_percent}% tolerance)"
    )


class BadSignature(AuthenticationFailed):
    """An IPN whose signature does not verify is dropped unread."""

    code = "bad_signature"


class CallbackIntake:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = PaymentRepository(session)
        self.clock = clock

    async def receive(self, raw: bytes, signature: str | None, secret: str) -> tuple[str, bool]:
        """Return (provider payment id, first time seen)."""
        if not verify(secret, raw, signature):
            log.warning("payments.ipn_bad_signature", size=len(raw))
            raise BadSignature("invalid IPN signature")
        try:
            data = parse_body(raw)
            payment_id = str(data["payment_id"])
            status = str(data.get("payment_status") or "unknown")[:32]
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput("malformed IPN body") from exc
        callback = PaymentCallback(
            provider=PROVIDER,
            provider_payment_id=payment_id[:64],
            status=status,
            body=raw.decode("utf-8", "replace"),
            received_at=self.clock.now(),
        )
        first = await self.repo.try_add(callback)
        log.info("payments.ipn_received", payment_id=payment_id, status=status, first=first)
        return payment_id, first


async def sync_payment(
    ctx: AppContext, provider: PaymentProvider, provider_payment_id: str
) -> str | None:
    """Fetch the payment from the API and apply it; returns our resulting status."""
    fetched = await provider.get_payment_status(provider_payment_id)
    async with ctx.transaction() as session:
        payment = await PaymentSync(session, ctx.clock, ctx.settings).apply(fetched)
        return payment.status if payment else None


class PaymentSync:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.repo = PaymentRepository(session)
        self.fulfilment = Fulfilment(session, clock, settings.public_url)

    async def apply(self, fetched: PaymentStatus) -> Payment | None:
        now = self.clock.now()
        found = await self._payment_and_order(fetched)
        await self.repo.mark_callbacks_processed(PROVIDER, fetched.payment_id, now)
        if found is None:
            log.warning("payments.unknown_order", payment_id=fetched.payment_id)
            return None
        payment, order = found
        self._refresh(payment, fetched)
        if st.moves_forward(payment.status, fetched.status):
            log.info(
                "payments.status", payment_id=payment.id, old=payment.status, new=fetched.status
            )
            payment.status = fetched.status
            payment.status_rank = st.rank(fetched.status)
        payment.is_open = payment.status not in st.NOT_POLLED
        payment.checked_at = now
        payment.updated_at = now
        await self.repo.flush()
        if fetched.status not in st.RANK and payment.granted_at is None:
            # A status we do not know (NOWPayments adds some, e.g. wrong_asset_confirmed).
            await self.fulfilment.to_review(payment, order, f"unknown status {fetched.status[:40]}")
        await self._act(payment, order)
        return payment

    async def _payment_and_order(
        self, fetched: PaymentStatus
    ) -> tuple[Payment, PaymentOrder] | None:
        payment = await self.repo.payment_by_provider_id(
            PROVIDER, fetched.payment_id, for_update=True
        )
        if payment is not None:
            order = await self.repo.order(payment.order_id, for_update=True)
            assert order is not None
            return payment, order
        order = (
            await self.repo.order(fetched.order_id, for_update=True) if fetched.order_id else None
        )
        if order is None or order.method != PROVIDER:
            return None
        now = self.clock.now()
        payment = Payment(
            id=new_id("pay"),
            order_id=order.id,
            account_id=order.account_id,
            provider=PROVIDER,
            provider_payment_id=fetched.payment_id,
            status="waiting",
            status_rank=st.rank("waiting"),
            is_open=True,
            review="none",
            provider_data={},
            created_at=now,
            updated_at=now,
            checked_at=now,
        )
        if not await self.repo.try_add(payment):
            again = await self.repo.payment_by_provider_id(
                PROVIDER, fetched.payment_id, for_update=True
            )
            assert again is not None
            payment = again
        return payment, order

    @staticmethod
    def _refresh(payment: Payment, fetched: PaymentStatus) -> None:
        payment.parent_payment_id = fetched.parent_payment_id
        payment.price_amount = fetched.price_amount
        payment.price_currency = fetched.price_currency
        payment.pay_amount = fetched.pay_amount
        payment.pay_currency = fetched.pay_currency
        if fetched.actually_paid is not None:
            payment.actually_paid = fetched.actually_paid
        if fetched.payer_address:
            payment.payer_address = fetched.payer_address
        payment.provider_data = fetched.raw

    def _problem(self, payment: Payment, order: PaymentOrder, others_paid: bool) -> str | None:
        if order.status == "cancelled":
            return "paid after the customer cancelled the order"
        if payment.parent_payment_id:
            return f"repeated deposit (parent payment {payment.parent_payment_id})"
        if (payment.price_currency or "usd") != "usd":
            return f"price currency {payment.price_currency} is not usd"
        if payment.price_amount is not None and payment.price_amount != order.price_usd:
            return f"price {payment.price_amount} differs from the order's {order.price_usd}"
        if others_paid:
            return "the order was already paid by another payment"
        return underpayment(payment, self.settings.underpayment_tolerance_percent)

    async def _act(self, payment: Payment, order: PaymentOrder) -> None:
        status = payment.status
        system = Actor.system()
        if status == "refunded":
            if payment.granted_at is not None and payment.reversed_at is None:
                from caicaini.payments.reversals import ReversalService

                await ReversalService(self.session, self.clock, self.settings).reverse(
                    payment, order, reason="refunded by the payment provider", actor=system
                )
            elif payment.granted_at is None:
                await self.fulfilment.close(order, "payment refunded")
            return
        if payment.granted_at is not None or payment.review == "resolved":
            return
        if status in st.CONFIRMED or status == "partially_paid":
            siblings = await self.repo.payments_of_order(order.id)
            others_paid = any(p.granted_at is not None for p in siblings if p.id != payment.id)
            problem = self._problem(payment, order, others_paid)
            if status == "partially_paid":
                problem = (
                    f"partially paid: {payment.actually_paid} of {payment.pay_amount} "
                    f"{payment.pay_currency}"
                )
            if problem:
                first = payment.review == "none"
                await self.fulfilment.to_review(payment, order, problem)
                if first and order.status == "cancelled":
                    await self.fulfilment.notify(
                        order,
                        "Payment received for a cancelled order",
                        f"A payment arrived for your order of {order.label}, which you had "
                        "cancelled. It was not credited: an operator reviews it and contacts you.",
                    )
            elif payment.review == "none":
                await self.fulfilment.grant(payment, order, actor=system)
        elif status in st.CLOSING and payment.review == "none":
            await self.fulfilment.close(order, f"payment {status}")
