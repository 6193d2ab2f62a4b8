"""The fake NOWPayments itself: its API, its signed IPNs, and ``caicaini fake-nowpayments``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from caicaini.payments.nowpayments import InvoiceRequest, NOWPaymentsProvider
from caicaini.payments.signature import verify
from caicaini.testing.fake_nowpayments import DEV_API_KEY, FakeNowPayments, FakeNowPaymentsServer
from caicaini.testing.live_server import LiveServer
from tests.payments.support import free_port


@pytest.fixture
def receiver() -> Iterator[tuple[LiveServer, list[tuple[bytes, str]]]]:
    """A tiny HTTP server recording the IPNs it receives."""
    received: list[tuple[bytes, str]] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        received.append((body, headers.get(b"x-nowpayments-sig", b"").decode()))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    with LiveServer(app) as server:
        yield server, received


async def test_invoices_payments_and_signed_ipns(
    receiver: tuple[LiveServer, list[tuple[bytes, str]]],
) -> None:
    server, received = receiver
    with FakeNowPaymentsServer(api_key="k1", ipn_secret="s1") as fake:
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{fake.base_url}/status")).json() == {"message": "OK"}
            refused = await http.post(
                f"{fake.base_url}/invoice", json={}, headers={"x-api-key": "wrong"}
            )
            assert refused.status_code == 403
        provider = NOWPaymentsProvider(fake.base_url, "k1")
        invoice = await provider.create_invoice(
            InvoiceRequest(
                "ord_1",
                Decimal("10.00"),
                "Caicaini plan:plus",
                f"{server.url}/ipn",
                "http://s",
                "http://c",
            )
        )
        assert invoice.url == f"{fake.url}/pay/{invoice.id}"
        payment = await fake.fake.advance(invoice.id, "confirming", pay_currency="btc", copies=2)
        await fake.fake.advance(invoice.id, "finished", ipn="bad_signature")
        fetched = await provider.get_payment_status(str(payment["payment_id"]))
        assert fetched.status == "finished" and fetched.order_id == "ord_1"
        assert fetched.pay_amount == Decimal("0.00010000") and fetched.price_amount == Decimal(10)
        assert fetched.payer_address and fetched.payer_address.startswith("fakepayer")
        await provider.aclose()
    assert len(received) == 3
    assert [verify("s1", body, sig) for body, sig in received] == [True, True, False]


def test_the_command_serves_the_fake() -> None:
    port = free_port()
    env = {**os.environ, "CAICAINI_ENV": "development", "CAICAINI_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "caicaini"),
            "fake-nowpayments",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/v1/invoice",
                    json={"price_amount": 5, "price_currency": "usd", "order_id": "o"},
                    headers={"x-api-key": DEV_API_KEY},
                )
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        else:
            raise AssertionError("the fake never started")
        assert response.status_code == 200
        assert response.json()["invoice_url"].startswith(f"http://127.0.0.1:{port}/pay/")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_state_survives_in_its_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fake.json"
    first = FakeNowPayments(state_path=path)
    first.invoices["1"] = {"id": "1", "price_amount": "5"}
    first._save()
    second = FakeNowPayments(state_path=path)
    second._load()
    assert second.invoices == first.invoices


async def test_listing_an_invoices_payments_needs_the_account_login() -> None:
    """Like the live API, the fake lists payments only with a JWT from ``POST /auth``: the
    poller finds a payment whose every callback was lost only when the login is configured."""
    with FakeNowPaymentsServer(api_key="k1") as fake:
        anonymous = NOWPaymentsProvider(fake.base_url, "k1")
        logged_in = NOWPaymentsProvider(
            fake.base_url, "k1", email=fake.fake.email, password=fake.fake.password
        )
        wrong = NOWPaymentsProvider(fake.base_url, "k1", email=fake.fake.email, password="nope")
        invoice = await logged_in.create_invoice(
            InvoiceRequest("ord_2", Decimal("5"), "top-up", "http://127.0.0.1:9/ipn", "s", "c")
        )
        payment = await fake.fake.advance(invoice.id, "waiting", ipn="drop")
        assert await anonymous.payments_for_invoice(invoice.id) == []
        assert await wrong.payments_for_invoice(invoice.id) == []
        found = await logged_in.payments_for_invoice(invoice.id)
        assert [p.payment_id for p in found] == [str(payment["payment_id"])]
        for provider in (anonymous, logged_in, wrong):
            await provider.aclose()


async def test_the_hosted_pages_second_click_works_on_a_whole_amount(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Bug: the second status click (waiting -> confirming) answered 500 "'float' object has
    no attribute 'quantize'" when the amount due was whole ($5 = 5 USDT): read back from the
    state file it was an int, and half of it a float."""
    fake = FakeNowPayments(state_path=tmp_path / "fake.json")
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as http:
        invoice = (
            await http.post(
                "/v1/invoice",
                json={"price_amount": 5, "order_id": "ord_1"},
                headers={"x-api-key": DEV_API_KEY},
            )
        ).json()
        clicks = [
            await http.post(
                f"/pay/{invoice['id']}/advance",
                data={"status": status, "pay_currency": "usdttrc20", "ipn": "drop"},
            )
            for status in ("waiting", "confirming", "partially_paid")
        ]
        assert [c.status_code for c in clicks] == [303, 303, 303]
        page = await http.get(f"/pay/{invoice['id']}")
        assert "partially_paid" in page.text
        (payment,) = fake.payments.values()
        assert Decimal(str(payment["actually_paid"])) == Decimal("2.5")
        # A wrong click is a plain 400, not a 500.
        for bad in ({"status": "teleported"}, {"status": "confirmed", "actually_paid": "lots"}):
            refused = await http.post(f"/pay/{invoice['id']}/advance", data=bad)
            assert refused.status_code == 400
