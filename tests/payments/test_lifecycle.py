"""After the payment: early renewal queues, refunds of unspent credits, reversals, and the
status machine fed with API answers in any order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.ledger.service import LedgerService
from caicaini.models.audit import AuditEntry
from caicaini.models.ledger import Hold
from caicaini.models.payments import PaymentDebt
from caicaini.payments.approvals import ApprovalService
from caicaini.payments.errors import NothingRefundable
from caicaini.payments.ipn import PaymentSync
from caicaini.payments.manual import ManualService
from caicaini.payments.nowpayments import PaymentStatus
from caicaini.payments.orders import OrderRequest, OrderService
from caicaini.payments.refunds import RefundService
from caicaini.payments.reversals import ReversalService
from caicaini.subscriptions.service import SubscriptionService
from tests.payments.support import (
    account,
    balance,
    mails,
    make_account,
    order,
    payments,
    setup_catalogue,
)

OPERATOR = Actor("operator", "op_test")
WALLET = "TCustomerWallet000000001"


@pytest.fixture(autouse=True)
async def configured(ctx: AppContext) -> None:
    await setup_catalogue(ctx)
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, "")
        await manual.set_address("usdt", "trc20", "TReceivingAddressUsdt000001", actor=OPERATOR)
        await manual.set_rate("usdt", "1", actor=OPERATOR)


async def _paid(
    ctx: AppContext, account_id: str, product: str, tx: str, method: str = "manual"
) -> str:
    async with ctx.transaction() as session:
        account_row = await session.get(type(await account(ctx, account_id)), account_id)
        assert account_row is not None
        placed = await OrderService(session, ctx.clock).open(
            account_row,
            OrderRequest(product, method, "usdt" if method == "manual" else None),
            actor=OPERATOR,
        )
        order_id = placed.id
    if method != "manual":
        return order_id
    async with ctx.transaction() as session:
        await ManualService(session, ctx.clock, "").claim(
            order_id, account_id, tx, WALLET, actor=OPERATOR
        )
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, "").approve(order_id, actor=OPERATOR)
    return order_id


async def _spend(ctx: AppContext, account_id: str, amount: int, request_id: str) -> None:
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.hold(account_id, request_id=request_id, amount=amount)
        await ledger.settle(request_id, amount)


async def test_an_early_renewal_queues_after_the_running_period(ctx: AppContext) -> None:
    acct = await make_account(ctx)
    await _paid(ctx, acct.id, "plan:pro", "aa" * 32)
    assert await balance(ctx, acct.id) == 3333  # 20000 * 5/30 for 26-30 November
    await _paid(ctx, acct.id, "plan:pro", "bb" * 32)
    assert await balance(ctx, acct.id) == 3333, "the renewal's allowance comes when it starts"
    async with ctx.transaction() as session:
        periods = await SubscriptionService(session, ctx.clock).periods(acct.id)
    first, renewal = sorted(periods, key=lambda p: p.starts_at)
    assert renewal.starts_at == first.ends_at and renewal.status == "scheduled"


async def test_a_refund_pays_unspent_credits_to_the_originating_wallet(ctx: AppContext) -> None:
    acct = await make_account(ctx)
    order_id = await _paid(ctx, acct.id, "topup:small", "cc" * 32)
    await _spend(ctx, acct.id, 500, "req_spent_1")
    async with ctx.transaction() as session:
        refund = await RefundService(session, ctx.clock, "").open(
            order_id, network_fee="0.5", actor=OPERATOR, incident="INC-2026-11-26"
        )
    assert refund.credits == 1500, "spent credits are never refunded"
    assert refund.gross_amount == Decimal("3.75")  # 5.00 * 1500 / 2000
    assert refund.network_fee == Decimal("0.5") and refund.amount == Decimal("3.25")
    assert refund.destination == WALLET and refund.currency == "usdt" and refund.status == "frozen"
    assert await balance(ctx, acct.id) == 0, "frozen at once"

    async with ctx.transaction() as session:
        paid = await RefundService(session, ctx.clock, "").record_payout(
            refund.id, "0x" + "DD" * 32, actor=OPERATOR
        )
    assert paid.status == "paid" and paid.tx_hash == "dd" * 32
    assert await balance(ctx, acct.id) == 0
    async with ctx.transaction() as session:
        holds = list(
            await session.scalars(select(Hold).where(Hold.request_id.like(f"refund:{refund.id}:%")))
        )
        grants = await LedgerService(session, ctx.clock).grants(acct.id)
    assert [h.status for h in holds] == ["settled"] and holds[0].charged == 1500
    assert [g.remaining for g in grants] == [0]
    subjects = [m.subject for m in await mails(ctx, "ada@example.com")]
    assert "Refund approved" in subjects and "Refund sent" in subjects
    async with ctx.transaction() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert {"refund.opened", "refund.paid"} <= set(actions)

    async with ctx.transaction() as session:
        with pytest.raises(NothingRefundable):
            await RefundService(session, ctx.clock, "").open(
                order_id, network_fee="0", actor=OPERATOR, failed_requests=["req_1"]
            )


async def test_a_refund_needs_a_documented_failure_and_a_fee_below_the_amount(
    ctx: AppContext,
) -> None:
    acct = await make_account(ctx)
    order_id = await _paid(ctx, acct.id, "topup:small", "ee" * 32)
    async with ctx.transaction() as session:
        refunds = RefundService(session, ctx.clock, "")
        with pytest.raises(InvalidInput):
            await refunds.open(order_id, network_fee="0", actor=OPERATOR)
        with pytest.raises(InvalidInput):
            await refunds.open(order_id, network_fee="6", actor=OPERATOR, incident="INC-1")
    assert await balance(ctx, acct.id) == 2000


async def test_a_reversal_removes_credits_records_the_debt_and_suspends(ctx: AppContext) -> None:
    acct = await make_account(ctx)
    order_id = await _paid(ctx, acct.id, "topup:small", "ff" * 32)
    await _spend(ctx, acct.id, 300, "req_spent_2")
    async with ctx.transaction() as session:
        debt = await ReversalService(session, ctx.clock, ctx.settings).reverse_order(
            order_id, reason="chargeback CB-77", actor=OPERATOR
        )
    assert debt is not None and debt.credits == 300 and debt.usd == Decimal("0.75")
    assert await balance(ctx, acct.id) == 0
    assert (await account(ctx, acct.id)).status == "suspended"
    assert (await order(ctx, order_id)).status == "reversed"
    subjects = [m.subject for m in await mails(ctx, "ada@example.com")]
    assert "Payment reversed: account suspended" in subjects
    async with ctx.transaction() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
        debts = list(await session.scalars(select(PaymentDebt)))
    assert "payment.reversed" in actions and "account.status_changed" in actions
    assert len(debts) == 1


async def test_a_subscription_refund_counts_the_unissued_allowance_and_ends_the_period(
    ctx: AppContext,
) -> None:
    acct = await make_account(ctx)
    order_id = await _paid(ctx, acct.id, "plan:pro", "a1" * 32)
    await _spend(ctx, acct.id, 333, "req_spent_3")
    async with ctx.transaction() as session:
        refund = await RefundService(session, ctx.clock, "").open(
            order_id, network_fee="1", actor=OPERATOR, failed_requests=["req_a", "req_b"]
        )
    assert refund.credits == 3000 + 16667  # unspent of 3333 issued, plus the December part
    assert refund.gross_amount == Decimal("29.50")  # 30.00 * 19667 / 20000, rounded down
    assert refund.amount == Decimal("28.50") and refund.reason_ref == "req_a,req_b"
    async with ctx.transaction() as session:
        [period] = await SubscriptionService(session, ctx.clock).periods(acct.id)
    assert period.status == "cancelled"
    assert await balance(ctx, acct.id) == 0


async def test_a_reversed_subscription_is_cancelled(ctx: AppContext) -> None:
    acct = await make_account(ctx)
    order_id = await _paid(ctx, acct.id, "plan:plus", "a2" * 32)
    await _spend(ctx, acct.id, 100, "req_spent_4")
    async with ctx.transaction() as session:
        debt = await ReversalService(session, ctx.clock, ctx.settings).reverse_order(
            order_id, reason="chargeback CB-78", actor=OPERATOR
        )
        [period] = await SubscriptionService(session, ctx.clock).periods(acct.id)
    assert debt is not None and debt.credits == 100
    assert period.status == "cancelled"
    assert await balance(ctx, acct.id) == 0


def _status(order_id: str, status: str, **extra: object) -> PaymentStatus:
    values: dict[str, object] = {
        "payment_id": "777",
        "status": status,
        "order_id": order_id,
        "price_amount": Decimal(5),
        "price_currency": "usd",
        "pay_amount": Decimal("0.00005"),
        "actually_paid": Decimal("0.00005") if status != "waiting" else Decimal(0),
        "pay_currency": "btc",
        "payer_address": "bc1qpayer",
    }
    values.update(extra)
    return PaymentStatus(**values)  # type: ignore[arg-type]


async def _apply(ctx: AppContext, fetched: PaymentStatus) -> None:
    async with ctx.transaction() as session:
        await PaymentSync(session, ctx.clock, ctx.settings).apply(fetched)


async def test_api_answers_in_any_order_never_move_the_status_back(ctx: AppContext) -> None:
    acct = await make_account(ctx)
    order_id = await _paid(ctx, acct.id, "topup:small", "", method="nowpayments")
    for status in (
        "sending",
        "confirming",
        "finished",
        "waiting",
        "confirmed",
        "failed",
        "finished",
    ):
        await _apply(ctx, _status(order_id, status))
    [payment] = await payments(ctx, order_id)
    assert payment.status == "finished" and payment.granted_credits == 2000
    assert await balance(ctx, acct.id) == 2000
    assert (await order(ctx, order_id)).status == "paid"


async def test_a_price_mismatch_goes_to_review_and_failures_close(ctx: AppContext) -> None:
    acct = await make_account(ctx)
    mismatched = await _paid(ctx, acct.id, "topup:small", "", method="nowpayments")
    await _apply(ctx, _status(mismatched, "finished", price_amount=Decimal("1")))
    [payment] = await payments(ctx, mismatched)
    assert payment.review == "open" and payment.granted_at is None
    assert payment.suggested_credits == 2000
    assert await balance(ctx, acct.id) == 0

    expired = await _paid(ctx, acct.id, "topup:small", "", method="nowpayments")
    await _apply(ctx, _status(expired, "expired", payment_id="778"))
    assert (await order(ctx, expired)).status == "closed"


async def test_an_unknown_provider_status_goes_to_review(ctx: AppContext) -> None:
    acct = await make_account(ctx)
    order_id = await _paid(ctx, acct.id, "topup:small", "", method="nowpayments")
    await _apply(ctx, _status(order_id, "wrong_asset_confirmed", payment_id="779"))
    [payment] = await payments(ctx, order_id)
    assert payment.status == "waiting" and payment.review == "open"
    assert payment.review_reason == "unknown status wrong_asset_confirmed"
    assert await balance(ctx, acct.id) == 0
