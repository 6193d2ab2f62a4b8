"""End to end through HTTP: our app live under uvicorn, the fake NOWPayments as a real server.

Order → hosted invoice → waiting → confirming → confirmed → finished: credits granted exactly
once, at ``confirmed``. Repeated, reordered and forged callbacks change nothing more; a lost
callback is recovered by the polling job.
"""

from __future__ import annotations

from typing import Any

import httpx

from caicaini.context import AppContext
from caicaini.payments.tasks import poll_open_payments
from caicaini.testing.fake_nowpayments import FakeNowPaymentsServer
from tests.payments.support import (
    balance,
    callbacks,
    eventually,
    grants,
    login,
    mails,
    make_account,
    order,
    payments,
)


async def _buy(
    live: httpx.AsyncClient, ctx: AppContext, product: str = "topup:small"
) -> tuple[str, str]:
    acct = await make_account(ctx)
    csrf = await login(live)
    response = await live.post(
        "/api/v1/orders",
        json={"product": product, "method": "nowpayments"},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return acct.id, body["id"]


async def _advance(fake: FakeNowPaymentsServer, invoice_id: str, status: str, **extra: Any) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{fake.url}/pay/{invoice_id}/advance", json={"status": status, **extra}
        )
        assert response.status_code == 200, response.text


async def _status(ctx: AppContext, order_id: str) -> str | None:
    found = await payments(ctx, order_id)
    return found[0].status if found else None


async def test_order_to_finished_grants_once_and_ignores_replays(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)
    placed = await order(ctx_np, order_id)
    assert placed.price_usd == 5 and placed.credits == 2000 and placed.sheet_version == 1
    assert placed.invoice_url and placed.invoice_url.startswith(f"{fake_np.url}/pay/")
    invoice = fake_np.fake.invoices[placed.invoice_id or ""]
    assert invoice["order_id"] == order_id
    assert invoice["ipn_callback_url"] == f"{live.base_url}/webhooks/nowpayments"
    page = await live.get(placed.invoice_url)
    assert page.status_code == 200 and "Fake NOWPayments" in page.text
    invoice_id = placed.invoice_id or ""

    for status in ("waiting", "confirming"):
        await _advance(fake_np, invoice_id, status)
        await eventually(lambda: _status(ctx_np, order_id), until=lambda s, want=status: s == want)
        assert await balance(ctx_np, account_id) == 0

    await _advance(fake_np, invoice_id, "confirmed")
    await eventually(lambda: balance(ctx_np, account_id), until=lambda b: b == 2000)
    await _advance(fake_np, invoice_id, "finished")
    await eventually(lambda: _status(ctx_np, order_id), until=lambda s: s == "finished")

    # The same IPN five times, then older statuses delivered late: nothing more.
    await _advance(fake_np, invoice_id, "finished", copies=5)
    await _advance(fake_np, invoice_id, "confirming")  # the fake's own status goes back too
    answers = [d["answer"] for d in fake_np.fake.deliveries]
    assert answers and set(answers) == {200}
    await poll_open_payments(ctx_np, grace_seconds=0)
    [paid] = await payments(ctx_np, order_id)
    assert paid.status == "finished", "our record never moves backwards"
    assert await balance(ctx_np, account_id) == 2000
    assert len([g for g in await grants(ctx_np, account_id) if g.kind == "topup"]) == 1
    assert (await order(ctx_np, order_id)).status == "paid"
    assert [m.subject for m in await mails(ctx_np, "ada@example.com")].count(
        "Payment confirmed"
    ) == 1
    stored = [(c.provider_payment_id, c.status) for c in await callbacks(ctx_np)]
    assert len(stored) == len(set(stored)), "each (payment, status) stored once"

    listed = (await live.get("/api/v1/orders")).json()["data"]
    assert [o["id"] for o in listed] == [order_id] and listed[0]["status"] == "paid"
    detail = (await live.get(f"/api/v1/orders/{order_id}")).json()
    assert detail["payments"][0]["credits_granted"] == 2000
    assert (await live.get("/api/v1/payments")).json()["data"][0]["status"] == "finished"


