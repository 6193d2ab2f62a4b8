"""The ledger grants a payment produced: a top-up's grant carries ``payment:<id>`` as its
source, a subscription's allowance parts carry ``period:<period id>``."""

from __future__ import annotations

from caicaini.ledger.service import LedgerService
from caicaini.ledger.views import Grant
from caicaini.models.payments import Payment
from caicaini.payments.fulfilment import payment_ref


async def grants_of_payment(ledger: LedgerService, payment: Payment) -> list[Grant]:
    refs = {payment_ref(payment)}
    if payment.period_id:
        refs.add(f"period:{payment.period_id}")
    return [g for g in await ledger.grants(payment.account_id) if g.source_ref in refs]
