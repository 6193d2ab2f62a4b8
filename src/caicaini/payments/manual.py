"""Manual transfers: published receiving addresses, the operator's USD rates, quotes, claims.

A manual order is quoted when it is opened: amount due = USD price / rate, rounded *up* to
the currency's usual precision, to the address published for that currency and network. The
customer then claims it with the transaction hash and the sending address; a hash pays for one
order only (spelled one way per network, ``caicaini.payments.txhash``; unique in the
database). An operator approves or rejects the claim (``caicaini.payments.approvals``).
"""

from __future__ import annotations

import re
from decimal import ROUND_UP, Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.kit.text import plain_text
from caicaini.models.payments import ManualAddress, ManualRate, Payment, PaymentOrder
from caicaini.payments import status as st
from caicaini.payments.errors import NoManualRoute, OrderNotFound, OrderState, TxHashAlreadyClaimed
from caicaini.payments.repository import PaymentRepository
from caicaini.payments.txhash import normalise_tx_hash

DECIMALS = {"usdt": 2, "usdc": 2, "dai": 2, "trx": 6, "xrp": 6, "ada": 6, "doge": 8}
DEFAULT_DECIMALS = 8
_CODE = re.compile(r"^[a-z0-9]{2,16}$")


def normalise_currency(value: str | None, field: str = "currency") -> str:
    code = (value or "").strip().lower()
    if not _CODE.match(code):
        raise InvalidInput(f"{field} must be a short code such as btc or usdt", field=field)
    return code


def check_address(address: str) -> str:
    address = plain_text(address, "address").strip()
    if not 10 <= len(address) <= 200 or any(c.isspace() for c in address):
        raise InvalidInput("the address looks wrong", field="address")
    return address


def parse_rate(usd: str | Decimal) -> Decimal:
    try:
        value = Decimal(str(usd).strip())
    except InvalidOperation as exc:
        raise InvalidInput("the rate must be a decimal number of USD", field="usd") from exc
    if not value.is_finite() or value <= 0:
        raise InvalidInput("the rate must be a positive number of USD", field="usd")
    return value


def _reason(reason: str | None) -> dict[str, str]:
    """The operator's reason for a settings change, when given (the console asks for one)."""
    return {"reason": reason.strip()[:300]} if reason and reason.strip() else {}


def amount_due(price_usd: Decimal, usd_rate: Decimal, currency: str) -> Decimal:
    places = DECIMALS.get(currency, DEFAULT_DECIMALS)
    return (price_usd / usd_rate).quantize(Decimal(1).scaleb(-places), rounding=ROUND_UP)


class ManualService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.repo = PaymentRepository(session)
        self.audit = AuditService(session, clock)

    async def set_address(
        self, currency: str, network: str, address: str, *, actor: Actor, reason: str | None = None
    ) -> ManualAddress:
        currency = normalise_currency(currency)
        network = normalise_currency(network, "network")
        address = check_address(address)
        row = await self.repo.address(currency, network)
        if row is None:
            row = ManualAddress(
                currency=currency, network=network, address=address, updated_at=self.clock.now()
            )
            await self.repo.add(row)
        else:
            row.address = address
            row.updated_at = self.clock.now()
            await self.repo.flush()
        await self.audit.record(
            "payments.address_set",
            actor=actor,
            target_type="manual_address",
            target_id=f"{currency}/{network}",
            details={
                "currency": currency,
                "network": network,
                "address": address,
                **_reason(reason),
            },
        )
        return row

    async def set_rate(
        self, currency: str, usd: str | Decimal, *, actor: Actor, reason: str | None = None
    ) -> ManualRate:
        currency = normalise_currency(currency)
        value = parse_rate(usd)
        row = await self.repo.rate(currency)
        if row is None:
            row = ManualRate(currency=currency, usd=value, updated_at=self.clock.now())
            await self.repo.add(row)
        else:
            row.usd = value
            row.updated_at = self.clock.now()
            await self.repo.flush()
        await self.audit.record(
            "payments.rate_set",
            actor=actor,
            target_type="manual_rate",
            target_id=currency,
            details={"currency": currency, "usd": str(value), **_reason(reason)},
        )
        return row

    async def quote(self, order: PaymentOrder, currency: str | None, network: str | None) -> None:
        """Fill the order's currency, network, address, rate and amount due."""
        code = normalise_currency(currency)
        addresses = [a for a in await self.repo.addresses() if a.currency == code]
        if network:
            addresses = [
                a for a in addresses if a.network == normalise_currency(network, "network")
            ]
        rate = await self.repo.rate(code)
        if not addresses or rate is None:
            raise NoManualRoute(
                f"manual payment in {code}{' on ' + network if network else ''} is not available"
            )
        if len(addresses) > 1:
            raise InvalidInput(
                f"{code} is accepted on several networks: choose one", field="network"
            )
        order.pay_currency = code
        order.pay_network = addresses[0].network
        order.pay_address = addresses[0].address
        order.usd_rate = rate.usd
        order.amount_due = amount_due(order.price_usd, rate.usd, code)

    async def claim(
        self, order_id: str, account_id: str, tx_hash: str, from_address: str, *, actor: Actor
    ) -> Payment:
        order = await self.repo.order(order_id, for_update=True)
        if order is None or order.account_id != account_id:
            raise OrderNotFound("no such order")
        if order.method != "manual" or order.status != "pending":
            raise OrderState(f"this order cannot take a transfer claim (it is {order.status})")
        tx = normalise_tx_hash(tx_hash, order.pay_network)
        sender = plain_text(from_address, "from_address").strip()
        if not 10 <= len(sender) <= 200 or any(c.isspace() for c in sender):
            raise InvalidInput("the sending address looks wrong", field="from_address")
        if await self.repo.payment_by_tx_hash(tx) is not None:
            raise TxHashAlreadyClaimed("this transaction hash has already been claimed")
        now = self.clock.now()
        payment_id = new_id("pay")
        payment = Payment(
            id=payment_id,
            order_id=order.id,
            account_id=order.account_id,
            provider="manual",
            provider_payment_id=payment_id,
            status="claimed",
            status_rank=st.rank("claimed"),
            is_open=True,
            price_amount=order.price_usd,
            price_currency="usd",
            pay_currency=order.pay_currency,
            pay_amount=order.amount_due,
            actually_paid=order.amount_due,
            payer_address=sender,
            tx_hash=tx,
            review="none",
            provider_data={"network": order.pay_network},
            created_at=now,
            updated_at=now,
            checked_at=now,
        )
        if not await self.repo.try_add(payment):
            raise TxHashAlreadyClaimed("this transaction hash has already been claimed")
        order.status = "claimed"
        order.updated_at = now
        await self.repo.flush()
        await self.audit.record(
            "payment.claimed",
            actor=actor,
            target_type="payment",
            target_id=payment.id,
            subject_account_id=order.account_id,
            details={
                "order_id": order.id,
                "currency": order.pay_currency,
                "network": order.pay_network,
                "amount_due": str(order.amount_due),
                "tx_hash": tx,
            },
            personal={"from_address": sender},
        )
        return payment
