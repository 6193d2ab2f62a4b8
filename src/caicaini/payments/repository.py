"""All SQL of the payments domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account
from caicaini.models.payments import (
    ManualAddress,
    ManualRate,
    Payment,
    PaymentCallback,
    PaymentDebt,
    PaymentOrder,
    PaymentRefund,
)


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def try_add(self, row: object) -> bool:
        """Insert under a savepoint; False when a unique constraint says it exists already."""
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def flush(self) -> None:
        await self.session.flush()

    # -- accounts --------------------------------------------------------------------------
    async def account(self, account_id: str, *, for_update: bool = False) -> Account | None:
        if for_update:
            query = select(Account).where(Account.id == account_id).with_for_update()
            return await self.session.scalar(query)
        return await self.session.get(Account, account_id)

    async def account_by_email(self, email: str) -> Account | None:
        return await self.session.scalar(
            select(Account).where(Account.email == email.strip().lower())
        )

    async def set_account_status(self, account_id: str, status: str, reason: str) -> None:
        await self.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(status=status, status_reason=reason)
        )

    # -- orders ----------------------------------------------------------------------------
    async def order(self, order_id: str, *, for_update: bool = False) -> PaymentOrder | None:
        query = select(PaymentOrder).where(PaymentOrder.id == order_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def orders_of(self, account_id: str, *, limit: int | None = 50) -> list[PaymentOrder]:
        """The account's orders, newest first (``limit=None``: every one)."""
        query = (
            select(PaymentOrder)
            .where(PaymentOrder.account_id == account_id)
            .order_by(PaymentOrder.created_at.desc(), PaymentOrder.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def pending_invoices_of(self, account_id: str, since: datetime) -> int:
        """How many NOWPayments orders of the account, opened since ``since``, are unpaid."""
        query = select(func.count()).where(
            PaymentOrder.account_id == account_id,
            PaymentOrder.method == "nowpayments",
            PaymentOrder.status == "pending",
            PaymentOrder.created_at >= since,
        )
        return int(await self.session.scalar(query) or 0)

    async def open_invoice_orders(
        self, before: datetime, since: datetime, *, limit: int = 100
    ) -> list[PaymentOrder]:
        query = (
            select(PaymentOrder)
            .where(
                PaymentOrder.method == "nowpayments",
                PaymentOrder.status == "pending",
                PaymentOrder.invoice_id.is_not(None),
                PaymentOrder.updated_at <= before,
                PaymentOrder.created_at >= since,
            )
            .order_by(PaymentOrder.updated_at)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    # -- payments --------------------------------------------------------------------------
    async def payment(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        query = select(Payment).where(Payment.id == payment_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def payment_by_provider_id(
        self, provider: str, provider_payment_id: str, *, for_update: bool = False
    ) -> Payment | None:
        query = select(Payment).where(
            Payment.provider == provider, Payment.provider_payment_id == provider_payment_id
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def payments_of_order(self, order_id: str) -> list[Payment]:
        query = select(Payment).where(Payment.order_id == order_id).order_by(Payment.created_at)
        return list(await self.session.scalars(query))

    async def payments_of(self, account_id: str, *, limit: int | None = 50) -> list[Payment]:
        query = (
            select(Payment)
            .where(Payment.account_id == account_id)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def payment_by_tx_hash(self, tx_hash: str) -> Payment | None:
        return await self.session.scalar(select(Payment).where(Payment.tx_hash == tx_hash))

    async def stale_open_payments(
        self, provider: str, before: datetime, *, limit: int = 100
    ) -> list[str]:
        query = (
            select(Payment.id)
            .where(
                Payment.provider == provider,
                Payment.is_open.is_(True),
                Payment.checked_at <= before,
            )
            .order_by(Payment.checked_at)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def review_queue(self) -> list[tuple[Payment, PaymentOrder]]:
        query = (
            select(Payment, PaymentOrder)
            .join(PaymentOrder, PaymentOrder.id == Payment.order_id)
            .where((Payment.review == "open") | (Payment.status == "claimed"))
            .order_by(Payment.created_at)
        )
        return [(p, o) for p, o in (await self.session.execute(query)).all()]

    # -- callbacks -------------------------------------------------------------------------
    async def unprocessed_callbacks(
        self, before: datetime, *, limit: int = 100
    ) -> list[PaymentCallback]:
        query = (
            select(PaymentCallback)
            .where(PaymentCallback.processed_at.is_(None), PaymentCallback.received_at <= before)
            .order_by(PaymentCallback.id)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def mark_callbacks_processed(
        self, provider: str, provider_payment_id: str, at: datetime
    ) -> None:
        await self.session.execute(
            update(PaymentCallback)
            .where(
                PaymentCallback.provider == provider,
                PaymentCallback.provider_payment_id == provider_payment_id,
                PaymentCallback.processed_at.is_(None),
            )
            .values(processed_at=at)
        )

    async def callbacks_for(self, provider_payment_id: str) -> list[PaymentCallback]:
        query = select(PaymentCallback).where(
            PaymentCallback.provider_payment_id == provider_payment_id
        )
        return list(await self.session.scalars(query))

    # -- manual settings -------------------------------------------------------------------
    async def address(self, currency: str, network: str) -> ManualAddress | None:
        return await self.session.scalar(
            select(ManualAddress).where(
                ManualAddress.currency == currency, ManualAddress.network == network
            )
        )

    async def addresses(self) -> list[ManualAddress]:
        query = select(ManualAddress).order_by(ManualAddress.currency, ManualAddress.network)
        return list(await self.session.scalars(query))

    async def rate(self, currency: str) -> ManualRate | None:
        return await self.session.get(ManualRate, currency)

    # -- refunds and debts -----------------------------------------------------------------
    async def refund(self, refund_id: str, *, for_update: bool = False) -> PaymentRefund | None:
        query = select(PaymentRefund).where(PaymentRefund.id == refund_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def refunds_of_payment(self, payment_id: str) -> list[PaymentRefund]:
        query = select(PaymentRefund).where(PaymentRefund.payment_id == payment_id)
        return list(await self.session.scalars(query))

    async def refund_by_tx_hash(self, tx_hash: str) -> PaymentRefund | None:
        return await self.session.scalar(
            select(PaymentRefund).where(PaymentRefund.tx_hash == tx_hash)
        )

    async def debt_for_payment(self, payment_id: str) -> PaymentDebt | None:
        return await self.session.scalar(
            select(PaymentDebt).where(PaymentDebt.payment_id == payment_id)
        )
