"""Opening orders: the product's USD price and price-sheet version frozen at that moment.

``OrderService.open`` checks who may buy (a verified e-mail; the age of majority for a paid
plan) and that the account has not too many unpaid invoices open (``MAX_OPEN_INVOICES``),
records the order, and for a manual transfer quotes the amount due. The NOWPayments
invoice is created by ``create_invoice`` *after* the order is committed (an HTTP call never
runs inside a database transaction), then attached with ``attach_invoice``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.majority import age_of_majority
from caicaini.accounts.service import has_majority_at
from caicaini.audit.service import Actor, AuditService
from caicaini.context import AppContext
from caicaini.errors import AccountUnavailable, InvalidInput
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.models.accounts import Account
from caicaini.models.payments import PaymentOrder
from caicaini.payments.errors import (
    EmailNotVerified,
    MajorityRequired,
    OrderNotFound,
    OrderState,
    TooManyOpenInvoices,
)
from caicaini.payments.manual import ManualService
from caicaini.payments.nowpayments import InvoiceRequest, PaymentProvider
from caicaini.payments.progress import can_cancel
from caicaini.payments.repository import PaymentRepository

METHODS = ("nowpayments", "manual")
# Each NOWPayments order is a provider API call: an account may have this many unpaid ones
# opened within the window (371 were opened in 150 s). Older unpaid ones have expired at the
# provider and no longer count; cancelling one frees its place at once.
MAX_OPEN_INVOICES = 5
OPEN_INVOICE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class OrderRequest:
    product: str
    method: str
    currency: str | None = None
    network: str | None = None


class OrderService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.repo = PaymentRepository(session)
        self.audit = AuditService(session, clock)

    async def open(self, account: Account, request: OrderRequest, *, actor: Actor) -> PaymentOrder:
        from caicaini.plans.service import PlanService

        if request.method not in METHODS:
            raise InvalidInput("method must be nowpayments or manual", field="method")
        if account.status != "active":
            raise AccountUnavailable(f"the account is {account.status}")
        product = await PlanService(self.session, self.clock).product(request.product)
        if product.price_usd <= 0:
            raise InvalidInput(f"{product.name} is free: there is nothing to pay", field="product")
        now = self.clock.now()
        if account.email_verified_at is None:
            raise EmailNotVerified("verify your e-mail address before paying")
        if product.kind == "plan":
            self._check_majority(account)
        if request.method == "nowpayments":
            await self._check_open_invoices(account.id)
        order = PaymentOrder(
            id=new_id("ord"),
            account_id=account.id,
            product=product.name,
            product_label=product.label,
            product_kind=product.kind,
            credits=product.credits,
            price_usd=Decimal(product.price_usd),
            sheet_version=product.sheet_version,
            method=request.method,
            status="pending",
            created_at=now,
            updated_at=now,
        )
        if request.method == "manual":
            await ManualService(self.session, self.clock, "").quote(
                order, request.currency, request.network
            )
        await self.repo.add(order)
        await self.audit.record(
            "order.created",
            actor=actor,
            target_type="order",
            target_id=order.id,
            subject_account_id=account.id,
            details={
                "product": order.product,
                "product_label": order.label,
                "price_usd": str(order.price_usd),
                "method": order.method,
                "sheet_version": order.sheet_version,
            },
        )
        return order

    async def _check_open_invoices(self, account_id: str) -> None:
        since = self.clock.now() - OPEN_INVOICE_WINDOW
        if await self.repo.pending_invoices_of(account_id, since) >= MAX_OPEN_INVOICES:
            raise TooManyOpenInvoices(
                f"you have {MAX_OPEN_INVOICES} unpaid invoices open; pay or cancel one of "
                "them before opening another"
            )

    def _check_majority(self, account: Account) -> None:
        if not has_majority_at(account, self.clock.now()):
            needed = age_of_majority(account.country or "")
            raise MajorityRequired(
                f"a paid subscription requires being at least {needed} years old "
                f"(age of majority in {account.country})"
            )

    async def get(self, order_id: str, *, account_id: str | None = None) -> PaymentOrder:
        order = await self.repo.order(order_id)
        if order is None or (account_id is not None and order.account_id != account_id):
            raise OrderNotFound("no such order")
        return order

    async def cancel(self, order_id: str, account_id: str, *, actor: Actor) -> PaymentOrder:
        """The customer's cancellation of a pending order nobody has paid yet; cancelling a
        cancelled order again changes nothing. A payment that still arrives for it is never
        credited by itself: it waits for an operator (``ipn.PaymentSync``)."""
        order = await self.repo.order(order_id, for_update=True)
        if order is None or order.account_id != account_id:
            raise OrderNotFound("no such order")
        if order.status == "cancelled":
            return order
        if not can_cancel(order, await self.repo.payments_of_order(order.id)):
            raise OrderState(
                "this order can no longer be cancelled: "
                + (
                    "a payment for it is already on its way"
                    if order.status == "pending"
                    else f"it is {order.status}"
                )
            )
        order.status = "cancelled"
        order.status_reason = "cancelled by the customer"
        order.updated_at = self.clock.now()
        await self.repo.flush()
        await self.audit.record(
            "order.cancelled",
            actor=actor,
            target_type="order",
            target_id=order.id,
            subject_account_id=order.account_id,
            details={"product": order.product, "method": order.method},
        )
        return order

    async def attach_invoice(
        self, order_id: str, invoice_id: str, invoice_url: str
    ) -> PaymentOrder:
        order = await self.repo.order(order_id, for_update=True)
        if order is None:
            raise OrderNotFound("no such order")
        order.invoice_id = invoice_id
        order.invoice_url = invoice_url
        order.updated_at = self.clock.now()
        await self.repo.flush()
        return order


async def create_order(
    ctx: AppContext,
    provider: PaymentProvider,
    account_id: str,
    request: OrderRequest,
    *,
    actor: Actor,
) -> PaymentOrder:
    """Open the order, then (NOWPayments) create its invoice and attach it: three steps at the
    boundary so that no HTTP call runs inside a transaction."""
    async with ctx.transaction() as session:
        # Locked: concurrent orders of one account are counted against the cap one by one.
        account = await PaymentRepository(session).account(account_id, for_update=True)
        if account is None:
            raise OrderNotFound("no such account")
        order = await OrderService(session, ctx.clock).open(account, request, actor=actor)
    if order.method != "nowpayments":
        return order
    public = ctx.settings.public_url.rstrip("/")
    invoice = await provider.create_invoice(
        InvoiceRequest(
            order_id=order.id,
            price_usd=order.price_usd,
            description=f"Caicaini: {order.label}",
            ipn_callback_url=f"{public}/webhooks/nowpayments",
            # Back to the order page either way: it follows the payment by itself.
            success_url=f"{public}/billing/orders/{order.id}",
            cancel_url=f"{public}/billing/orders/{order.id}",
        )
    )
    async with ctx.transaction() as session:
        return await OrderService(session, ctx.clock).attach_invoice(
            order.id, invoice.id, invoice.url
        )
