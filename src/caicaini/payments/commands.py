"""Operator commands: ``caicaini orders ...``, ``caicaini payments ...`` and the top-level
``caicaini fake-nowpayments --port P``. Every command exits 1 with a one-line message on error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import typer

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.payments.approvals import ApprovalService
from caicaini.payments.errors import OrderNotFound
from caicaini.payments.manual import ManualService
from caicaini.payments.orders import OrderRequest, create_order
from caicaini.payments.refunds import RefundService
from caicaini.payments.repository import PaymentRepository
from caicaini.payments.reversals import ReversalService
from caicaini.payments.runtime import provider_for

OPERATOR = Actor("operator", "cli")
T = TypeVar("T")

orders_app = typer.Typer(
    help="Orders: create invoices, decide on the review queue.", no_args_is_help=True
)
app = typer.Typer(
    help="Payments: manual-transfer settings, refunds, reversals.", no_args_is_help=True
)
address_app = typer.Typer(help="Receiving addresses for manual transfers.", no_args_is_help=True)
rate_app = typer.Typer(help="USD rates used to quote manual transfers.", no_args_is_help=True)
app.add_typer(address_app, name="address")
app.add_typer(rate_app, name="rate")


def _run(work: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run on a fresh context with logs on stderr, so stdout carries only the command's output."""
    from caicaini.cli import load_settings, run_with_context
    from caicaini.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return run_with_context(work)


@orders_app.command("create")
def orders_create(
    email: str = typer.Option(..., help="The customer's e-mail."),
    product: str = typer.Option(..., help="plan:<name> or topup:<name>."),
    method: str = typer.Option("nowpayments", help="nowpayments or manual."),
    currency: str = typer.Option(None, help="Manual transfers: the currency (btc, usdt...)."),
    network: str = typer.Option(None, help="Manual transfers: the network, when several."),
) -> None:
    """Open an order for a customer; prints the order id, then the invoice URL or amount due."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            account = await PaymentRepository(session).account_by_email(email)
            if account is None:
                raise OrderNotFound(f"no account with e-mail {email}")
            account_id = account.id
        request = OrderRequest(product, method, currency, network)
        return await create_order(ctx, provider_for(ctx), account_id, request, actor=OPERATOR)

    order = _run(work)
    typer.echo(order.id)
    if order.method == "nowpayments":
        typer.echo(order.invoice_url)
    else:
        typer.echo(
            f"{order.amount_due} {(order.pay_currency or '').upper()} to {order.pay_address} "
            f"({order.pay_network})"
        )


@orders_app.command("review")
def orders_review() -> None:
    """List the payments waiting for an operator decision."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            return await ApprovalService(session, ctx.clock, ctx.settings.public_url).queue()

    items = _run(work)
    if not items:
        typer.echo("the review queue is empty")
    for item in items:
        typer.echo(
            f"{item.order_id}  {item.product}  ${item.price_usd}  {item.method}  "
            f"paid {item.actually_paid} of {item.pay_amount} {item.pay_currency}  "
            f"suggested {item.suggested_credits} credits  {item.reason}"
            + (f"  tx {item.tx_hash}" if item.tx_hash else "")
        )


@orders_app.command("approve")
def orders_approve(
    order_id: str,
    credits: int = typer.Option(None, help="Grant this many credits instead (prorated top-up)."),
) -> None:
    """Approve a claimed or reviewed payment: credits granted, or the period begins."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            service = ApprovalService(session, ctx.clock, ctx.settings.public_url)
            return await service.approve(order_id, actor=OPERATOR, credits=credits)

    payment = _run(work)
    typer.echo(f"approved {order_id}: {payment.granted_credits} credits")


@orders_app.command("reject")
def orders_reject(
    order_id: str, reason: str = typer.Option(..., help="Told to the customer.")
) -> None:
    """Reject a claimed or reviewed payment with a reason (the customer is e-mailed)."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            return await ApprovalService(session, ctx.clock, ctx.settings.public_url).reject(
                order_id, reason, actor=OPERATOR
            )

    _run(work)
    typer.echo(f"rejected {order_id}")


