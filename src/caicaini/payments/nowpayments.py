"""The payment-provider interface and its NOWPayments implementation over httpx.

``build_provider(settings)`` picks the implementation: with ``CAICAINI_NOWPAYMENTS_BASE_URL``
set, the real (or sandbox) API; unset (and not in production), the fake NOWPayments served
in-process — the same instance is mounted at ``/_fake/nowpayments`` so its invoice links work in
a browser against ``make run``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import httpx

from caicaini.config import Settings
from caicaini.logs import get_logger
from caicaini.payments.errors import PaymentProviderError
from caicaini.payments.signature import js_stringify, parse_body

log = get_logger(__name__)

FAKE_MOUNT_PATH = "/_fake/nowpayments"


@dataclass(frozen=True)
class InvoiceRequest:
    order_id: str
    price_usd: Decimal
    description: str
    ipn_callback_url: str
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class Invoice:
    id: str
    url: str


@dataclass(frozen=True)
class PaymentStatus:
    """A payment as the provider's API reports it (amounts exact, unknown keys kept in raw)."""

    payment_id: str
    status: str
    order_id: str | None
    invoice_id: str | None = None
    parent_payment_id: str | None = None
    price_amount: Decimal | None = None
    price_currency: str | None = None
    pay_amount: Decimal | None = None
    actually_paid: Decimal | None = None
    pay_currency: str | None = None
    payer_address: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PaymentStatus:
        def dec(key: str) -> Decimal | None:
            value = data.get(key)
            return None if value is None or value == "" else Decimal(str(value))

        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None or value == "" else str(value)

        return cls(
            payment_id=str(data["payment_id"]),
            status=str(data.get("payment_status", "")),
            order_id=text("order_id"),
            invoice_id=text("invoice_id"),
            parent_payment_id=text("parent_payment_id"),
            price_amount=dec("price_amount"),
            price_currency=(text("price_currency") or "").lower() or None,
            pay_amount=dec("pay_amount"),
            actually_paid=dec("actually_paid"),
            pay_currency=(text("pay_currency") or "").lower() or None,
            payer_address=text("payer_address") or text("payin_address") or text("from_address"),
            raw=_jsonable(data),
        )


class PaymentProvider(Protocol):
    name: str

    async def create_invoice(self, request: InvoiceRequest) -> Invoice: ...

    async def get_payment_status(self, payment_id: str) -> PaymentStatus: ...

    async def payments_for_invoice(self, invoice_id: str) -> list[PaymentStatus]: ...

    async def aclose(self) -> None: ...


# NOWPayments' JWT lives five minutes; take a new one a minute early.
JWT_REUSE_SECONDS = 240.0


class NOWPaymentsProvider:
    name = "nowpayments"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
        email: str = "",
        password: str = "",
    ) -> None:
        self._login = {"email": email, "password": password} if email and password else None
        self._jwt: tuple[str, float] | None = None
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"x-api-key": api_key},
            transport=transport,
            timeout=timeout,
        )

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            log.warning("payments.provider_unreachable", path=path, error=type(exc).__name__)
            raise PaymentProviderError("the payment provider could not be reached") from exc
        if response.status_code >= 400:
            log.warning("payments.provider_error", path=path, status=response.status_code)
            raise PaymentProviderError(
                f"the payment provider refused the call ({response.status_code})"
            )
        return parse_body(response.content)

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        body = {
            "price_amount": request.price_usd,
            "price_currency": "usd",
            "order_id": request.order_id,
            "order_description": request.description,
            "ipn_callback_url": request.ipn_callback_url,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        # Written as JavaScript would: the USD amount stays an exact decimal, never a float.
        data = await self._call(
            "POST",
            "invoice",
            content=js_stringify(body),
            headers={"content-type": "application/json"},
        )
        return Invoice(id=str(data["id"]), url=str(data["invoice_url"]))

    async def get_payment_status(self, payment_id: str) -> PaymentStatus:
        return PaymentStatus.from_api(await self._call("GET", f"payment/{payment_id}"))

    async def payments_for_invoice(self, invoice_id: str) -> list[PaymentStatus]:
        """Payments made on one invoice. Listing needs the account's JWT (``POST /auth``,
        valid five minutes); without a configured login, or on failure, we know of none."""
        if self._login is None:
            return []
        try:
            data = await self._call(
                "GET",
                "payment/",
                params={"invoiceId": invoice_id, "limit": 50},
                headers={"authorization": f"Bearer {await self._token()}"},
            )
        except PaymentProviderError:
            self._jwt = None
            return []
        return [PaymentStatus.from_api(item) for item in data.get("data", [])]

    async def _token(self) -> str:
        if self._jwt is None or self._jwt[1] <= time.monotonic():
            data = await self._call("POST", "auth", json=self._login)
            self._jwt = (str(data["token"]), time.monotonic() + JWT_REUSE_SECONDS)
        return self._jwt[0]

    async def aclose(self) -> None:
        await self._http.aclose()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def ipn_secret(settings: Settings) -> str:
    """The IPN secret; outside production, the fake's development secret when none is set."""
    if settings.nowpayments_ipn_secret:
        return settings.nowpayments_ipn_secret
    if settings.env != "production":
        from caicaini.testing.fake_nowpayments import DEV_IPN_SECRET

        return DEV_IPN_SECRET
    return ""


def build_provider(settings: Settings) -> tuple[PaymentProvider, Any]:
    """Return (provider, embedded fake or None) for these settings."""
    if settings.nowpayments_base_url:
        return NOWPaymentsProvider(
            settings.nowpayments_base_url,
            settings.nowpayments_api_key,
            email=settings.nowpayments_email,
            password=settings.nowpayments_password,
        ), None
    if settings.env == "production":
        return UnconfiguredProvider(), None
    from caicaini.testing.fake_nowpayments import (
        DEV_API_KEY,
        DEV_EMAIL,
        DEV_PASSWORD,
        FakeNowPayments,
    )

    fake = FakeNowPayments(
        api_key=settings.nowpayments_api_key or DEV_API_KEY,
        ipn_secret=ipn_secret(settings),
        public_base_url=settings.public_url.rstrip("/") + FAKE_MOUNT_PATH,
        state_path=settings.data_dir / "fake_nowpayments.json",
    )
    provider = NOWPaymentsProvider(
        "http://fake-nowpayments.internal/v1",
        settings.nowpayments_api_key or DEV_API_KEY,
        transport=httpx.ASGITransport(app=fake.app),
        email=DEV_EMAIL,
        password=DEV_PASSWORD,
    )
    return provider, fake


class UnconfiguredProvider:
    name = "nowpayments"

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        raise PaymentProviderError("NOWPayments is not configured on this server")

    async def get_payment_status(self, payment_id: str) -> PaymentStatus:
        raise PaymentProviderError("NOWPayments is not configured on this server")

    async def payments_for_invoice(self, invoice_id: str) -> list[PaymentStatus]:
        return []

    async def aclose(self) -> None:
        return None
