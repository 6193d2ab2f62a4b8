"""Payment reconciliation: re-fetch NOWPayments payments whose callbacks are late or lost.

Every minute: callbacks stored but never processed (a crash, the provider unreachable), open
payments not checked for ``grace_seconds``, and open invoices with no payment recorded yet
(their first IPN was lost) are re-fetched from the API and applied like a callback would be.
Idempotent and safe in several processes: applying a status twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from caicaini.context import AppContext
from caicaini.logs import get_logger
from caicaini.payments.errors import PaymentProviderError
from caicaini.payments.ipn import PROVIDER, PaymentSync, sync_payment
from caicaini.payments.repository import PaymentRepository
from caicaini.payments.runtime import provider_for
from caicaini.worker.scheduler import Job

log = get_logger(__name__)

GRACE_SECONDS = 120
# NOWPayments expires a payment nobody paid within 7 days.
INVOICE_LIFETIME = timedelta(days=8)


async def poll_open_payments(ctx: AppContext, *, grace_seconds: int = GRACE_SECONDS) -> int:
    provider = provider_for(ctx)
    before = ctx.clock.now() - timedelta(seconds=grace_seconds)
    async with ctx.transaction() as session:
        repo = PaymentRepository(session)
        ids = {
            c.provider_payment_id
            for c in await repo.unprocessed_callbacks(before)
            if c.provider == PROVIDER
        }
        for payment_id in await repo.stale_open_payments(PROVIDER, before):
            payment = await repo.payment(payment_id)
            if payment is not None:
                ids.add(payment.provider_payment_id)
        since = ctx.clock.now() - INVOICE_LIFETIME
        invoices = [
            o.invoice_id for o in await repo.open_invoice_orders(before, since) if o.invoice_id
        ]
    for invoice_id in invoices:
        for fetched in await provider.payments_for_invoice(invoice_id):
            if fetched.payment_id in ids:
                continue
            async with ctx.transaction() as session:
                await PaymentSync(session, ctx.clock, ctx.settings).apply(fetched)
    checked = len(invoices)
    for provider_payment_id in sorted(ids):
        try:
            await sync_payment(ctx, provider, provider_payment_id)
            checked += 1
        except PaymentProviderError as exc:
            log.warning("payments.poll_failed", payment_id=provider_payment_id, error=exc.message)
    if checked:
        log.info("payments.polled", checked=checked)
    return checked


async def _poll(ctx: AppContext) -> None:
    await poll_open_payments(ctx)


JOBS = [Job("payments.poll", timedelta(minutes=1), _poll)]
