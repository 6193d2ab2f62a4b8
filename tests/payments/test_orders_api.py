"""The customer orders API in-process: who may buy, ownership, CSRF, and the embedded fake
NOWPayments mounted at /_fake/nowpayments (what ``make run`` uses)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.payments.tasks import poll_open_payments
from tests.payments.support import balance, login, make_account, order, payments, setup_catalogue


@pytest.fixture(autouse=True)
async def catalogue(ctx: AppContext) -> None:
    await setup_catalogue(ctx)


async def _post_order(
    client: httpx.AsyncClient, csrf: str, product: str, **extra: str
) -> httpx.Response:
    body = {"product": product, "method": "nowpayments", **extra}
    return await client.post("/api/v1/orders", json=body, headers={"x-csrf-token": csrf})


async def test_the_embedded_fake_sells_credits_end_to_end(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    acct = await make_account(ctx)
    csrf = await login(client)
    response = await _post_order(client, csrf, "topup:medium")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["price_usd"] == "20.00" and created["credits"] == 9000
    url = created["invoice_url"]
    assert url.startswith("http://testserver/_fake/nowpayments/pay/")
    page = await client.get(url)
    assert page.status_code == 200 and "finished" in page.text
    advanced = await client.post(
        url + "/advance", data={"status": "finished", "pay_currency": "btc"}
    )
    assert advanced.status_code == 303
    assert await balance(ctx, acct.id) == 9000
    assert (await order(ctx, created["id"])).status == "paid"


async def test_a_lost_callback_on_the_embedded_fake_is_polled(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    acct = await make_account(ctx)
    created = (await _post_order(client, await login(client), "topup:small")).json()
    await client.post(
        created["invoice_url"] + "/advance", json={"status": "confirmed", "ipn": "drop"}
    )
    assert await balance(ctx, acct.id) == 0
    await poll_open_payments(ctx, grace_seconds=0)
    assert await balance(ctx, acct.id) == 2000


async def test_paying_needs_a_verified_email(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await make_account(ctx, verified=False)
    response = await _post_order(client, await login(client), "topup:small")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_not_verified"


async def test_a_paid_plan_needs_the_age_of_majority(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx, born=date(2010, 1, 1))
    csrf = await login(client)
    response = await _post_order(client, csrf, "plan:plus")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "age_of_majority_required"
    assert (await _post_order(client, csrf, "topup:small")).status_code == 201


async def test_majority_follows_the_country(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await make_account(ctx, born=date(2006, 1, 1), country="SG")  # 20 years old; 21 in Singapore
    response = await _post_order(client, await login(client), "plan:pro")
    assert response.json()["error"]["code"] == "age_of_majority_required"


async def test_unknown_or_free_products_are_refused(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    csrf = await login(client)
    assert (await _post_order(client, csrf, "plan:free")).status_code == 404
    assert (await _post_order(client, csrf, "topup:huge")).status_code == 404
    bad_method = await client.post(
        "/api/v1/orders",
        json={"product": "topup:small", "method": "card"},
        headers={"x-csrf-token": csrf},
    )
    assert bad_method.status_code == 400


async def test_login_and_csrf_are_required(client: httpx.AsyncClient, ctx: AppContext) -> None:
    assert (await client.get("/api/v1/orders")).status_code == 401
    await make_account(ctx)
    await login(client)
    response = await client.post("/api/v1/orders", json={"product": "topup:small"})
    assert response.status_code == 403


async def test_orders_are_visible_to_their_owner_only(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx, "ada@example.com")
    await make_account(ctx, "bob@example.com")
    created = (
        await _post_order(client, await login(client, "ada@example.com"), "topup:small")
    ).json()
    client.cookies.clear()
    csrf = await login(client, "bob@example.com")
    assert (await client.get(f"/api/v1/orders/{created['id']}")).status_code == 404
    assert (await client.get("/api/v1/orders")).json()["data"] == []
    claim = await client.post(
        f"/api/v1/orders/{created['id']}/manual-claim",
        json={"tx_hash": "ab" * 32, "from_address": "TSenderAddress0001"},
        headers={"x-csrf-token": csrf},
    )
    assert claim.status_code == 404
    assert await payments(ctx, created["id"]) == []
