"""Payments for console tests: a manual transfer claim, a partial NOWPayments payment held
for review, and a paid top-up."""

from __future__ import annotations

from decimal import Decimal

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.kit.ids import new_id
from caicaini.models.payments import Payment
from caicaini.payments import status as st
from caicaini.payments.approvals import ApprovalService
from caicaini.payments.fulfilment import Fulfilment
from caicaini.payments.manual import ManualService
from caicaini.payments.orders import OrderRequest, OrderService
from caicaini.payments.repository import PaymentRepository
from tests.web.helpers import make_account

SENDER = "TSenderAddress0001"


async def manual_claim(
    ctx: AppContext, email: str = "ada@example.com", tx_hash: str = "deadbeef00112233"
) -> tuple[str, str]:
    """A customer claims a manual USDT transfer for topup:small (2,000 credits, $5)."""
    acct = await make_account(ctx, email)
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, ctx.settings.public_url)
        await manual.set_address("usdt", "trc20", "TXyzReceivingAddress0001", actor=Actor.system())
        await manual.set_rate("usdt", "1.00", actor=Actor.system())
    async with ctx.transaction() as session:
        account = await PaymentRepository(session).account(acct.id)
        assert account is not None
        order = await OrderService(session, ctx.clock).open(
            account, OrderRequest("topup:small", "manual", "usdt"), actor=Actor.system()
        )
    async with ctx.transaction() as session:
        await ManualService(session, ctx.clock, ctx.settings.public_url).claim(
            order.id, acct.id, tx_hash, SENDER, actor=Actor.system()
        )
    return acct.id, order.id


async def paid_topup(ctx: AppContext, email: str = "ada@example.com") -> tuple[str, str]:
    """A manual top-up, approved: 2,000 credits from 5 USDT sent from ``SENDER``."""
    account_id, order_id = await manual_claim(ctx, email)
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, ctx.settings.public_url).approve(
            order_id, actor=Actor("operator", "acct_someone")
        )
    return account_id, order_id


async def partial_payment(ctx: AppContext, email: str = "bob@example.com") -> tuple[str, str]:
    """A NOWPayments invoice for topup:small paid 1.25 of 5 USDT: held for review."""
    acct = await make_account(ctx, email)
    async with ctx.transaction() as session:
        repo = PaymentRepository(session)
        account = await repo.account(acct.id)
        assert account is not None
        order = await OrderService(session, ctx.clock).open(
            account, OrderRequest("topup:small", "nowpayments"), actor=Actor.system()
        )
        now = ctx.clock.now()
        payment = Payment(
            id=new_id("pay"), order_id=order.id, account_id=acct.id, provider="nowpayments",
            provider_payment_id="5077125051", status="partially_paid",
            status_rank=st.rank("partially_paid"), is_open=True, price_amount=Decimal(5),
            price_currency="usd", pay_currency="usdttrc20", pay_amount=Decimal(5),
            actually_paid=Decimal("1.25"), payer_address="TPartialPayer00001",
            tx_hash="c0ffee00112233445566", review="none", provider_data={"network": "trx"},
            created_at=now, updated_at=now, checked_at=now,
        )  # fmt: skip
        await repo.add(payment)
        await Fulfilment(session, ctx.clock, ctx.settings.public_url).to_review(
            payment, order, "partially paid: 1.25 of 5 usdttrc20"
        )
    return acct.id, order.id


async def spend(ctx: AppContext, account_id: str, amount: int, request_id: str) -> None:
    """Credits spent on a call, through the ledger's hold and settle."""
    from caicaini.ledger.service import LedgerService

    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.hold(account_id, request_id=request_id, amount=amount)
        await ledger.settle(request_id, amount)