@address_app.command("set")
def address_set(
    currency: str = typer.Option(...),
    network: str = typer.Option(...),
    address: str = typer.Option(...),
) -> None:
    """Publish the receiving address for a currency on a network."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            return await ManualService(session, ctx.clock, "").set_address(
                currency, network, address, actor=OPERATOR
            )

    row = _run(work)
    typer.echo(f"{row.currency} on {row.network}: {row.address}")


@rate_app.command("set")
def rate_set(
    currency: str = typer.Option(...), usd: str = typer.Option(..., help="USD per unit.")
) -> None:
    """Set the USD price of one unit of a currency (quotes for manual transfers)."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            return await ManualService(session, ctx.clock, "").set_rate(
                currency, usd, actor=OPERATOR
            )

    row = _run(work)
    typer.echo(f"1 {row.currency} = {row.usd} USD")


@app.command("refund")
def refund(
    order_id: str,
    fee: str = typer.Option(..., help="Network fee, in the payment's currency."),
    incident: str = typer.Option(None, help="The incident reference."),
    failed_requests: str = typer.Option(None, help="Comma-separated failed request ids."),
) -> None:
    """Refund the unspent credits of a paid order after a documented service failure."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            return await RefundService(session, ctx.clock, ctx.settings.public_url).open(
                order_id,
                network_fee=Decimal(fee) if fee else Decimal(0),
                actor=OPERATOR,
                incident=incident,
                failed_requests=(failed_requests or "").split(",") if failed_requests else None,
            )

    row = _run(work)
    typer.echo(row.id)
    typer.echo(
        f"send {row.amount} {row.currency} to {row.destination} ({row.credits} credits frozen)"
    )


@app.command("refund-paid")
def refund_paid(refund_id: str, tx_hash: str = typer.Option(...)) -> None:
    """Record the refund's payout transaction: the frozen credits leave the ledger."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            return await RefundService(session, ctx.clock, ctx.settings.public_url).record_payout(
                refund_id, tx_hash, actor=OPERATOR
            )

    row = _run(work)
    typer.echo(f"refund {row.id} paid: {row.amount} {row.currency} tx {row.tx_hash}")


@app.command("reverse")
def reverse(
    order_id: str, reason: str = typer.Option(..., help="E.g. chargeback reference.")
) -> None:
    """Record a reversal or chargeback: remove credits, record the debt, suspend the account."""

    async def work(ctx: AppContext) -> Any:
        async with ctx.transaction() as session:
            return await ReversalService(session, ctx.clock, ctx.settings).reverse_order(
                order_id, reason=reason, actor=OPERATOR
            )

    debt = _run(work)
    typer.echo(
        f"reversed {order_id}" + (f"; debt {debt.credits} credits (${debt.usd})" if debt else "")
    )


@app.command("poll")
def poll() -> None:
    """Re-fetch open NOWPayments payments now (what the polling job does)."""
    from caicaini.payments.tasks import poll_open_payments

    count = _run(lambda ctx: poll_open_payments(ctx, grace_seconds=0))
    typer.echo(f"checked {count} payment(s)")


def fake_nowpayments(
    port: int = typer.Option(8100, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
) -> None:
    """Run the fake NOWPayments (API, hosted pay page, signed IPNs) for development."""
    import uvicorn

    from caicaini.cli import load_settings
    from caicaini.testing.fake_nowpayments import DEV_API_KEY, DEV_IPN_SECRET, FakeNowPayments

    settings = load_settings()
    fake = FakeNowPayments(
        api_key=settings.nowpayments_api_key or DEV_API_KEY,
        ipn_secret=settings.nowpayments_ipn_secret or DEV_IPN_SECRET,
    )
    typer.echo(f"fake NOWPayments on http://{host}:{port}/v1")
    uvicorn.run(fake.app, host=host, port=port, log_level="warning")