async def test_bad_signature_is_refused_and_nothing_is_trusted(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "finished", ipn="bad_signature")
    assert fake_np.fake.deliveries[-1]["answer"] == 401
    assert await callbacks(ctx_np) == []
    assert await payments(ctx_np, order_id) == []
    assert await balance(ctx_np, account_id) == 0

    forged = await live.post(
        "/webhooks/nowpayments", content=b'{"payment_id":1,"payment_status":"finished"}'
    )
    assert forged.status_code == 401
    assert await callbacks(ctx_np) == []


async def test_out_of_order_delivery_grants_once_at_the_latest_status(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    for status in ("waiting", "confirming", "confirmed", "finished"):
        await _advance(fake_np, invoice_id, status, ipn="hold")
    await fake_np.fake.flush(reverse=True)
    await eventually(lambda: _status(ctx_np, order_id), until=lambda s: s == "finished")
    await eventually(lambda: balance(ctx_np, account_id), until=lambda b: b == 2000)
    await poll_open_payments(ctx_np, grace_seconds=0)
    assert await _status(ctx_np, order_id) == "finished"
    assert await balance(ctx_np, account_id) == 2000


async def test_lost_callbacks_are_recovered_by_the_polling_job(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "waiting")
    await eventually(lambda: _status(ctx_np, order_id), until=lambda s: s == "waiting")
    await _advance(fake_np, invoice_id, "confirmed", ipn="drop")
    await _advance(fake_np, invoice_id, "finished", ipn="drop")
    assert await balance(ctx_np, account_id) == 0
    assert await poll_open_payments(ctx_np, grace_seconds=60) == 0, "not late yet"
    await poll_open_payments(ctx_np, grace_seconds=0)
    assert await _status(ctx_np, order_id) == "finished"
    assert await balance(ctx_np, account_id) == 2000


async def test_an_invoice_whose_every_callback_was_lost_is_found_by_the_poller(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "finished", ipn="drop")
    assert await payments(ctx_np, order_id) == []
    await poll_open_payments(ctx_np, grace_seconds=0)
    assert await _status(ctx_np, order_id) == "finished"
    assert await balance(ctx_np, account_id) == 2000


async def test_partial_payment_goes_to_review_with_a_prorated_suggestion(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(
        fake_np, invoice_id, "partially_paid", pay_currency="usdttrc20", actually_paid="1.25"
    )
    await eventually(lambda: _status(ctx_np, order_id), until=lambda s: s == "partially_paid")
    await poll_open_payments(ctx_np, grace_seconds=0)
    [payment] = await payments(ctx_np, order_id)
    assert payment.review == "open" and payment.suggested_credits == 500  # 1.25 / 5 * 2000
    assert (await order(ctx_np, order_id)).status == "review"
    assert await balance(ctx_np, account_id) == 0


async def test_a_repeated_deposit_goes_to_review(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "finished")
    await eventually(lambda: balance(ctx_np, account_id), until=lambda b: b == 2000)
    await _advance(fake_np, invoice_id, "finished", new_payment=True)
    found = await eventually(
        lambda: payments(ctx_np, order_id), until=lambda p: len(p) == 2 and p[1].review == "open"
    )
    assert found[1].parent_payment_id == found[0].provider_payment_id
    assert await balance(ctx_np, account_id) == 2000


async def test_refunded_after_grant_is_a_reversal(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "finished")
    await eventually(lambda: balance(ctx_np, account_id), until=lambda b: b == 2000)
    await _advance(fake_np, invoice_id, "refunded")
    await eventually(lambda: order(ctx_np, order_id), until=lambda o: o.status == "reversed")
    assert await balance(ctx_np, account_id) == 0


async def test_a_plan_bought_mid_month_starts_its_period_with_the_prorated_allowance(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    from caicaini.subscriptions.service import SubscriptionService

    account_id, order_id = await _buy(live, ctx_np, "plan:plus")
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "confirmed", copies=3)
    await eventually(lambda: balance(ctx_np, account_id), until=lambda b: b == 833)
    await _advance(fake_np, invoice_id, "finished")
    await eventually(lambda: _status(ctx_np, order_id), until=lambda s: s == "finished")
    async with ctx_np.transaction() as session:
        periods = await SubscriptionService(session, ctx_np.clock).periods(account_id)
    assert [(p.plan_name, p.starts_at) for p in periods] == [("plus", ctx_np.clock.now())]
    assert await balance(ctx_np, account_id) == 833
