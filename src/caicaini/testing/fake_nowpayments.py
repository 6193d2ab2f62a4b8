"""A fake NOWPayments: hosted invoices, payment status, and signed IPN callbacks.

Serves ``POST /v1/invoice``, ``GET /v1/payment/{id}``, ``GET /v1/payment/?invoiceId=``,
``GET /v1/status`` and a hosted pay page ``/pay/{invoice_id}`` whose buttons move the invoice's
payment through NOWPayments' statuses. Each move sends an IPN, signed like NOWPayments does,
to the invoice's ``ipn_callback_url`` — or, on request, sends it several times, with a bad
signature, not at all (``drop``: the poller must recover), or holds it to be flushed later in
reverse order (out-of-order delivery).

Used by the tests (``FakeNowPaymentsServer``), by ``caicaini fake-nowpayments --port P`` and,
in the embedded default, mounted in-process at ``/_fake/nowpayments`` so ``make run`` can buy
credits end to end. With ``state_path`` the state survives restarts and is shared with CLI runs.
"""

from __future__ import annotations

import html
import json
import secrets
from datetime import UTC, datetime
from decimal import ROUND_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from caicaini.payments.signature import js_stringify, parse_body, sign, sign_payload
from caicaini.testing.live_server import LiveServer

DEV_IPN_SECRET = "dev-fake-nowpayments-ipn-secret"
DEV_API_KEY = "dev-fake-nowpayments-api-key"
DEV_EMAIL = "merchant@fake-nowpayments.local"
DEV_PASSWORD = "dev-fake-nowpayments-password"
STATUSES = (
    "waiting",
    "confirming",
    "confirmed",
    "sending",
    "finished",
    "partially_paid",
    "failed",
    "expired",
    "refunded",
)
USD_RATES = {
    "btc": Decimal(100000),
    "eth": Decimal(4000),
    "ltc": Decimal(100),
    "trx": Decimal("0.25"),
    "usdttrc20": Decimal(1),
    "xmr": Decimal(200),
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _amount(value: Any) -> Decimal | None:
    """A non-negative amount typed on the hosted page (blank: chosen by the fake)."""
    if value in (None, ""):
        return None
    amount = Decimal(str(value).strip())
    if not amount.is_finite() or amount < 0:
        raise ValueError("amounts must be non-negative numbers")
    return amount


def _json(payload: Any, status: int = 200) -> Response:
    return Response(js_stringify(payload), status_code=status, media_type="application/json")


class FakeNowPayments:
    def __init__(
        self,
        *,
        api_key: str = DEV_API_KEY,
        ipn_secret: str = DEV_IPN_SECRET,
        public_base_url: str | None = None,
        state_path: Path | None = None,
        ipn_transport: httpx.AsyncBaseTransport | None = None,
        email: str = DEV_EMAIL,
        password: str = DEV_PASSWORD,
    ) -> None:
        self.api_key = api_key
        self.email, self.password = email, password
        self.tokens: set[str] = set()
        self.ipn_secret = ipn_secret
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.state_path = state_path
        self.ipn_transport = ipn_transport
        self.invoices: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.held: list[tuple[str, bytes, str]] = []  # (url, body, signature)
        self.deliveries: list[dict[str, Any]] = []  # what was sent and how it was answered
        self._next = 5077125051
        self.app = Starlette(
            routes=[
                Route("/v1/status", self._status, methods=["GET"]),
                Route("/v1/auth", self._auth, methods=["POST"]),
                Route("/v1/invoice", self._create_invoice, methods=["POST"]),
                Route("/v1/payment/", self._list_payments, methods=["GET"]),
                Route("/v1/payment/{payment_id}", self._get_payment, methods=["GET"]),
                Route("/pay/{invoice_id}", self._pay_page, methods=["GET"]),
                Route("/pay/{invoice_id}/advance", self._advance_http, methods=["POST"]),
                Route("/pay/{invoice_id}/flush", self._flush_http, methods=["POST"]),
            ]
        )

    # -- state -----------------------------------------------------------------------------
    def _load(self) -> None:
        if self.state_path and self.state_path.exists():
            state = parse_body(self.state_path.read_text("utf-8"))
            self.invoices, self.payments, self._next = (
                state["invoices"],
                state["payments"],
                state["next"],
            )

    def _save(self) -> None:
        if self.state_path:
            state = {"invoices": self.invoices, "payments": self.payments, "next": self._next}
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(js_stringify(state), "utf-8")
            tmp.replace(self.state_path)

    def _new_id(self) -> int:
        self._next += 1
        return self._next

    def _authorised(self, request: Request) -> bool:
        return (
            bool(request.headers.get("x-api-key")) and request.headers["x-api-key"] == self.api_key
        )

    # -- API -------------------------------------------------------------------------------
    async def _status(self, request: Request) -> Response:
        return JSONResponse({"message": "OK"})

    async def _create_invoice(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse(
                {
                    "status": False,
                    "statusCode": 403,
                    "code": "INVALID_API_KEY",
                    "message": "Invalid api key",
                },
                status_code=403,
            )
        self._load()
        body = parse_body(await request.body())
        invoice_id = str(self._new_id())
        base = self.public_base_url or str(request.base_url).rstrip("/")
        invoice = {
            "id": invoice_id,
            "token_id": secrets.token_hex(5),
            "order_id": body.get("order_id"),
            "order_description": body.get("order_description"),
            "price_amount": str(body["price_amount"]),
            "price_currency": str(body.get("price_currency", "usd")).lower(),
            "pay_currency": body.get("pay_currency"),
            "ipn_callback_url": body.get("ipn_callback_url"),
            "invoice_url": f"{base}/pay/{invoice_id}",
            "success_url": body.get("success_url"),
            "cancel_url": body.get("cancel_url"),
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.invoices[invoice_id] = invoice
        self._save()
        return _json(invoice)

    async def _get_payment(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"message": "Invalid api key"}, status_code=403)
        self._load()
        payment = self.payments.get(request.path_params["payment_id"])
        if payment is None:
            return JSONResponse({"message": "Payment not found"}, status_code=404)
        return _json(payment)

    async def _auth(self, request: Request) -> Response:
        body = parse_body(await request.body())
        if body.get("email") != self.email or body.get("password") != self.password:
            return JSONResponse({"message": "Invalid credentials"}, status_code=401)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return JSONResponse({"token": token})

    async def _list_payments(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"message": "Invalid api key"}, status_code=403)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.tokens:
            return JSONResponse({"message": "Authorization header is empty"}, status_code=401)
        self._load()
        invoice_id = request.query_params.get("invoiceId")
        found = [
            p
            for p in self.payments.values()
            if invoice_id is None or str(p["invoice_id"]) == invoice_id
        ]
        return _json(
            {"data": found, "limit": len(found), "page": 0, "pagesCount": 1, "total": len(found)}
        )

    # -- moving a payment ------------------------------------------------------------------
    async def advance(
        self,
        invoice_id: str,
        status: str,
        *,
        pay_currency: str = "btc",
        actually_paid: Decimal | None = None,
        ipn: str = "send",
        copies: int = 1,
        new_payment: bool = False,
        price_amount: Decimal | None = None,
    ) -> dict[str, Any]:
        """Move the invoice's payment to ``status`` and deliver its IPN as ``ipn`` says:
        ``send``, ``drop``, ``hold`` (flush later) or ``bad_signature``."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status}")
        self._load()
        invoice = self.invoices[invoice_id]
        payment = self._payment_for(invoice, pay_currency, new_payment, price_amount)
        payment["payment_status"] = status
        payment["updated_at"] = _now()
        if status not in ("waiting", "expired", "failed"):
            # Amounts read back from the state file are whatever JSON made of them: an
            # integral amount (20 TRX for $5) comes back an int, and int / 2 is a float.
            pay_amount = Decimal(str(payment["pay_amount"]))
            paid = actually_paid
            if paid is None:
                half = (pay_amount / 2).quantize(Decimal("0.00000001"))
                paid = half if status == "partially_paid" else pay_amount
            payment["actually_paid"] = paid
            payment["payin_hash"] = payment["payin_hash"] or secrets.token_hex(32)
            rate = USD_RATES.get(payment["pay_currency"], Decimal(1))
            payment["actually_paid_at_fiat"] = (paid * rate).quantize(Decimal("0.01"))
        self._save()
        await self._deliver(invoice, payment, ipn, copies)
        return payment

    def _payment_for(
        self,
        invoice: dict[str, Any],
        pay_currency: str,
        new_payment: bool,
        price_amount: Decimal | None,
    ) -> dict[str, Any]:
        existing = [p for p in self.payments.values() if str(p["invoice_id"]) == invoice["id"]]
        if existing and not new_payment:
            return existing[-1]
        price = price_amount if price_amount is not None else Decimal(invoice["price_amount"])
        rate = USD_RATES.get(pay_currency, Decimal(1))
        payment_id = self._new_id()
        payment: dict[str, Any] = {
            "payment_id": payment_id,
            "parent_payment_id": existing[0]["payment_id"] if existing else None,
            "invoice_id": int(invoice["id"]),
            "payment_status": "waiting",
            "pay_address": "fakepay" + secrets.token_hex(12),
            "payin_extra_id": None,
            "price_amount": price,
            "price_currency": invoice["price_currency"],
            "pay_amount": (price / rate).quantize(Decimal("0.00000001"), rounding=ROUND_UP),
            "actually_paid": 0,
            "actually_paid_at_fiat": 0,
            "pay_currency": pay_currency,
            "order_id": invoice["order_id"],
            "order_description": invoice["order_description"],
            "purchase_id": str(self._new_id()),
            "payer_address": "fakepayer" + secrets.token_hex(12),
            "payin_hash": None,
            "outcome_amount": 0,
            "outcome_currency": pay_currency,
            "payment_extra_ids": None,
            "fee": {"currency": pay_currency, "depositFee": 0, "withdrawalFee": 0, "serviceFee": 0},
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.payments[str(payment_id)] = payment
        return payment

    async def _deliver(
        self, invoice: dict[str, Any], payment: dict[str, Any], ipn: str, copies: int
    ) -> None:
        url = invoice.get("ipn_callback_url")
        if not url or ipn == "drop":
            self.deliveries.append(
                {
                    "payment_id": payment["payment_id"],
                    "status": payment["payment_status"],
                    "mode": "drop",
                    "answer": None,
                }
            )
            return
        body, signature = sign_payload(self.ipn_secret, payment)
        if ipn == "bad_signature":
            signature = sign(self.ipn_secret + "x", body)
        if ipn == "hold":
            self.held.append((url, body, signature))
            return
        for _ in range(max(1, copies)):
            await self._post(url, body, signature, payment, ipn)

    async def flush(self, *, reverse: bool = True) -> None:
        """Deliver held IPNs, newest first by default (out-of-order delivery)."""
        held, self.held = self.held, []
        for url, body, signature in reversed(held) if reverse else held:
            payment = json.loads(body)
            await self._post(url, body, signature, payment, "send")

    async def _post(
        self, url: str, body: bytes, signature: str, payment: dict[str, Any], mode: str
    ) -> None:
        headers = {"content-type": "application/json", "x-nowpayments-sig": signature}
        try:
            async with httpx.AsyncClient(transport=self.ipn_transport, timeout=30) as client:
                answer: int | str = (
                    await client.post(url, content=body, headers=headers)
                ).status_code
        except httpx.HTTPError as exc:
            answer = type(exc).__name__
        self.deliveries.append(
            {
                "payment_id": payment["payment_id"],
                "status": payment["payment_status"],
                "mode": mode,
                "answer": answer,
            }
        )

    # -- hosted page -----------------------------------------------------------------------
    async def _advance_http(self, request: Request) -> Response:
        self._load()
        invoice_id = request.path_params["invoice_id"]
        if invoice_id not in self.invoices:
            return JSONResponse({"message": "Invoice not found"}, status_code=404)
        is_json = request.headers.get("content-type", "").startswith("application/json")
        try:
            data = parse_body(await request.body()) if is_json else dict(await request.form())
            status = str(data.get("status", ""))
            if status not in STATUSES:
                raise ValueError(f"unknown status {status[:40]!r}")
            paid, price = _amount(data.get("actually_paid")), _amount(data.get("price_amount"))
            copies = int(str(data.get("copies") or 1))
        except (ValueError, ArithmeticError, AttributeError) as exc:
            return JSONResponse({"message": f"bad request: {exc}"}, status_code=400)
        payment = await self.advance(
            invoice_id,
            status,
            pay_currency=str(data.get("pay_currency") or "btc"),
            actually_paid=paid,
            ipn=str(data.get("ipn") or "send"),
            copies=min(max(copies, 1), 10),
            new_payment=str(data.get("new_payment", "")).lower() in ("1", "true", "on"),
            price_amount=price,
        )
        if is_json:
            return _json(payment)
        return RedirectResponse(f"{request.url.path.rsplit('/', 1)[0]}", status_code=303)

    async def _flush_http(self, request: Request) -> Response:
        await self.flush(reverse=request.query_params.get("order", "reverse") == "reverse")
        return JSONResponse({"flushed": True})

    async def _pay_page(self, request: Request) -> Response:
        self._load()
        invoice = self.invoices.get(request.path_params["invoice_id"])
        if invoice is None:
            return HTMLResponse("<h1>Invoice not found</h1>", status_code=404)
        payments = [p for p in self.payments.values() if str(p["invoice_id"]) == invoice["id"]]
        current = payments[-1] if payments else None
        esc = html.escape
        rows = "".join(
            f"<li>payment {p['payment_id']}: <b class='status'>{esc(str(p['payment_status']))}</b> "
            f"{esc(js_stringify(p['pay_amount']))} {esc(str(p['pay_currency']))}</li>"
            for p in payments
        )
        action = f"{request.url.path}/advance"
        buttons = "".join(
            f"<button type='submit' name='status' value='{s}'>{s}</button> " for s in STATUSES
        )
        back = ""
        if invoice.get("success_url") and current and current["payment_status"] == "finished":
            back = (
                f"<p><a id='return' href='{esc(invoice['success_url'])}'>Return to the shop</a></p>"
            )
        currencies = "".join(f"<option>{c}</option>" for c in USD_RATES)
        title = "<title>Fake NOWPayments</title>"
        flush = f"{esc(request.url.path)}/flush"
        page = f"""<!doctype html><html><head><meta charset="utf-8">{title}</head>
<body><h1>Fake NOWPayments invoice {esc(invoice["id"])}</h1>
<p>{esc(str(invoice.get("order_description") or ""))}: {esc(invoice["price_amount"])}
{esc(invoice["price_currency"].upper())} (order {esc(str(invoice.get("order_id")))})</p>
<ul id="payments">{rows or "<li>no payment yet</li>"}</ul>
<form method="post" action="{esc(action)}">
<label>Currency <select name="pay_currency">{currencies}</select></label>
<label>IPN <select name="ipn"><option>send</option><option>drop</option><option>hold</option>
<option>bad_signature</option></select></label>
<label>Copies <input name="copies" type="number" value="1" min="1" max="10"></label>
<label>Actually paid <input name="actually_paid" placeholder="auto"></label>
<label><input type="checkbox" name="new_payment"> repeated deposit</label>
<p>{buttons}</p></form>
<form method="post" action="{flush}"><button>Deliver held IPNs (reversed)</button></form>
{back}</body></html>"""
        return HTMLResponse(page)


class FakeNowPaymentsServer(LiveServer):
    """The fake under uvicorn on 127.0.0.1 (free port): ``.base_url`` ends in ``/v1``."""

    def __init__(self, fake: FakeNowPayments | None = None, **kw: Any) -> None:
        self.fake = fake or FakeNowPayments(**kw)
        super().__init__(self.fake.app)

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def __enter__(self) -> FakeNowPaymentsServer:
        self.start()
        return self
