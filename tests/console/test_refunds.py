"""Refunds and reversals in the console: a refund of a paid top-up after an incident shows
the refundable credits and the payout, freezes the credits once the payout amount is typed,
and ends with the payout's hash; a double submit takes effect once; a reversal runs from the
order page; the report totals refunds by month and currency."""

from __future__ import annotations

import httpx

from caicaini.context import AppContext
from caicaini.models.accounts import Account
from tests.accounts.helpers import audit_actions
from tests.console.helpers import as_operator, confirmation
from tests.console.payment_support import SENDER, paid_topup, spend
from tests.web.helpers import balance


async def test_refund_part_of_a_top_up_after_an_incident(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    account_id, order_id = await paid_topup(ctx)
    await spend(ctx, account_id, 500, "req_spent_1")
    order = await client.get(f"/console/orders/{order_id}")
    assert 'id="refund-form"' in order.text and 'id="reverse-form"' in order.text
    url = f"/console/orders/{order_id}/refund"
    neither = await client.post(url, data={"csrf_token": token, "fee": "0.5"})
    assert neither.status_code == 400 and "name either an incident" in neither.text
    bad_fee = await client.post(url, data={"csrf_token": token, "fee": "-1", "incident": "inc_1"})
    assert bad_fee.status_code == 400 and "fee cannot be negative" in bad_fee.text

    shown = await client.post(
        url, data={"csrf_token": token, "fee": "0.5", "incident": "inc_2026_11_26"}
    )
    assert shown.status_code == 200
    for fact in (
        "1,500 unspent credits are frozen",
        "3.75 USDT",
        "fee of 0.5",
        "is 3.25 USDT",
        SENDER,
    ):
        assert fact in shown.text, fact
    assert await balance(ctx, account_id) == 1500  # a preview changes nothing
    wrong = await client.post(url, data=confirmation(shown.text, token, "3.75"))
    assert wrong.status_code == 400 and "type 3.25 exactly" in wrong.text
    assert await balance(ctx, account_id) == 1500

    form = confirmation(shown.text, token, "3.25")
    opened = await client.post(url, data=form)
    assert opened.status_code == 303
    refund_url = opened.headers["location"].split("?")[0]
    again = await client.post(url, data=form)  # double submit
    assert again.status_code == 409 and "already waiting for its payout" in again.text
    assert await balance(ctx, account_id) == 0  # frozen
    page = (await client.get(opened.headers["location"])).text
    assert 'id="refund-status">frozen<' in page and "3.25 USDT" in page and SENDER in page

    payout = f"{refund_url}/payout"
    bad = await client.post(payout, data={"csrf_token": token, "tx_hash": "short"})
    assert bad.status_code == 400 and "a transaction hash is" in bad.text
    tx = "ab" * 32
    done = await client.post(payout, data={"csrf_token": token, "tx_hash": tx})
    assert done.status_code == 303
    twice = await client.post(payout, data={"csrf_token": token, "tx_hash": tx})
    assert twice.status_code == 409 and "the refund is paid" in twice.text
    page = (await client.get(done.headers["location"])).text
    assert 'id="refund-status">paid<' in page and f'id="payout-hash">{tx}<' in page
    actions = await audit_actions(ctx)
    assert actions.count("refund.opened") == 1 and actions.count("refund.paid") == 1

    report = (await client.get("/console/refunds")).text.split('id="refunds-report"', 1)[1]
    row = report.split("</tr>", 2)[1]
    for cell in ("2026-11", "USDT", ">1<", "1,500", "3.75", "0.5", "3.25"):
        assert cell in row, cell


async def test_a_reversal_runs_from_the_order_page(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    account_id, order_id = await paid_topup(ctx)
    await spend(ctx, account_id, 300, "req_spent_1")
    url = f"/console/orders/{order_id}/reverse"
    missing = await client.post(url, data={"csrf_token": token, "reason": ""})
    assert missing.status_code == 400 and "give a reason" in missing.text
    shown = await client.post(url, data={"csrf_token": token, "reason": "chargeback CB-77"})
    assert "the 1,700 credits left" in shown.text and "300 credits already spent" in shown.text
    assert "suspended" in shown.text
    done = await client.post(url, data=confirmation(shown.text, token, order_id))
    assert done.status_code == 303
    again = await client.post(url, data=confirmation(shown.text, token, order_id))
    assert again.status_code == 409
    assert await balance(ctx, account_id) == 0
    async with ctx.transaction() as session:
        row = await session.get(Account, account_id)
        assert row is not None and row.status == "suspended"
    page = (await client.get(done.headers["location"])).text
    assert 'id="order-status">reversed<' in page and "300 credits spent" in page
    assert (await audit_actions(ctx)).count("payment.reversed") == 1


async def test_support_sees_refunds_but_cannot_open_one(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx, role="support")
    account_id, order_id = await paid_topup(ctx)
    assert (await client.get("/console/refunds")).status_code == 200
    page = (await client.get(f"/console/orders/{order_id}")).text
    assert 'id="refund-form"' not in page
    for path in ("refund", "reverse"):
        refused = await client.post(
            f"/console/orders/{order_id}/{path}",
            data={"csrf_token": token, "fee": "0", "incident": "x", "reason": "x"},
        )
        assert refused.status_code == 403
    assert await balance(ctx, account_id) == 2000
    assert (await client.get("/console/refunds/rfd_none")).status_code == 404
